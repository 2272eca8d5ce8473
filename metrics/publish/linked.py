"""Suppression and audit of a release as one set of linked tables (what an attacker has).

A count table is one KPI's numerators (proportions, rates, counts) or the denominators of
the KPIs that share a denominator. Its figures come at two grains (:mod:`.release`):
statewide by group at the KPI's own grain, and region x group by twelve months. The
attacker's unknowns are

* ``v[u, g]``: the statewide count of group ``g`` in unit ``u``, a unit being one of the
  KPI's own periods, or one month for rolling-window KPIs (whose windows overlap and are
  sums of twelve months);
* ``y[w, r, g]``: the count of region ``r`` and group ``g`` in twelve-month window ``w``;

linked by ``sum(v[u, g] for u in w) == sum(y[w, r, g] for r)``. Every published figure
is a sum of unknowns and is known exactly; every count is non-negative; a proportion's
numerator is at most its denominator where that is published (or at most the largest
value the denominator audit leaves it). Month-by-region figures are never published, so
these two families hold everything an attacker can use (any non-negative ``v`` and ``y``
that agree on the shared margins come from some non-negative month x region x group
table). For each hidden count of 1 to ``threshold - 1`` (or whose remainder is that small)
the audit minimises and maximises it by linear programming (scipy, HiGHS) over *all*
published figures of the table together: overlapping windows, months inside windows, the
statewide and region totals. A snapshot is refused if any such interval is narrower than
the protection band.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from metrics.definitions import Kpi, Register
from metrics.groups import is_combined, members
from metrics.suppression import COMPLEMENTARY_REASON, SuppressionPolicy, suppress
from metrics.suppression.table import primary_mask

from .leastloss import least_loss_cells, loss_of
from .release import COARSE

__all__ = ["AUDIT_SCHEMA", "CountTable", "LinkedAudit", "audit_release", "count_tables",
           "protect_release"]

ALL = "all"
COUNT_MEASURES = ("proportion", "rate", "count")
CELL = ["kpi_id", "period", "grain", "region", "group"]
AUDIT_SCHEMA = {"table": pl.String, "kpi_id": pl.String, "period": pl.String, "grain": pl.String,
                "region": pl.String, "group": pl.String, "value": pl.Float64, "low": pl.Float64,
                "high": pl.Float64, "width": pl.Float64, "required": pl.Float64, "ok": pl.Boolean}


def denominator_key(kpi: Kpi) -> str:
    link = kpi.link.feed_id if kpi.link else ""
    return "|".join((kpi.feed_id, kpi.filter, kpi.denominator, kpi.grain, link))


@dataclass
class CountTable:
    """One table of counts: which KPIs' rows, and which column holds the count."""

    name: str
    kind: str  # "numerator" or "denominator"
    kpi_ids: list[str]
    proportion: bool = False


def count_tables(register: Register, rows: pl.DataFrame) -> list[CountTable]:
    have_den = set(rows.filter(pl.col("denominator").is_not_null())
                   .get_column("kpi_id").unique().to_list())
    out = []
    for k in register.kpis.values():
        if k.measure in COUNT_MEASURES:
            out.append(CountTable(f"numerator:{k.kpi_id}", "numerator", [k.kpi_id],
                                  k.measure == "proportion"))
    keys: dict[str, list[str]] = defaultdict(list)
    for k in register.kpis.values():
        if k.kpi_id in have_den:
            keys[denominator_key(k)].append(k.kpi_id)
    for ids in keys.values():
        out.append(CountTable(f"denominator:{'+'.join(sorted(ids))}", "denominator", sorted(ids)))
    return out


# -- the attacker's system ----------------------------------------------------------------

def _months(start: date, end: date) -> list[date]:
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@dataclass
class _System:
    """Unknowns and the combination of unknowns each row of one KPI's table is."""

    var: dict[tuple[Any, ...], int] = field(default_factory=dict)
    links: list[tuple[list[int], list[int]]] = field(default_factory=list)

    def v(self, key: tuple[Any, ...]) -> int:
        if key not in self.var:
            self.var[key] = len(self.var)
        return self.var[key]


