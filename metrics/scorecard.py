"""Status of every KPI for a month: the numbers a stat session runs on.

``scorecard(register, observations, month=..., as_of=...)`` gives, for every KPI,
the latest period of its grain that ends within the month reviewed, its status
against target with the rule in words, pace, change, the equity gap status, status
per group and per region, and "data current through".  Everything is computed from
stored observations; nothing reads the clock (``as_of`` is passed in).
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import polars as pl

from metrics import equity, intervals
from metrics.definitions import Kpi, Register
from metrics.definitions.models import CADENCES, RATE_MEASURES
from metrics.groups import ALL, GROUP_CODES, UNKNOWN, label, statewide
from metrics.groups import cell as _row
from metrics.periods import PERIODS_PER_YEAR, display_label, parse_period, previous_year_label
from metrics.status import (
    RISK_ORDER,
    Change,
    StatusResult,
    apply_equity_rule,
    assess,
    classify_change,
    classify_window_change,
    gap_status,
)
from metrics.targets import Target, interim_target, missing_fields


@dataclass(frozen=True)
class KpiStatus:
    kpi_id: str
    name: str
    priority_id: str
    agency_id: str
    period: str | None
    period_display: str
    status: str
    explanation: str
    pace: str
    change: str
    value: float | None
    value_text: str
    interim_target: float | None
    target_text: str
    reliable: bool | None
    data_through: date | None
    stale: bool
    gap_status: str
    gap_text: str
    previous_value: float | None
    sparkline: tuple[float | None, ...] = ()
    group_status: dict[str, StatusResult] = field(default_factory=dict)
    region_status: dict[str, StatusResult] = field(default_factory=dict)
    change_since_baseline: str = "no data"
    baseline_value: float | None = None
    basis_label: str | None = None  # what the status was judged on, e.g. "12 months to Oct 2026"
    basis_value: float | None = None
    figures: Mapping[str, float] = field(default_factory=dict)  # the numbers the explanation states

    @property
    def risk(self) -> int:
        return RISK_ORDER.get(self.status, 99)

    def as_row(self) -> dict[str, object]:
        return {
            "kpi_id": self.kpi_id, "name": self.name, "priority_id": self.priority_id,
            "agency_id": self.agency_id, "period": self.period, "status": self.status,
            "explanation": self.explanation, "pace": self.pace, "change": self.change,
            "value": self.value, "value_text": self.value_text,
            "interim_target": self.interim_target, "target_text": self.target_text,
            "data_through": self.data_through, "stale": self.stale,
            "gap_status": self.gap_status, "gap_text": self.gap_text,
            "change_since_baseline": self.change_since_baseline,
            "baseline_value": self.baseline_value, "basis": self.basis_label,
            "basis_value": self.basis_value, "figures": dict(self.figures),
        }


def _unit_word(kpi: Kpi) -> str:
    return "points" if kpi.unit == "%" else (kpi.unit or "")


def choose_period(obs_kpi: pl.DataFrame, month: str | None) -> str | None:
    """The latest period with statewide data that ends within ``month`` (YYYY-MM)."""
    s = obs_kpi.filter(statewide() & pl.col("value").is_not_null())
    if month:
        end = parse_period(month).end
        s = s.filter(pl.col("period_end") <= end)
    if s.height == 0:
        return None
    return s.sort("period_end").get_column("period")[-1]


POOLED_MONTHS = {"rolling12": 12, "latest_quarter": 3}
POOLABLE = ("proportion", "rate", "count")


@dataclass(frozen=True)
class BasisValue:
    """The value a status is judged on: one period, or the latest months pooled.

    ``months`` holds ``(first day of month, events, denominator)`` of each pooled month
    (empty for a single period), so that two pooled windows that overlap can be compared
    on the months that differ.
    """

    label: str
    period_end: date
    value: float | None
    ci_low: float | None
    ci_high: float | None
    reliable: bool | None
    numerator: float | None
    denominator: float | None
    months: tuple[tuple[date, float, float | None], ...] = ()
    month_ends: tuple[date, ...] = ()


def _month_labels(period: str, k: int) -> list[str]:
    p = parse_period(period)
    y, m = p.end.year, p.end.month
    out = []
    for _ in range(k):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def pooled(kpi: Kpi, obs_kpi: pl.DataFrame, period: str, k: int, region: str = ALL,
           group: str = ALL) -> BasisValue | None:
    """The ``k`` months ending with ``period`` (a month) pooled: events over denominators
    (counts: the monthly mean), with the measure's interval. None without any of them."""
    labels = _month_labels(period, k)
    rows = obs_kpi.filter(pl.col("period").is_in(labels) & (pl.col("region") == region)
                          & (pl.col("group") == group)).sort("period_end")
    name = f"{k} months to {display_label(period)}"
    if kpi.measure == "count":
        name += " as a monthly average"
    end = parse_period(period).end
    ends = tuple(parse_period(lb).end for lb in labels)
    if rows.height != k or rows.get_column("numerator").null_count() or (
            kpi.measure != "count" and rows.get_column("denominator").null_count()):
        return BasisValue(name, end, None, None, None, None, None, None, (), ends)
    xs = [float(v) for v in rows.get_column("numerator").to_list()]
    ns = ([float(v) for v in rows.get_column("denominator").to_list()]
          if kpi.measure != "count" else [None] * k)
    months = tuple((st.replace(day=1), x, n) for st, x, n in
                   zip(rows.get_column("period_start").to_list(), xs, ns, strict=True))
    x = sum(xs)
    m = kpi.multiplier
    if kpi.measure == "count":
        value, den = x / k * m, None
        lo, hi = intervals.poisson_rate(x, k, multiplier=m)
        rse = None
    else:
        n = sum(float(v) for v in ns if v is not None)
        if n <= 0:
            return BasisValue(name, end, None, None, None, None, None, None, (), ends)
        value, den = x / n * m, n / k
        if kpi.measure == "proportion":
            lo, hi = intervals.wilson(x, n)
            lo, hi = lo * m, hi * m
            p = x / n
            rse = math.sqrt((1 - p) / (n * p)) if p > 0 else math.inf
        else:
            lo, hi = intervals.poisson_rate(x, n, multiplier=m)
            rse = None
    reliable = bool(intervals.is_reliable(x, rse))
    return BasisValue(name, end, value, float(lo), float(hi), reliable, x / k, den, months, ends)


