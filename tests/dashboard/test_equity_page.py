"""The equity review page (AppTest) and its figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import INTERACTIVE, frames
from tests.conftest import ROOT

SECTIONS = ["Disparity measures", "What it would take", "By region and group",
            "Each group over time", "Race or ethnicity not reported",
            "Between regions and within regions"]


def _page(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    at.run()
    at.session_state[INTERACTIVE] = True  # the figures are read by the tests
    at.switch_page("views/equity.py")
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in (*at.info, *at.warning, *at.error)]
    return "\n".join(str(p) for p in parts)


def _charts(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _open_every_section(at: AppTest) -> None:
    """Open the expanders of the sections whose chart is drawn on demand, as a user would."""
    for key in ("trends", "unknown", "theil"):
        at.session_state[f"open_{key}"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_lower_sections_show_their_words_and_draw_their_charts_on_demand(
        app_env: Path) -> None:
    at = _page({"kpi": "prenatal_care"})
    assert [s.value for s in at.subheader] == SECTIONS  # every section is there, in words
    titles = [c["layout"]["title"]["text"] for c in _charts(at)]
    assert len(titles) == 3 and not any("statewide trend" in t for t in titles)
    labels = [e.label for e in at.expander]
    assert "Show the chart and table: each group over time" in labels
    assert "Show the chart and table: between regions and within regions" in labels
    text = _text(at)
    assert "have race or ethnicity unknown or not reported" in text  # the summary, unopened
    assert "between regions" in text


def test_page_renders_every_section(app_env: Path) -> None:
    at = _page({"kpi": "prenatal_care"})
    assert [h.value for h in at.header] == ["Which gaps widened or narrowed",
                                            "Births with prenatal care in the first trimester"]
    assert [s.value for s in at.subheader] == SECTIONS
    _open_every_section(at)
    charts = _charts(at)
    assert len(charts) == 6
    assert len(frames(at)) >= 7  # a table beside every chart, plus the summary measures
    text = _text(at)
    assert "Reference: Asian." in text
    assert "single multiracial group" in text  # the multiracial approach is stated
    assert "gaps widened" in text and "narrowed" in text
    assert "more births a month in American Indian or Alaska Native" in text
    assert "between regions" in text
    # The heatmap labels small cells in the cell text, never a blank cell.
    heat = next(c for c in charts if c["data"][0]["type"] == "heatmap")
    cells = [t for trace in heat["data"] for row in trace["text"] for t in row]
    assert any("fewer than" in t for t in cells)
    for shown, hidden in zip(heat["data"][0]["text"], heat["data"][1]["text"], strict=True):
        assert all(a or b for a, b in zip(shown, hidden, strict=True))
    # Small multiples: one panel per compared group.
    trends = next(c for c in charts if "statewide trend" in c["layout"]["title"]["text"])
    titles = [a["text"] for a in trends["layout"]["annotations"]]
    assert "Native Hawaiian or Pacific Islander" in titles and len(titles) == 8


def test_reference_selector_changes_the_reference(app_env: Path) -> None:
    at = _page({"kpi": "prenatal_care"})
    ref = at.selectbox(key="eq_reference")
    assert ref.value == "best"
    assert "nhpi" not in ref.options and "Native Hawaiian or Pacific Islander" not in ref.options
    ref.select("white").run()
    assert not at.exception
    assert at.query_params["reference"] == ["white"] or at.query_params["reference"] == "white"
    assert "Reference: White." in _text(at)
    disp = next(c for c in _charts(at) if "compared with" in c["layout"]["title"]["text"])
    assert disp["layout"]["title"]["text"].endswith("compared with White")
    assert "White (reference)" in disp["data"][0]["y"]
    at.selectbox(key="eq_reference").select("total").run()
    assert "Reference: all groups combined." in _text(at)


def test_reference_from_the_url(app_env: Path) -> None:
    at = _page({"kpi": "infant_mortality", "reference": "total", "region": "R01"})
    assert at.selectbox(key="eq_reference").value == "total"
    assert at.selectbox(key="eq_region").value == "R01"
    assert "Reference: all groups combined." in _text(at)


@pytest.mark.parametrize(("params", "message"), [
    ({"kpi": "no_such_kpi"}, "There is no KPI 'no_such_kpi'"),
    ({"kpi": "job_placements"}, "no rate to compare"),
    ({"kpi": "prenatal_care", "period": "1999-13"}, "has no period '1999-13'"),
    ({"kpi": "prenatal_care", "region": "R99"}, "There is no region 'R99'"),
    ({"kpi": "prenatal_care", "reference": "nhpi"}, "unreliable rate"),
])
def test_bad_parameters_give_a_message_and_a_way_back(app_env: Path, params: dict[str, str],
                                                      message: str) -> None:
    at = _page(params)
    assert len(at.error) == 1
    assert message in at.error[0].value.replace("\\", "")
    links = [p.proto.page for p in at.get("page_link")]
    assert "equity" in links  # back to the review, without the bad parameter
    assert not at.subheader  # nothing half-drawn below the message


def test_figures_never_rely_on_colour_alone(demo_workspace: Path) -> None:
    from dashboard import figures_equity as fe
    from metrics.engine import load_observations
    from metrics.equity import review as er
    from metrics.workspace import Workspace

    ws = Workspace.open(demo_workspace)
    reg, obs = ws.register, load_observations(ws.engine)
    review = er.review(reg, obs)
    fig = fe.review_figure(review)
    for trace in fig.data:  # status word in every bar label
        assert all(t.startswith(trace.name + ":") for t in trace.text)
    d = er.kpi_disparities(reg, obs, "prenatal_care")
    rows = er.disparity_rows(d)
    disp = fe.disparity_figure(rows, reg.kpis["prenatal_care"], "Asian")
    symbols = list(disp.data[0].marker.symbol)
    assert symbols[d["groups"].index("asian")] == "diamond"
    assert symbols[d["groups"].index("nhpi")] == "circle-open"
    assert "Native Hawaiian or Pacific Islander (unreliable)" in disp.data[0].y
    shares = er.unknown_shares(reg, obs, reg.kpis["prenatal_care"], "2026-10")
    flagged = shares.with_columns(above_warning=shares["region"] == "R03")
    texts = fe.unknown_figure(flagged).data[0].text
    assert [t for t in texts if "above 10%" in t] == [texts[shares["region"].to_list().index("R03")]]
    summary = fe.review_summary(review)
    assert summary.startswith(f"Of {review.height} KPIs with group rates")


def test_choosing_another_kpi_and_region_keeps_the_url_in_step(app_env: Path) -> None:
    at = _page({"kpi": "prenatal_care", "period": "2026-09", "reference": "white"})
    assert at.selectbox(key="eq_period").value == "2026-09"
    at.selectbox(key="eq_kpi").select("infant_mortality").run()
    assert not at.exception and not at.error
    assert at.query_params["kpi"] in ("infant_mortality", ["infant_mortality"])
    assert "period" not in at.query_params and "reference" not in at.query_params
    assert at.header[1].value == "Infant mortality rate"
    assert at.selectbox(key="eq_period").value == "R12-2026-10"  # the latest period
    at.selectbox(key="eq_region").select("R03").run()
    assert not at.exception and not at.error
    assert "12 months to Oct 2026, Prairie." in _text(at)
