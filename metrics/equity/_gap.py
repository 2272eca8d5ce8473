"""The gap of one group over time, and what it would take to close it.

Used through :func:`metrics.equity.gap_over_time`.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any, Final

import polars as pl

from metrics.equity import _engine as eng
from metrics.equity._engine import Variance, group_label
from metrics.periods import previous_year_label

#: Relative change in the absolute gap below which, without usable confidence
#: intervals, the gap "stayed the same" (Healthy People's 10% rule).
RELATIVE_TOLERANCE: Final = 0.10

WIDENED: Final = "widened"
NARROWED: Final = "narrowed"
SAME: Final = "stayed the same"
TOO_SMALL: Final = "too small to tell"

#: A gap "stayed the same" only when the data could have shown a change: the interval of
#: the change in the gap lies within ± this share of the earlier gap (the same 10% that
#: counts as a change without standard errors). Otherwise the numbers are too small to tell.
EQUIVALENCE_MARGIN: Final = 0.10

_YEAR = re.compile(r"(\d{4})")


def previous_year(period: Any) -> Any:
    """The same period one year earlier, or None if it cannot be worked out.

    Dates go back one year (29 February -> 28 February); integers ``YYYY``, ``YYYYMM``
    and ``YYYYMMDD`` lose one year; text labels (``2026``, ``2026-10``, ``2026-Q3``,
    ``FY2027``, ``R12-2026-10``) have their first four-digit year decreased by one.
    """
    if isinstance(period, datetime | date):
        try:
            return period.replace(year=period.year - 1)
        except ValueError:  # 29 February
            return period.replace(year=period.year - 1, day=28)
    if isinstance(period, bool):
        return None
    if isinstance(period, int):
        digits = len(str(abs(period)))
        step = {4: 1, 6: 100, 8: 10_000}.get(digits)
        return None if step is None else period - step
    if isinstance(period, str):
        try:  # a reporting period: "the same period a year earlier" is defined in periods
            return previous_year_label(period)
        except ValueError:
            pass
        m = _YEAR.search(period)
        if m is None:
            return None
        return period[: m.start()] + f"{int(m.group(1)) - 1:04d}" + period[m.end() :]
    return None


def _fmt_rate(rate: float, multiplier: float, unit: str) -> str:
    return f"{rate * multiplier:,.1f}{unit}"


def _fmt_gap(gap: float, multiplier: float, unit: str) -> str:
    unit_text = " percentage points" if unit.strip() == "%" else unit
    return f"{abs(gap) * multiplier:,.1f}{unit_text}"


def _fmt_signed(change: float, multiplier: float, unit: str) -> str:
    unit_text = " percentage points" if unit.strip() == "%" else unit
    return f"{change * multiplier:+,.1f}{unit_text}"


def _point(row: dict[str, Any] | None, z: float) -> dict[str, Any] | None:
    """The gap of the group in one period (None when the group has no usable rate)."""
    if row is None or not row["compared"] or row["rate_difference"] is None:
        return None
    low, high = row["rate_difference_ci_low"], row["rate_difference_ci_high"]
    has_ci = low is not None and high is not None and not math.isnan(low)
    return {
        "period": row["period"],
        "rate": row["rate"],
        "numerator": row["_num"],
        "denominator": row["_den"],
        "reliable": row["reliable"],
        "reference_group": row["reference_group"],
        "reference_rate": row["reference_rate"],
        "gap": row["rate_difference"],
        "gap_ci": [low, high] if has_ci else None,
        "gap_se": (high - low) / (2.0 * z) if has_ci else None,
        "rate_ratio": row["rate_ratio"],
        "rate_ratio_ci": (
            [row["rate_ratio_ci_low"], row["rate_ratio_ci_high"]]
            if row["rate_ratio_ci_low"] is not None
            else None
        ),
    }


def compare_gaps(
    now: dict[str, Any] | None,
    then: dict[str, Any] | None,
    *,
    z: float,
    multiplier: float = 100.0,
    unit: str = "%",
) -> dict[str, Any] | None:
    """Did the absolute gap widen, narrow or stay the same between two periods?

    With both standard errors known (from the difference CIs, ``se = (high − low)/2z``)
    and not both zero, the change is significant when
    ``|gap_now − gap_then| / √(se_now² + se_then²) > z``; a significant change is
    "widened" if ``|gap_now| > |gap_then|`` and "narrowed" if smaller, otherwise the gap
    "stayed the same" only when the data could have shown a change (the interval of the
    change in ``|gap|`` lies within ±10% of ``|gap_then|``), else "too small to tell".
    Without them, the 10% rule: a change in ``|gap|`` of less than 10% of ``|gap_then|``
    is "stayed the same".
    """
    if now is None or then is None:
        return None
    g1, g0 = now["gap"], then["gap"]
    a1, a0 = abs(g1), abs(g0)
    se1, se0 = now["gap_se"], then["gap_se"]
    if se1 is not None and se0 is not None and (se1 > 0 or se0 > 0):
        method = "significance"
        stat = abs(g1 - g0) / math.hypot(se1, se0)
        moved = stat > z
        level = f"{2 * _phi(z) - 1:.0%}"
        rule = (
            f"statistically significant at {level} confidence"
            if moved
            else f"not statistically significant at {level} confidence"
        )
    else:
        method = "10% rule"
        stat = None
        rel = (a1 - a0) / a0 if a0 > 0 else (math.inf if a1 > 0 else 0.0)
        moved = abs(rel) >= RELATIVE_TOLERANCE - 1e-12  # exactly 10% counts
        rule = "no standard errors: a change of 10% or more of the earlier gap counts"
    direction = SAME
    if moved and a1 != a0:
        direction = WIDENED if a1 > a0 else NARROWED
    elif method == "significance" and se1 is not None and se0 is not None:
        half = z * math.hypot(se1, se0)
        if abs(a1 - a0) + half > EQUIVALENCE_MARGIN * a0:
            direction = TOO_SMALL
            rule = (f"not statistically significant at {level} confidence, and the numbers "
                    f"are too small to tell: the change could be anything from "
                    f"{_fmt_signed(a1 - a0 - half, multiplier, unit)} to "
                    f"{_fmt_signed(a1 - a0 + half, multiplier, unit)}")
    lead = {SAME: "stayed about the same", TOO_SMALL: "may have changed or not"}.get(
        direction, direction)
    sentence = (
        f"The gap {lead}: {_fmt_gap(g0, multiplier, unit)} in {then['period']}, "
        f"{_fmt_gap(g1, multiplier, unit)} in {now['period']} ({rule})."
    )
    return {
        "direction": direction,
        "method": method,
        "from_period": then["period"],
        "to_period": now["period"],
        "gap_from": g0,
        "gap_to": g1,
        "change": g1 - g0,
        "z_statistic": stat,
        "reference_changed": now["reference_group"] != then["reference_group"],
        "sentence": sentence,
    }


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def what_it_takes(
    point: dict[str, Any],
    *,
    group: str,
    favourable: bool,
    multiplier: float = 100.0,
    unit: str = "%",
    noun: str = "people",
    per: str = "a year",
) -> dict[str, Any]:
    """Extra events the group needs, at its current denominator, to reach the reference.

    ``extra = (r_ref − r_j) × den_j``: positive means more events are needed (higher is
    better), negative fewer (lower is better). ``people_needed`` is ``|extra|`` rounded
    up. Zero when the group is already at or better than the reference rate.
    """
    rate, ref, den = point["rate"], point["reference_rate"], point["denominator"]
    name = group_label(group)
    worse = rate < ref if favourable else rate > ref
    if not worse:
        return {
            "extra_numerator": 0.0,
            "people_needed": 0,
            "rate_from": rate,
            "rate_to": rate,
            "rate_change": 0.0,
            "sentence": (
                f"{name} is already at or better than the reference rate "
                f"({_fmt_rate(rate, multiplier, unit)} against "
                f"{_fmt_rate(ref, multiplier, unit)})."
            ),
        }
    extra = (ref - rate) * den
    needed = math.ceil(abs(extra) - 1e-9)
    more = "more" if extra > 0 else "fewer"
    moving = "rising" if ref > rate else "falling"
    per_text = f" {per}" if per else ""
    sentence = (
        f"{needed:,} {more} {noun}{per_text} in {name}, or the group's rate {moving} "
        f"from {_fmt_rate(rate, multiplier, unit)} to {_fmt_rate(ref, multiplier, unit)}"
    )
    return {
        "extra_numerator": extra,
        "people_needed": needed,
        "rate_from": rate,
        "rate_to": ref,
        "rate_change": ref - rate,
        "sentence": sentence,
    }


def gap_over_time(
    observations: pl.DataFrame | pl.LazyFrame,
    *,
    kpi_id: str,
    group: str,
    region: str = "all",
    reference: str = "best",
    favourable: bool = False,
    baseline_period: Any = None,
    last_year_period: Any = None,
    current_period: Any = None,
    multiplier: float = 100.0,
    unit: str = "%",
    noun: str = "people",
    per: str = "a year",
    confidence: float = 0.95,
    variance: Variance = "auto",
) -> dict[str, Any]:
    """The gap (rate difference against the reference) of one group over time.

    Periods default to: current = the latest period of the KPI and region, baseline =
    the earliest, last year = the current period one year earlier
    (:func:`previous_year`) when it is in the data. Each period's gap is measured
    against that period's reference (see :func:`metrics.equity.disparities`).

    Returns a dict with ``current``, ``baseline`` and ``last_year`` (each the group's
    ``rate``, ``reference_group``, ``reference_rate``, ``gap``, ``gap_ci``,
    ``rate_ratio``..., or None), ``change_since_baseline`` and
    ``change_since_last_year`` (see :func:`compare_gaps`), ``direction`` (since
    baseline, else since last year; "widened", "narrowed", "stayed the same" or None)
    and ``what_it_takes`` (see :func:`what_it_takes`; None without a current gap).

    Raises:
        ValueError: no rows for the KPI and region, or a requested period not in them.
    """
    lf = observations.lazy().filter((pl.col("kpi_id") == kpi_id) & (pl.col("region") == region))
    periods = lf.select(pl.col("period").unique().sort()).collect().to_series().to_list()
    if not periods:
        raise ValueError(f"no observations for kpi_id={kpi_id!r} and region={region!r}")
    for name, value in (
        ("baseline_period", baseline_period),
        ("last_year_period", last_year_period),
        ("current_period", current_period),
    ):
        if value is not None and value not in periods:
            raise ValueError(f"{name}={value!r} is not in the data (periods: {periods})")
    current = periods[-1] if current_period is None else current_period
    baseline = periods[0] if baseline_period is None else baseline_period
    last_year = last_year_period
    if last_year is None:
        guess = previous_year(current)
        last_year = guess if guess in periods else None
    wanted = [p for p in {current, baseline, last_year} if p is not None]
    z = eng.z_value(confidence)
    pw, _ = eng.run(
        lf.filter(pl.col("period").is_in(wanted)),
        list(eng.OBSERVATION_KEYS),
        reference=reference,
        favourable=favourable,
        variance=variance,
        confidence=confidence,
        reliable_col="reliable",
    )
    rows = {
        r["period"]: r
        for r in pw.filter(pl.col("group") == group)
        .with_columns(
            pl.col("numerator").cast(pl.Float64).alias("_num"),
            pl.col("denominator").cast(pl.Float64).alias("_den"),
        )
        .iter_rows(named=True)
    }
    now = _point(rows.get(current), z)
    base = _point(rows.get(baseline), z) if baseline != current else None
    prev = _point(rows.get(last_year), z) if last_year is not None else None
    since_base = compare_gaps(now, base, z=z, multiplier=multiplier, unit=unit)
    since_prev = compare_gaps(now, prev, z=z, multiplier=multiplier, unit=unit)
    main = since_base or since_prev
    return {
        "kpi_id": kpi_id,
        "group": group,
        "group_label": group_label(group),
        "region": region,
        "reference": reference,
        "favourable": favourable,
        "periods": {"current": current, "baseline": baseline, "last_year": last_year},
        "current": now,
        "baseline": base,
        "last_year": prev,
        "change_since_baseline": since_base,
        "change_since_last_year": since_prev,
        "direction": main["direction"] if main else None,
        "what_it_takes": (
            None
            if now is None
            else what_it_takes(
                now,
                group=group,
                favourable=favourable,
                multiplier=multiplier,
                unit=unit,
                noun=noun,
                per=per,
            )
        ),
    }