def basis_value(kpi: Kpi, obs_kpi: pl.DataFrame, period: str | None, region: str = ALL,
                group: str = ALL) -> BasisValue | None:
    """The value ``kpi``'s status is judged on for ``period`` (its status basis)."""
    if period is None:
        return None
    k = POOLED_MONTHS.get(kpi.status_basis)
    if k and kpi.grain == "month" and kpi.measure in POOLABLE:
        return pooled(kpi, obs_kpi, period, k, region, group)
    row = _row(obs_kpi, period, region, group)
    if row is None:
        return None
    return BasisValue(display_label(period), row["period_end"], row["value"], row["ci_low"],
                      row["ci_high"], row["reliable"],
                      row["numerator"] if kpi.measure in ("proportion", "count") else None,
                      row["denominator"] if kpi.measure == "proportion" else None)


def _met_check(kpi: Kpi, obs_kpi: pl.DataFrame, period: str, region: str, group: str
               ) -> tuple[float | None, str] | None:
    """For a single-month basis: the latest three months pooled (or, for measures that do
    not pool, the least favourable of the three)."""
    if kpi.measure in POOLABLE:
        b = pooled(kpi, obs_kpi, period, 3, region, group)
        return None if b is None else (b.value, b.label)
    labels = _month_labels(period, 3)
    vals = obs_kpi.filter(pl.col("period").is_in(labels) & (pl.col("region") == region)
                          & (pl.col("group") == group)).get_column("value").drop_nulls().to_list()
    if len(vals) < 3:
        return (None, f"the 3 months to {display_label(period)}")
    worst = min(vals) if kpi.direction == "higher" else max(vals)
    return (worst, f"the least favourable of the 3 months to {display_label(period)}")


