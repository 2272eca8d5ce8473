"""Exact medians and their distribution-free intervals at every level, without a sort.

A median cannot be rolled up from finer medians, so each level (cell, region total, group
total, statewide) needs order statistics of its own records.  Bucket counts, however, can
be rolled up.  The values are cut into about a thousand value buckets of about equal size
(a uniform grid merged by a sample's histogram); one pass counts records per fine cell
(month x region x group) and bucket, and every level's counts are sums of its cells'.  The cumulative counts of a level's group then
say in which bucket its ``r``-th smallest value lies and at which rank inside that bucket;
only the few records of the wanted buckets are kept and sorted to read the value off.
The result is exact whatever the edges: they only decide how few records are sorted.
Weighted rows (value counts: ``c`` records share value ``v``) count with their weights, so
medians read off a histogram are the same order statistics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import sparse

from metrics import intervals

# (dimension kept?) for key, region, group: the fine cells and the three rollups
LEVELS = ((True, True, True), (True, True, False), (True, False, True), (True, False, False))
BUCKETS = 1024  # value buckets (fewer for small frames)
MAX_COUNTS = 1 << 24  # cells x buckets held at once; whole numbers beyond it are bucketed


def _codes(s: pl.Series) -> tuple[np.ndarray, list]:
    """A small integer code per value (nulls get their own code) and the value of each code."""
    if isinstance(s.dtype, pl.Enum):
        values: list = list(s.dtype.categories)
        codes = s.to_physical().to_numpy()
        n = len(values)
    elif s.dtype.is_integer() or s.dtype == pl.Date:  # a dense lookup over the value range
        raw = s.to_physical()
        low = raw.min()
        if low is None:
            return _searched(s)
        span = int(raw.max()) - int(low) + 1  # type: ignore[arg-type]
        if span > 4 * len(s) + 1024:  # sparse values: search instead
            return _searched(s)
        offset = (raw.fill_null(low) - low).to_numpy()
        used = np.bincount(offset, minlength=span) > 0
        lookup = (np.cumsum(used) - 1).astype(np.int32)
        codes = lookup[offset]
        values = (pl.Series(np.nonzero(used)[0] + int(low)).cast(raw.dtype)  # type: ignore[arg-type]
                  .cast(s.dtype).to_list())
        n = len(values)
    else:
        return _searched(s)
    if s.null_count():
        codes = np.where(s.is_null().to_numpy(), n, codes)
    return codes.astype(np.int32, copy=False), [*values, None]  # code n: a missing value


def _searched(s: pl.Series) -> tuple[np.ndarray, list]:
    uniq = s.drop_nulls().unique().sort()
    n = len(uniq)
    codes = (uniq.search_sorted(s.fill_null(uniq[0]), side="left").to_numpy() if n
             else np.zeros(len(s), dtype=np.int64))
    codes = np.where(s.is_null().to_numpy(), n, codes).astype(np.int32)
    return codes, [*uniq.to_list(), None]


@dataclass(frozen=True)
class Cells:
    """Each record's fine cell (a code for month x region x group), and what the codes mean."""

    fine: np.ndarray
    names: list[list]  # per dimension (month, region, group): the value of each code
    sizes: list[int]  # codes per dimension, one more than the values: "all" at a rollup
    month_dtype: Any

    def subset(self, keep: np.ndarray) -> Cells:
        return Cells(self.fine[keep], self.names, self.sizes, self.month_dtype)


def cells_of(frame: pl.DataFrame) -> Cells:
    """The fine cells of ``frame``'s records (``_month``, ``_region``, ``_group``)."""
    dims = [_codes(frame.get_column(c)) for c in ("_month", "_region", "_group")]
    sizes = [len(values) + 1 for _, values in dims]
    wide = np.int64 if sizes[0] * sizes[1] * sizes[2] >= 1 << 31 else np.int32
    fine = (dims[0][0].astype(wide) * sizes[1] + dims[1][0]) * sizes[2] + dims[2][0]
    return Cells(fine, [values for _, values in dims], sizes, frame.schema["_month"])


def _schema(month_dtype: Any, periods: pl.DataFrame | None) -> dict[str, Any]:
    key = "_month" if periods is None else "period"
    return {key: month_dtype if periods is None else pl.String, "_region": pl.String,
            "_group": pl.String, "den": pl.Float64, "med": pl.Float64, "lo": pl.Float64,
            "hi": pl.Float64, "_months": pl.Int64}


