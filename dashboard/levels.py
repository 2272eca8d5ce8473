"""The status of one slice of a KPI (statewide, a region, a group, or a region's group).

The one place the pages ask for a region's or a group's own status; every slice is judged
by ``metrics.scorecard.status_for`` (its own baseline, its own target where one is set).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from metrics import presentation as P
from metrics.definitions import Kpi, Register
from metrics.groups import ALL, label
from metrics.scorecard import KpiStatus, status_for
from metrics.status import StatusResult


@dataclass(frozen=True)
class Headline:
    where: str  # "Statewide", "Mesa", "Mesa, Black"
    status: str
    explanation: str
    pace: str
    change: str
    value_text: str
    target_text: str
    period_text: str
    small_numbers: str  # "" or a sentence saying the value rests on too few cases


def level_status(register: Register, obs_kpi: pl.DataFrame, kpi: Kpi, ks: KpiStatus,
                 region: str, group: str) -> StatusResult | None:
    """The region's or group's own status for the period reviewed (None: not assessed)."""
    if region == ALL and group == ALL:
        return None
    if group == ALL:
        return ks.region_status.get(region)
    if region == ALL:
        return ks.group_status.get(group)
    if ks.period is None:
        return None
    rows = obs_kpi.filter((pl.col("period") == ks.period) & (pl.col("region") == region)
                          & (pl.col("group") == group))
    if rows.height == 0:
        return None
    return status_for(register, obs_kpi, kpi, ks.period, region=region, group=group).result


def headline(register: Register, obs_kpi: pl.DataFrame, kpi: Kpi, ks: KpiStatus,
             region: str, group: str) -> Headline:
    """What the top of the KPI page says for the slice chosen."""
    where = register.region_name(region) if region != ALL else "Statewide"
    if group != ALL:
        where = (f"{where}, {label(group)}" if region != ALL else label(group))
    if region == ALL and group == ALL:
        return Headline(where, ks.status, ks.explanation, ks.pace, ks.change, ks.value_text,
                        ks.target_text, P.period_words(ks.period), "")
    row = obs_kpi.filter((pl.col("period") == ks.period) & (pl.col("region") == region)
                         & (pl.col("group") == group)) if ks.period else obs_kpi.clear()
    value = row.get_column("value")[0] if row.height else None
    reliable = row.get_column("reliable")[0] if row.height else None
    res = level_status(register, obs_kpi, kpi, ks, region, group)
    small = ""
    if row.height and (reliable is False or value is None):
        small = (f"The value for {where} rests on too few cases to be reliable; read it with "
                 "care." if value is not None else
                 f"The value for {where} is hidden: too few cases to show it safely.")
    if res is None:
        status = "no data" if value is None else "no agreed target"
        explanation = (f"No status is worked out for {where}: "
                       + ("there is no value for the period reviewed." if value is None else
                          "no target applies to this slice."))
        return Headline(where, status, explanation, "", "", kpi.format_value(value)
                        if value is not None else "no data", "no agreed target",
                        P.period_words(ks.period), small)
    target_text = (kpi.format_value(res.interim_target) if res.interim_target is not None
                   else "no agreed target")
    return Headline(where, res.status, res.explanation, res.pace, res.change,
                    kpi.format_value(value) if value is not None else "no data", target_text,
                    P.period_words(ks.period), small)