def _combinations(rows: pl.DataFrame, rolling: bool, split: bool
                  ) -> tuple[_System, list[list[int]], list[int]]:
    """Each row's unknowns, and a block id per row (rows of different blocks never link)."""
    sysm = _System()
    recs = rows.select("period", "grain", "region", "group", "period_start", "period_end",
                       "count").to_dicts()
    coarse = [r for r in recs if r["grain"] == COARSE]
    native = [r for r in recs if r["grain"] != COARSE]
    groups = sorted({r["group"] for r in recs if r["group"] != ALL})
    regions = sorted({r["region"] for r in recs if r["region"] != ALL})
    present = {(r["period"], r["grain"], r["region"], r["group"]) for r in recs}
    combos: list[list[int]] = []
    block: list[int] = []
    windows = sorted({(r["period"], r["period_start"], r["period_end"]) for r in coarse})
    win_of_unit: dict[Any, int] = {}
    for r in recs:
        p, gr, reg, grp = r["period"], r["grain"], r["region"], r["group"]
        if gr == COARSE or not split:
            # a full region x group table of one period
            rs = regions if reg == ALL else [reg]
            gs = groups if grp == ALL else [grp]
            idx = [sysm.v(("y", p, a, b)) for a in rs for b in gs if (p, gr, a, b) in present]
            combos.append(idx)
            block.append(hash(("t", p)) if not split else hash("split"))
            continue
        gs = groups if grp == ALL else [grp]
        gs = [b for b in gs if (p, gr, ALL, b) in present] if grp == ALL else gs
        units = _months(r["period_start"], r["period_end"]) if rolling else [p]
        idx = [sysm.v(("v", u, b)) for u in units for b in gs]
        combos.append(idx)
        block.append(hash("split"))
        for u in units:
            for i, (_w, ws, we) in enumerate(windows):
                u_start = u if rolling else r["period_start"]
                u_end = u if rolling else r["period_end"]
                if ws <= u_start and u_end <= we:
                    win_of_unit[u] = i
    if split:
        # months/periods inside each window add up to the window's group figures (a
        # combined group's to the sum of its members')
        for i, (w, _ws, _we) in enumerate(windows):
            units = [u for u, j in win_of_unit.items() if j == i]
            for b in groups:
                left = [sysm.var[("v", u, b)] for u in units if ("v", u, b) in sysm.var]
                if not left and any(("v", u, c) in sysm.var for u in units for c in groups
                                    if b in members(c) and c != b):
                    continue  # released at this grain only inside a combination
                right = [sysm.var[("y", w, a, m)] for a in regions for m in members(b)
                         if ("y", w, a, m) in sysm.var]
                if left or right:
                    sysm.links.append((left, right))
        del native
    return sysm, combos, block


def _intervals(n_var: int, combos: list[list[int]], eq_rows: list[int], eq_vals: list[float],
               links: list[tuple[list[int], list[int]]], ub_rows: list[int],
               ub_vals: list[float], targets: list[int],
               enough: list[tuple[float, float]] | None = None) -> list[tuple[float, float]]:
    """Min and max of each target row's combination subject to everything published
    (``enough``: see :func:`_solve`)."""
    data: list[float] = []
    ri: list[int] = []
    ci: list[int] = []
    b: list[float] = []
    n = 0
    for r, val in zip(eq_rows, eq_vals, strict=True):
        for j in combos[r]:
            ri.append(n)
            ci.append(j)
            data.append(1.0)
        b.append(val)
        n += 1
    for left, right in links:
        for j in left:
            ri.append(n)
            ci.append(j)
            data.append(1.0)
        for j in right:
            ri.append(n)
            ci.append(j)
            data.append(-1.0)
        b.append(0.0)
        n += 1
    a_eq = csr_matrix((data, (ri, ci)), shape=(n, n_var)) if n else None
    ud: list[float] = []
    ur: list[int] = []
    uc: list[int] = []
    for k, r in enumerate(ub_rows):
        for j in combos[r]:
            ur.append(k)
            uc.append(j)
            ud.append(1.0)
    a_ub = csr_matrix((ud, (ur, uc)), shape=(len(ub_rows), n_var)) if ub_rows else None
    return _solve(n_var, a_eq, np.asarray(b, dtype=np.float64), a_ub,
                  np.asarray(ub_vals, dtype=np.float64), [combos[t] for t in targets], enough)


def _solve(n_var: int, a_eq: Any, b_eq: np.ndarray, a_ub: Any, b_ub: np.ndarray,
           targets: list[list[int]], enough: list[tuple[float, float]] | None = None
           ) -> list[tuple[float, float]]:
    """Min and max of each target sum: one HiGHS model, warm-started target by target.

    ``enough``: per target, a feasible value and a width; where the max is at least that
    width above the feasible value, the min is not solved and the feasible value stands in
    for it (the width is then a lower bound, enough for a verdict).
    """
    try:
        from scipy.optimize._highspy import _core as hc
    except ImportError:  # pragma: no cover - older scipy: one linprog per bound
        return _solve_linprog(n_var, a_eq, b_eq, a_ub, b_ub, targets)
    n_rows = sum(a.shape[0] for a in (a_eq, a_ub) if a is not None)
    if n_var == 0:
        return [(0.0, 0.0) for _ in targets]
    if n_rows == 0:  # nothing published: every count is anywhere from 0 up
        return [(0.0, np.inf if idx else 0.0) for idx in targets]
    h = hc._Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")
    h.setOptionValue("threads", 1)
    inf = h.getInfinity()
    lower = np.zeros(n_var)
    upper = np.full(n_var, inf)
    if a_eq is not None and a_eq.shape[0]:
        # a published figure that is one unknown fixes that unknown: a bound, not a row
        a_eq = a_eq.tocsr()
        nnz = np.diff(a_eq.indptr)
        single = np.flatnonzero(nnz == 1)
        cols = a_eq.indices[a_eq.indptr[single]]
        lower[cols] = b_eq[single]
        upper[cols] = b_eq[single]
        keep = np.flatnonzero(nnz != 1)
        a_eq, b_eq = a_eq[keep], b_eq[keep]
    h.addVars(n_var, lower, upper)
    for a, lo, hi in ((a_eq, b_eq, b_eq), (a_ub, np.full(len(b_ub), -inf), b_ub)):
        if a is None or a.shape[0] == 0:
            continue
        a = a.tocsr()
        h.addRows(a.shape[0], np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64),
                  a.nnz, a.indptr.astype(np.int32), a.indices.astype(np.int32),
                  a.data.astype(np.float64))
    out = []
    prev: list[int] = []
    for t, idx in enumerate(targets):
        if prev:
            h.changeColsCost(len(prev), np.asarray(prev, dtype=np.int32), np.zeros(len(prev)))
        h.changeColsCost(len(idx), np.asarray(idx, dtype=np.int32), np.ones(len(idx)))
        prev = list(idx)
        res: dict[Any, float] = {}
        for sense in (hc.ObjSense.kMaximize, hc.ObjSense.kMinimize):
            if sense == hc.ObjSense.kMinimize and enough is not None \
                    and res[hc.ObjSense.kMaximize] - enough[t][0] >= enough[t][1] - 1e-6:
                res[sense] = enough[t][0]
                break
            h.changeObjectiveSense(sense)
            h.run()
            st = h.getModelStatus()
            if st == hc.HighsModelStatus.kOptimal:
                res[sense] = float(h.getInfo().objective_function_value)
            elif st in (hc.HighsModelStatus.kUnbounded,
                        hc.HighsModelStatus.kUnboundedOrInfeasible) and \
                    sense == hc.ObjSense.kMaximize:
                res[sense] = np.inf
            else:
                raise RuntimeError(f"audit LP failed: {h.modelStatusToString(st)}")
        out.append((res[hc.ObjSense.kMinimize], res[hc.ObjSense.kMaximize]))
    return out


