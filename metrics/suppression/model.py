"""A two-way table with its margins, as the system of equations an attacker can use.

The *full* table has shape ``(R + 1, G + 1)``: ``R x G`` inner cells, the row totals in
the last column, the column totals in the last row and the grand total in the corner.
NaN marks a missing cell (not in the data at all, so neither published nor hidden).

Each line (a row or a column of the full table, margins included) relates its members
to its total. How a published total constrains its members is decided from the true
values:

* ``"eq"``: the members present sum to the total. This holds for complete lines, and
  also for lines with missing cells whose present members still add up exactly (the
  missing cells are then zero or do not exist; assuming the attacker knows this is the
  cautious reading).
* ``"le"``: the members present sum to less than the total (missing cells, or records
  the total holds but no member does, such as an unknown region). Counts being
  non-negative, ``sum(members) <= total`` is still known; its slack is modelled as one
  more hidden, non-negative quantity of the line.
* ``"none"``: no total, no member present, or members summing to more than the total
  (groups that are not mutually exclusive, e.g. race "alone or in combination"): the
  line gives no equation.

This is at least as strict as using only complete lines. A missing inner cell appears in
a row and in a column; the two slacks are modelled independently.

Network form. Write ``z = s * x`` with ``s = +1`` for inner cells and the grand total and
``s = -1`` for row and column totals; then every line reads ``sum(z) (+ slack) = 0``.
Each cell is an edge between its row node and its column node, so a change to the hidden
cells that keeps every published figure is a circulation on the edges of the hidden cells
(lines without an equation collapse into one free "ground" node, slacks are edges to it).
A hidden cell's interval then comes from two maximum flows, and cheap sets of extra cells
to hide are shortest paths. The matrix is a network matrix, so this is exactly the linear
programme's answer, and :mod:`.lp` checks it with scipy's HiGHS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["TableModel", "assemble", "build_model"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
LineKind = Literal["eq", "le", "none"]

INF = float("inf")


def assemble(
    values: ArrayLike,
    row_totals: ArrayLike | None = None,
    col_totals: ArrayLike | None = None,
    grand_total: float | None = None,
) -> FloatArray:
    """Put inner cells and margins into one ``(R + 1, G + 1)`` array.

    Args:
        values: ``R x G`` inner cells, NaN for a missing cell.
        row_totals: ``R`` row totals (NaN: not in the data); ``None``: the sums of the
            present inner cells of each row.
        col_totals: ``G`` column totals, likewise.
        grand_total: the grand total; ``None``: the sum of the present inner cells.
    """
    inner = np.asarray(values, dtype=np.float64)
    if inner.ndim != 2 or inner.shape[0] < 1 or inner.shape[1] < 1:
        raise ValueError(f"values must be a non-empty 2-D array, got shape {inner.shape}")
    n_rows, n_cols = inner.shape
    full = np.full((n_rows + 1, n_cols + 1), np.nan)
    full[:n_rows, :n_cols] = inner
    full[:n_rows, n_cols] = _margin(row_totals, np.nansum(inner, axis=1), n_rows, "row_totals")
    full[n_rows, :n_cols] = _margin(col_totals, np.nansum(inner, axis=0), n_cols, "col_totals")
    full[n_rows, n_cols] = np.nansum(inner) if grand_total is None else float(grand_total)
    return full


def _margin(given: ArrayLike | None, default: FloatArray, size: int, name: str) -> FloatArray:
    if given is None:
        return default
    arr = np.asarray(given, dtype=np.float64).reshape(-1)
    if arr.shape != (size,):
        raise ValueError(f"{name} must have {size} values, got {arr.shape[0]}")
    return arr


@dataclass(frozen=True)
class TableModel:
    """A full table, its a-priori upper bounds and the kind of every line.

    Attributes:
        values: ``(R + 1, G + 1)`` true values, NaN for missing cells.
        upper: a-priori upper bounds (``inf``: none), e.g. a proportion's denominator.
        row_kind, col_kind: the constraint each row / column gives (see module docs).
        row_slack, col_slack: ``total - sum(members)`` for ``"le"`` lines, else 0.
    """

    values: FloatArray
    upper: FloatArray
    row_kind: tuple[LineKind, ...]
    col_kind: tuple[LineKind, ...]
    row_slack: FloatArray
    col_slack: FloatArray

    @property
    def shape(self) -> tuple[int, int]:
        """Shape of the full table."""
        return (self.values.shape[0], self.values.shape[1])

    @property
    def present(self) -> BoolArray:
        """Cells that exist in the data."""
        return ~np.isnan(self.values)

    def sign(self, i: int, j: int) -> int:
        """+1 for inner cells and the grand total, -1 for row and column totals."""
        last_i, last_j = self.shape[0] - 1, self.shape[1] - 1
        return 1 if (i == last_i) == (j == last_j) else -1

    def required(self, band: float) -> FloatArray:
        """Width each cell's interval must reach: the band, capped by the a-priori range."""
        return np.minimum(float(band), self.upper)

    def scale(self) -> float:
        """A bound on every finite optimum of the attacker's programme (see :mod:`.lp`)."""
        vals = self.values[self.present]
        finite_up = self.upper[np.isfinite(self.upper)]
        return float(np.abs(vals).sum() + finite_up.sum() + np.abs(self.row_slack).sum()
                     + np.abs(self.col_slack).sum())


