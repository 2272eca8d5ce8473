"""Suppression on observation frames, one (kpi_id, period) table at a time.

An observation frame has columns ``kpi_id, period, region, group, numerator,
denominator, value, ci_low, ci_high, reliable``. Within one ``(kpi_id, period)`` the rows
form a region x group table: ``region == "all"`` is the statewide row (column totals),
``group == "all"`` the all-groups column (row totals), both ``"all"`` the grand total.
A row whose numerator is null, or a region x group pair with no row, is a missing cell.

Proportions. A KPI is treated as a proportion (numerator a subset of the denominator)
when every numerator is at most its denominator and ``value`` is ``numerator /
denominator`` or 100 times it (median over the KPI's rows). For proportions the
published denominator is an upper bound the attacker knows, and the audit uses it; the
remainder rule of :class:`SuppressionPolicy` applies to them only.

Denominators are kept. Once the numerator is hidden, a published denominator tells the
attacker only that the numerator lies in ``[0, denominator]``; the audit includes that
bound, so a hidden count is never narrower than the audit says. (When a denominator is
below the band, the cell's whole range ``[0, denominator]`` is required instead.)

Limits: each table is protected on its own; figures shared between tables (the same count
in two KPIs, or two periods that differ by one month of a rolling sum) are not linked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from .model import TableModel, build_model
from .policy import COMPLEMENTARY_REASON, PUBLIC, DisclosureError, SuppressionPolicy
from .table import audit_model, complementary_model, primary_mask

__all__ = ["ALL", "audit_frame", "check", "proportion_kpis", "suppress"]

#: Label of the margin (statewide region, all groups).
ALL = "all"
KEYS = ("kpi_id", "period")
CELL = ("region", "group")
REQUIRED = ("kpi_id", "period", "region", "group", "numerator", "denominator", "value", "ci_low", "ci_high")
HIDDEN_COLUMNS = ("numerator", "value", "ci_low", "ci_high")


def _validate(obs: pl.DataFrame, name: str) -> None:
    missing = [c for c in REQUIRED if c not in obs.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}")
    if obs.select(pl.struct(*KEYS, *CELL).is_duplicated().any()).item():
        raise ValueError(f"{name} has more than one row for some kpi_id, period, region, group")


def proportion_kpis(obs: pl.DataFrame) -> set[Any]:
    """KPIs whose numerator is a subset of the denominator (see module docs)."""
    n = pl.col("numerator").cast(pl.Float64)
    d = pl.col("denominator").cast(pl.Float64)
    v = pl.col("value").cast(pl.Float64)
    per = obs.group_by("kpi_id").agg(
        has_d=(n.is_not_null() & d.is_not_null()).any(),
        subset=(n.is_null() | d.is_null() | (n <= d * (1 + 1e-9))).all(),
        ratio=(v * d / n).filter((n > 0) & (d > 0) & v.is_not_null()).median(),
    )
    ratio = pl.col("ratio")
    hits = per.filter(
        pl.col("has_d")
        & pl.col("subset")
        & (ratio.is_null() | ((ratio - 1).abs() <= 0.01) | ((ratio - 100).abs() <= 1.0))
    )
    return set(hits.get_column("kpi_id").to_list())


@dataclass
class _Table:
    """One (kpi_id, period) table laid out as a full array."""

    key: tuple[Any, ...]
    rows: np.ndarray  # frame row index of each observation
    pos: tuple[np.ndarray, np.ndarray]  # its (i, j) in the full table
    regions: list[Any]
    groups: list[Any]
    values: np.ndarray
    upper: np.ndarray
    primary: np.ndarray

    def model(self) -> TableModel:
        return build_model(self.values, self.upper)

    def label(self, i: int, j: int) -> tuple[Any, Any]:
        return (self.regions[i] if i < len(self.regions) else ALL, self.groups[j] if j < len(self.groups) else ALL)


def _prepared(obs: pl.DataFrame, policy: SuppressionPolicy) -> pl.DataFrame:
    """Row index, float numerator/denominator, the proportion flag and the primary reason."""
    props = list(proportion_kpis(obs))
    df = obs.select(*KEYS, *CELL, "numerator", "denominator").with_row_index("_row").with_columns(
        _n=pl.col("numerator").cast(pl.Float64),
        _d=pl.col("denominator").cast(pl.Float64),
        _prop=pl.col("kpi_id").is_in(props) if props else pl.lit(False),
    )
    n = df.get_column("_n").to_numpy()
    d = df.get_column("_d").to_numpy()
    prop = df.get_column("_prop").to_numpy()
    if np.any(n[~np.isnan(n)] < 0):
        raise ValueError("numerators are counts and must be non-negative")
    small = primary_mask(n, policy.threshold)
    remainder = primary_mask(n, policy.threshold, denominators=np.where(prop, d, np.nan),
                             suppress_complement=policy.suppress_complement) & ~small
    reason = [
        policy.primary_reason if s else policy.complement_reason if r else None
        for s, r in zip(small.tolist(), remainder.tolist(), strict=True)
    ]
    return df.with_columns(_primary=pl.Series(reason, dtype=pl.String))


def _tables(df: pl.DataFrame) -> Iterator[_Table]:
    for part in df.partition_by(*KEYS, maintain_order=True):
        reg = part.get_column("region").to_list()
        grp = part.get_column("group").to_list()
        regions = sorted({r for r in reg if r != ALL}, key=str)
        groups = sorted({g for g in grp if g != ALL}, key=str)
        ri = {r: k for k, r in enumerate(regions)}
        ri[ALL] = len(regions)
        gi = {g: k for k, g in enumerate(groups)}
        gi[ALL] = len(groups)
        i = np.array([ri[r] for r in reg], dtype=np.int64)
        j = np.array([gi[g] for g in grp], dtype=np.int64)
        shape = (len(regions) + 1, len(groups) + 1)
        values = np.full(shape, np.nan)
        upper = np.full(shape, np.inf)
        primary = np.zeros(shape, dtype=bool)
        n = part.get_column("_n").to_numpy()
        d = part.get_column("_d").to_numpy()
        values[i, j] = n
        upper[i, j] = np.where(part.get_column("_prop").to_numpy() & ~np.isnan(d), d, np.inf)
        primary[i, j] = part.get_column("_primary").is_not_null().to_numpy()
        yield _Table(
            key=tuple(part.row(0, named=True)[k] for k in KEYS),
            rows=part.get_column("_row").to_numpy(),
            pos=(i, j),
            regions=regions,
            groups=groups,
            values=values,
            upper=upper,
            primary=primary,
        )


MARGIN_WEIGHT = 1_000.0
GRAND_TOTAL_WEIGHT = 1_000_000.0


def margin_cost(model: TableModel) -> np.ndarray:
    """Cost of hiding each cell: ``value + 1`` inside the table, far more for margins.

    Region and group totals, and above all the statewide figure, are the headline
    numbers; complementary suppression takes them only when no inner cells can do.
    """
    vals = np.nan_to_num(model.values, nan=0.0)
    cost = vals + 1.0
    cost[-1, :] = (vals[-1, :] + 1.0) * MARGIN_WEIGHT
    cost[:, -1] = (vals[:, -1] + 1.0) * MARGIN_WEIGHT
    cost[-1, -1] = (vals[-1, -1] + 1.0) * GRAND_TOTAL_WEIGHT
    return cost


def suppress(obs: pl.DataFrame, policy: SuppressionPolicy = PUBLIC, *, verify: bool = False) -> pl.DataFrame:
    """Primary and complementary suppression of an observation frame.

    Adds ``suppressed`` (bool) and ``suppression_reason`` (the policy's primary or
    remainder reason, :data:`COMPLEMENTARY_REASON`, or null) and sets ``numerator``,
    ``value``, ``ci_low`` and ``ci_high`` to null on suppressed rows; the denominator is
    kept (see module docs). Tables (one per ``kpi_id, period``) with no small count are
    left as they are.

    Every interval is computed exactly while cells are chosen (maximum flow, equal to the
    attacker's linear programme on these tables); :func:`check` audits the result
    independently with ``linprog`` before publication. ``verify=True`` runs that LP audit
    here as well (and repairs any table it fails), at several times the cost.

    Raises:
        ValueError: a missing column, a duplicated cell, a negative numerator, or a
            region x group table.
    """
    _validate(obs, "obs")
    base = obs.drop([c for c in ("suppressed", "suppression_reason") if c in obs.columns])
    df = _prepared(base, policy)
    reasons: list[str | None] = df.get_column("_primary").to_list()
    if any(r is not None for r in reasons):
        tables = df.filter(pl.col("_primary").is_not_null().any().over(*KEYS))
        for tab in _tables(tables):
            model = tab.model()
            mask = complementary_model(model, tab.primary, policy.band, cost=margin_cost(model),
                                       verify=verify)
            hidden = mask[tab.pos]
            for row, h in zip(tab.rows.tolist(), hidden.tolist(), strict=True):
                if h and reasons[row] is None:
                    reasons[row] = COMPLEMENTARY_REASON
    reason_s = pl.Series("suppression_reason", reasons, dtype=pl.String)
    out = base.with_columns(reason_s, suppressed=reason_s.is_not_null())
    return out.with_columns(
        pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c) for c in HIDDEN_COLUMNS
    )


def _hidden_flags(obs_suppressed: pl.DataFrame, df: pl.DataFrame) -> pl.DataFrame:
    """``df`` (prepared original) with ``_hidden``: not published in ``obs_suppressed``."""
    pub = obs_suppressed.select(
        *KEYS, *CELL,
        _pub_n=pl.col("numerator"),
        _pub_flag=pl.col("suppressed") if "suppressed" in obs_suppressed.columns else pl.lit(False),
        _pub_other=pl.any_horizontal(pl.col("value", "ci_low", "ci_high").is_not_null()),
        _present=pl.lit(True),
    )
    joined = df.join(pub, on=[*KEYS, *CELL], how="left", nulls_equal=True)
    return joined.with_columns(
        _hidden=pl.col("_n").is_not_null()
        & (pl.col("_present").is_null() | pl.col("_pub_flag").fill_null(True) | pl.col("_pub_n").is_null())
    ).sort("_row")


_AUDIT_SCHEMA = {"value": pl.Float64, "low": pl.Float64, "high": pl.Float64, "width": pl.Float64,
                 "required": pl.Float64, "ok": pl.Boolean}


def audit_frame(
    obs_suppressed: pl.DataFrame, obs_original: pl.DataFrame, policy: SuppressionPolicy = PUBLIC
) -> pl.DataFrame:
    """LP audit of every suppressed cell of a suppressed observation frame.

    A cell is suppressed when it has a count in ``obs_original`` and, in
    ``obs_suppressed``, is flagged ``suppressed``, has a null numerator or is absent.

    Returns:
        One row per suppressed cell: ``kpi_id, period, region, group, value`` (the hidden
        count), ``low, high, width, required, ok``.
    """
    _validate(obs_original, "obs_original")
    df = _hidden_flags(obs_suppressed, _prepared(obs_original, policy))
    df = df.with_columns(_primary=pl.when(pl.col("_hidden")).then(pl.lit("h")).otherwise(None))
    key_cols: dict[str, list[Any]] = {c: [] for c in (*KEYS, *CELL)}
    stats: dict[str, list[Any]] = {c: [] for c in _AUDIT_SCHEMA}
    tables = df.filter(pl.col("_hidden").any().over(*KEYS))
    for tab in _tables(tables):
        for r in audit_model(tab.model(), tab.primary, policy.band):
            region, group = tab.label(*r.cell)
            for c, v in zip((*KEYS, *CELL), (*tab.key, region, group), strict=True):
                key_cols[c].append(v)
            for c, v in zip(_AUDIT_SCHEMA, (r.value, r.low, r.high, r.width, r.required, r.ok), strict=True):
                stats[c].append(v)
    schema = {c: obs_original.schema[c] for c in (*KEYS, *CELL)} | _AUDIT_SCHEMA
    return pl.DataFrame({**key_cols, **stats}, schema=schema)


def check(
    obs_original: pl.DataFrame, obs_suppressed: pl.DataFrame, policy: SuppressionPolicy = PUBLIC
) -> None:
    """Refuse a snapshot that could disclose a small count.

    Raises :class:`DisclosureError` listing every problem: a small count (or remainder)
    that is published, a suppressed row that still shows a value or interval, and every
    suppressed cell whose attacker interval (:func:`audit_frame`) is narrower than the
    required width.
    """
    _validate(obs_original, "obs_original")
    _validate(obs_suppressed, "obs_suppressed")
    df = _hidden_flags(obs_suppressed, _prepared(obs_original, policy))
    problems: list[str] = []
    for r in df.filter(pl.col("_primary").is_not_null() & ~pl.col("_hidden")).iter_rows(named=True):
        problems.append(f"{_where(r)}: count {r['_n']:g} is published ({r['_primary']})")
    for r in df.filter(pl.col("_hidden") & pl.col("_pub_other").fill_null(False)).iter_rows(named=True):
        problems.append(f"{_where(r)}: suppressed, but its value or interval is published")
    audit = audit_frame(obs_suppressed, obs_original, policy)
    for r in audit.filter(~pl.col("ok")).iter_rows(named=True):
        problems.append(
            f"{_where(r)}: hidden count {r['value']:g} narrowed to [{r['low']:g}, {r['high']:g}] "
            f"(width {r['width']:g} < {r['required']:g})"
        )
    if problems:
        raise DisclosureError(problems)


def _where(r: dict[str, Any]) -> str:
    return f"{r['kpi_id']} {r['period']} region={r['region']} group={r['group']}"