def _solve_linprog(n_var: int, a_eq: Any, b_eq: np.ndarray, a_ub: Any, b_ub: np.ndarray,
                   targets: list[list[int]]) -> list[tuple[float, float]]:
    out = []
    for idx in targets:
        c = np.zeros(n_var)
        c[idx] = 1.0
        bounds = []
        for sign in (1.0, -1.0):
            res = linprog(sign * c, A_ub=a_ub, b_ub=b_ub if a_ub is not None else None,
                          A_eq=a_eq, b_eq=b_eq if a_eq is not None else None, bounds=(0, None),
                          method="highs")
            if res.status == 3:
                bounds.append(np.inf)
            elif res.status != 0:
                raise RuntimeError(f"audit LP failed: {res.message}")
            else:
                bounds.append(float(res.fun) * sign)
        out.append((bounds[0], bounds[1]))
    return out


@dataclass
class LinkedAudit:
    """Intervals of every sensitive hidden count (one row each) and other problems."""

    intervals: pl.DataFrame
    problems: list[str]

    @property
    def narrowed(self) -> int:
        return int((~self.intervals.get_column("ok")).sum()) if self.intervals.height else 0


def _table_rows(table: CountTable, truth: pl.DataFrame, published: pl.DataFrame,
                policy: SuppressionPolicy) -> pl.DataFrame:
    """One table's cells: true count, published or not, a-priori bound, sensitivity."""
    col = table.kind
    t = truth.filter(pl.col("kpi_id").is_in(table.kpi_ids))
    pub = published.select(*CELL, _pub=~pl.col("suppressed"), _pubc=pl.col(col),
                           _pubd=pl.col("denominator"))
    t = t.join(pub, on=CELL, how="left").with_columns(pl.col("_pub").fill_null(False))
    if table.kind == "denominator":
        # a denominator is published if any KPI sharing it publishes it
        t = t.with_columns(_pub=(pl.col("_pub") & pl.col("_pubc").is_not_null())
                           .any().over("period", "grain", "region", "group"))
        t = t.filter(pl.col("kpi_id") == table.kpi_ids[0])
        t = t.with_columns(count=pl.col("denominator").cast(pl.Float64), _den=pl.lit(None, pl.Float64))
    else:
        t = t.with_columns(count=pl.col("numerator").cast(pl.Float64),
                           _den=pl.col("denominator").cast(pl.Float64))
    t = t.filter(pl.col("count").is_not_null())
    n = t.get_column("count").to_numpy()
    d = t.get_column("_den").to_numpy() if table.proportion else None
    small = primary_mask(n, policy.threshold, denominators=d,
                         suppress_complement=policy.suppress_complement)
    return t.with_columns(pl.Series("_sensitive", small), _threshold=pl.lit(policy.threshold))


def _blocks(rows: pl.DataFrame, rolling: bool, split: bool) -> list[pl.DataFrame]:
    """Rows that share no unknown with other rows' blocks (each is audited on its own)."""
    coarse = rows.filter(pl.col("grain") == COARSE)
    if rows.height == 0:
        return []
    if coarse.height == 0 and not split:
        return rows.partition_by("period", maintain_order=True)
    if rolling:
        return [rows]
    wins = coarse.select("period", "period_start", "period_end").unique().rows()
    key = pl.col("period")
    for w, ws, we in wins:
        key = pl.when((pl.col("grain") != COARSE) & (pl.col("period_start") >= ws)
                      & (pl.col("period_end") <= we)).then(pl.lit(w)).otherwise(key)
    return rows.with_columns(_blk=key).partition_by("_blk", maintain_order=True,
                                                     include_key=False)


