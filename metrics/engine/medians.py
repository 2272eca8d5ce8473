"""Exact medians and their distribution-free intervals at every level, from one sort.

A median cannot be rolled up from finer medians, so each level (cell, region total, group
total, statewide) needs order statistics of its own records.  Sorting every level's records
separately costs one sort per level; instead the values are sorted once, each record gets
its position in that order, and records are grouped by their finest cell (month x region x
group) with positions kept in order.  The ``r``-th smallest value of any union of cells
(a region total is the union of its groups' cells) is then the smallest position ``x`` at
which ``r`` of the union's records lie at or before ``x``: a bisection on ``x`` whose
counts are binary searches in the cells' sorted positions, all queries of all levels at
once.  Weighted rows (value counts: ``c`` records share value ``v``) use cumulative
weights for the counts, so medians read off a histogram are the same order statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from metrics import intervals

# (dimension kept?) for key, region, group: the fine cells and the three rollups
LEVELS = ((True, True, True), (True, True, False), (True, False, True), (True, False, False))


def _codes(s: pl.Series) -> tuple[np.ndarray, list]:
    """A small integer code per value (nulls get their own code) and the value of each code."""
    if isinstance(s.dtype, pl.Enum):
        values: list = list(s.dtype.categories)
        codes = s.to_physical().to_numpy()
        n = len(values)
    elif s.dtype.is_integer() or s.dtype == pl.Date:  # a dense lookup over the value range
        phys = s.to_physical().drop_nulls().to_numpy().astype(np.int64)
        low = int(phys.min()) if phys.size else 0
        span = int(phys.max()) - low + 1 if phys.size else 1
        if span > 4 * max(len(s), 1) + 1024:  # sparse values: search instead
            return _searched(s)
        used = np.bincount(phys - low, minlength=span) > 0
        lookup = np.cumsum(used) - 1
        raw = s.to_physical().fill_null(low).to_numpy().astype(np.int64)
        codes = lookup[raw - low]
        values = (pl.Series(np.nonzero(used)[0] + low).cast(s.to_physical().dtype)
                  .cast(s.dtype).to_list())
        n = len(values)
    else:
        return _searched(s)
    if s.null_count():
        codes = np.where(s.is_null().to_numpy(), n, codes)
    return codes.astype(np.int64, copy=False), [*values, None]  # code n: a missing value


def _searched(s: pl.Series) -> tuple[np.ndarray, list]:
    uniq = s.drop_nulls().unique().sort()
    n = len(uniq)
    codes = (uniq.search_sorted(s.fill_null(uniq[0]), side="left").to_numpy() if n
             else np.zeros(len(s), dtype=np.int64))
    codes = np.where(s.is_null().to_numpy(), n, codes).astype(np.int64)
    return codes, [*uniq.to_list(), None]


@dataclass(frozen=True)
class _Sorted:
    """Records in value order, grouped by fine cell with positions kept in value order."""

    v: np.ndarray  # values, ascending
    by_cell: np.ndarray  # positions (into ``v``) grouped by cell, ascending within a cell
    keyed: np.ndarray  # cell * n + position: ascending
    first: np.ndarray  # where each cell starts in ``by_cell`` (one more entry: the end)
    cum_w: np.ndarray | None  # weight before each index of ``by_cell``; None: each weighs 1

    def weight_before(self, idx: np.ndarray) -> np.ndarray:
        return idx if self.cum_w is None else self.cum_w[idx]


def median_levels(frame: pl.DataFrame, key: str, weighted: bool) -> pl.DataFrame:
    """Median (``med``), its 95% interval (``lo``, ``hi``), count (``den``) and months seen
    (``_months``) per ``key`` x region x group at the four levels, from values ``v``
    (``weighted``: value ``v`` seen ``c`` times).  Region and group are text, None where
    a level spans them all."""
    out_schema = {key: frame.schema[key], "_region": pl.String, "_group": pl.String,
                  "den": pl.Float64, "med": pl.Float64, "lo": pl.Float64, "hi": pl.Float64,
                  "_months": pl.Int64}
    if frame.height == 0:
        return pl.DataFrame(schema=out_schema)
    dims = [_codes(frame.get_column(c)) for c in (key, "_region", "_group")]
    sizes = [len(values) + 1 for _, values in dims]  # one more code: "all" at a rollup
    n_cells = sizes[0] * sizes[1] * sizes[2]
    fine = (dims[0][0] * sizes[1] + dims[1][0]) * sizes[2] + dims[2][0]

    # one sort by value; positions grouped by fine cell, in value order within each cell
    # (a group keeps its rows' order: the positions of each cell come out ascending)
    cols = {"v": frame.get_column("v"), "_cell": pl.Series(fine, dtype=pl.UInt32)}
    if weighted:
        cols["c"] = frame.get_column("c")
    ordered = pl.DataFrame(cols).sort("v")
    grouped = (ordered.select("_cell").with_row_index("_pos").group_by("_cell").agg("_pos")
               .sort("_cell"))
    present = grouped.get_column("_cell").to_numpy().astype(np.int64)
    sizes_present = grouped.get_column("_pos").list.len().to_numpy()
    by_cell = grouped.get_column("_pos").explode().to_numpy().astype(np.int64)
    n = len(by_cell)
    per_cell = np.zeros(n_cells, dtype=np.int64)
    per_cell[present] = sizes_present
    cum_w = None
    if weighted:
        w = ordered.get_column("c").to_numpy()[by_cell].astype(np.int64)
        cum_w = np.concatenate([[0], np.cumsum(w)])
    data = _Sorted(v=ordered.get_column("v").to_numpy(), by_cell=by_cell,
                   keyed=np.repeat(present, sizes_present) * n + by_cell, cum_w=cum_w,
                   first=np.concatenate([[0], np.cumsum(per_cell)]))
    del ordered, grouped

    # months seen per fine cell (for complete periods); one a cell when the key is the month
    if key == "_month":
        seen = np.ones((n_cells, 1), dtype=bool)
    else:
        month_codes, _ = _codes(frame.get_column("_month"))
        n_months = int(month_codes.max()) + 1
        seen = (np.bincount(fine * n_months + month_codes, minlength=n_cells * n_months) > 0
                ).reshape(n_cells, n_months)

    kc, rest = np.divmod(present, sizes[1] * sizes[2])
    rc, gc = np.divmod(rest, sizes[2])
    frames = []
    for keep in LEVELS:
        rr = rc if keep[1] else np.full_like(rc, sizes[1] - 1)
        gg = gc if keep[2] else np.full_like(gc, sizes[2] - 1)
        groups, member_of = np.unique((kc * sizes[1] + rr) * sizes[2] + gg, return_inverse=True)
        stats = _order_statistics(member_of.reshape(-1), present, data, seen)
        frames.append(_decoded(groups, stats, sizes, dims, key, out_schema))
    return pl.concat(frames)


def _order_statistics(member_of: np.ndarray, members: np.ndarray, data: _Sorted,
                      seen: np.ndarray) -> dict[str, np.ndarray]:
    """One level, each group the union of its member fine cells: count, median, interval
    bounds (NaN where too few values) and months seen."""
    n_groups = int(member_of.max()) + 1
    cell_w = data.weight_before(data.first[members + 1]) - data.weight_before(data.first[members])
    count = np.bincount(member_of, weights=cell_w, minlength=n_groups).astype(np.int64)
    months = np.zeros((n_groups, seen.shape[1]), dtype=bool)
    np.logical_or.at(months, member_of, seen[members])
    k, u = intervals.median_ranks(count.astype(float))
    ok = np.isfinite(k)
    ranks = np.stack([(count - 1) // 2 + 1, count // 2 + 1,
                      np.where(ok, k, 1).astype(np.int64), np.where(ok, u, 1).astype(np.int64)])
    if data.cum_w is None and len(members) == n_groups:  # one cell a group: read directly
        values = data.v[data.by_cell[data.first[members][None, :] + ranks[:, member_of] - 1]]
        values = values[:, np.argsort(member_of)]
    else:
        values = _select(ranks, member_of, members, data)
    return {"den": count.astype(float), "med": (values[0] + values[1]) / 2,
            "lo": np.where(ok, values[2], np.nan), "hi": np.where(ok, values[3], np.nan),
            "_months": months.sum(axis=1).astype(np.int64)}


def _decoded(groups: np.ndarray, stats: dict[str, np.ndarray], sizes: list[int], dims: list,
             key: str, schema: dict) -> pl.DataFrame:
    kc, rest = np.divmod(groups, sizes[1] * sizes[2])
    rc, gc = np.divmod(rest, sizes[2])

    def decode(codes: np.ndarray, d: int, text: bool) -> list:
        names = dims[d][1]
        out = [names[c] if c < len(names) else None for c in codes.tolist()]
        return [None if x is None else str(x) for x in out] if text else out

    return pl.DataFrame({
        key: pl.Series(decode(kc, 0, False), dtype=schema[key]),
        "_region": decode(rc, 1, True), "_group": decode(gc, 2, True),
        **{c: pl.Series(a).fill_nan(None) if c in ("lo", "hi") else a for c, a in stats.items()},
    }, schema=schema)


def _select(ranks: np.ndarray, member_of: np.ndarray, members: np.ndarray,
            data: _Sorted) -> np.ndarray:
    """The ``ranks[q, g]``-th smallest value (1-based, by weight) of each group ``g``: the
    first position in value order at which the group's members reach that weight."""
    n_q, n_g = ranks.shape
    n = len(data.v)
    # one row per (query, member cell) pair
    q_of_pair = np.repeat(np.arange(n_q), len(members))
    cell_of_pair = np.tile(members, n_q)
    target_of_pair = np.tile(member_of, n_q) + q_of_pair * n_g  # flat (q, g) index
    base = data.weight_before(data.first[cell_of_pair])
    lo = np.full(n_q * n_g, -1, dtype=np.int64)  # the rank is not reached at or before lo
    hi = np.full(n_q * n_g, n - 1, dtype=np.int64)  # the rank is reached at or before hi
    want = ranks.reshape(-1)
    while True:
        active = hi - lo > 1
        if not active.any():
            break
        mid = (lo + hi) // 2
        at = np.searchsorted(data.keyed, cell_of_pair * n + mid[target_of_pair], side="right")
        got = np.bincount(target_of_pair, weights=data.weight_before(at) - base,
                          minlength=n_q * n_g)
        reached = got >= want
        hi = np.where(active & reached, mid, hi)
        lo = np.where(active & ~reached, mid, lo)
    return data.v[hi].reshape(n_q, n_g)
