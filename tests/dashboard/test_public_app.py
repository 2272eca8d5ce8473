"""The public site (AppTest): every page, unknown and private KPIs, files only."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import public_figures as pf
from metrics.access import operator
from metrics.publish import build_snapshot
from tests.apptest import INTERACTIVE, charts_shown, frames, svg_alts, svg_figures
from tests.conftest import AS_OF, ROOT
from tests.metrics.test_publish import demo_source

APP = str(ROOT / "dashboard" / "public_app.py")


@pytest.fixture(scope="module")
def snapshot_root(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("public")
    build_snapshot(demo_source(demo_workspace), out, as_of=AS_OF, published_by="staff", acting=operator())
    return out


@pytest.fixture()
def site(snapshot_root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv("STATDESK_SNAPSHOT", str(snapshot_root))
    monkeypatch.delenv("STATDESK_DATABASE_URL", raising=False)
    import streamlit as st

    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    yield at


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption",
                                  "warning", "info", "error") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def test_home_lists_public_outcomes_with_status_words(site: AppTest, snapshot_root: Path) -> None:
    assert not site.exception
    assert site.title[0].value == "Equity snapshot: the state's priority outcomes"
    assert [h.value for h in site.header] == ["Healthy people and families", "Economic opportunity",
                                              "Education from cradle to career", "Safe communities",
                                              "Housing and human services"]
    text = _texts(site)
    assert "Data current through Oct 2026" in text
    assert "Status: no agreed target." in text and "Status: off track." in text
    assert "Births with prenatal care in the first trimester" in text
    assert "maltreatment" not in text
    summaries = json.loads(next(snapshot_root.glob("*/summaries.json")).read_text())
    assert summaries["en"]["prenatal_care"]["text"] in text
    # the Spanish summary under the English one, marked as Spanish for screen readers
    resumen = (f'<h4 lang="es">Resumen</h4><p lang="es">'
               f'{html.escape(summaries["es"]["prenatal_care"]["text"])}</p>')
    markdown = [m.value for m in site.markdown]
    assert resumen in markdown
    assert sum(m.startswith('<h4 lang="es">Resumen</h4>') for m in markdown) == len(summaries["es"])


@pytest.mark.parametrize("kpi_id", ["prenatal_care", "infant_mortality", "job_placements",
                                    "ui_median_days", "ui_weekly_benefit", "graduation_rate"])
def test_outcome_page(site: AppTest, snapshot_root: Path, kpi_id: str) -> None:
    site.switch_page("public_views/outcome.py")
    site.query_params["kpi"] = kpi_id
    site.run()
    assert not site.exception
    assert [h.value for h in site.header] == ["Summary", "By race and ethnicity", "By region",
                                              "Over time", "Methodology", "Download the data"]
    summaries = json.loads(next(snapshot_root.glob("*/summaries.json")).read_text())
    english = [m.value for m in site.markdown].index(summaries["en"][kpi_id]["text"])
    assert site.markdown[english + 1].value == (
        f'<h2 lang="es">Resumen</h2><p lang="es">'
        f'{html.escape(summaries["es"][kpi_id]["text"])}</p>')
    # the charts come as pictures drawn on the server, each with its title as alt text
    assert len(svg_figures(site)) == 3 and not site.get("plotly_chart")
    alts = svg_alts(site)
    assert len(alts) == 3 and alts[2].endswith(", statewide, over time"), alts
    # a chart never stands alone: a table beside it and a text alternative under it
    tables = frames(site)
    assert len(tables) == 3
    captions = [c.value for c in site.markdown]
    assert any(c.startswith("Bar chart of") for c in captions)
    assert any(c.startswith("Map of") for c in captions)
    assert any(c.startswith("Line chart of") for c in captions)
    groups = tables[0].value
    hidden = groups[groups["Value"].str.startswith("suppressed")]
    # the demo's small groups are labelled, never blank; prenatal care's NHPI is too small
    # to publish most months, so it is shown together with AIAN, and the page says why
    assert (groups["Value"].str.len() > 0).all()
    assert all(v.startswith("suppressed") for v in hidden["Value"])
    if kpi_id == "prenatal_care":
        combined = ("American Indian or Alaska Native and Native Hawaiian or Pacific Islander "
                    "(combined)")
        assert combined in groups["Group"].to_list()
        assert any("are shown together in each period" in c.value for c in site.caption)
    assert (groups["Value"].str.len() > 0).all()
    labels = [d.label for d in site.get("download_button")]
    assert len(labels) == 4
    # asked for, the same charts are interactive (Plotly): the map is a choropleth on a
    # blank background (no tiles to fetch)
    site.session_state[INTERACTIVE] = True
    site.run()
    specs = [json.loads(c.proto.spec) for c in site.get("plotly_chart")]
    assert len(specs) == 3 and not svg_figures(site)
    assert specs[1]["data"][0]["type"] == "choroplethmap"
    assert specs[1]["layout"]["map"]["style"] == "white-bg"


def test_suppressed_groups_are_labelled_in_the_chart(site: AppTest) -> None:
    site.switch_page("public_views/outcome.py")
    site.query_params["kpi"] = "infant_mortality"
    site.session_state[INTERACTIVE] = True
    site.run()
    spec = json.loads(site.get("plotly_chart")[0].proto.spec)
    hidden = [t for t in spec["data"] if t.get("name") == "Not shown (privacy)"]
    assert hidden and all(x.startswith("suppressed") for x in hidden[0]["text"])


@pytest.mark.parametrize("kpi_id", ["repeat_maltreatment", "no_such_kpi", ""])
def test_unknown_or_private_kpi_shows_nothing_of_it(site: AppTest, kpi_id: str) -> None:
    site.switch_page("public_views/outcome.py")
    if kpi_id:
        site.query_params["kpi"] = kpi_id
    site.run()
    assert not site.exception
    assert site.title[0].value == "Outcome not published"
    assert not charts_shown(site) and not frames(site)
    text = _texts(site)
    assert "maltreatment" not in text.lower().replace(kpi_id, "")
    if kpi_id:
        assert "not published" in text


def test_about_page(site: AppTest) -> None:
    site.switch_page("public_views/about.py")
    site.run()
    assert not site.exception
    assert [h.value for h in site.header] == ["How privacy is protected", "Race and ethnicity",
                                              "How statuses are set", "Files and metadata"]
    text = _texts(site)
    assert "Counts from 1 to 10 are never published" in text
    assert "Statistical Policy Directive No. 15" in text
    assert len(site.get("download_button")) == 8


def test_no_snapshot_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STATDESK_SNAPSHOT", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "There is no published snapshot" in at.error[0].value


def test_public_app_loads_no_database_module(snapshot_root: Path) -> None:
    """Run every page in a fresh interpreter and list what it imported."""
    code = f"""
