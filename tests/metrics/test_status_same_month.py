"""status_basis = same_month_last_year: a seasonal monthly KPI judged on its change since the
same month a year earlier against a year of the planned change, on a tiny workspace."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from metrics.definitions import validate
from metrics.engine import load_observations
from metrics.ingest import ingest
from metrics.scorecard import status_for
from metrics.targets import interim_target
from metrics.workspace import Workspace
from tests.workspace_factory import (
    AS_OF,
    agg_rows,
    base_tables,
    geojson,
    make_workspace,
    months,
    write_definitions,
    write_feed,
)

MONTHS = months("2024-01", 24)


def _share(t: int) -> float:
    """Rising 0.4 points a month, with a December 10 points lower than the rest."""
    return 0.5 + 0.004 * t - (0.10 if MONTHS[t].endswith("-12") else 0.0)


def _workspace(root: Path, basis: str) -> Workspace:
    t = base_tables()
    next(k for k in t["kpis"] if k["kpi_id"] == "share_a").update(status_basis=basis)
    t["targets"] = [dict(kpi_id="share_a", region="all", group="all", baseline_value=50,
                         baseline_period="2024-01", target_value=60, target_date="2026-06-30")]
    ws = make_workspace(root, t)
    rows = agg_rows(MONTHS, num=lambda t, i, j: round(1000 * _share(t)), den=lambda t, i, j: 1000)
    rep = ingest(ws, "agg", write_feed(root / "in" / "agg.csv", rows), received_on=AS_OF)
    assert rep.status == "applied" and rep.rows_rejected == 0, rep.summary()
    return ws


@pytest.fixture(scope="module")
def seasonal(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return _workspace(tmp_path_factory.mktemp("same_month") / "ws", "same_month_last_year")


def test_december_judged_against_the_december_before(seasonal: Workspace) -> None:
    reg = seasonal.register
    k = reg.kpis["share_a"]
    obs = load_observations(seasonal.engine, ["share_a"])
    st = status_for(reg, obs, k, "2025-12").result
    now, then = round(1000 * _share(23)) / 10, round(1000 * _share(11)) / 10
    target = reg.target_for("share_a")
    assert target is not None
    planned = (interim_target(target, date(2025, 12, 31))
               - interim_target(target, date(2024, 12, 31)))  # type: ignore[operator]
    assert st.current_value == pytest.approx(now)
    assert st.interim_target == pytest.approx(then + planned)
    assert st.baseline_value == pytest.approx(then)
    progress = (now - then) / planned
    assert progress >= 1.0 and st.status == "on track"
    assert st.explanation.startswith(
        f"On track: {k.format_value(now)} in Dec 2025 against a seasonal target (the same "
        f"month a year earlier plus a year of the planned change) of "
        f"{k.format_value(then + planned)}; {progress * 100:.0f}% of the planned change since "
        f"the same month a year earlier ({k.format_value(then)} in Dec 2024)")
    # the change since the agreed baseline (50.0% in Jan 2024) is still tested against the
    # baseline itself (against Dec 2024 it would read "improving")
    assert st.change_since_baseline == "little or no change"
    assert st.change == "improving"


def test_the_same_december_on_the_latest_month_is_off_track(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws", "latest")
    obs = load_observations(ws.engine, ["share_a"])
    st = status_for(ws.register, obs, ws.register.kpis["share_a"], "2025-12").result
    assert st.status == "off track" and "pro-rated target" in st.explanation


def test_same_month_basis_needs_a_monthly_kpi(tmp_path: Path) -> None:
    t = base_tables()
    next(k for k in t["kpis"] if k["kpi_id"] == "share_a").update(
        status_basis="same_month_last_year", grain="quarter")
    register, issues = validate(write_definitions(tmp_path / "d", t, geo=geojson()))
    assert register is None
    hit = [i for i in issues if i.column == "status_basis" and i.file == "kpis.csv"]
    assert hit and "monthly KPI" in hit[0].message


def test_obs_frame_has_the_year_earlier_month(seasonal: Workspace) -> None:
    obs = load_observations(seasonal.engine, ["share_a"])
    assert obs.filter((pl.col("period") == "2024-12") & (pl.col("region") == "all")
                      & (pl.col("group") == "all")).height == 1
