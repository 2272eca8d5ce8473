"""The month's scorecard on the demo state: every status, explained; late feeds stale."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from metrics.engine import load_observations
from metrics.feedstate import feed_through, last_batches, quarantined
from metrics.scorecard import KpiStatus, latest_month, next_expected, scorecard
from metrics.status import RISK_ORDER
from metrics.workspace import Workspace
from tests.conftest import AS_OF


@pytest.fixture(scope="module")
def ws(demo_workspace: Path) -> Workspace:
    return Workspace.open(demo_workspace, database_url=f"sqlite:///{demo_workspace / 'statdesk.db'}")


@pytest.fixture(scope="module")
def obs(ws: Workspace) -> pl.DataFrame:
    return load_observations(ws.engine)


@pytest.fixture(scope="module")
def card(ws: Workspace, obs: pl.DataFrame) -> list[KpiStatus]:
    with ws.session() as s:
        through = feed_through(s, ws.register)
    return scorecard(ws.register, obs, month=latest_month(obs), as_of=AS_OF, feed_through=through)


def test_latest_month(obs: pl.DataFrame) -> None:
    assert latest_month(obs) == "2026-10"
    assert latest_month(obs.clear()) is None


def test_every_kpi_once(ws: Workspace, card: list[KpiStatus]) -> None:
    assert sorted(s.kpi_id for s in card) == sorted(ws.register.kpis)


def test_demo_has_every_kind_of_status(card: list[KpiStatus]) -> None:
    statuses = {s.status for s in card}
    assert {"off track", "at risk", "on track", "met", "no agreed target"} <= statuses


def test_every_status_is_explained(card: list[KpiStatus]) -> None:
    for s in card:
        text = s.explanation
        assert text, s.kpi_id
        assert text.lower().startswith(s.status), (s.kpi_id, text)
        if s.status == "met":
            assert text.startswith("Met:") and "final target" in text
        elif s.status == "no agreed target":
            assert text.startswith("No agreed target")
            assert s.target_text == "no agreed target"
        else:
            assert "rule" in text, (s.kpi_id, text)


def test_no_agreed_target_kpis(card: list[KpiStatus]) -> None:
    by = {s.kpi_id: s for s in card}
    assert by["ui_weekly_benefit"].status == "no agreed target"
    assert by["eviction_filings"].status == "no agreed target"


def test_late_feed_is_stale(card: list[KpiStatus]) -> None:
    by = {s.kpi_id: s for s in card}
    late = by["eviction_filings"]
    assert late.stale
    assert late.data_through == date(2026, 8, 31) and late.period == "2026-08"
    assert [s.kpi_id for s in card if s.stale] == ["eviction_filings"]


def test_sorted_by_priority_then_risk(ws: Workspace, card: list[KpiStatus]) -> None:
    order = {p.priority_id: p.order for p in ws.register.priorities.values()}
    keys = [(order[s.priority_id], RISK_ORDER[s.status]) for s in card]
    assert keys == sorted(keys)
    assert card[0].priority_id == "healthy"


def test_kpis_of_other_grains_use_their_latest_complete_period(card: list[KpiStatus]) -> None:
    by = {s.kpi_id: s for s in card}
    assert by["violent_crime"].period == "2026-Q3"
    assert by["graduation_rate"].period == "2025"
    assert by["kindergarten_readiness"].period == "FY2026"
    assert by["overdose_deaths"].period == "R12-2026-10"
    assert by["overdose_deaths"].period_display == "12 months to Oct 2026"


def test_values_match_statewide_observations(card: list[KpiStatus], obs: pl.DataFrame) -> None:
    for s in card:
        row = obs.filter((pl.col("kpi_id") == s.kpi_id) & (pl.col("period") == s.period)
                         & (pl.col("region") == "all") & (pl.col("group") == "all"))
        assert row.height == 1, s.kpi_id
        assert s.value == row["value"][0]
        assert s.value_text not in ("", "no data")


def test_earlier_month_reviewed(ws: Workspace, obs: pl.DataFrame) -> None:
    card = scorecard(ws.register, obs, month="2025-06", as_of=date(2025, 7, 25))
    by = {s.kpi_id: s for s in card}
    assert by["prenatal_care"].period == "2025-06"
    assert by["violent_crime"].period == "2025-Q2"
    assert all(s.period_display != "no data" for s in card if s.kpi_id != "graduation_rate")


def test_detail_gives_group_and_region_status(ws: Workspace, obs: pl.DataFrame) -> None:
    card = scorecard(ws.register, obs, month="2026-10", as_of=AS_OF, kpi_ids=["prenatal_care"],
                     detail=True)
    (s,) = card
    assert set(s.region_status) == set(ws.register.regions)
    assert "white" in s.group_status and "unknown" not in s.group_status
    small = s.region_status["R07"]  # the smallest region has too few cases in a month
    assert small.status in ("too few cases", "on track", "at risk", "off track", "met")


def test_next_expected() -> None:
    assert next_expected(date(2026, 8, 31), "monthly", 30) == date(2026, 10, 30)
    assert next_expected(date(2026, 9, 30), "quarterly", 45) == date(2027, 2, 14)
    assert next_expected(date(2025, 12, 31), "annual", 200) == date(2027, 7, 19)


def test_feed_state(ws: Workspace) -> None:
    with ws.session() as s:
        through = feed_through(s, ws.register)
        batches = last_batches(s)
        held = quarantined(s)
    assert through["hfa_evictions"] == date(2026, 8, 31)
    assert through["hfa_homelessness"] == date(2026, 9, 30)  # quarterly feed: quarter end
    assert through["doe_graduation"] == date(2025, 12, 31)  # annual feed: year end
    assert set(batches) == set(ws.register.feeds)
    assert held == {"doe_students": 10}  # 7 bad rows, and two pairs of duplicates


def test_equity_gap_ignores_groups_without_a_usable_rate() -> None:
    """Suppressed (null) numerators in either year are left out, never a crash."""
    from datetime import date as _date

    import polars as pl

    from metrics.definitions.models import Kpi
    from metrics.scorecard import equity_gap

    kpi = Kpi(kpi_id="k", name="k", goal_id="g", agency_id="a", measure="proportion", unit="%",
              direction="higher", grain="year", feed_id="f", multiplier=100)

    def rows(period: str, nums: dict[str, float | None]) -> list[dict]:
        return [{"kpi_id": "k", "period": period, "period_start": _date(int(period), 1, 1),
                 "period_end": _date(int(period), 12, 31), "region": "all", "group": g,
                 "numerator": n, "denominator": 1000.0, "value": None if n is None else n / 10,
                 "ci_low": None, "ci_high": None, "events": n, "rse": None, "reliable": True}
                for g, n in nums.items()]

    obs = pl.DataFrame(rows("2025", {"asian": 800.0, "black": 600.0, "white": 700.0})
                       + rows("2024", {"asian": None, "black": 550.0, "white": 690.0}))
    status, text, worst = equity_gap(kpi, obs, "2025")
    assert worst == "black"
    assert status in ("widening", "narrowing", "stable")
    assert "Asian" in text