import sys, json
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({APP!r}, default_timeout=60).run()
for page, kpi in (("public_views/outcome.py", "prenatal_care"), ("public_views/about.py", None)):
    at.switch_page(page)
    if kpi: at.query_params["kpi"] = kpi
    at.run()
    assert not at.exception, at.exception
print(json.dumps(sorted(sys.modules)))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATDESK_")}
    env["STATDESK_SNAPSHOT"] = str(snapshot_root)
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    modules = json.loads(r.stdout.strip().splitlines()[-1])
    forbidden = [m for m in modules if m.split(".")[0] in ("sqlmodel", "sqlalchemy", "alembic", "psycopg")
                 or m in ("dashboard.state", "metrics.workspace", "metrics.engine", "dashboard.auth")
                 or m.startswith(("metrics.store", "metrics.publish", "metrics.ingest"))]
    assert forbidden == []
    assert "dashboard.public_views.data" in modules


def test_tables_label_every_hidden_value() -> None:
    kpi = {"name": "X", "unit": "%", "decimals": 1}
    rows = pl.DataFrame({"group": ["aian", "asian"], "value": [None, 50.0], "ci_low": [None, 40.0],
                         "ci_high": [None, 60.0], "reliable": [False, True],
                         "suppressed": [True, False],
                         "suppression_reason": ["suppressed: fewer than 11", None]})
    t = pf.breakdown_table(kpi, rows, "group", {"aian": "AIAN", "asian": "Asian"}, "Group")
    assert t.get_column("Value").to_list() == ["suppressed: fewer than 11", "50.0%"]
    assert t.get_column("95% confidence interval").to_list() == ["", "40.0% to 60.0%"]
    text = pf.describe_groups(kpi, rows, {"aian": "AIAN", "asian": "Asian"}, "Oct 2026")
    assert "Asian 50.0%" in text and "1 group figure(s) are not shown" in text


def test_spanish_summary_is_escaped_and_marked_as_spanish() -> None:
    assert pf.spanish_summary("") == ""
    assert pf.spanish_summary('La cifra <b>"x"</b> & más.', "h4") == (
        '<h4 lang="es">Resumen</h4><p lang="es">La cifra &lt;b&gt;&quot;x&quot;&lt;/b&gt; '
        '&amp; más.</p>')
