"""A KPI's periods from months: the period label(s) each month falls in, and how many months
(or feed periods) a complete period needs."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from metrics.definitions import Feed, Kpi
from metrics.periods import MONTHS_PER, parse_period, period_expr


def periods(fine: pl.DataFrame, kpi: Kpi) -> pl.DataFrame:
    """Map months to the KPI's periods (rolling windows: each month to 12 windows)."""
    if kpi.grain == "rolling12":
        fine = (fine.with_columns(pl.int_ranges(0, 12).alias("_k")).explode("_k")
                .with_columns(pl.col("_month").dt.offset_by(
                    pl.format("{}mo", pl.col("_k"))).alias("_end")))
        return fine.with_columns(period_expr(pl.col("_end"), "rolling12").alias("period")).drop("_k", "_end")
    return fine.with_columns(period_expr(pl.col("_month"), kpi.grain,
                                         fiscal_start=kpi.fiscal_start).alias("period"))


def expected_months(label: str, kpi: Kpi, feed: Feed) -> int:
    p = parse_period(label, fiscal_start=kpi.fiscal_start)
    months = (p.end.year - p.start.year) * 12 + p.end.month - p.start.month + 1
    per = MONTHS_PER[feed.period_grain] if feed.kind == "aggregate" else 1
    return max(1, months // per)


def month_periods(months: Sequence, kpi: Kpi) -> pl.DataFrame:
    """Small table month -> period label(s) of the KPI's grain (12 rows a month for rolling)."""
    m = pl.DataFrame({"_month": list(months)}, schema={"_month": pl.Date})
    return periods(m, kpi)
