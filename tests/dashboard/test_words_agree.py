"""One status, one set of words: the stat-session scorecard, every KPI page and the briefing
packet say exactly what ``statdesk status --format json`` says for the demo (Oct 2026)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from dashboard import components as ui
from metrics import packet as pk
from metrics.cli import app
from metrics.engine import load_observations
from metrics.feedstate import feed_through
from metrics.scorecard import scorecard
from metrics.workspace import Workspace
from tests.apptest import APP, frames, open_view, shown_figures
from tests.conftest import AS_OF

MONTH = "2026-10"


@pytest.fixture(scope="module")
def cli_rows(demo_workspace: Path) -> dict[str, dict]:
    out = CliRunner().invoke(app, ["status", "--format", "json", "--as-of", AS_OF.isoformat(),
                                   "--period", MONTH, "--workspace", str(demo_workspace)],
                             catch_exceptions=False)
    assert out.exit_code == 0, out.stderr
    rows = {r["kpi_id"]: r for r in json.loads(out.stdout)}
    assert len(rows) == 20
    return rows


def test_session_scorecard_words_equal_the_json(app_env: Path, cli_rows: dict[str, dict]) -> None:
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    at.session_state["session_table_open"] = True  # the full table, as a user opens it
    at.run()
    assert not at.exception, at.exception
    found = [d.value for d in frames(at) if "Rule" in d.value.columns]
    card = pd.concat(found, ignore_index=True)
    assert sorted(card["KPI id"]) == sorted(cli_rows)
    for _, row in card.iterrows():
        want = cli_rows[row["KPI id"]]
        assert row["Status"] == want["status"].capitalize(), row["KPI id"]
        assert row["Rule"] == want["explanation"], row["KPI id"]
        if want["pace"]:
            assert row["Pace"] == want["pace"], row["KPI id"]
        else:  # no pace: a dash, never a stale sentence
            assert row["Pace"] in ("–", "", None), row["KPI id"]


@pytest.mark.parametrize("kpi_id", ["overdose_deaths", "chronic_absenteeism", "job_placements",
                                    "ui_median_days", "eviction_filings", "child_vaccination"])
def test_kpi_page_words_equal_the_json(app_env: Path, cli_rows: dict[str, dict],
                                       kpi_id: str) -> None:
    st.cache_data.clear()
    at = open_view("views/kpi.py", id=kpi_id, month=MONTH)
    texts = [m.value for m in at.markdown]
    row = cli_rows[kpi_id]
    assert ui.escape(row["explanation"]) in texts
    if row["pace"]:
        assert f"**Pace:** {ui.escape(row['pace'])}" in texts
    # the headline figures (ui.figures_row): each label with its figure
    assert shown_figures(at)["Change since a year earlier"] == row["change"]
    assert any("(app/static/methods.md)" in t for t in texts)  # how it is computed


def test_packet_carries_the_same_explanations(demo_workspace: Path,
                                              cli_rows: dict[str, dict]) -> None:
    ws = Workspace.open(demo_workspace)
    obs = load_observations(ws.engine)
    with ws.session() as s:
        through = feed_through(s, ws.register)
    statuses = scorecard(ws.register, obs, month=MONTH, as_of=AS_OF, feed_through=through)
    page = pk.build_packet_html(ws.register, obs, statuses, [], month=MONTH, as_of=AS_OF)
    for kid, row in cli_rows.items():
        start = page.index(f'<article class="kpi" id="kpi-{kid}"')
        block = page[start:page.index("</article>", start)]  # this KPI's part only
        assert f"Why this status: {html.escape(row['explanation'])}</p>" in block, kid


@pytest.mark.parametrize(("region", "group", "where"),
                         [("all", "all", "Statewide"), ("all", "hispanic", "Hispanic or Latino")])
def test_kpi_page_shows_the_crude_rate_beside_the_age_adjusted_one(
        app_env: Path, region: str, group: str, where: str) -> None:
    ws = Workspace.open(app_env)
    k = ws.register.kpis["overdose_deaths"]
    obs = load_observations(ws.engine, ["overdose_deaths"])
    row = obs.filter((obs["period"] == "R12-2026-10") & (obs["region"] == region)
                     & (obs["group"] == group)).row(0, named=True)
    crude = k.format_value(row["numerator"] / row["denominator"] * k.multiplier)
    if group != "all":  # statewide the demo's age structure is close to the standard
        assert crude != k.format_value(row["value"])  # the adjustment shows
    st.cache_data.clear()
    params = {"id": "overdose_deaths", "month": MONTH}
    if group != "all":
        params["group"] = group
    at = open_view("views/kpi.py", **params)
    captions = [c.value for c in at.caption]
    want = f"{where} crude rate (not age-adjusted): {crude}."
    assert any("Age-adjusted to the 2000 US standard population" in c and want in c
               for c in captions), captions
