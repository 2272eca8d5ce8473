"""Equity findings in words that match the chart: the largest gap names unreliable groups
(labelled), summaries say which groups they cover and why μ may differ from the statewide
rate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from dashboard import figures_equity as fe
from metrics.equity import review as er
from metrics.groups import label


@pytest.fixture(scope="module")
def demo(demo_workspace: Path) -> dict[str, Any]:
    from metrics.engine import load_observations
    from metrics.workspace import Workspace

    ws = Workspace.open(demo_workspace)
    return {"reg": ws.register, "obs": load_observations(ws.engine)}


def test_largest_gap_includes_unreliable_groups_labelled(demo: dict[str, Any]) -> None:
    """A group with an unreliable rate is never skipped silently when it has the largest
    gap: it is named, and labelled as unreliable."""
    found = 0
    for kpi in er.rate_kpis(demo["reg"]):
        for region in demo["reg"].regions:
            try:
                d = er.kpi_disparities(demo["reg"], demo["obs"], kpi.kpi_id, region=region)
            except ValueError:
                continue
            fav = kpi.direction == "higher"
            every = er.worst_off(d, fav)
            reliable = er.worst_off(d, fav, reliable_only=True)
            assert set(reliable) <= set(every)
            if every and every[0] in d["unreliable_groups"]:
                found += 1
                text = fe.disparity_summary(d, kpi, every)
                assert f"largest gap is for {label(every[0])} (unreliable rate" in text
    assert found > 0  # the demo has small groups whose unreliable gap is the largest


def test_summary_says_which_groups_it_covers(demo: dict[str, Any]) -> None:
    kpi = demo["reg"].kpis["infant_mortality"]
    d = er.kpi_disparities(demo["reg"], demo["obs"], "infant_mortality")
    text = fe.coverage_sentence(d)
    assert f"cover {len(d['groups'])} groups" in text
    for g in d["groups"]:
        assert label(g) in text
    assert "leaves out Unknown / not reported" in text
    share = d["unknown_share"]
    assert f"({share:.1%} of the population counted)" in text
    # and μ is the events over the population of the compared groups only
    rows = demo["obs"].filter((pl.col("kpi_id") == kpi.kpi_id) & (pl.col("period") == d["period"])
                              & (pl.col("region") == "all")
                              & pl.col("group").is_in(d["groups"]))
    assert d["overall_rate"] == pytest.approx(rows["numerator"].sum() / rows["denominator"].sum())