def median_levels(frame: pl.DataFrame, weighted: bool, *, periods: pl.DataFrame | None = None,
                  buckets: int | None = None) -> pl.DataFrame:
    """Median (``med``), its 95% interval (``lo``, ``hi``), count (``den``) and months seen
    (``_months``) per month (or per period) x region x group at the four levels.

    ``frame`` has ``_month``, ``_region``, ``_group`` and values ``v`` (``weighted``: value
    ``v`` seen ``c`` times).  ``periods`` (``_month``, ``period``; a month may be in several
    periods, as in rolling windows): the statistics are per period, each the union of its
    months, and the key column is ``period``; otherwise it is ``_month``.  Region and group
    are text, None where a level spans them all.  ``buckets``: how many value buckets
    (default: by size)."""
    if frame.height == 0:
        return pl.DataFrame(schema=_schema(frame.schema["_month"], periods))
    w = frame.get_column("c").to_numpy().astype(np.int64) if weighted else None
    return _levels(cells_of(frame), frame.get_column("v").to_numpy(), w, periods, buckets)


def median_levels_of(frame: pl.DataFrame, columns: list[str], *,
                     periods: Mapping[str, pl.DataFrame | None] | None = None
                     ) -> dict[str, pl.DataFrame | None]:
    """:func:`median_levels` of each value column of ``frame`` (a missing value is not a
    value; None where a column has none; ``periods`` per column), the records' cells worked
    out once."""
    if not columns:
        return {}
    cells = cells_of(frame)
    out: dict[str, pl.DataFrame | None] = {}
    for col in columns:
        s = frame.get_column(col)
        span = (periods or {}).get(col)
        if s.null_count() == len(s):
            out[col] = None
            continue
        v = s.to_numpy()
        if s.null_count():
            keep = s.is_not_null().to_numpy()
            out[col] = _levels(cells.subset(keep), v[keep], None, span, None)
        else:
            out[col] = _levels(cells, v, None, span, None)
    return out