def _audit_table(table: CountTable, rows: pl.DataFrame, rolling: bool, policy: SuppressionPolicy,
                 den_high: dict[tuple[Any, ...], float] | None = None, *,
                 split: bool | None = None, native_only: bool = False) -> pl.DataFrame:
    """Interval of each sensitive hidden count (``native_only``: of native-grain counts).

    ``high`` is the largest value the published figures allow.  ``low`` is the smallest,
    except where ``high`` alone is at least the band above the true count (the true counts
    satisfy everything published, so the interval is at least that wide): there the
    smaller LP is not run and ``low`` is the true count, ``width`` a lower bound."""
    if split is None:
        split = rows.filter(pl.col("grain") == COARSE).height > 0
    parts = [_audit_block(table, b, rolling, policy, den_high, split, native_only)
             for b in _blocks(rows, rolling, split)]
    return pl.concat(parts) if parts else pl.DataFrame(schema=AUDIT_SCHEMA)


def _audit_block(table: CountTable, rows: pl.DataFrame, rolling: bool, policy: SuppressionPolicy,
                 den_high: dict[tuple[Any, ...], float] | None, split: bool,
                 native_only: bool = False) -> pl.DataFrame:
    sysm, combos, _block = _combinations(rows, rolling, split)
    pubd = rows.get_column("_pub").to_list()
    counts = rows.get_column("count").to_list()
    eq = [i for i, p in enumerate(pubd) if p]
    native = (rows.get_column("grain") != COARSE).to_list()
    targets = [i for i, (p, s) in enumerate(zip(pubd, rows.get_column("_sensitive").to_list(),
                                                strict=True))
               if not p and s and (native[i] or not native_only)]
    if not targets:
        return pl.DataFrame(schema=AUDIT_SCHEMA)
    ub_rows: list[int] = []
    ub_vals: list[float] = []
    ub_of: dict[int, float] = {}
    if table.proportion:
        keys = rows.select("period", "grain", "region", "group").rows()
        for i, p in enumerate(pubd):
            if p:
                continue
            hi = (den_high or {}).get(keys[i])
            if hi is not None and np.isfinite(hi):
                ub_rows.append(i)
                ub_vals.append(hi)
                ub_of[i] = hi
    dens = rows.get_column("_den").to_list()

    def needed(i: int) -> float:
        # a proportion whose denominator is below the band keeps its whole range
        # [0, denominator] (METHODS.md; the rule of metrics.suppression)
        return min(float(policy.band), dens[i] if table.proportion and dens[i] is not None
                   and np.isfinite(dens[i]) else np.inf, ub_of.get(i, np.inf))

    # the true counts satisfy everything published, so a largest value at least the band
    # above the true count settles the verdict without the smallest
    enough = [(float(counts[i]), needed(i)) for i in targets]
    iv = _intervals(len(sysm.var), combos, eq, [counts[i] for i in eq], sysm.links, ub_rows,
                    ub_vals, targets, enough)
    recs = rows.select("kpi_id", "period", "grain", "region", "group").to_dicts()
    out: dict[str, list[Any]] = {c: [] for c in AUDIT_SCHEMA}
    for i, (lo, hi) in zip(targets, iv, strict=True):
        need = needed(i)
        width = hi - lo
        r = recs[i]
        for c in ("kpi_id", "period", "grain", "region", "group"):
            out[c].append(r[c])
        out["table"].append(table.name)
        out["value"].append(counts[i])
        out["low"].append(lo)
        out["high"].append(hi)
        out["width"].append(width)
        out["required"].append(need)
        out["ok"].append(bool(width >= need - 1e-6))
    return pl.DataFrame(out, schema=AUDIT_SCHEMA)


def audit_release(register: Register, truth: pl.DataFrame, published: pl.DataFrame,
                  policy: SuppressionPolicy) -> LinkedAudit:
    """Audit a published release against the true figures, all linked tables at once.

    ``truth`` and ``published`` have the release columns (``grain`` included);
    ``published`` has ``suppressed``. Checks that no sensitive count is published, that a
    hidden row publishes nothing about itself (figure, interval or reliability flag), and
    the LP interval of every hidden sensitive count.
    """
    problems: list[str] = []
    leaks = published.filter(pl.col("suppressed") & pl.any_horizontal(
        pl.col(c).is_not_null() for c in ("numerator", "denominator", "value", "ci_low",
                                          "ci_high", "reliable")))
    for r in leaks.head(20).iter_rows(named=True):
        problems.append(f"{_where(r)}: hidden, but a figure, interval or flag is published")
    parts = []
    den_high: dict[str, dict[tuple[Any, ...], float]] = {}
    tables = count_tables(register, truth)
    for table in sorted(tables, key=lambda t: t.kind):  # denominators first
        rows_all = _table_rows(table, truth, published, policy)
        for r in rows_all.filter(pl.col("_sensitive") & pl.col("_pub")).head(20).iter_rows(
                named=True):
            problems.append(f"{_where(r)}: {table.kind} {r['count']:g} is a small count "
                            "and is published")
        for kid in table.kpi_ids[:1] if table.kind == "denominator" else table.kpi_ids:
            kpi = register.kpis[kid]
            rows = rows_all if table.kind == "numerator" else rows_all
            res = _audit_table(table, rows, kpi.grain == "rolling12", policy,
                               den_high.get(kid))
            if table.kind == "denominator":
                hi = {(r["period"], r["grain"], r["region"], r["group"]): r["high"]
                      for r in res.iter_rows(named=True)}
                pubd = rows.filter("_pub")
                hi.update({(r["period"], r["grain"], r["region"], r["group"]): r["count"]
                           for r in pubd.iter_rows(named=True)})
                for k2 in table.kpi_ids:
                    den_high[k2] = hi
            parts.append(res)
    frame = pl.concat(parts) if parts else pl.DataFrame(schema=AUDIT_SCHEMA)
    for r in frame.filter(~pl.col("ok")).head(50).iter_rows(named=True):
        problems.append(f"{_where(r)}: hidden count {r['value']:g} narrowed to "
                        f"[{r['low']:g}, {r['high']:g}], narrower than {r['required']:g}")
    return LinkedAudit(frame, problems)