def baseline_period(obs_kpi: pl.DataFrame, target: Target | None) -> str | None:
    """The period of the KPI's grain that ends on the target's baseline date."""
    if target is None or target.baseline_date is None:
        return None
    hit = obs_kpi.filter(pl.col("period_end") == target.baseline_date).get_column("period")
    return hit[0] if hit.len() else None


def _interim_over(target: Target, basis: BasisValue) -> float | None:
    """Pro-rated target for the basis: at its end, or its mean over pooled months."""
    if not basis.month_ends:
        return interim_target(target, basis.period_end)
    vals = [interim_target(target, d) for d in basis.month_ends]
    if any(v is None for v in vals):
        return None
    return sum(v for v in vals if v is not None) / len(vals)


def _overlap_change(kpi: Kpi, now: BasisValue, then: BasisValue) -> Change | None:
    """The change between two windows that share months, tested on the months that differ;
    None when they share none (the ordinary test applies). Rolling-12 observations that
    overlap, whose single months are not at hand, are not tested ("no data")."""
    if now.months and then.months:
        shared = {m for m, _, _ in now.months} & {m for m, _, _ in then.months}
        if not shared:
            return None

        def part(b: BasisValue) -> tuple[float, float | None]:
            rest = [(x, n) for m, x, n in b.months if m not in shared]
            return (sum(x for x, _ in rest),
                    None if kpi.measure == "count" else sum(n or 0.0 for _, n in rest))

        return classify_window_change(part(now), part(then), direction=kpi.direction,
                                      measure=kpi.measure)
    apart = abs((now.period_end.year - then.period_end.year) * 12
                + now.period_end.month - then.period_end.month)
    if kpi.grain == "rolling12" and apart < 12:
        return Change.NO_DATA
    return None


@dataclass(frozen=True)
class LevelStatus:
    """The status of one KPI for one region and/or group (or statewide)."""

    kpi_id: str
    region: str
    group: str
    period: str | None
    result: StatusResult
    baseline_value: float | None
    baseline_period: str | None
    target_scope: str
    basis: BasisValue | None

    def as_row(self) -> dict[str, object]:
        r = self.result
        return {"kpi_id": self.kpi_id, "region": self.region, "group": self.group,
                "period": self.period, "status": r.status, "explanation": r.explanation,
                "pace": r.pace, "change": r.change,
                "change_since_baseline": r.change_since_baseline,
                "value": r.current_value, "interim_target": r.interim_target,
                "baseline_value": self.baseline_value, "baseline_period": self.baseline_period,
                "target_scope": self.target_scope,
                "basis": self.basis.label if self.basis else None}


def _subject(register: Register, region: str, group: str) -> str:
    parts = []
    if region != ALL:
        reg = register.regions.get(region)
        parts.append(reg.name if reg is not None else region)
    if group != ALL:
        parts.append(label(group))
    return ", ".join(parts)


