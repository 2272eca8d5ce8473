"""The KPI page shows the same status words as ``statdesk status --format json``."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
import streamlit as st
from typer.testing import CliRunner

from dashboard import components as ui
from metrics.cli import app
from tests.apptest import open_view
from tests.conftest import AS_OF


@pytest.fixture(scope="module")
def cli_rows(demo_workspace: Path) -> dict[str, dict]:
    out = CliRunner().invoke(app, ["status", "--format", "json", "--as-of", AS_OF.isoformat(),
                                   "--workspace", str(demo_workspace)], catch_exceptions=False)
    assert out.exit_code == 0, out.stderr
    return {r["kpi_id"]: r for r in json.loads(out.stdout)}


@pytest.mark.parametrize("kpi_id", ["traffic_fatalities", "infant_mortality", "prenatal_care"])
def test_kpi_page_words_agree_with_the_json(app_env: Path, cli_rows: dict[str, dict],
                                            kpi_id: str) -> None:
    st.cache_data.clear()
    at = open_view("views/kpi.py", id=kpi_id)
    texts = [m.value for m in at.markdown]
    row = cli_rows[kpi_id]
    assert ui.escape(row["explanation"]) in texts
    if row["pace"]:
        assert f"**Pace:** {ui.escape(row['pace'])}" in texts
    # headline figures: a caption (the label) followed by the figure in large type
    captions = [c.value for c in at.caption]
    assert ui.escape("Change since a year earlier") in captions
    assert any(f">{html.escape(row['change'])}</p>" in t for t in texts)
    assert any("(app/static/methods.md)" in t for t in texts)