def _line_kind(members: FloatArray, total: float, tol: float) -> tuple[LineKind, float]:
    if np.isnan(total):
        return "none", 0.0
    present = members[~np.isnan(members)]
    if present.size == 0:
        return "none", 0.0
    total_sum = float(present.sum())
    gap = total - total_sum
    if abs(gap) <= tol * max(1.0, abs(total)):
        return "eq", 0.0
    if gap > 0:
        return "le", gap
    return "none", 0.0


def build_model(full: ArrayLike, upper: ArrayLike | None = None, *, tol: float = 1e-9) -> TableModel:
    """Build the model of a full table (see :func:`assemble`).

    Args:
        full: ``(R + 1, G + 1)`` values with margins, NaN for missing cells.
        upper: optional a-priori upper bounds, same shape (NaN or ``inf``: none).
        tol: relative tolerance for "the members add up to the total".

    Raises:
        ValueError: on a wrong shape or a negative count.
    """
    vals = np.array(full, dtype=np.float64)
    if vals.ndim != 2 or vals.shape[0] < 1 or vals.shape[1] < 1:
        raise ValueError(f"a full table needs shape (R + 1, G + 1) with R, G >= 0, got {vals.shape}")
    if np.any(vals[~np.isnan(vals)] < 0):
        raise ValueError("counts must be non-negative")
    if upper is None:
        up = np.full(vals.shape, INF)
    else:
        up = np.array(upper, dtype=np.float64)
        if up.shape != vals.shape:
            raise ValueError(f"upper must have shape {vals.shape}, got {up.shape}")
        up = np.where(np.isnan(up), INF, up)
        # A bound below the true value cannot be a fact the attacker knows: ignore it.
        up = np.where(np.isnan(vals) | (up >= vals), up, INF)
    last_i, last_j = vals.shape[0] - 1, vals.shape[1] - 1
    rows = [_line_kind(vals[i, :last_j], float(vals[i, last_j]), tol) for i in range(last_i + 1)]
    cols = [_line_kind(vals[:last_i, j], float(vals[last_i, j]), tol) for j in range(last_j + 1)]
    return TableModel(
        values=vals,
        upper=up,
        row_kind=tuple(k for k, _ in rows),
        col_kind=tuple(k for k, _ in cols),
        row_slack=np.array([s for _, s in rows]),
        col_slack=np.array([s for _, s in cols]),
    )
