"""Least-loss complementary cells of a statewide periods x groups table (exact, by MILP).

The statewide figures of one KPI inside one twelve-month window (or, for rolling-window
KPIs, the whole series) form a table: a row per period (its published statewide total is
the row sum), a column per group (its published twelve-month figure is the column sum,
unless that figure is itself hidden). Cells that must be hidden (small counts, small
remainders) need partners: a row or column with one hidden cell gives it away as the
published sum minus the published cells.

:func:`least_loss_cells` chooses the partners by an explicit information-loss objective,
solved exactly by integer programming (``scipy.optimize.milp``, HiGHS):

* hiding a figure whose counts are ``LARGE`` (20) or more costs :data:`LARGE_COST`
  (a figure people would have read as reliable);
* every hidden figure costs 1 plus its count (cells, then people);

subject to: every hidden cell has another hidden cell in its row and, where the column
sum is published, in its column; and a hidden count plus the other hidden cells of its row
(column) is at least the protection band (its interval lies inside ``[0, that sum]``). These are necessary
conditions of protection; the caller checks the chosen pattern with the linked audit
(:func:`metrics.publish.linked.audit_release`'s LP) and, if the audit still narrows a
count, excludes the pattern and solves again, a few times, before falling back to the
heuristic. Tables with more than :data:`MAX_CELLS` cells are left to the heuristic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import polars as pl
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = ["LARGE", "LARGE_COST", "MAX_CELLS", "least_loss_cells", "loss_of"]

#: A figure with counts of at least this many is one people would read as reliable.
LARGE = 20
#: Cost of hiding such a figure, against 1 + its count for any hidden figure.
LARGE_COST = 1_000_000.0
#: The largest table solved exactly.
MAX_CELLS = 400
#: Patterns excluded after a failed audit before giving up on the exact model.
MAX_RETRIES = 4

Cell = tuple[Any, ...]


def _size(r: dict[str, Any]) -> float:
    n = r["count"]
    d = r.get("_den")
    return float(min(n, d)) if d is not None and np.isfinite(d) else float(n)


def cell_cost(r: dict[str, Any]) -> float:
    """The information lost by hiding one statewide figure (see module docs)."""
    size = _size(r)
    return (LARGE_COST if size >= LARGE else 0.0) + 1.0 + float(r["count"])


def loss_of(block: pl.DataFrame, hidden: set[Cell]) -> float:
    """The objective of a hidden pattern on ``block``'s group cells."""
    return float(sum(cell_cost(r) for r in block.filter(pl.col("group") != "all").iter_rows(
        named=True) if (r["period"], r["grain"], r["region"], r["group"]) in hidden))


def least_loss_cells(block: pl.DataFrame, *, band: float, column_sums: set[Any],
                     fixed: set[Cell] = frozenset(),  # type: ignore[assignment]
                     accept: Callable[[set[Cell]], bool] | None = None
                     ) -> set[Cell] | None:
    """The least-loss hidden cells of ``block`` (group rows of one statewide table).

    ``block`` has ``period, grain, region, group, count, _sensitive`` (and ``_den`` for
    proportions); rows with ``group == "all"`` (the published totals) are ignored.
    ``column_sums`` are the groups whose column sum is published; ``fixed`` cells must be
    hidden besides the sensitive ones. ``accept`` is the audit of a candidate pattern.
    Returns None when the table is too large, infeasible, or no candidate passes.
    """
    recs = [r for r in block.iter_rows(named=True) if r["group"] != "all"
            and r["count"] is not None]
    n = len(recs)
    if n == 0 or n > MAX_CELLS:
        return None
    keys: list[Cell] = [(r["period"], r["grain"], r["region"], r["group"]) for r in recs]
    cost = np.array([cell_cost(r) for r in recs])
    counts = np.array([float(r["count"]) for r in recs])
    must = np.array([bool(r["_sensitive"]) or k in fixed for r, k in zip(recs, keys, strict=True)])
    if not must.any():
        return set()
    lines: list[Sequence[int]] = []
    by_row: dict[Any, list[int]] = {}
    by_col: dict[Any, list[int]] = {}
    for i, r in enumerate(recs):
        by_row.setdefault(r["period"], []).append(i)
        if r["group"] in column_sums:
            by_col.setdefault(r["group"], []).append(i)
    lines = [*by_row.values(), *by_col.values()]
    a_rows: list[np.ndarray] = []
    lo: list[float] = []
    for line in lines:
        if len(line) < 2:
            continue
        for k in line:
            # a hidden cell needs another hidden cell in its line ...
            a = np.zeros(n)
            a[[j for j in line if j != k]] = 1.0
            a[k] = -1.0
            a_rows.append(a)
            lo.append(0.0)
            if must[k]:
                # ... holding enough that the hidden count can move by the band (it lies
                # between 0 and itself plus the others of its line)
                a = np.zeros(n)
                a[[j for j in line if j != k]] = counts[[j for j in line if j != k]]
                if a.sum() + counts[k] >= band:
                    a_rows.append(a)
                    lo.append(band - counts[k])
    lower = must.astype(float)
    cuts: list[tuple[np.ndarray, float]] = []
    for _ in range(MAX_RETRIES + 1):
        mats = a_rows + [c for c, _b in cuts]
        lows = lo + [b for _c, b in cuts]
        cons = [LinearConstraint(np.vstack(mats), np.asarray(lows), np.inf)] if mats else []
        res = milp(cost, integrality=np.ones(n), bounds=Bounds(lower, np.ones(n)),
                   constraints=cons, options={"time_limit": 10.0})
        if res.x is None:
            return None
        x = np.round(res.x).astype(bool)
        chosen = {keys[i] for i in np.flatnonzero(x)}
        if accept is None or accept(chosen):
            return chosen
        # exclude this pattern: at least one cell must change
        cut = np.where(x, -1.0, 1.0)
        cuts.append((cut, 1.0 - float(x.sum())))
    return None
