"""Agency page (AppTest on the demo state): KPIs, feed health, commitments."""

from __future__ import annotations

import statistics
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from metrics.access import operator
from tests.apptest import charts_shown, frames, open_view, use_workspace
from tests.conftest import ROOT

APP = str(ROOT / "dashboard" / "app.py")


def _open(**params: str) -> AppTest:
    """The agency page with its full KPI table opened, as a user does."""
    at = open_view("views/agency.py", **params)
    at.session_state["agency_kpis_open"] = True
    at.run()
    assert not at.exception, at.exception
    return at


def _table(at: AppTest, column: str) -> pd.DataFrame:
    found = [d.value for d in frames(at) if column in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in frames(at)]
    return found[0]


def test_agency_lists_its_kpis_and_shows_the_late_feed(app_env: Path) -> None:
    at = _open(id="hfa")
    assert [h.value for h in at.header] == ["Housing Finance Agency"]
    kpis = _table(at, "Rule")
    assert sorted(kpis["KPI id"]) == ["eviction_filings", "homelessness"]
    assert kpis.loc[kpis["KPI id"] == "eviction_filings", "Status"].item() == "No agreed target"
    feeds = _table(at, "Next expected").set_index("Feed id")
    assert sorted(feeds.index) == ["hfa_evictions", "hfa_homelessness"]
    assert "late" in feeds.loc["hfa_evictions", "Freshness"]
    assert feeds.loc["hfa_homelessness", "Freshness"] == "on time"
    assert pd.Timestamp(feeds.loc["hfa_evictions", "Data current through"]).date() == date(
        2026, 8, 31)
    assert pd.notna(feeds.loc["hfa_evictions", "Last batch"])
    assert any("Eviction court filings" in w.value for w in at.warning)


def test_quarantined_rows_are_counted(app_env: Path) -> None:
    from metrics.feedstate import quarantined
    from metrics.workspace import Workspace

    with Workspace.open(app_env).session() as s:
        held = quarantined(s)["doe_students"]
    assert held > 0
    feeds = _table(_open(id="doe"), "Rows quarantined").set_index("Feed id")
    assert feeds.loc["doe_students", "Rows quarantined"] == held
    assert (feeds.drop(index="doe_students")["Rows quarantined"] == 0).all()


def test_without_id_a_picker_and_unknown_id_an_error(app_env: Path) -> None:
    at = _open()  # opens on the agency of the riskiest KPI, never blank
    assert [h.value for h in at.header] == ["Department of Health"]
    assert charts_shown(at) or frames(at)
    at.selectbox(key="agency_choice").set_value("hfa").run()
    assert not at.exception
    assert [h.value for h in at.header] == ["Housing Finance Agency"]
    at = open_view("views/agency.py", id="nasa")  # as the address gives it
    assert any("nasa" in e.value for e in at.error)
    assert [h.value for h in at.header] == ["Department of Health"]  # and a page to read


def test_agency_commitments_are_listed(demo_copy: Path, monkeypatch: pytest.MonkeyPatch
                                       ) -> None:
    from metrics import commitments as cm
    from metrics.workspace import Workspace

    ws = Workspace.open(demo_copy)
    with ws.session() as s:
        stat = cm.create_session(s, held_on=date(2026, 10, 20), period="2026-09", acting=operator())
        cm.create_commitment(s, session_id=stat.id, text="Send the August eviction file",
                             owner="Tom Whitehorse", due_on=date(2026, 11, 1),
                             kpi_ids=["eviction_filings"], register=ws.register, acting=operator())
    use_workspace(monkeypatch, demo_copy)
    table = _table(_open(id="hfa"), "Commitment")
    assert table["Commitment"].tolist() == ["Send the August eviction file"]
    assert "overdue" in table["Overdue"].item()
    assert table["KPIs"].item() == ws.register.kpis["eviction_filings"].name  # a name, not an id


def test_warm_rerun_is_fast(app_env: Path) -> None:
    at = _open(id="hfa")
    times = []
    for _ in range(5):
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
    assert not at.exception
    assert statistics.median(times) < 0.3, times
