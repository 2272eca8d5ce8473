"""Array API: primary suppression, complementary suppression and the audit of one table."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .lp import lp_intervals
from .model import BoolArray, FloatArray, TableModel, assemble, build_model
from .network import protect
from .policy import AuditResult

__all__ = ["audit_model", "audit_table", "complementary", "complementary_model", "primary_mask"]

_TOL = 1e-6


def primary_mask(
    numerators: ArrayLike,
    threshold: int,
    *,
    denominators: ArrayLike | None = None,
    suppress_complement: bool = True,
) -> BoolArray:
    """Cells to hide for their own sake.

    A count ``n`` is hidden when ``0 < n < threshold`` (zero and missing values never
    are). With ``denominators`` and ``suppress_complement``, a proportion's numerator is
    also hidden when ``0 < n <= d`` and ``0 < d - n < threshold``. (A zero numerator is
    always published: its remainder is the published denominator itself.)
    """
    n = np.asarray(numerators, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        small = (n > 0) & (n < threshold)
        if denominators is not None and suppress_complement:
            d = np.asarray(denominators, dtype=np.float64)
            rest = d - n
            small |= (n > 0) & (rest > 0) & (rest < threshold)
    return np.asarray(small, dtype=bool)


def _full_mask(mask: ArrayLike, shape: tuple[int, int], name: str) -> BoolArray:
    arr = np.asarray(mask, dtype=bool)
    if arr.shape == shape:
        return arr.copy()
    if arr.shape == (shape[0] - 1, shape[1] - 1):
        out = np.zeros(shape, dtype=bool)
        out[:-1, :-1] = arr
        return out
    raise ValueError(f"{name} must have shape {shape} (with margins) or {(shape[0] - 1, shape[1] - 1)}, got {arr.shape}")


def audit_model(model: TableModel, suppressed: ArrayLike, band: float) -> list[AuditResult]:
    """LP audit of every suppressed cell of a model (row-major order)."""
    mask = _full_mask(suppressed, model.shape, "suppressed")
    required = model.required(band)
    results = []
    for cell, low, high in lp_intervals(model, mask):
        width = high - low
        need = float(required[cell])
        results.append(AuditResult(
            cell=cell,
            value=float(model.values[cell]),
            low=low,
            high=high,
            width=width,
            ok=bool(width >= need - _TOL * max(1.0, need)),
            required=need,
        ))
    return results


def audit_table(
    values: ArrayLike,
    row_totals: ArrayLike | None,
    col_totals: ArrayLike | None,
    grand_total: float | None,
    suppressed: ArrayLike,
    *,
    band: float = 11.0,
    upper: ArrayLike | None = None,
) -> list[AuditResult]:
    """What an attacker learns about each suppressed cell of a two-way table.

    For each suppressed cell, ``scipy.optimize.linprog(method="highs")`` minimises and
    maximises it subject to every published value, the row and column sums, the grand
    total and non-negativity (and ``upper`` where given).

    Args:
        values: ``R x G`` true inner cells (NaN: missing cell).
        row_totals, col_totals, grand_total: true margins; ``None`` = sums of the inner
            cells (see :func:`.model.assemble`).
        suppressed: boolean mask of shape ``(R + 1, G + 1)`` (last row: column totals,
            last column: row totals) or ``(R, G)`` (margins published).
        band: the protection band.
        upper: optional a-priori upper bounds, shape ``(R + 1, G + 1)``.

    Returns:
        One :class:`AuditResult` per suppressed cell, row-major, ``cell = (i, j)`` in the
        full table.
    """
    model = build_model(assemble(values, row_totals, col_totals, grand_total), upper)
    return audit_model(model, suppressed, band)


def complementary_model(
    model: TableModel,
    primary: ArrayLike,
    band: float,
    *,
    cost: ArrayLike | None = None,
    verify: bool = True,
) -> BoolArray:
    """Complementary suppression on a model; returns the full mask (primary included).

    With ``verify``, the result is audited by linear programming and any cell the audit
    finds too narrow is escalated (its row and column hidden) until the audit passes.
    """
    mask = _full_mask(primary, model.shape, "primary") & model.present
    if not mask.any():
        return mask
    cost_arr: FloatArray | None = None if cost is None else np.asarray(cost, dtype=np.float64)
    mask, _ = protect(model, mask, band, cost=cost_arr)
    while verify:
        failing = [r.cell for r in audit_model(model, mask, band) if not r.ok]
        if not failing:
            break
        before = int(mask.sum())
        mask, _ = protect(model, mask, band, cost=cost_arr, recheck=failing)
        if int(mask.sum()) == before:
            break
    return mask


def complementary(
    values: ArrayLike,
    primary: ArrayLike,
    row_totals: ArrayLike | None = None,
    col_totals: ArrayLike | None = None,
    grand_total: float | None = None,
    *,
    band: float = 11.0,
    upper: ArrayLike | None = None,
    cost: ArrayLike | None = None,
    verify: bool = True,
) -> BoolArray:
    """Choose complementary suppressions for a two-way table with margins.

    Args:
        values: ``R x G`` inner cells (NaN: missing cell).
        primary: primary suppressions, shape ``(R, G)`` or ``(R + 1, G + 1)``.
        row_totals, col_totals, grand_total: margins (``None``: sums of inner cells).
        band: the protection band every suppressed cell's interval must reach.
        upper: optional a-priori upper bounds (full-table shape).
        cost: cost of suppressing each cell (full-table shape); default ``value + 1``,
            so that the smallest cells, and then the fewest, are preferred.
        verify: audit the result by linear programming (and repair if needed).

    Returns:
        Boolean mask of shape ``(R + 1, G + 1)``: primary and complementary suppressions.
    """
    model = build_model(assemble(values, row_totals, col_totals, grand_total), upper)
    return complementary_model(model, primary, band, cost=cost, verify=verify)
