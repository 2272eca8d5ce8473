"""KPI detail page (AppTest on the demo state): deep links, charts, tables, bad links."""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import time
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from metrics.access import operator
from tests.apptest import charts_shown, frames, open_view
from tests.conftest import AS_OF, ROOT

APP = str(ROOT / "dashboard" / "app.py")


def _open(**params: str) -> AppTest:
    """The KPI page with interactive charts (their Plotly figures are read by the tests)."""
    return open_view("views/kpi.py", interactive=True, **params)


def _specs(at: AppTest) -> dict[str, dict]:
    """Plotly figures by title."""
    out = {}
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        out[spec["layout"]["title"]["text"]] = spec
    return out


def _tables(at: AppTest) -> list:
    return [d.value for d in frames(at)]


def _by_prefix(specs: dict[str, dict], prefix: str) -> dict:
    found = [s for t, s in specs.items() if t.startswith(prefix)]
    assert len(found) == 1, list(specs)
    return found[0]


def _use(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    monkeypatch.setenv("STATDESK_WORKSPACE", str(root))
    monkeypatch.setenv("STATDESK_AS_OF", AS_OF.isoformat())
    st.cache_data.clear()
    st.cache_resource.clear()


def app_reg():  # type: ignore[no-untyped-def]
    from metrics.workspace import Workspace

    return Workspace.open(Path(os.environ["STATDESK_WORKSPACE"])).register


def test_deep_link_shows_trend_region_group_charts_and_tables(app_env: Path) -> None:
    at = _open(id="prenatal_care")
    assert at.title[0].value == "Births with prenatal care in the first trimester"
    specs = _specs(at)
    assert len(specs) == 5
    trend = _by_prefix(specs, "Statewide: value against the target trajectory")
    assert trend["layout"]["title"]["subtitle"]["text"] == at.title[0].value
    names = [t.get("name") for t in trend["data"]]
    assert {"Statewide value", "95% confidence interval", "Target trajectory", "Baseline",
            "Final target"} <= set(names)
    traj = trend["data"][names.index("Target trajectory")]
    assert traj["line"]["dash"] == "dash"
    from metrics.targets import interim_target
    from metrics.workspace import Workspace

    target = Workspace.open(app_env).register.target_for("prenatal_care")
    assert target is not None and target.baseline_date is not None
    assert traj["y"][0] == pytest.approx(target.baseline_value)
    assert traj["y"][-1] == pytest.approx(target.target_value)
    assert interim_target(target, target.baseline_date) == pytest.approx(target.baseline_value)
    assert len(trend["data"][names.index("Statewide value")]["x"]) == 36

    cmap = _by_prefix(specs, "By region")
    filled = [t for t in cmap["data"] if t.get("fill") == "toself"]
    assert len(filled) == 10  # every region drawn, offline, with its name written on it
    assert sorted(a["text"] for a in cmap["layout"]["annotations"]) == sorted(
        r.name for r in app_reg().regions.values())
    bars = _by_prefix(specs, "Regions ranked")
    assert bars["data"][0]["type"] == "bar" and len(bars["data"][0]["y"]) == 10
    assert bars["data"][0]["y"][-1] == "Mesa"  # best region on top
    assert any("met" in t for t in bars["data"][0]["text"])  # status words on the bars
    dots = _by_prefix(specs, "By race and ethnicity")
    ref = [t for t in dots["data"] if t["name"].startswith("Reference")]
    assert ref and ref[0]["y"] == ["Asian"] and ref[0]["marker"]["symbol"] == "star"
    heat = _by_prefix(specs, "Region by race and ethnicity")
    assert heat["data"][0]["type"] == "heatmap" and len(heat["data"][0]["y"]) == 10

    tables = _tables(at)
    trend_t = next(t for t in tables if "Target trajectory" in t.columns)
    assert len(trend_t) == 36 and trend_t["Period"].iloc[-1] == "Oct 2026"
    region_t = next(t for t in tables if "Rank" in t.columns)
    assert len(region_t) == 10 and region_t["Region"].iloc[0] == "Mesa"
    group_t = next(t for t in tables if "Reference" in t.columns)
    assert group_t.loc[group_t["Group"] == "Asian", "Reference"].item() == "best reliable group"
    assert any("Breakdown" in t.columns for t in tables)
    # one-sentence descriptions under the charts, generated from the numbers
    captions = " ".join(c.value for c in at.caption)
    assert "rose from 78.1% in Nov 2023 to 79.8% in Oct 2026" in captions
    assert "92.2% in Mesa (best)" in captions
    # status chip, governance and provenance
    markdown = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "Chief of Staff" in markdown and "Dr. Amara Osei" in markdown
    assert "Data-sharing agreement: Department of Health" in markdown
    assert "green-badge[:material/check_circle: On track]" in markdown  # icon, word, colour


def test_unknown_kpi_says_so_and_links_back(app_env: Path) -> None:
    at = _open(id="no_such_kpi")
    assert any("no_such_kpi" in e.value.replace("\\", "") for e in at.error)
    assert not charts_shown(at)
    assert "Back to the stat session" in [el.proto.label for el in at.get("page_link")]


def test_missing_id_and_bad_filters_give_clear_errors(app_env: Path) -> None:
    at = _open()  # no id: the picker opens on the riskiest KPI, never on an error
    assert not at.error
    first = at.selectbox(key="kpi_pick")
    assert first.value == "overdose_deaths"  # first of the scorecard's risk order
    assert at.title[0].value == "Drug overdose death rate"
    assert charts_shown(at)
    first.set_value("prenatal_care").run()
    assert at.title[0].value == "Births with prenatal care in the first trimester"
    assert at.query_params["id"] in ("prenatal_care", ["prenatal_care"])
    for name, value in (("month", "2040-01"), ("region", "R99"), ("group", "martian")):
        at = _open(id="prenatal_care", **{name: value})
        assert any(f"'{value}'" in e.value.replace("\\", "") for e in at.error), name
        assert not charts_shown(at)


def test_region_and_group_filters_change_the_view(app_env: Path) -> None:
    at = _open(id="prenatal_care", region="R06", group="black", month="2025-06")
    specs = _specs(at)
    trend = _by_prefix(specs, "Lakeshore, Black or African American: value")
    series = next(t for t in trend["data"] if t["name"].endswith("value"))
    assert series["x"][-1].startswith("2025-06-30")
    tables = _tables(at)
    region_t = next(t for t in tables if "Rank" in t.columns)
    assert "Status" not in region_t.columns  # statuses are statewide-group only
    assert at.selectbox(key="kpi_region").value == "R06"


def test_unreliable_points_are_hollow_and_labelled(app_env: Path) -> None:
    at = _open(id="prenatal_care", region="R07", group="nhpi")
    trend = next(s for t, s in _specs(at).items() if "target trajectory" in t)
    weak = [t for t in trend["data"] if t["name"].startswith("Too few cases")]
    assert weak and weak[0]["marker"]["symbol"] == "circle-open"
    assert set(weak[0]["text"]) == {"too few"}


def test_kpi_without_agreed_target_has_no_trajectory(app_env: Path) -> None:
    at = _open(id="ui_weekly_benefit")
    trend = next(s for t, s in _specs(at).items() if "target trajectory" in t)
    assert "Target trajectory" not in [t.get("name") for t in trend["data"]]
    assert "no agreed target" in " ".join(c.value for c in at.caption)


def test_annotations_appear_on_the_trend(demo_copy: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    from metrics.annotations import add_annotation
    from metrics.workspace import Workspace

    ws = Workspace.open(demo_copy)
    with ws.session() as s:
        add_annotation(s, kpi_id="prenatal_care", on_date=date(2025, 3, 1), kind="policy",
                       text="Medicaid postpartum extension", register=ws.register, acting=operator())
    _use(monkeypatch, demo_copy)
    at = _open(id="prenatal_care")
    trend = next(s for t, s in _specs(at).items() if "target trajectory" in t)
    notes = [a for a in trend["layout"].get("annotations", []) if a.get("hovertext")]
    assert any(a["hovertext"] == "policy: Medicaid postpartum extension" for a in notes)
    assert all(len(a["text"]) <= 32 for a in notes)  # short labels that do not collide
    # and every annotation in full, in words, under the chart
    assert any("1 Mar 2025, policy: Medicaid postpartum extension" in c.value
               for c in at.caption)


def test_kpi_with_no_data_says_so(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with sqlite3.connect(demo_copy / "statdesk.db") as con:
        con.execute("DELETE FROM observation WHERE kpi_id = 'graduation_rate'")
    _use(monkeypatch, demo_copy)
    at = _open(id="graduation_rate")
    assert any("no data for this KPI yet" in i.value for i in at.info)
    assert not charts_shown(at)


def test_warm_rerun_is_fast(app_env: Path) -> None:
    at = _open(id="prenatal_care")
    times = []
    for _ in range(5):
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
    assert not at.exception
    assert statistics.median(times) < 0.3, times


def test_kpi_page_shows_data_quality_checks(app_env: Path) -> None:
    at = _open(id="eviction_filings")
    headers = [h.value for h in at.header]
    assert "Data quality" in headers
    # the evictions feed is late: the freshness check says so
    assert any("Freshness" in w.value for w in at.warning)


def test_a_kpi_the_viewer_may_not_see_shows_nothing_of_it(
        demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from metrics.users import add_user
    from metrics.workspace import Workspace

    _use(monkeypatch, demo_copy)
    ws = Workspace.open(demo_copy)
    with ws.session() as s:
        add_user(s, "lead@health.lakeland.gov", "agency_lead", agency_id="doh", acting=operator())
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                          "cookie_secret": "x" * 32, "client_id": "statdesk-test",
                          "client_secret": "any",
                          "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration"}
    at.user = {"is_logged_in": True, "email": "lead@health.lakeland.gov"}  # type: ignore[attr-defined]
    at.run()
    at.query_params["id"] = "repeat_maltreatment"  # an internal Human Services KPI
    at.switch_page("views/kpi.py").run()
    assert not at.exception
    assert any("do not have access" in e.value for e in at.error)
    assert not charts_shown(at)
    assert "Children with a repeat maltreatment" not in " ".join(t.value for t in at.title)
    # their own agency's KPI opens
    at.query_params["id"] = "prenatal_care"
    at.switch_page("views/kpi.py").run()
    assert not at.exception and charts_shown(at)


def test_staff_change_a_target_on_the_kpi_page_and_a_stale_form_is_refused(copy_env: Path) -> None:
    from datetime import UTC, datetime

    from metrics.target_edits import current_version, save_target
    from metrics.workspace import Workspace

    at = _open(id="snap_timeliness")
    form = "snap_timeliness"
    assert "Change the target" in [e.label for e in at.expander]
    assert not at.number_input  # the form is drawn when opened
    at.session_state[f"tf_open_{form}"] = True
    at.run()
    at.number_input(key=f"tf_tv_{form}").set_value(97.5)
    at.text_input(key=f"tf_sb_{form}").set_value("Results office")
    at.text_input(key=f"tf_ab_{form}").set_value("Chief of Staff")
    at.button(key=f"FormSubmitter:target_form_{form}-Save target").click().run()
    assert not at.exception and not at.error
    ws = Workspace.open(copy_env)
    with ws.session() as s:
        assert current_version(s, "snap_timeliness") == 1
    assert ws.register.target_for("snap_timeliness").target_value == 97.5
    assert any("97.5%" in m.value for m in at.markdown)
    # someone else saves from another screen; this form still holds version 1
    with ws.session() as s:
        save_target(s, ws.definitions_register, "snap_timeliness",
                    {"baseline_value": 88.0, "baseline_period": "2024-10", "target_value": 93.0,
                     "target_date": ws.register.target_for("snap_timeliness").target_date,
                     "set_by": "Another analyst"},
                    expected_version=1, by="another analyst", at=datetime.now(UTC), acting=operator())
    at.number_input(key=f"tf_tv_{form}").set_value(99.0)
    at.button(key=f"FormSubmitter:target_form_{form}-Save target").click().run()
    assert any("was changed by another analyst" in e.value for e in at.error)
    assert Workspace.open(copy_env).register.target_for("snap_timeliness").target_value == 93.0


def test_region_choice_changes_headline_status_and_numbers(app_env: Path) -> None:
    from metrics.engine import load_observations
    from metrics.scorecard import kpi_status
    from metrics.workspace import Workspace

    ws = Workspace.open(app_env)
    obs = load_observations(ws.engine)
    obs = obs.filter(obs["kpi_id"] == "prenatal_care")
    ks = kpi_status(ws.register, obs, ws.register.kpis["prenatal_care"], month="2026-10",
                    as_of=AS_OF, detail=True)
    kpi = ws.register.kpis["prenatal_care"]
    for region in ("R01", "R06"):
        own = ks.region_status[region]
        at = _open(id="prenatal_care", region=region)
        markdown = " ".join(m.value for m in at.markdown).replace("\\", "")
        name = ws.register.region_name(region)
        assert ":material/" in markdown
        assert f"{own.status.capitalize()}]" in markdown  # the region's own status chip
        assert own.explanation in markdown  # and its own reason
        assert any(f"{name} value" in c.value for c in at.caption)
        assert kpi.format_value(own.current_value) in markdown
        assert own.explanation != ks.explanation and ks.explanation not in markdown


def test_a_data_steward_gets_a_way_back_they_may_open(copy_env: Path) -> None:
    """Stewards may not open the stat session: their back link leads to data health."""
    from metrics.users import add_user
    from metrics.workspace import Workspace

    steward = "data.steward@results.lakeland.gov"
    ws = Workspace.open(copy_env)
    with ws.session() as s:
        add_user(s, steward, "data_steward", acting=operator())
    ws.engine.dispose()
    for view, params in (("views/kpi.py", {"id": "prenatal_care"}),
                         ("views/agency.py", {"id": "doh"})):
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
        at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                              "cookie_secret": "x" * 32, "client_id": "statdesk-test",
                              "client_secret": "any", "server_metadata_url":
                              "http://127.0.0.1:9/.well-known/openid-configuration"}
        at.user = {"is_logged_in": True, "email": steward}  # type: ignore[attr-defined]
        at.run()
        for k, v in params.items():
            at.query_params[k] = v
        at.switch_page(view).run()
        assert not at.exception, [e.value for e in at.exception]
        links = [(el.proto.label, el.proto.page) for el in at.get("page_link")]
        assert ("Back to data health", "data-health") in [
            (lb, pg.rsplit("/", 1)[-1]) for lb, pg in links], links
        assert not any(lb == "Back to the stat session" for lb, _ in links)


def test_repeating_tables_are_drawn_when_opened(app_env: Path) -> None:
    at = _open(id="prenatal_care")
    labels = [e.label for e in at.expander]
    assert "Show the table: region by race and ethnicity" in labels
    assert "Show every data-quality check" in labels
    shut = len(frames(at))
    verdicts = [e.value for e in (*at.success, *at.warning)]  # the checks' verdict, in words
    assert any("Every data-quality check passed" in v or "Checks that need a look" in v
               for v in verdicts)
    at.session_state["open_kpi_cross_table"] = True
    at.session_state["open_kpi_quality_table"] = True
    at.run()
    assert not at.exception
    assert len(frames(at)) == shut + 2
    assert "Download data-quality checks (CSV)" in [b.label for b in at.get("download_button")]


def test_charts_are_drawn_on_the_server_unless_asked_to_be_interactive(app_env: Path) -> None:
    """By default the same figures come as inline SVG pictures (no JavaScript to load), each
    named by its title and described; the switch brings the interactive charts back."""
    import html as html_lib
    import re

    from tests.apptest import svg_alts, svg_figures

    interactive = _specs(_open(id="prenatal_care"))
    at = open_view("views/kpi.py", id="prenatal_care")
    assert not at.get("plotly_chart")
    pictures = svg_figures(at)
    assert len(pictures) == len(interactive) == 5
    titles = [html_lib.unescape(re.search(r"<title[^>]*>([^<]*)</title>", p).group(1))
              for p in pictures]
    # the picture's name is the figure's title (with its subtitle in brackets)
    plain = sorted(re.sub(r"<[^>]+>", "", t) for t in interactive)
    assert sorted(t.split(" (")[0] if t.split(" (")[0] in plain else t for t in titles) == plain
    for p in pictures:
        assert 'role="img"' in p and "<desc" in p and "<script" not in p
    assert sorted(svg_alts(at)) == sorted(titles)  # the image's text alternative
    # the switch is a link to the same view with ?charts=on (shown as words, not a widget)
    [switch] = [p for p in at.get("page_link") if "interactive" in p.proto.label]
    assert {"id=prenatal_care", "charts=on"} <= set(switch.proto.query_string.split("&"))
    at.query_params["charts"] = "on"
    at.run()
    assert len(at.get("plotly_chart")) == 5 and not svg_figures(at)
    [back] = [p for p in at.get("page_link") if "pictures" in p.proto.label]
    assert "charts=off" in back.proto.query_string
    at.query_params.pop("charts")
    at.run()  # the choice stays for the session
    assert len(at.get("plotly_chart")) == 5
