"""Disparity measures between race and ethnicity groups (docs/methods.md, "Disparities and
gaps").

Public API, usable from a notebook::

    from metrics.equity import disparities
    disparities(frame, reference="best", favourable=False)

Functions:

- :func:`disparities` — one table of groups: pairwise rate difference and rate ratio
  against a reference (with confidence intervals) and the summary measures (Index of
  Disparity, weighted and unweighted; between-group variance; Theil index; mean log
  deviation; Gini coefficient).
- :func:`theil_decomposition`, :func:`mld_decomposition` — Theil T and MLD split into
  between-region and within-region parts.
- :func:`disparities_by_period`, :func:`summary_by_period` — the same for a whole
  observations frame (KPI × period × region × group), vectorised in Polars.
- :func:`gap_over_time` — the gap of one group now, at baseline and a year earlier,
  whether it widened or narrowed, and what it would take to close it.

The package's one public surface is this module and :mod:`metrics.equity.review` (the
equity review of a register's KPIs); ``_engine``, ``_gap`` and ``_decompose`` are private.

Conventions:

- Rates are ``r_j = numerator_j / denominator_j``, unscaled (a proportion or a rate per
  person); scale only for display. ``μ = Σ numerator / Σ denominator`` over the compared
  groups, and ``p_j = denominator_j / Σ denominator``.
- Groups ``unknown`` ("Unknown / not reported") and ``all`` (the total row) are not
  compared: they are not mutually exclusive population groups. Report the unknown share
  separately (:func:`metrics.groups.unknown_share`). Groups with a missing or zero
  denominator, or a missing numerator, are listed in ``excluded``.
- Reference: ``"best"`` is the most favourable rate among groups with a reliable rate
  (Healthy People); ``favourable=True`` means higher is better (best = highest rate),
  ``False`` lower is better (best = lowest). Unreliable groups are never the best
  reference; if no group is reliable the reference falls back to the total. ``"total"``
  compares with ``μ`` (``reference_group == "total"``). Any other value names a group.
  A null reliability flag counts as reliable (no flag raised).
- Confidence intervals use the normal approximation with binomial variances
  ``r(1 − r)/n`` when every numerator ≤ its denominator (proportions) and Poisson
  variances ``r/n`` otherwise (``variance="auto"``), the log method for ratios.
- Theil: ``0·ln 0 = 0``, so a zero rate is allowed. Mean log deviation is infinite when
  a compared group's rate is 0; it is returned as ``None`` and a note says why.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from metrics.equity import _engine as eng
from metrics.equity._decompose import decomposition as _decomposition
from metrics.equity._engine import OBSERVATION_KEYS, TOTAL, Variance, group_label
from metrics.equity._gap import (
    NARROWED,
    SAME,
    TOO_SMALL,
    WIDENED,
    compare_gaps,
    gap_over_time,
    previous_year,
    what_it_takes,
)
from metrics.groups import ALL, UNKNOWN

__all__ = [
    "NARROWED",
    "SAME",
    "TOO_SMALL",
    "TOTAL",
    "WIDENED",
    "compare_gaps",
    "disparities",
    "disparities_by_period",
    "gap_over_time",
    "group_label",
    "mld_decomposition",
    "previous_year",
    "summary_by_period",
    "theil_decomposition",
    "what_it_takes",
]

_SLICE = "_slice"


def _f(value: Any) -> float | None:
    """Python float, or None for null/NaN."""
    if value is None:
        return None
    out = float(value)
    return None if math.isnan(out) else out


def _ci(low: Any, high: Any) -> list[float] | None:
    lo, hi = _f(low), _f(high)
    return None if lo is None or hi is None else [lo, hi]


def disparities(
    frame: pl.DataFrame,
    *,
    reference: str = "best",
    favourable: bool = False,
    reliable_col: str | None = "reliable",
    confidence: float = 0.95,
    variance: Variance = "auto",
) -> dict[str, Any]:
    """Pairwise and summary disparity measures for one table of groups.

    Args:
        frame: one row per group, columns ``group``, ``numerator``, ``denominator`` and
            optionally a Boolean reliability column.
        reference: ``"best"``, ``"total"`` or a group code.
        favourable: True if a higher rate is better.
        reliable_col: the reliability column; ``None`` or absent = all reliable.
        confidence: level of the confidence intervals.
        variance: ``"auto"``, ``"binomial"`` or ``"poisson"`` (see module docstring).

    Returns:
        A dict with ``reference_group``, ``reference_rate``, ``reference_note``,
        ``overall_rate`` (μ), ``groups`` (compared, canonical order), ``rates``,
        ``population_shares``, ``rate_difference`` / ``rate_ratio`` (group -> value,
        reference included), ``rate_difference_ci`` / ``rate_ratio_ci`` (group ->
        ``[low, high]`` or None), ``index_of_disparity`` (``100·(1/J)·Σ|r_j − μ|/μ``),
        ``index_of_disparity_weighted`` (``100·Σ p_j|r_j − μ|/μ``),
        ``between_group_variance`` (``Σ p_j (r_j − μ)²``), ``theil``
        (``Σ p_j (r_j/μ) ln(r_j/μ)``), ``mean_log_deviation`` (``Σ p_j (−ln(r_j/μ))``),
        ``unreliable_groups``, ``excluded`` (zero/missing denominator or missing
        numerator), ``not_compared`` (``unknown``/``all`` rows present),
        ``unknown_share``, ``variance``, ``confidence``, ``notes``.

    Raises:
        ValueError: missing columns, a group listed twice, or a named reference group
            with no usable rate.
    """
    lf = frame.lazy().with_columns(pl.lit(0).alias(_SLICE))
    pw, sm = eng.run(
        lf,
        [_SLICE],
        reference=reference,
        favourable=favourable,
        variance=variance,
        confidence=confidence,
        reliable_col=reliable_col,
    )
    s: dict[str, Any] = (
        sm.row(0, named=True)
        if sm.height
        else dict.fromkeys(sm.columns) | {"unreliable_groups": [], "excluded": []}
    )
    cmp = pw.filter(pl.col("compared"))
    groups: list[str] = cmp.get_column("group").to_list()
    col = {name: cmp.get_column(name).to_list() for name in cmp.columns}

    def by_group(name: str) -> dict[str, float | None]:
        return {g: _f(v) for g, v in zip(groups, col[name], strict=True)}

    def ci(name: str) -> dict[str, list[float] | None]:
        lows, highs = col[f"{name}_ci_low"], col[f"{name}_ci_high"]
        return {g: _ci(lo, hi) for g, lo, hi in zip(groups, lows, highs, strict=True)}

    ref_group = s["reference_group"]
    notes: list[str] = []
    if reference == "best" and ref_group == TOTAL:
        notes.append("No group has a reliable rate, so the reference is the total.")
    if s["mean_log_deviation"] is None and groups and (s["overall_rate"] or 0) > 0:
        notes.append("Mean log deviation is not defined when a group's rate is 0 (it is infinite).")
    present = set(pw.get_column("group").drop_nulls().to_list())
    not_compared = [g for g in (UNKNOWN, ALL) if g in present]
    if not_compared:
        notes.append(
            "Not compared: "
            + ", ".join(group_label(g) for g in not_compared)
            + " (not a mutually exclusive population group)."
        )
    if s["unreliable_groups"]:
        notes.append(
            "Unreliable rates (never used as the best reference): "
            + ", ".join(group_label(g) for g in s["unreliable_groups"])
            + "."
        )
    variances = cmp.get_column("variance").unique().to_list()
    return {
        "reference": reference,
        "favourable": favourable,
        "reference_group": ref_group,
        "reference_rate": _f(s["reference_rate"]),
        "reference_note": _reference_note(reference, ref_group, favourable),
        "overall_rate": _f(s["overall_rate"]),
        "groups": groups,
        "rates": by_group("rate"),
        "population_shares": by_group("population_share"),
        "rate_difference": by_group("rate_difference"),
        "rate_ratio": by_group("rate_ratio"),
        "rate_difference_ci": ci("rate_difference"),
        "rate_ratio_ci": ci("rate_ratio"),
        "index_of_disparity": _f(s["index_of_disparity"]),
        "index_of_disparity_weighted": _f(s["index_of_disparity_weighted"]),
        "between_group_variance": _f(s["between_group_variance"]),
        "theil": _f(s["theil"]),
        "mean_log_deviation": _f(s["mean_log_deviation"]),
        "gini": _f(s.get("gini")),
        "unreliable_groups": list(s["unreliable_groups"]),
        "excluded": list(s["excluded"]),
        "not_compared": not_compared,
        "unknown_share": _f(s["unknown_share"]),
        "variance": variances[0] if variances else None,
        "confidence": confidence,
        "notes": notes,
    }


def _reference_note(reference: str, ref_group: str | None, favourable: bool) -> str:
    """Plain-language statement of the reference used."""
    if ref_group is None:
        return "No reference: no group has a usable rate."
    if ref_group == TOTAL:
        return "Compared with the rate for all groups combined."
    name = group_label(ref_group)
    if reference == "best":
        which = "highest" if favourable else "lowest"
        return (
            f"Compared with {name}, the group with the {which} rate among groups "
            "with a reliable rate."
        )
    return f"Compared with {name} (chosen reference group)."


# --- Decompositions -------------------------------------------------------------------


def theil_decomposition(
    frame: pl.DataFrame | pl.LazyFrame, *, region_col: str = "region"
) -> dict[str, Any]:
    """Theil T over region × group cells, split into between- and within-region parts.

    With cells c (region k, group j), ``p_c = den_c / N``, ``μ = Σ num / N``, region
    population shares ``P_k``, region rates ``μ_k`` and within-region Theil ``T_k``
    (over the region's cells, weights ``den_c / N_k``, relative to ``μ_k``)::

        total   T  = Σ_c p_c (r_c/μ) ln(r_c/μ)
        between T_B = Σ_k P_k (μ_k/μ) ln(μ_k/μ)
        within  T_W = Σ_k P_k (μ_k/μ) T_k        (weights: the regions' event shares)

    and ``T = T_B + T_W`` exactly. Region ``"all"`` and groups ``unknown``/``all`` are
    left out, as are cells with a zero or missing denominator.

    Returns:
        ``{"total", "between_region", "within_region", "regions"}``; ``regions`` maps
        each region to its ``population_share``, ``rate``, ``event_share`` and
        ``index`` (``T_k``). Values are None when μ = 0 or no cell is usable.
    """
    return _decomposition(frame, region_col, "theil")


def mld_decomposition(
    frame: pl.DataFrame | pl.LazyFrame, *, region_col: str = "region"
) -> dict[str, Any]:
    """Mean log deviation over region × group cells, split between and within regions.

    Notation as in :func:`theil_decomposition`, with ``L_k`` the within-region MLD::

        total   L  = Σ_c p_c (−ln(r_c/μ))
        between L_B = Σ_k P_k (−ln(μ_k/μ))
        within  L_W = Σ_k P_k L_k                (weights: population shares)

    and ``L = L_B + L_W`` exactly. A zero rate makes the MLD infinite: the affected
    parts are returned as None.
    """
    return _decomposition(frame, region_col, "mld")


# --- Observations frames -----------------------------------------------------------


def disparities_by_period(
    observations: pl.DataFrame | pl.LazyFrame,
    *,
    reference: str = "best",
    favourable: bool = False,
    confidence: float = 0.95,
    variance: Variance = "auto",
) -> pl.DataFrame:
    """Pairwise disparities for every KPI, period and region of an observations frame.

    ``observations`` has columns ``kpi_id``, ``period``, ``region``, ``group``,
    ``numerator``, ``denominator`` (and usually ``value``, ``ci_low``, ``ci_high``,
    ``reliable``); region ``"all"`` is statewide and group ``"all"`` all groups. Each
    (kpi_id, period, region) is a separate table of groups, treated exactly as
    :func:`disparities` treats one frame.

    Returns one row per input row (kpi_id, period, region, group) with ``rate``,
    ``population_share``, ``compared``, ``reliable``, ``is_reference``,
    ``reference_group``, ``reference_rate``, ``rate_difference`` and ``rate_ratio`` with
    ``*_ci_low``/``*_ci_high``, and ``variance``. Rows that are not compared (groups
    ``unknown`` and ``all``, unusable rates) keep null measures. A named reference
    missing from a table leaves that table's measures null (ValueError if it is missing
    from every table).
    """
    pw, _ = eng.run(
        observations.lazy(),
        list(OBSERVATION_KEYS),
        reference=reference,
        favourable=favourable,
        variance=variance,
        confidence=confidence,
        reliable_col="reliable",
    )
    return pw


def summary_by_period(
    observations: pl.DataFrame | pl.LazyFrame,
    *,
    reference: str = "best",
    favourable: bool = False,
) -> pl.DataFrame:
    """Summary measures for every KPI, period and region of an observations frame.

    One row per (kpi_id, period, region) with ``n_groups``, ``overall_rate`` (μ),
    ``numerator_total``, ``denominator_total``, ``reference_group``,
    ``reference_rate``, ``index_of_disparity``, ``index_of_disparity_weighted``,
    ``between_group_variance``, ``theil``, ``mean_log_deviation`` (formulas in
    :func:`disparities`), ``unreliable_groups``, ``excluded`` (lists),
    ``unknown_share`` (of the denominator) and ``unknown_share_numerator``.
    """
    _, sm = eng.run(
        observations.lazy(),
        list(OBSERVATION_KEYS),
        reference=reference,
        favourable=favourable,
        variance="auto",
        confidence=0.95,
        reliable_col="reliable",
    )
    return sm