def _where(r: dict[str, Any]) -> str:
    return (f"{r['kpi_id']} {r['period']} ({r.get('grain')}) region={r['region']} "
            f"group={r['group']}")


# -- choosing what to hide ------------------------------------------------------------------


def _coarse_pattern(rows: pl.DataFrame, policy: SuppressionPolicy, proportion: bool
                    ) -> set[tuple[Any, ...]]:
    """Hidden cells of the full tables (twelve-month or own-grain annual), by table."""
    frame = rows.select(
        "kpi_id", "period", "region", "group", numerator=pl.col("count"),
        denominator=pl.col("_den") if proportion else pl.lit(None, pl.Float64),
        value=(pl.col("count") / pl.col("_den") if proportion else pl.lit(None, pl.Float64)),
        ci_low=pl.lit(None, pl.Float64), ci_high=pl.lit(None, pl.Float64))
    s = suppress(frame, policy)
    return {(r[0], r[1], r[2]) for r in s.filter("suppressed").select(
        "period", "region", "group").rows()}


def protect_release(register: Register, rel: pl.DataFrame, policy: SuppressionPolicy, *,
                    gap_log: list[dict[str, Any]] | None = None) -> pl.DataFrame:
    """Choose the hidden cells of a release; returns ``rel`` with ``suppression_reason``.

    ``gap_log``: when a list, each statewide table solved exactly is also solved by the
    heuristic and both losses are appended to it (``benchmarks/publish_gap.py``).

    Full tables use the least-cost complementary suppression of :mod:`metrics.suppression`
    (margins, and above all the statewide figure, cost most). Statewide-by-group series
    at a KPI's own grain: a group with a small count in a twelve-month window is hidden in
    that window (its twelve-month figure is published), together with the fewest other
    groups (smallest first) the linked audit needs; the statewide total is hidden only
    where its own count is small.
    """
    hidden: dict[tuple[Any, ...], str] = {}
    for table in count_tables(register, rel):
        fake_pub = rel.with_columns(suppressed=pl.lit(False))
        rows = _table_rows(table, rel, fake_pub, policy)
        for kid in table.kpi_ids[:1]:
            kpi = register.kpis[kid]
            pattern = _choose(rows, policy, kpi.grain == "rolling12", table.proportion,
                              gap_log)
            for key in pattern:
                sens = key[-1]
                for k2 in table.kpi_ids:
                    cell = (k2, *key[:-1])
                    if sens == "small" and table.kind == "denominator" and \
                            register.kpis[k2].measure in COUNT_MEASURES:
                        reason = f"suppressed: fewer than {policy.threshold} in the group counted"
                    elif sens == "small":
                        reason = policy.primary_reason
                    elif sens == "remainder":
                        reason = policy.complement_reason
                    else:
                        reason = COMPLEMENTARY_REASON
                    if _rank_of(reason, policy) < _rank_of(hidden.get(cell), policy):
                        hidden[cell] = reason
    keys = rel.select(*CELL).rows()
    reasons = [hidden.get(k) for k in keys]
    return rel.with_columns(pl.Series("suppression_reason", reasons, dtype=pl.String))


