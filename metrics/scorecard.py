"""Status of every KPI for a month: the numbers a stat session runs on.

``scorecard(register, observations, month=..., as_of=...)`` gives, for every KPI,
the latest period of its grain that ends within the month reviewed, its status
against target with the rule in words, pace, change, the equity gap status, status
per group and per region, and "data current through".  Everything is computed from
stored observations; nothing reads the clock (``as_of`` is passed in).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from metrics import equity
from metrics.definitions import Kpi, Register
from metrics.definitions.models import CADENCES, RATE_MEASURES
from metrics.groups import ALL, GROUP_CODES, UNKNOWN, label, statewide
from metrics.groups import cell as _row
from metrics.periods import PERIODS_PER_YEAR, display_label, parse_period, previous_year_label
from metrics.status import RISK_ORDER, StatusResult, apply_equity_rule, assess, gap_status


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


def _assess(kpi: Kpi, register: Register, row: dict | None, prev: dict | None,
            region: str = ALL, group: str = ALL) -> StatusResult:
    target = (register.target_for(kpi.kpi_id, region, group)
              or register.target_for(kpi.kpi_id))
    return assess(
        target=target, period_label=display_label(row["period"]) if row else None,
        period_end=row["period_end"] if row else None,
        value=row["value"] if row else None, ci_low=row["ci_low"] if row else None,
        ci_high=row["ci_high"] if row else None, reliable=row["reliable"] if row else None,
        direction=kpi.direction, at_risk_threshold=kpi.at_risk_threshold,
        fmt=kpi.format_value, unit_word=_unit_word(kpi),
        periods_per_year=PERIODS_PER_YEAR[kpi.grain],
        numerator=row["numerator"] if row and kpi.measure in ("proportion", "count") else None,
        denominator=row["denominator"] if row and kpi.measure == "proportion" else None,
        previous_value=prev["value"] if prev else None,
        previous_ci=(prev["ci_low"], prev["ci_high"]) if prev else None)


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
             if v is not None and g != ref and g not in d["unreliable_groups"] and g != UNKNOWN}
    if not diffs or ref in (None, "total"):
        return "no data", "No reliable group to compare against.", None
    worst = max(diffs, key=lambda g: -diffs[g] if fav else diffs[g])
    gap = diffs[worst]
    m = kpi.multiplier
    text = (f"{label(worst)} {kpi.format_value((d['rates'][worst]) * m)} against "
            f"{label(ref)} {kpi.format_value(d['rates'][ref] * m)} (best reliable group)")
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
    prev_label = None
    if period and row is not None:
        earlier = obs_kpi.filter(statewide() & (pl.col("period_end") < row["period_end"]))
        prev_label = earlier.sort("period_end").get_column("period")[-1] if earlier.height else None
    prev = _row(obs_kpi, prev_label)
    overall = _assess(kpi, register, row, prev)
    groups: dict[str, StatusResult] = {}
    regions: dict[str, StatusResult] = {}
    if detail and period:
        for g in GROUP_CODES:
            gr = _row(obs_kpi, period, group=g)
            if gr is not None and g != UNKNOWN:
                groups[g] = _assess(kpi, register, gr, _row(obs_kpi, prev_label, group=g), group=g)
        for rid in register.regions:
            rr = _row(obs_kpi, period, region=rid)
            if rr is not None:
                regions[rid] = _assess(kpi, register, rr, _row(obs_kpi, prev_label, region=rid),
                                       region=rid)
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
    target_text = (kpi.format_value(overall.interim_target) if overall.interim_target is not None
                   else "no agreed target")
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
        sparkline=tuple(spark), group_status=groups, region_status=regions)


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
