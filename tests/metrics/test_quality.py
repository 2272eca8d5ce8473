"""Data-quality checks: jumps, unknown race and ethnicity, completeness, ratio, staleness."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from metrics.definitions import Register
from metrics.governance.quality import OK, PROBLEM, WARNING, feed_quality, jumps, kpi_quality
from metrics.groups import GROUP_CODES
from metrics.workspace import Workspace
from tests.conftest import AS_OF


def _months(n: int) -> list[date]:
    return [date(2024 + (i // 12), i % 12 + 1, 1) for i in range(n)]


def _series(values: list[float]) -> pl.DataFrame:
    months = _months(len(values))
    return pl.DataFrame({"period": [f"{m:%Y-%m}" for m in months], "period_start": months,
                         "value": values})


def test_planted_jump_is_flagged() -> None:
    rng = np.random.default_rng(1)
    values = list(50 + np.cumsum(rng.normal(0, 0.5, 36)))
    values[24] += 8.0  # a data error: one month far off the series' own path
    out = jumps(_series(values))
    flagged = out.filter("jump")["period"].to_list()
    assert "2026-01" in flagged  # the jump up into the bad month
    assert set(flagged) <= {"2026-01", "2026-02"}  # and, at most, the fall back from it


def test_smooth_series_has_no_jump() -> None:
    rng = np.random.default_rng(2)
    months = np.arange(36)
    values = list(40 + 0.2 * months + 2 * np.sin(months * np.pi / 6) + rng.normal(0, 0.3, 36))
    assert jumps(_series(values)).filter("jump").height == 0


def test_constant_changes_then_a_step() -> None:
    values = [float(i) for i in range(20)]  # changes all 1: MAD is 0
    assert jumps(_series(values)).filter("jump").height == 0
    values[15] += 5
    assert jumps(_series(values)).filter("jump").height >= 1


def test_jumps_by_series_are_independent() -> None:
    a = _series([10.0] * 12).with_columns(pl.lit("R01").alias("region"))
    b = _series([float(i) for i in range(12)]).with_columns(pl.lit("R02").alias("region"))
    out = jumps(pl.concat([a, b]), by=["region"])
    assert out.filter("jump").height == 0
    assert out.filter(pl.col("region") == "R02")["change"].drop_nulls().to_list() == [1.0] * 11


def _obs(register: Register, kpi_id: str, unknown_share: float, months: int = 12) -> pl.DataFrame:
    """Observations of one KPI: statewide by group; ``unknown`` holds ``unknown_share``."""
    rows = []
    others = [g for g in GROUP_CODES if g != "unknown"]
    for m in _months(months):
        total = 10_000.0
        for g in GROUP_CODES:
            den = total * unknown_share if g == "unknown" else total * (1 - unknown_share) / len(others)
            rows.append({"group": g, "denominator": den})
        rows.append({"group": "all", "denominator": total})
        for r in rows[-len(GROUP_CODES) - 1:]:
            r.update(period=f"{m:%Y-%m}", period_start=m, kpi_id=kpi_id, region="all",
                     numerator=r["denominator"] * 0.5, value=50.0, reliable=True)
    return pl.DataFrame(rows)


def test_unknown_share_flag_above_ten_percent(demo_workspace: Path) -> None:
    reg = Workspace.open(demo_workspace).register
    kpi = next(k for k in reg.kpis.values() if k.measure == "proportion")
    high = kpi_quality(reg, _obs(reg, kpi.kpi_id, 0.15), kpi.kpi_id)
    check = next(c for c in high.checks if c.check == "Unknown race and ethnicity")
    assert check.status == WARNING and "15.0% unknown" in check.finding
    low = kpi_quality(reg, _obs(reg, kpi.kpi_id, 0.05), kpi.kpi_id)
    check = next(c for c in low.checks if c.check == "Unknown race and ethnicity")
    assert check.status == OK and "5.0% unknown" in check.finding
    # incomplete: regions are absent from this synthetic frame
    comp = next(c for c in low.checks if c.check == "Completeness")
    assert comp.status == WARNING and "regions absent: R01" in comp.finding


def test_numerator_above_denominator(demo_workspace: Path) -> None:
    reg = Workspace.open(demo_workspace).register
    kpi = next(k for k in reg.kpis.values() if k.measure == "proportion")
    obs = _obs(reg, kpi.kpi_id, 0.05).with_columns(
        pl.when(pl.col("group") == "asian").then(pl.col("denominator") + 1)
        .otherwise(pl.col("numerator")).alias("numerator"))
    q = kpi_quality(reg, obs, kpi.kpi_id)
    check = next(c for c in q.checks if c.check == "Numerator above denominator")
    assert check.status == PROBLEM and check.detail is not None and check.detail.height == 12


def test_demo_kpi_quality(demo_workspace: Path) -> None:
    from metrics.engine import load_observations
    from metrics.feedstate import feed_through

    ws = Workspace.open(demo_workspace)
    obs = load_observations(ws.engine)
    with ws.session() as s:
        through = feed_through(s, ws.register)
    late = kpi_quality(ws.register, obs, "eviction_filings", as_of=AS_OF, feed_through=through)
    assert late.stale
    assert "Stale" in next(c.finding for c in late.checks if c.check == "Freshness")
    fresh = kpi_quality(ws.register, obs, "infant_mortality", as_of=AS_OF, feed_through=through)
    assert not fresh.stale
    comp = next(c for c in fresh.checks if c.check == "Completeness")
    assert comp.status == OK
    assert set(fresh.frame().columns) == {"check", "status", "finding"}


def test_demo_feed_quality(demo_workspace: Path) -> None:
    ws = Workspace.open(demo_workspace)
    with ws.session() as s:
        checks = {c.check: c for c in feed_quality(
            s, str(ws.feed_store), ws.register, "doe_students", as_of=AS_OF,
            quarantine={"feed.duplicate_key": 4})}
        late = {c.check: c for c in feed_quality(
            s, str(ws.feed_store), ws.register, "hfa_evictions", as_of=AS_OF)}
    assert checks["Duplicates"].status == WARNING and "4 duplicate rows" in checks["Duplicates"].finding
    assert checks["Completeness"].status == OK
    assert checks["Unknown race and ethnicity"].status == OK
    assert late["Freshness"].status == PROBLEM