def _choose(rows: pl.DataFrame, policy: SuppressionPolicy, rolling: bool, proportion: bool,
            gap_log: list[dict[str, Any]] | None = None) -> set[tuple[Any, ...]]:
    """Hidden cells ``(period, grain, region, group, sensitive)`` of one table."""
    coarse = rows.filter((pl.col("grain") == COARSE) | (pl.col("region") != ALL)
                         | ~pl.col("grain").is_in(["month", "quarter", "rolling12"]))
    is_split = rows.filter(pl.col("grain") == COARSE).height > 0
    if not is_split:
        coarse = rows
    native = rows.join(coarse.select("period", "grain", "region", "group"),
                       on=["period", "grain", "region", "group"], how="anti")
    hide: set[tuple[Any, ...]] = set()
    by_table: dict[tuple[Any, ...], pl.DataFrame] = {}
    for part in coarse.partition_by("period", "grain", maintain_order=True):
        if part.get_column("_sensitive").any():
            key = (part.item(0, "period"), part.item(0, "grain"))
            by_table[key] = part
            for per, reg, grp in _coarse_pattern(part, policy, proportion):
                hide.add((per, key[1], reg, grp))
    if not is_split or native.height == 0:
        return _with_sensitivity(rows, hide)
    windows = coarse.filter(pl.col("grain") == COARSE).select(
        "period", "period_start", "period_end").unique().sort("period_start").rows()
    nat = native.with_columns(_w=pl.lit(None, pl.String))
    if rolling:
        nat = nat.with_columns(_w=pl.lit("all"))
    else:
        for w, ws, we in windows:
            nat = nat.with_columns(_w=pl.when((pl.col("period_start") >= ws)
                                              & (pl.col("period_end") <= we))
                                   .then(pl.lit(w)).otherwise(pl.col("_w")))
        nat = nat.with_columns(_w=pl.col("_w").fill_null(pl.col("period")))
    wins = {w for w, _s, _e in windows}
    for block in nat.partition_by("_w", maintain_order=True):
        w = block.item(0, "_w")
        groups = block.filter(pl.col("group") != ALL)
        sens = groups.filter("_sensitive").get_column("group").unique().to_list()
        coarse_hidden = {g for (p, gr, r, g) in hide if gr == COARSE and r == ALL and g != ALL
                         and (p == w or rolling)}
        # a combined group's twelve-month figure is the sum of its members'
        # (it is not held hidden for that: whether publishing it uncovers a member is the
        # linked audit's to say)
        combo_hidden = {g for g in groups.get_column("group").unique().to_list()
                        if is_combined(g) and coarse_hidden & set(members(g))}
        sub = rows if rolling else rows.filter(
            pl.col("period").is_in(block.get_column("period").unique().to_list() + [w]))

        def heuristic(hide: set[tuple[Any, ...]], block: pl.DataFrame = block, w: Any = w,
                      groups: pl.DataFrame = groups, sens: list[Any] = sens,
                      coarse_hidden: set[Any] = coarse_hidden, sub: pl.DataFrame = sub,
                      combo_hidden: set[Any] = combo_hidden) -> set[tuple[Any, ...]]:
            if not rolling and w in wins:
                cells = _window_cells(block, rows.filter((pl.col("period") == w)
                                                         & (pl.col("region") == ALL)),
                                      coarse_hidden | combo_hidden, policy)
                if cells is not None and not _fails(sub, set(hide) | cells, policy, rolling,
                                                    proportion, native_only=True, split=True):
                    return set(hide) | cells
            return _heuristic_block(block, groups, sens, coarse_hidden, hide, sub, policy,
                                    rolling, proportion)

        grand_small = block.filter((pl.col("group") == ALL) & pl.col("_sensitive")).height > 0
        exact = None
        if not grand_small:
            base = set(hide)
            # a group whose twelve-month statewide figure is hidden stays hidden in the
            # window's periods (for rolling windows: in that window, the same figure)
            same = {(p, g) for (p, gr, r, g) in hide if gr == COARSE and r == ALL and g != ALL}
            fixed = {(r[0], r[1], r[2], r[3]) for r in block.select(
                "period", "grain", "region", "group").rows()
                if ((r[0], r[3]) in same if rolling else r[3] in coarse_hidden)}
            cols = set() if rolling else {g for g in groups.get_column("group").unique().to_list()
                                          if g not in coarse_hidden | combo_hidden}
            exact = least_loss_cells(
                block, band=policy.band, fixed=fixed, column_sums=cols,
                accept=lambda cells, base=base, sub=sub: not _fails(  # type: ignore[misc]
                    sub, base | cells, policy, rolling, proportion, native_only=True, split=True))
        if exact is None:
            hide = heuristic(hide)
            continue
        if gap_log is not None:
            heur = heuristic(set(hide))
            gap_log.append({"table": f"{block.item(0, 'kpi_id')} {w}", "cells": groups.height,
                            "exact": loss_of(block, exact), "heuristic": loss_of(block, heur)})
        hide = set(hide) | exact
    return _with_sensitivity(rows, hide)


def _heuristic_block(block: pl.DataFrame, groups: pl.DataFrame, sens: list[Any],
                     coarse_hidden: set[Any], hide: set[tuple[Any, ...]], sub: pl.DataFrame,
                     policy: SuppressionPolicy, rolling: bool, proportion: bool
                     ) -> set[tuple[Any, ...]]:
    """Hide whole groups of a block, smallest first, until the linked audit passes."""
    f = set(sens) | coarse_hidden
    totals = groups.group_by("group").agg(pl.col("count").sum()).sort("count", "group")
    order = [g for g in totals.get_column("group").to_list() if g not in f]
    grand_small = block.filter((pl.col("group") == ALL) & pl.col("_sensitive")).height > 0
    if grand_small:
        f = set(totals.get_column("group").to_list())
    if len(f) == 1 and order:
        f.add(order.pop(0))
    for _ in range(len(order) + 1):
        if not f:
            break
        trial = set(hide) | {(r[0], r[1], r[2], r[3]) for r in block.filter(
            pl.col("group").is_in(list(f))).select("period", "grain", "region", "group").rows()}
        if grand_small:
            trial |= {(r[0], r[1], r[2], r[3]) for r in block.filter(
                (pl.col("group") == ALL) & pl.col("_sensitive")).select(
                "period", "grain", "region", "group").rows()}
        if not _fails(sub, trial, policy, rolling, proportion, native_only=True,
                      split=True) \
                or not order:
            hide = trial
            break
        f.add(order.pop(0))
    return hide