def status_for(register: Register, obs_kpi: pl.DataFrame, kpi: Kpi, period: str | None, *,
               region: str = ALL, group: str = ALL) -> LevelStatus:
    """Status of ``kpi`` in ``period`` for a region and/or group (or statewide).

    Statewide: the agreed target. A region or group: its own target where targets.csv sets
    one; otherwise its own baseline (its value, on the KPI's status basis, at the
    statewide target's baseline period) and the statewide target value and date, and the
    words say so. The value is the KPI's status basis; ``change`` is against the same
    period a year earlier, ``change_since_baseline`` against the baseline (overlapping
    pooled windows are tested on the months that differ).
    """
    state = register.target_for(kpi.kpi_id)
    level = (region, group) != (ALL, ALL)
    own = register.target_for(kpi.kpi_id, region, group) if level else state
    scope = "own"
    target = own
    if level and (own is None or (own.agreed and missing_fields(own))):
        target, scope = state, "statewide"
    b_period = baseline_period(obs_kpi, target)
    basis = basis_value(kpi, obs_kpi, period, region, group)
    then = basis_value(kpi, obs_kpi, b_period, region, group) if b_period else None
    base_ci = (then.ci_low, then.ci_high) if then is not None else None
    if target is not None and scope == "statewide" and target.agreed:
        target = replace(target, region=region, group=group, interim=(),
                         baseline_value=then.value if then is not None else None)
    elif (target is not None and then is not None and then.value is not None
          and target.baseline_value is not None
          and not math.isclose(then.value, target.baseline_value, rel_tol=1e-4, abs_tol=1e-4)):
        base_ci = None  # the declared baseline is not the observed one: no interval for it
    year_ago = previous_year_label(period, fiscal_start=kpi.fiscal_start) if period else None
    prev = basis_value(kpi, obs_kpi, year_ago, region, group)
    single = kpi.grain == "month" and POOLED_MONTHS.get(kpi.status_basis) is None
    check = _met_check(kpi, obs_kpi, period, region, group) if single and period else None
    b_change = (_overlap_change(kpi, basis, then) if basis is not None and then is not None
                and basis.value is not None and then.value is not None else None)
    interim = (_interim_over(target, basis) if target is not None and basis is not None
               and basis.month_ends and target.agreed and not missing_fields(target) else None)
    b_name, t_words = "the baseline", "a pro-rated target"
    b_label = then.label if then else None
    if (kpi.status_basis == "same_month_last_year" and target is not None and target.agreed
            and not missing_fields(target) and basis is not None and basis.value is not None
            and prev is not None and prev.value is not None
            and target.target_date is not None and basis.period_end < target.target_date):
        # seasonal: the change since the same month a year earlier against a year of the
        # planned change (both months fall in the same season)
        i_now, i_then = interim_target(target, basis.period_end), interim_target(target, prev.period_end)
        if i_now is not None and i_then is not None:
            if b_change is None and then is not None and then.value is not None:
                b_change = classify_change(basis.value, then.value, direction=kpi.direction,
                                           current_ci=(basis.ci_low, basis.ci_high),
                                           previous_ci=base_ci,
                                           target_value=target.target_value)
            interim = prev.value + (i_now - i_then)
            target = replace(target, baseline_value=prev.value, interim=())
            base_ci, b_label = (prev.ci_low, prev.ci_high), prev.label
            b_name = "the same month a year earlier"
            t_words = ("a seasonal target (the same month a year earlier plus a year of the "
                       "planned change)")
    result = assess(
        target=target, period_label=basis.label if basis else None,
        period_end=basis.period_end if basis else None,
        value=basis.value if basis else None, ci_low=basis.ci_low if basis else None,
        ci_high=basis.ci_high if basis else None,
        reliable=basis.reliable if basis else None,
        direction=kpi.direction, at_risk_threshold=kpi.at_risk_threshold,
        fmt=kpi.format_value, unit_word=_unit_word(kpi),
        periods_per_year=PERIODS_PER_YEAR[kpi.grain],
        numerator=basis.numerator if basis else None,
        denominator=basis.denominator if basis else None,
        previous_value=prev.value if prev else None,
        previous_ci=(prev.ci_low, prev.ci_high) if prev else None,
        interim=interim, baseline_label=b_label,
        baseline_ci=base_ci, baseline_change=b_change,
        subject=_subject(register, region, group) if level else "", target_scope=scope,
        met_check=check, single_month=single, baseline_name=b_name, target_words=t_words)
    return LevelStatus(kpi.kpi_id, region, group, period, result,
                       result.baseline_value, b_period, scope, basis)