def _levels(cells: Cells, v: np.ndarray, w: np.ndarray | None, periods: pl.DataFrame | None,
            buckets: int | None) -> pl.DataFrame:
    out_schema = _schema(cells.month_dtype, periods)
    key = next(iter(out_schema))
    sizes = cells.sizes
    n_cells = sizes[0] * sizes[1] * sizes[2]
    fine = cells.fine
    present = np.nonzero(np.bincount(fine, minlength=n_cells))[0]
    slot = np.full(n_cells, -1, dtype=np.int32)
    slot[present] = np.arange(len(present))
    row_slot = slot[fine]
    exact = None if buckets else _whole_numbers(v)
    if exact is not None and len(present) * exact[1] > MAX_COUNTS:
        exact = None  # too many distinct whole numbers for a bucket each
    if exact is not None:  # a bucket per value: every order statistic is a bucket's value
        low, nb = exact
        bucket = (v - low).astype(np.int32)
    else:
        bucket = _buckets(v, buckets or int(min(BUCKETS, max(1, len(v) // 64))))
        nb = int(bucket.max()) + 1
    at = row_slot.astype(np.int64) * nb + bucket  # (cell, bucket) of each record
    flat_counts = np.bincount(at, weights=w, minlength=len(present) * nb)
    small = np.int32 if flat_counts.sum() < 1 << 31 else np.int64
    counts: np.ndarray = flat_counts.astype(small).reshape(len(present), nb)

    # the key of each output row: the month itself, or each period the month is in
    mc, rest = np.divmod(present, sizes[1] * sizes[2])
    rc, gc = np.divmod(rest, sizes[2])
    if periods is None:
        key_values: list = cells.names[0]
        cell_of, key_of = np.arange(len(present)), mc
    else:
        key_values, cell_of, key_of = _periods_of(mc, cells.names[0], periods)
    key_sizes = [len(key_values) + 1, sizes[1], sizes[2]]
    plans = []
    for keep in LEVELS:
        rr = rc[cell_of] if keep[1] else np.full(len(cell_of), sizes[1] - 1)
        gg = gc[cell_of] if keep[2] else np.full(len(cell_of), sizes[2] - 1)
        groups, group_of = np.unique((key_of * sizes[1] + rr) * sizes[2] + gg,
                                     return_inverse=True)
        plans.append(_Level(groups, group_of.reshape(-1), cell_of, mc, counts))
    names = [key_values, cells.names[1], cells.names[2]]
    if exact is not None:
        return pl.concat([_decoded(plan.groups, plan.statistics(None, exact[0]), key_sizes,
                                   names, key, out_schema) for plan in plans])
    # the records of the buckets some level needs, and nothing else
    need = np.zeros((len(present), nb), dtype=bool)
    for plan in plans:
        members, wanted = plan.wanted_buckets()
        need[members[:, None], wanted] = True
    keep_rows = need.reshape(-1)[at]
    cand = {"slot": row_slot[keep_rows], "bucket": bucket[keep_rows], "v": v[keep_rows],
            "w": w[keep_rows] if w is not None else None}
    return pl.concat([_decoded(plan.groups, plan.statistics(cand), key_sizes, names, key,
                               out_schema) for plan in plans])


def _periods_of(month_code: np.ndarray, months: list, periods: pl.DataFrame
                ) -> tuple[list, np.ndarray, np.ndarray]:
    """Period labels, and one (cell, period code) pair per cell and period its month is in."""
    labels = sorted(periods.get_column("period").unique().to_list())
    code = {lb: i for i, lb in enumerate(labels)}
    by_month: dict[Any, list[int]] = {}
    for m, lb in periods.select("_month", "period").iter_rows():
        by_month.setdefault(m, []).append(code[lb])
    per_code = [sorted(set(by_month.get(m, []))) for m in months]
    lens = np.array([len(x) for x in per_code], dtype=np.int64)
    flat = np.array([p for x in per_code for p in x], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lens)])
    n_pairs = lens[month_code]
    cell_of = np.repeat(np.arange(len(month_code)), n_pairs)
    offset = np.arange(len(cell_of)) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)
    key_of = flat[starts[month_code][cell_of] + offset] if len(cell_of) else cell_of
    return labels, cell_of, key_of


GRID = 1 << 16  # uniform grid between the 0.1% and 99.9% sample quantiles


def _whole_numbers(v: np.ndarray) -> tuple[int, int] | None:
    """(smallest value, span) when every value is a whole number within a span of
    :data:`GRID` (days, counts, whole dollars): then a bucket can hold one value each."""
    head = v[:100_000]
    if v.size == 0 or not (head == np.floor(head)).all() or not np.isfinite(v).all():
        return None
    low, high = float(v.min()), float(v.max())
    if high - low >= GRID or not (v == np.floor(v)).all():
        return None
    return int(low), int(high - low) + 1


def _buckets(v: np.ndarray, n_buckets: int) -> np.ndarray:
    """A bucket number per value, non-decreasing in the value, buckets of about equal
    size: a uniform grid cell per value, grid cells merged by a sample's histogram (a
    table lookup per value, not a search)."""
    sample = v[:: max(1, len(v) // 100_000)]
    sample = sample[np.isfinite(sample)]
    if n_buckets <= 1 or sample.size == 0:
        return np.zeros(len(v), dtype=np.int32)
    lo, hi = np.quantile(sample, [0.001, 0.999])
    if not hi > lo:
        lo, hi = float(sample.min()), float(sample.max())
    if not hi > lo:
        hi = lo + 1.0
    scale = GRID / (hi - lo)

    def grid(x: np.ndarray) -> np.ndarray:  # in place: one float copy of the values at most
        cells = np.subtract(x, lo)
        np.multiply(cells, scale, out=cells)
        np.clip(cells, 0, GRID - 1, out=cells)
        cells[np.isnan(cells)] = GRID - 1  # NaN sorts last
        return cells.astype(np.int32)

    mass = np.cumsum(np.bincount(grid(sample), minlength=GRID)) / sample.size
    table = np.minimum((np.concatenate([[0.0], mass[:-1]]) * n_buckets).astype(np.int32),
                       n_buckets - 1)
    return table[grid(v)]


class _Level:
    """One level: each group the union of its member fine cells (pairs ``group_of[i]``,
    ``cell_of[i]``; a cell may be in several groups, as a month in rolling windows)."""

    def __init__(self, groups: np.ndarray, group_of: np.ndarray, cell_of: np.ndarray,
                 month_of_cell: np.ndarray, counts: np.ndarray) -> None:
        self.groups, self.group_of, self.cell_of = groups, group_of, cell_of
        n_groups = len(groups)
        ones = np.ones(len(group_of), dtype=np.int64)
        member = sparse.csr_matrix((ones, (group_of, cell_of)),
                                   shape=(n_groups, counts.shape[0]))
        per_group = np.asarray(member @ counts.astype(np.int64))
        months = sparse.csr_matrix((ones, (group_of, month_of_cell[cell_of])),
                                   shape=(n_groups, int(month_of_cell.max()) + 1))
        months.sum_duplicates()
        self.months = np.diff(months.indptr)  # distinct months with records, per group
        self.count = per_group.sum(axis=1, dtype=np.int64)
        k, u = intervals.median_ranks(self.count.astype(float))
        self.ok = np.isfinite(k)
        self.ranks = np.stack([(self.count - 1) // 2 + 1, self.count // 2 + 1,
                               np.where(self.ok, k, 1).astype(np.int64),
                               np.where(self.ok, u, 1).astype(np.int64)])  # (4, groups)
        cum = np.cumsum(per_group, axis=1, dtype=np.int64)
        # the bucket holding each rank (one search over all groups' cumulative counts, each
        # group's offset past the previous one's), and the weight before that bucket
        rows = np.arange(n_groups)
        stride = int(self.count.max()) + 1
        flat = (cum + (rows * stride)[:, None]).reshape(-1)
        nb = cum.shape[1]
        self.bucket = np.stack([np.searchsorted(flat, rows * stride + r, side="left") - rows * nb
                                for r in self.ranks])
        self.before = np.where(self.bucket > 0, cum[rows, np.maximum(self.bucket - 1, 0)], 0)
        # each cell's groups, for sending a cell's records to every group it is in
        by_cell = np.argsort(cell_of, kind="stable")
        self._pair_groups = group_of[by_cell]
        self._pair_start = np.searchsorted(cell_of[by_cell], np.arange(counts.shape[0] + 1))

    def wanted_buckets(self) -> tuple[np.ndarray, np.ndarray]:
        """Member cells, and the (pairs, 4) buckets to keep for each."""
        return self.cell_of, self.bucket[:, self.group_of].T

    def statistics(self, cand: dict | None, low: int = 0) -> dict[str, np.ndarray]:
        """``cand``: the records of the wanted buckets; None when each bucket is one value
        (``low`` + bucket number)."""
        if cand is None:
            return self._finished((self.bucket + low).astype(float))
        # one candidate row per (record, group its cell is in)
        start = self._pair_start[cand["slot"]]
        n_in = self._pair_start[cand["slot"] + 1] - start
        rec = np.repeat(np.arange(len(start)), n_in)
        offset = np.arange(len(rec)) - np.repeat(np.cumsum(n_in) - n_in, n_in)
        group_of = self._pair_groups[start[rec] + offset]
        bucket_of, v_of = cand["bucket"][rec], cand["v"][rec]
        w_of = cand["w"][rec] if cand["w"] is not None else None
        values = np.empty(self.ranks.shape)
        for q in range(len(self.ranks)):
            hit = bucket_of == self.bucket[q][group_of]
            g, vals = group_of[hit], v_of[hit]
            wts = w_of[hit] if w_of is not None else np.ones(len(vals), dtype=np.int64)
            order = np.lexsort((vals, g))
            g, vals, wts = g[order], vals[order], wts[order]
            cum = np.cumsum(wts)
            start_g = np.searchsorted(g, np.arange(len(self.groups)), side="left")
            before = np.where(start_g > 0, cum[np.maximum(start_g - 1, 0)], 0)
            # the first of the group's candidates whose weight reaches the rank
            target = before + self.ranks[q] - self.before[q]
            values[q] = vals[np.searchsorted(cum, target, side="left")]
        return self._finished(values)

    def _finished(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {"den": self.count.astype(float), "med": (values[0] + values[1]) / 2,
                "lo": np.where(self.ok, values[2], np.nan),
                "hi": np.where(self.ok, values[3], np.nan),
                "_months": self.months.astype(np.int64)}


def _decoded(groups: np.ndarray, stats: dict[str, np.ndarray], sizes: list[int], names: list,
             key: str, schema: dict) -> pl.DataFrame:
    kc, rest = np.divmod(groups, sizes[1] * sizes[2])
    rc, gc = np.divmod(rest, sizes[2])

    def decode(codes: np.ndarray, d: int, text: bool) -> list:
        values = names[d]
        out = [values[c] if c < len(values) else None for c in codes.tolist()]
        return [None if x is None else str(x) for x in out] if text else out

    return pl.DataFrame({
        key: pl.Series(decode(kc, 0, False), dtype=schema[key]),
        "_region": decode(rc, 1, True), "_group": decode(gc, 2, True),
        **{c: pl.Series(a).fill_nan(None) if c in ("lo", "hi") else a for c, a in stats.items()},
    }, schema=schema)