def _window_cells(block: pl.DataFrame, coarse_total: pl.DataFrame, coarse_hidden: set[Any],
                  policy: SuppressionPolicy) -> set[tuple[Any, ...]] | None:
    """Least-cost hidden cells of a window's periods x groups table, or None.

    The table's row totals are the statewide totals of each period, its column totals the
    window's statewide group figures (published in the twelve-month table unless hidden
    there). The complementary search of :mod:`metrics.suppression` prefers small inner
    cells; a pattern that would hide a statewide total or a published twelve-month figure
    is not used (None).
    """
    from metrics.suppression.frame import margin_cost
    from metrics.suppression.model import assemble, build_model
    from metrics.suppression.table import complementary_model

    periods = block.filter(pl.col("group") == ALL).sort("period_start").get_column(
        "period").to_list()
    groups = sorted(block.filter(pl.col("group") != ALL).get_column("group").unique().to_list())
    if not periods or not groups:
        return None
    pi = {p: i for i, p in enumerate(periods)}
    gi = {g: j for j, g in enumerate(groups)}
    vals = np.full((len(periods), len(groups)), np.nan)
    prim = np.zeros((len(periods) + 1, len(groups) + 1), dtype=bool)
    grand = np.full(len(periods), np.nan)
    keys: dict[tuple[int, int], tuple[Any, ...]] = {}
    for r in block.iter_rows(named=True):
        i = pi[r["period"]]
        if r["group"] == ALL:
            grand[i] = r["count"]
            if r["_sensitive"]:
                return None
            continue
        j = gi[r["group"]]
        vals[i, j] = r["count"]
        prim[i, j] = bool(r["_sensitive"])
        keys[(i, j)] = (r["period"], r["grain"], r["region"], r["group"])
    col = np.full(len(groups), np.nan)
    coarse = dict(coarse_total.select("group", "count").rows())
    for g, j in gi.items():
        parts = [coarse.get(m) for m in members(g)]
        if all(v is not None for v in parts):
            col[j] = float(sum(float(v) for v in parts if v is not None))
    if np.isnan(grand).any() or np.isnan(col).any():
        return None
    for g in coarse_hidden:
        if g in gi:
            prim[len(periods), gi[g]] = True
    if not prim.any():
        return set()
    model = build_model(assemble(vals, grand, col, float(np.nansum(grand))))
    mask = complementary_model(model, prim, policy.band, cost=margin_cost(model), verify=False)
    if mask[:, -1].any() or (mask[-1, :] & ~prim[-1, :]).any():
        return None
    return {keys[(i, j)] for i, j in zip(*np.nonzero(mask[:-1, :-1]), strict=True)
            if (i, j) in keys}


def _fails(rows: pl.DataFrame, hide: set[tuple[Any, ...]], policy: SuppressionPolicy,
           rolling: bool, proportion: bool, *, native_only: bool, split: bool) -> bool:
    keys = rows.select("period", "grain", "region", "group").rows()
    pub = pl.Series("_pub", [k not in hide for k in keys])
    t = CountTable("trial", "numerator", [], proportion)
    res = _audit_table(t, rows.with_columns(pub), rolling, policy, None, split=split,
                       native_only=native_only)
    if native_only:
        res = res.filter(pl.col("grain") != COARSE)
    return bool(res.height and (~res.get_column("ok")).any())


def _rank_of(reason: str | None, policy: SuppressionPolicy) -> int:
    """Which reason a cell hidden in several tables gives: its own small count first."""
    if reason is None:
        return 4
    if reason == policy.primary_reason:
        return 0
    if reason.endswith("in the group counted"):
        return 1
    if reason == policy.complement_reason:
        return 2
    return 3


def _with_sensitivity(rows: pl.DataFrame, hide: set[tuple[Any, ...]]) -> set[tuple[Any, ...]]:
    """Hidden cells with why: "small" (a count of 1 to threshold - 1), "remainder", or ""."""
    kind = {}
    for k, s, n in zip(rows.select("period", "grain", "region", "group").rows(),
                       rows.get_column("_sensitive").to_list(),
                       rows.get_column("count").to_list(), strict=True):
        if s:
            kind[k] = "small" if n is not None and n < _threshold(rows) else "remainder"
    return {(*k, kind.get(k, "")) for k in hide}


def _threshold(rows: pl.DataFrame) -> float:
    return float(rows.get_column("_threshold")[0]) if "_threshold" in rows.columns else 11.0


# -- the whole protection of a snapshot -------------------------------------------------------

_HIDDEN = ("numerator", "denominator", "value", "ci_low", "ci_high", "reliable")


def level_of(region: pl.Expr, group: pl.Expr) -> pl.Expr:
    """Statewide total, statewide by group, region total, or region x group."""
    return (pl.when((region == ALL) & (group == ALL)).then(pl.lit("statewide total"))
            .when(region == ALL).then(pl.lit("statewide by group"))
            .when(group == ALL).then(pl.lit("region total"))
            .otherwise(pl.lit("region by group")))