def equity_gap(kpi: Kpi, obs_kpi: pl.DataFrame, period: str | None, region: str = ALL
               ) -> tuple[str, str, str | None]:
    """(gap status, gap in words, worst-off group) for ``period`` against a year earlier."""
    if period is None or kpi.measure not in RATE_MEASURES or "group" not in kpi.disaggregations:
        return "not applicable", "No group breakdown for this measure.", None

    def table(p: str | None) -> pl.DataFrame:
        return obs_kpi.filter((pl.col("period") == p) & (pl.col("region") == region)
                              & (pl.col("group") != ALL))

    fav = kpi.higher_is_better
    now = table(period).filter(pl.col("numerator").is_not_null() & (pl.col("denominator") > 0))
    if now.height < 2:
        return "no data", "Too few groups to compare.", None
    d = equity.disparities(now, reference="best", favourable=fav)
    ref = d["reference_group"]
    diffs = {g: v for g, v in d["rate_difference"].items()
             if v is not None and g != ref and g != UNKNOWN}
    if not diffs or ref in (None, "total"):
        return "no data", "No reliable group to compare against.", None
    worst = max(diffs, key=lambda g: -diffs[g] if fav else diffs[g])
    gap = diffs[worst]
    m = kpi.multiplier
    flag = (" (unreliable rate: too few events)" if worst in d["unreliable_groups"] else "")
    text = (f"{label(worst)}{flag} {kpi.format_value((d['rates'][worst]) * m)} against "
            f"{label(ref)} {kpi.format_value(d['rates'][ref] * m)} (best reliable group)")
    if kpi.age_adjusted:  # disparities are measured on the groups' crude rates
        text += ", crude rates (not age-adjusted)"
    before = table(previous_year_label(period, fiscal_start=kpi.fiscal_start))
    if before.height < 2:
        return "no data", text + "; no figure a year earlier to compare.", worst
    usable = before.filter(pl.col("numerator").is_not_null() & (pl.col("denominator") > 0))
    if usable.height < 2:
        return "no data", text + "; no figure a year earlier to compare.", worst
    dp = equity.disparities(usable, reference=ref if ref in usable["group"].to_list() else "best",
                            favourable=fav)
    prev_gap = dp["rate_difference"].get(worst)
    status = gap_status(gap, tuple(d["rate_difference_ci"].get(worst) or (None, None)),
                        prev_gap, tuple(dp["rate_difference_ci"].get(worst) or (None, None)))
    return str(status), text, worst


