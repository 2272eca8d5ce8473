"""Median KPIs carry a distribution-free interval, recomputed here from the raw records."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from metrics.engine import load_observations
from metrics.intervals import median_interval, median_reliable
from metrics.workspace import Workspace


def test_median_kpi_interval_from_the_records(demo_workspace: Path) -> None:
    files = sorted((demo_workspace / "inbox").glob("dlw_ui_claims_*.parquet"))
    if not files:
        pytest.skip("the demo workspace keeps no claims files in its inbox")
    records = pl.concat([pl.read_parquet(p) for p in files], how="diagonal_relaxed").filter(
        pl.col("paid") & pl.col("filed_date").is_between(date(2026, 10, 1), date(2026, 10, 31)))
    obs = load_observations(Workspace.open(demo_workspace).engine, ["ui_median_days"]).filter(
        pl.col("period") == "2026-10")
    checked = 0
    for region, group in (("all", "all"), ("R01", "all"), ("all", "black"), ("R02", "aian")):
        rows = records
        if region != "all":
            rows = rows.filter(pl.col("region") == region)
        if group != "all":
            rows = rows.filter(pl.col("race_ethnicity") == group)
        days = rows.get_column("days_to_payment").drop_nulls()
        o = obs.filter((pl.col("region") == region) & (pl.col("group") == group))
        if o.height == 0 or days.len() != o["denominator"][0]:
            continue  # coded differently in the feed: not comparable here
        lo, hi = median_interval(days.to_list())
        assert o["value"][0] == days.median()
        if math.isnan(lo):
            assert o["ci_low"][0] is None and o["ci_high"][0] is None
        else:
            assert (o["ci_low"][0], o["ci_high"][0]) == (lo, hi)
        assert o["reliable"][0] == bool(median_reliable(days.len(), lo, hi, days.median()))
        checked += 1
    assert checked >= 2
    everywhere = load_observations(Workspace.open(demo_workspace).engine, ["ui_median_days"])
    both = everywhere.filter(pl.col("ci_low").is_not_null())
    assert both.filter((pl.col("ci_low") > pl.col("value"))
                       | (pl.col("ci_high") < pl.col("value"))).height == 0