def information_loss(truth: pl.DataFrame, published: pl.DataFrame) -> list[dict[str, Any]]:
    """Cells and people hidden by level: what the public does not get to see.

    People are the count of each hidden cell (its numerator, or its denominator for
    means and medians), summed within a level.
    """
    t = truth.select(*CELL, _people=pl.coalesce("numerator", "denominator"))
    p = published.select(*CELL, "suppressed").join(t, on=CELL, how="left")
    p = p.with_columns(level=level_of(pl.col("region"), pl.col("group")))
    out = p.group_by("level").agg(
        cells=pl.len(), cells_hidden=pl.col("suppressed").sum(),
        people=pl.col("_people").sum(),
        people_hidden=pl.col("_people").filter(pl.col("suppressed")).sum())
    order = ["statewide total", "statewide by group", "region total", "region by group"]
    rows = sorted(out.to_dicts(), key=lambda r: order.index(r["level"]))
    return [{k: (int(v) if isinstance(v, (int, float)) and k != "level" else v)
             for k, v in r.items()} for r in rows]


def released_truth(register: Register, truth: pl.DataFrame) -> pl.DataFrame:
    """The true figures of what a snapshot publishes, one row per published cell.

    A rolling-window KPI's twelve-month statewide rows are the same figures as its
    own-grain windows and are published once.
    """
    return truth.filter(~_twin(register, truth))


def _twin(register: Register, rel: pl.DataFrame) -> pl.Series:
    """Rows of a rolling-window KPI's twelve-month statewide table that are also its
    own-grain windows (the same figure; not so for groups released at the own grain only
    inside a combination)."""
    rolling = [k.kpi_id for k in register.kpis.values() if k.grain == "rolling12"]
    own = rel.filter((pl.col("grain") != COARSE) & (pl.col("region") == ALL)
                     & pl.col("kpi_id").is_in(rolling)).select("kpi_id", "group").unique()
    flag = rel.select("kpi_id", "grain", "region", "group").with_row_index("_i").join(
        own.with_columns(_own=pl.lit(True)), on=["kpi_id", "group"], how="left").sort("_i")
    return flag.select((pl.col("grain") == COARSE) & (pl.col("region") == ALL)
                       & pl.col("_own").fill_null(False)).to_series()


def protect_linked(register: Register, obs: pl.DataFrame, policy: SuppressionPolicy, *,
                   sources: Any = None, gap_log: list[dict[str, Any]] | None = None
                   ) -> tuple[pl.DataFrame, pl.DataFrame, LinkedAudit]:
    """Release, suppress and audit: ``(published, truth, audit)`` (``gap_log``: see
    :func:`protect_release`).

    Raises:
        DisclosureError: the linked audit finds a published small count, a hidden row that
            publishes something about itself, or a hidden count narrowed below the band.
    """
    from metrics.suppression import DisclosureError

    from .release import release

    truth = release(register, obs, sources=sources, threshold=policy.threshold)
    chosen = protect_release(register, truth, policy, gap_log=gap_log)
    # A rolling-window KPI's twelve-month statewide figures are also its own-grain windows:
    # publish each once, hidden if either table hides it.
    dup = _twin(register, chosen)
    twin = chosen.filter(dup).select("kpi_id", "period", "region", "group",
                                     _twin="suppression_reason")
    chosen = chosen.filter(~dup).join(twin, on=["kpi_id", "period", "region", "group"],
                                      how="left", nulls_equal=True)
    chosen = chosen.with_columns(suppression_reason=pl.when(
        pl.col("suppression_reason").is_null() & (pl.col("grain") != COARSE))
        .then(pl.col("_twin")).otherwise(pl.col("suppression_reason"))).drop("_twin")
    truth = released_truth(register, truth)
    pub = chosen.with_columns(suppressed=pl.col("suppression_reason").is_not_null())
    pub = pub.with_columns(pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c)
                           for c in _HIDDEN)
    audit = audit_release(register, truth, pub, policy)
    if audit.problems:
        raise DisclosureError(audit.problems)
    return pub, truth, audit


_CACHE: dict[tuple[str, SuppressionPolicy], tuple[pl.DataFrame, pl.DataFrame, LinkedAudit]] = {}


def protect_linked_cached(register: Register, obs: pl.DataFrame, policy: SuppressionPolicy, *,
                          sources: Any = None
                          ) -> tuple[pl.DataFrame, pl.DataFrame, LinkedAudit]:
    """:func:`protect_linked`, remembered in this process for the same data, KPIs and policy
    (a preview followed by a publication runs the suppression and the audit once)."""
    import hashlib

    cols = ["kpi_id", "period", "region", "group", "numerator", "denominator", "value",
            "ci_low", "ci_high", "reliable", "period_start", "period_end"]
    digest = hashlib.sha256(obs.select(cols).hash_rows(seed=7).to_numpy().tobytes())
    digest.update(repr(sorted((k.kpi_id, k.measure, k.grain, denominator_key(k))
                              for k in register.kpis.values())).encode())
    digest.update(repr(sorted(sources.items()) if isinstance(sources, dict) else "").encode())
    key = (digest.hexdigest(), policy)
    if key not in _CACHE:
        if len(_CACHE) >= 4:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = protect_linked(register, obs, policy, sources=sources)
    return _CACHE[key]