def kpi_status(register: Register, obs_kpi: pl.DataFrame, kpi: Kpi, *, month: str | None,
               as_of: date, detail: bool = True,
               feed_through: dict[str, date] | None = None) -> KpiStatus:
    period = choose_period(obs_kpi, month)
    row = _row(obs_kpi, period)
    state = status_for(register, obs_kpi, kpi, period)
    overall = state.result
    prev = _row(obs_kpi, previous_year_label(period, fiscal_start=kpi.fiscal_start)
                if period else None)
    groups: dict[str, StatusResult] = {}
    regions: dict[str, StatusResult] = {}
    if detail and period:
        present = obs_kpi.filter(pl.col("period") == period)
        have_groups = set(present.filter(pl.col("region") == ALL).get_column("group").to_list())
        have_regions = set(present.filter(pl.col("group") == ALL).get_column("region").to_list())
        for g in GROUP_CODES:
            if g in have_groups and g != UNKNOWN:
                groups[g] = status_for(register, obs_kpi, kpi, period, group=g).result
        for rid in register.regions:
            if rid in have_regions:
                regions[rid] = status_for(register, obs_kpi, kpi, period, region=rid).result
    if kpi.equity_rule and groups:
        overall = apply_equity_rule(overall, {label(g): s for g, s in groups.items()})
    gstat, gtext, _worst = equity_gap(kpi, obs_kpi, period)
    state_rows = obs_kpi.filter(statewide())
    if row is not None:  # never show periods after the one reviewed
        state_rows = state_rows.filter(pl.col("period_end") <= row["period_end"])
    spark = state_rows.sort("period_end").get_column("value").tail(12).to_list()
    data_through = row["period_end"] if row else None
    through = (feed_through or {}).get(kpi.feed_id)
    if through is None and kpi.grain == "month":
        through = data_through
    stale = _is_stale(register, kpi, through, as_of) if (through or data_through is None) else False
    basis = state.basis
    pooled_basis = basis is not None and bool(basis.month_ends)
    target_text = (kpi.format_value(overall.interim_target) if overall.interim_target is not None
                   else "no agreed target")
    if pooled_basis and basis is not None and overall.interim_target is not None:
        target_text += (f" for the {basis.label} (the value over those months: "
                        f"{kpi.format_value(basis.value)})")
    return KpiStatus(
        kpi_id=kpi.kpi_id, name=kpi.name, priority_id=register.priority_of(kpi).priority_id,
        agency_id=kpi.agency_id, period=period,
        period_display=display_label(period) if period else "no data",
        status=overall.status, explanation=overall.explanation, pace=overall.pace,
        change=overall.change, value=row["value"] if row else None,
        value_text=kpi.format_value(row["value"]) if row else "no data",
        interim_target=overall.interim_target, target_text=target_text,
        reliable=row["reliable"] if row else None, data_through=data_through, stale=stale,
        gap_status=gstat, gap_text=gtext, previous_value=prev["value"] if prev else None,
        sparkline=tuple(spark), group_status=groups, region_status=regions,
        change_since_baseline=overall.change_since_baseline,
        baseline_value=overall.baseline_value, basis_label=basis.label if basis else None,
        basis_value=basis.value if basis else None, figures=overall.figures)


def next_expected(data_through: date, cadence: str, lag_days: int) -> date:
    """When the next batch is due: the end of the next period of the cadence, plus the lag."""
    months = CADENCES.get(cadence, 1)
    y, m = data_through.year, data_through.month + months
    y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
    return date(y, m, calendar.monthrange(y, m)[1]) + timedelta(days=lag_days)


def _is_stale(register: Register, kpi: Kpi, data_through: date | None, as_of: date) -> bool:
    """A KPI is stale when its feed's next batch is overdue (cadence plus lag)."""
    if data_through is None:
        return True
    feed = register.feeds[kpi.feed_id]
    return as_of > next_expected(data_through, feed.cadence, feed.lag_days)


def scorecard(register: Register, obs: pl.DataFrame, *, month: str | None, as_of: date,
              kpi_ids: list[str] | None = None, detail: bool = False,
              feed_through: dict[str, date] | None = None) -> list[KpiStatus]:
    """Every KPI's status for ``month``, sorted by priority then risk."""
    out = []
    parts = obs.partition_by("kpi_id", as_dict=True) if obs.height else {}
    empty = obs.clear()
    for kpi in register.kpis.values():
        if kpi_ids is not None and kpi.kpi_id not in kpi_ids:
            continue
        o = parts.get((kpi.kpi_id,), empty)
        out.append(kpi_status(register, o, kpi, month=month, as_of=as_of,
                              detail=detail or kpi.equity_rule, feed_through=feed_through))
    order = {p.priority_id: p.order for p in register.priorities.values()}
    return sorted(out, key=lambda s: (order.get(s.priority_id, 99), s.risk, s.name))


def latest_month(obs: pl.DataFrame) -> str | None:
    """The latest month for which any KPI has data (YYYY-MM)."""
    if obs.height == 0:
        return None
    d = obs.get_column("period_end").max()
    return d.strftime("%Y-%m") if isinstance(d, date) else None
