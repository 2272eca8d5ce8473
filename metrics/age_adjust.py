"""Age-adjusted (directly standardised) rates for KPIs that declare an age column.

A rate KPI may name a column of its feed that holds each row's age group
(``kpis.csv``: ``age_column``) and a standard population (``standard_population``;
``us2000``, the 2000 US standard population in 11 age groups, is the one StatDesk
ships, with its citation in :data:`metrics.intervals.US2000_STANDARD_11`).  Its values
are then directly standardised rates with the Fay-Feuer gamma interval
(:func:`metrics.intervals.dsr_fay_feuer`); the observation's numerator and denominator
stay the crude totals, so the crude rate stands beside the adjusted one
(:func:`crude_values`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from metrics import intervals
from metrics.standard_populations import STANDARD_NAMES, STANDARDS

if TYPE_CHECKING:
    from metrics.definitions import Kpi

__all__ = ["STANDARDS", "STANDARD_NAMES", "adjustment_note", "crude_values", "standard",
           "standardise"]



def standard(name: str) -> Mapping[str, int]:
    """The standard population called ``name`` (age group -> population)."""
    try:
        return STANDARDS[name]
    except KeyError:
        raise KeyError(f"unknown standard population '{name}'; use one of: "
                       f"{', '.join(STANDARDS)}") from None


def standardise(t: pl.DataFrame, std_pop: str | Mapping[str, float], *, multiplier: float,
                keys: tuple[str, ...] = ("period", "region", "group")) -> pl.DataFrame:
    """One row per ``keys`` from rows per ``keys`` x ``age`` with ``num`` and ``den``.

    ``std_pop`` names a standard of :data:`STANDARDS` or maps each age group to its
    standard population (any standard can be used).

    Returns ``keys``, ``num``/``den`` (crude totals over the standard's age groups), ``dsr``,
    ``lo`` and ``hi`` (Fay-Feuer 95%).  Age groups with no row count as zero events and zero
    population, so the rate is missing where any standard age group has no population.
    Rows whose age is not one of the standard's groups are left out.
    """
    weights = standard(std_pop) if isinstance(std_pop, str) else std_pop
    ages = list(weights)
    std = np.array([weights[a] for a in ages], dtype=float)
    t = t.filter(pl.col("age").is_in(ages))
    idx = {a: i for i, a in enumerate(ages)}
    grouped = (t.with_columns(pl.col("age").replace_strict(idx, return_dtype=pl.Int64).alias("_a"))
               .group_by(list(keys)).agg(pl.col("_a"), pl.col("num"), pl.col("den")))
    rows = grouped.select(*keys).to_dicts()
    n_rows = grouped.height
    counts = np.zeros((n_rows, len(ages)))
    pops = np.zeros((n_rows, len(ages)))
    for i, (a, x, n) in enumerate(zip(grouped["_a"].to_list(), grouped["num"].to_list(),
                                      grouped["den"].to_list(), strict=True)):
        for j, xx, nn in zip(a, x, n, strict=True):
            counts[i, j] += xx if xx is not None else 0.0
            pops[i, j] += nn if nn is not None else 0.0
    dsr = np.full(n_rows, np.nan)
    lo = np.full(n_rows, np.nan)
    hi = np.full(n_rows, np.nan)
    for i in range(n_rows):
        r = intervals.dsr_fay_feuer(counts[i], pops[i], std, multiplier=multiplier)
        dsr[i], lo[i], hi[i] = r.value, r.lower, r.upper
    out = pl.DataFrame(rows, schema={k: pl.String for k in keys}) if rows else \
        pl.DataFrame(schema={k: pl.String for k in keys})
    return out.with_columns(pl.Series("num", counts.sum(axis=1)), pl.Series("den", pops.sum(axis=1)),
                            pl.Series("dsr", dsr), pl.Series("lo", lo), pl.Series("hi", hi))


def crude_values(obs: pl.DataFrame, multiplier: float) -> pl.Series:
    """The crude rate beside each age-adjusted value: numerator / denominator x multiplier."""
    return (obs.get_column("numerator") / obs.get_column("denominator") * multiplier
            ).alias("crude_value")


def adjustment_note(kpi: Kpi, obs_kpi: pl.DataFrame, period: str | None, region: str = "all",
                    group: str = "all", where: str = "Statewide") -> str:
    """The sentence shown beside an age-adjusted value: the standard used and the crude
    rate of the same slice ("" for a KPI that is not age-adjusted)."""
    if not kpi.age_adjusted:
        return ""
    std = STANDARD_NAMES.get(kpi.standard_population or "us2000", kpi.standard_population)
    head = f"Age-adjusted to {std}, with Fay–Feuer 95% intervals."
    rows = obs_kpi.filter((pl.col("period") == period) & (pl.col("region") == region)
                          & (pl.col("group") == group)) if period else obs_kpi.clear()
    if rows.height == 0:
        return head
    r = rows.row(0, named=True)
    num, den = r["numerator"], r["denominator"]
    if num is None or not den:
        return head + f" {where}: no crude rate (numbers hidden or missing)."
    return (head + f" {where} crude rate (not age-adjusted): "
            f"{kpi.format_value(num / den * kpi.multiplier)}.")
