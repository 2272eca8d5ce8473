"""Server-drawn SVG of the Plotly figures: every figure builder, well-formed and accessible
SVG, the data in it (markers, bars, cells, ticks, gaps), hostile text, unknown traces."""

from __future__ import annotations

import inspect
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, datetime

import plotly.graph_objects as go
import polars as pl
import pytest

from dashboard import figures as F
from dashboard import figures_equity as fe
from dashboard import figures_governance as fg
from dashboard import public_figures as pf
from dashboard.svgfig import d3_format, figure_html, text_width, time_format, to_svg
from metrics.definitions import Kpi
from metrics.targets import InterimTarget, Target
from tests.dashboard.test_figures import _groups, _regions, _trend

NS = "{http://www.w3.org/2000/svg}"
WIDTH = 720

# --- inputs, as the existing tests of the figures build them ------------------------------

FMT = lambda v: "–" if v is None else f"{v:.1f}%"  # noqa: E731
TARGET = Target(kpi_id="k", baseline_value=50.0, baseline_date=date(2024, 6, 30),
                target_value=70.0, target_date=date(2027, 6, 30),
                interim=(InterimTarget(date(2025, 12, 31), 62.0),))
KPI = Kpi(kpi_id="prenatal_care", name="Births with prenatal care in the first trimester",
          goal_id="g", agency_id="a", measure="proportion", unit="%", direction="higher",
          grain="month", feed_id="f", multiplier=100, decimals=1, noun="births")
PUBLIC_KPI = {"name": "Outcome", "unit": "%", "decimals": 1}
GEOJSON = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"region_id": f"R0{i}"}, "geometry": {
        "type": "Polygon", "coordinates": [[[-97 + i, 42], [-96 + i, 42], [-96 + i, 43],
                                            [-97 + i, 43], [-97 + i, 42]]]}}
    for i in (1, 2, 3)]}


def _cross() -> pl.DataFrame:
    return pl.DataFrame({"Region": ["Capital", "Capital", "Harbor", "Harbor"],
                         "Group": ["Asian", "White", "Asian", "White"],
                         "Value": [80.0, 70.0, None, 65.0],
                         "Reliability": ["reliable", "reliable", "", "too few cases"]})


def _review() -> pl.DataFrame:
    """Rows of ``metrics.equity.review.review``: the columns the figure reads."""
    return pl.DataFrame({
        "name": ["Infant mortality rate", "Two-year-olds with all recommended vaccines",
                 "Students chronically absent", "Eviction filing rate"],
        "relative_change_year": [0.33, -0.14, -0.04, None],
        "status_year": ["widening", "narrowing", "stable", "no comparison"]})


def _disparity_rows() -> pl.DataFrame:
    """Rows of ``metrics.equity.review.disparity_rows`` (rates as fractions)."""
    return pl.DataFrame({
        "label": ["Asian", "Black or African American", "Native Hawaiian or Pacific Islander",
                  "White"],
        "is_reference": [True, False, False, False],
        "reliable": [True, True, False, True],
        "rate_difference": [0.0, -0.13, -0.186, None],
        "rate_difference_ci_low": [0.0, -0.19, -0.50, None],
        "rate_difference_ci_high": [0.0, -0.07, 0.12, None],
        "rate_ratio": [1.0, 0.85, 0.78, None],
        "rate_ratio_ci_low": [1.0, 0.78, 0.49, None],
        "rate_ratio_ci_high": [1.0, 0.92, 1.24, None]})


def _cells() -> pl.DataFrame:
    """Cells of ``metrics.equity.review.heatmap_cells``: statewide first, then regions."""
    rows = []
    for reg, vals in (("Statewide", [63.9, 85.2, 72.3]), ("Capital", [None, 89.1, 80.8]),
                      ("Harbor", [None, None, 66.9])):
        for g, v in zip(("American Indian or Alaska Native", "Asian", "All groups"), vals,
                        strict=True):
            rows.append({"region_name": reg, "group_label": g, "value": v,
                         "text": "fewer than 20 events" if v is None and reg == "Capital"
                         else "no data" if v is None else f"{v:.1f}%"})
    return pl.DataFrame(rows)


def _group_trends() -> pl.DataFrame:
    """Rows of ``metrics.equity.review.group_trends``: five groups, six months each."""
    rows = []
    periods = ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    for k, g in enumerate(["American Indian or Alaska Native", "Asian",
                           "Black or African American", "Hispanic or Latino", "White"]):
        for i, p in enumerate(periods):
            rows.append({"period": p, "group_label": g, "value": 60.0 + 5 * k + i,
                         "reliable": not (k == 0 and i == 2), "statewide": 78.0 + i / 10,
                         "target": 77.1})
    return pl.DataFrame(rows)


def _shares() -> pl.DataFrame:
    names = ["Statewide", "Capital", "Harbor", "Prairie", "Summit"]
    share = [0.021, 0.025, 0.124, 0.0197, 0.011]
    return pl.DataFrame({"region": ["all", "R01", "R02", "R03", "R04"], "region_name": names,
                         "share": share, "above_warning": [s > 0.1 for s in share]})


DEC = {"theil": {"total": 0.0116, "between_region": 0.0042, "within_region": 0.0074},
       "mld": {"total": None, "between_region": 0.0042, "within_region": None}}
HISTORY = pl.DataFrame({"batch_id": [1, 2], "received_at": [datetime(2026, 10, 1),
                                                             datetime(2026, 11, 1)],
                        "file": ["a.csv", "b.csv"], "rows_accepted": [491_503, 15_936],
                        "rows_rejected": [47_880, 3]})
CODES = pl.DataFrame({"code": ["E01", "E02"], "title": ["Missing value", "Bad date"],
                      "problems": [120, 3]})
PUBLIC_GROUPS = pl.DataFrame({
    "group": ["aian", "asian", "black"], "value": [None, 50.0, 40.0],
    "ci_low": [None, 40.0, 30.0], "ci_high": [None, 60.0, 55.0],
    "reliable": [False, True, False], "suppressed": [True, False, False],
    "suppression_reason": ["suppressed: fewer than 11", None, None]})
GROUP_NAMES = {"aian": "American Indian or Alaska Native", "asian": "Asian",
               "black": "Black or African American"}
PUBLIC_TREND = pl.DataFrame({  # as tests/dashboard/test_public_trend_gaps.py, a month longer
    "period": ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"],
    "period_end": [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30),
                   date(2026, 5, 31)],
    "value": [10.0, 11.0, 99.0, 12.0, 13.0], "ci_low": [9.0, 10.0, 98.0, 11.0, 12.0],
    "ci_high": [11.0, 12.0, 100.0, 13.0, 14.0],
    "suppressed": [False, False, True, False, False]})
MONTHS = {"2026-01": "Jan 2026", "2026-02": "Feb 2026", "2026-03": "Mar 2026",
          "2026-04": "Apr 2026", "2026-05": "May 2026"}
PUBLIC_REGIONS = pl.DataFrame({
    "region": ["R01", "R02", "R03"], "value": [50.0, None, 40.0],
    "suppressed": [False, True, False],
    "suppression_reason": [None, "suppressed: fewer than 11", None]})
REGION_NAMES = {"R01": "Capital", "R02": "Harbor", "R03": "Prairie"}

BUILDERS: dict[str, Callable[[], go.Figure]] = {
    "figures.trend_figure": lambda: F.trend_figure(
        _trend(), TARGET, title="Share: Statewide", series="Statewide value", y_title="%",
        fmt=FMT, annotations=[(date(2025, 2, 1), "policy", "New rule")],
        subtitle="Births with prenatal care in the first trimester", bounds=(0.0, 100.0)),
    "figures.region_map": lambda: F.region_map(_regions(), GEOJSON, title="By region", fmt=FMT,
                                               higher_better=True, what="Share"),
    "figures.region_bars": lambda: F.region_bars(_regions(), title="Ranked", fmt=FMT,
                                                 higher_better=True, what="Share",
                                                 statewide=58.0),
    "figures.group_dots": lambda: F.group_dots(_groups(), title="By group", fmt=FMT,
                                               what="Share", statewide=70.0),
    "figures.region_group_heatmap": lambda: F.region_group_heatmap(
        _cross(), title="Grid", fmt=FMT, what="Share", higher_better=True),
    "figures.sparkline": lambda: F.sparkline([1.0, None, 3.0, 2.0]),
    "figures_equity.review_figure": lambda: fe.review_figure(_review()),
    "figures_equity.disparity_figure": lambda: fe.disparity_figure(_disparity_rows(), KPI,
                                                                   "Asian"),
    "figures_equity.heatmap_figure": lambda: fe.heatmap_figure(_cells(), KPI, "Oct 2026"),
    "figures_equity.trends_figure": lambda: fe.trends_figure(_group_trends(), KPI, "statewide"),
    "figures_equity.unknown_figure": lambda: fe.unknown_figure(_shares()),
    "figures_equity.theil_figure": lambda: fe.theil_figure(DEC),
    "figures_governance.batches_figure": lambda: fg.batches_figure(HISTORY, "Wages"),
    "figures_governance.quarantine_figure": lambda: fg.quarantine_figure(CODES, "Wages"),
    "public_figures.group_chart": lambda: pf.group_chart(PUBLIC_KPI, PUBLIC_GROUPS, GROUP_NAMES,
                                                         "Oct 2026"),
    "public_figures.region_map": lambda: pf.region_map(PUBLIC_KPI, PUBLIC_REGIONS, GEOJSON,
                                                       REGION_NAMES, "Oct 2026"),
    "public_figures.trend_chart": lambda: pf.trend_chart(
        PUBLIC_KPI, PUBLIC_TREND, {"target_value": 15.0, "target_date": "2027-06-30"}, MONTHS),
}

# --- reading the SVG ---------------------------------------------------------------------


def svg_of(fig: go.Figure) -> ET.Element:
    svg = to_svg(fig, width=WIDTH)
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == f"{NS}svg"
    return root


def text_of(el: ET.Element) -> str:
    """The text a <text> shows (lines joined by newlines, its <title> left out)."""
    spans = el.findall(f"{NS}tspan")
    return "\n".join(s.text or "" for s in spans) if spans else (el.text or "")


def ticks(root: ET.Element, axis: str) -> list[tuple[str, float, float]]:
    """(label, x, y) of an axis's tick labels, in drawing order; for a y axis, y is the
    middle of the label (where its tick is), not its baseline."""
    g = root.find(f".//{NS}g[@class='sd-ticks'][@data-axis='{axis}']")
    assert g is not None, f"no tick labels on {axis}"
    size0 = float(root.get("font-size", "12"))
    out = []
    for t in g.findall(f"{NS}text"):
        label, y = text_of(t), float(t.get("y", "nan"))
        if axis.startswith("y"):
            size = float(t.get("font-size", size0))
            y += (label.count("\n") * 0.6 - 0.35) * size
        out.append((label, float(t.get("x", "nan")), y))
    return out


def trace(root: ET.Element, name: str) -> ET.Element:
    found = [g for g in root.iter(f"{NS}g") if "sd-trace" in (g.get("class") or "")
             and g.get("data-name") == name]
    assert len(found) == 1, f"{len(found)} traces named {name!r}"
    return found[0]


def traces(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{NS}g") if "sd-trace" in (g.get("class") or "")]


def of_class(el: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in el.iter() if cls in (e.get("class") or "").split()]


def centre(marker: ET.Element) -> tuple[float, float]:
    if marker.tag == f"{NS}circle":
        return float(marker.get("cx", "nan")), float(marker.get("cy", "nan"))
    m = re.match(r"translate\(([-\d.]+) ([-\d.]+)\)", marker.get("transform", ""))
    assert m, marker.attrib
    return float(m.group(1)), float(m.group(2))


def cell_under(root: ET.Element, label: str) -> ET.Element:
    """The heatmap cell on which ``label`` is written."""
    (t,) = [t for t in root.iter(f"{NS}text") if text_of(t) == label]
    x, y = float(t.get("x", "nan")), float(t.get("y", "nan"))
    found = [c for c in of_class(root, "sd-cell")
             if float(c.get("x", "0")) <= x <= float(c.get("x", "0")) + float(c.get("width", "0"))
             and float(c.get("y", "0")) <= y <= float(c.get("y", "0")) + float(c.get("height",
                                                                                   "0"))]
    assert len(found) == 1
    return found[0]


def texts(root: ET.Element) -> list[str]:
    return [text_of(t) for t in root.iter(f"{NS}text")]


def vlines(root: ET.Element) -> list[float]:
    """x of the vertical line shapes."""
    out = []
    for p in of_class(root, "sd-shape"):
        m = re.fullmatch(r"M([-\d.]+) [-\d.]+L([-\d.]+) [-\d.]+", p.get("d", ""))
        if m and m.group(1) == m.group(2):
            out.append(float(m.group(1)))
    return out


def hlines(root: ET.Element) -> list[float]:
    out = []
    for p in of_class(root, "sd-shape"):
        m = re.fullmatch(r"M[-\d.]+ ([-\d.]+)L[-\d.]+ ([-\d.]+)", p.get("d", ""))
        if m and m.group(1) == m.group(2):
            out.append(float(m.group(1)))
    return out


def tick_at(root: ET.Element, axis: str, label: str) -> float:
    """The position along the axis of the tick labelled ``label``."""
    found = [(x, y) for t, x, y in ticks(root, axis) if t == label]
    assert found, f"no tick {label!r} on {axis}: {[t[0] for t in ticks(root, axis)]}"
    return found[0][0] if axis.startswith("x") else found[0][1]


def check_accessible(root: ET.Element, title: str, desc: str | None) -> None:
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    vb = [float(v) for v in root.get("viewBox", "").split()]
    assert vb[:3] == [0, 0, WIDTH] and vb[3] > 0
    ids = root.get("aria-labelledby", "").split()
    named = {e.get("id"): e for e in root.iter() if e.get("id")}
    assert named[ids[0]].tag == f"{NS}title" and named[ids[0]].text == title
    if desc:
        assert named[ids[1]].tag == f"{NS}desc" and named[ids[1]].text == desc
    else:
        assert len(ids) == 1 and root.find(f"{NS}desc") is None


def check_self_contained(root: ET.Element, svg: str) -> None:
    """No script, no foreignObject, no link out; every url(#id) found inside; ids unique."""
    tags = {e.tag.removeprefix(NS) for e in root.iter()}
    assert not tags & {"script", "foreignObject", "a", "image", "use", "iframe", "style"}
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    for e in root.iter():
        for k, v in e.attrib.items():
            assert not k.startswith("on") and "href" not in k, (k, v)
            assert "javascript:" not in v.lower()
            for ref in re.findall(r"url\(([^)]*)\)", v):
                assert ref.startswith("#") and ref[1:] in ids, ref
    assert "<!-- not drawn" not in svg


def check_text_in_view(root: ET.Element) -> None:
    """Unclipped, unrotated text stays inside the picture (by its estimated width)."""
    width = float(root.get("viewBox", "0 0 0 0").split()[2])
    size0 = float(root.get("font-size", "12"))

    def walk(el: ET.Element, clipped: bool) -> None:
        clipped = clipped or el.get("clip-path") is not None
        if el.tag == f"{NS}text" and not clipped and not el.get("transform"):
            size = float(el.get("font-size", size0))
            x = float(el.get("x", "0"))
            w = max(text_width(line, size) for line in text_of(el).split("\n"))
            anchor = el.get("text-anchor", "start")
            left = x - w if anchor == "end" else x - w / 2 if anchor == "middle" else x
            assert left >= -1 and left + w <= width + 1, (text_of(el), left, left + w)
        for child in el:
            walk(child, clipped)

    walk(root, False)


# --- every figure ------------------------------------------------------------------------


def test_every_figure_builder_has_a_case() -> None:
    """Each public function of the four modules that returns a figure is converted below."""
    found = set()
    for mod in (F, fe, fg, pf):
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if fn.__module__ == mod.__name__ and not name.startswith("_") and \
                    inspect.signature(fn).return_annotation in ("go.Figure", go.Figure):
                found.add(f"{mod.__name__.split('.')[-1]}.{name}")
    assert found == set(BUILDERS)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_figure_is_well_formed_accessible_and_self_contained(name: str) -> None:
    fig = BUILDERS[name]()
    svg = to_svg(fig, width=WIDTH)
    root = ET.fromstring(svg)
    title = re.sub(r"\s+", " ", (fig.layout.title.text or "").replace("<br>", " ")).strip()
    sub = fig.layout.title.subtitle.text if fig.layout.title.subtitle else None
    desc = (fig.layout.meta or {}).get("description") if isinstance(fig.layout.meta, dict) \
        else None
    check_accessible(root, f"{title} ({sub})" if sub else title, desc)
    check_self_contained(root, svg)
    check_text_in_view(root)
    assert "<!-- unsupported" not in svg  # every trace of the four modules is drawn
    assert len(traces(root)) == sum(1 for t in fig.data if t.visible is not False)
    html = figure_html(fig, width=WIDTH)
    assert html.startswith('<figure class="sd-fig"><svg') and html.endswith("</figure>")
    assert ("<figcaption>" in html) == bool(desc)


# --- the data in the pictures ------------------------------------------------------------


def test_trend_markers_hollow_unreliable_dates_in_order_and_the_note_line() -> None:
    root = svg_of(BUILDERS["figures.trend_figure"]())
    assert len(of_class(trace(root, "Statewide value"), "sd-pt")) == 4
    weak = of_class(trace(root, "Too few cases (not reliable)"), "sd-pt")
    assert len(weak) == 1 and weak[0].get("fill") == "none"  # hollow: not reliable
    assert weak[0].get("stroke") == "#d55e00"
    # the band is a filled area with no markers at its corners
    band = trace(root, "95% confidence interval")
    assert not of_class(band, "sd-pt")
    assert len([f for f in of_class(root, "sd-fill") if f.get("data-trace") == "0"]) == 1
    # the x axis is a time axis: month labels, left to right in time order
    xt = ticks(root, "x")
    when = [datetime.strptime(t, "%b %Y") for t, _, _ in xt]
    assert when == sorted(when) and len(when) >= 4
    assert [x for _, x, _ in xt] == sorted(x for _, x, _ in xt)
    assert "Jan 2025" in [t for t, _, _ in xt]
    # the annotation's dotted line (1 Feb 2025) lies just right of the Jan 2025 tick
    (line,) = vlines(root)
    jan, nxt = tick_at(root, "x", "Jan 2025"), min(x for _, x, _ in xt if x > tick_at(
        root, "x", "Jan 2025"))
    assert jan < line < jan + (nxt - jan) / 5
    # the y axis stays inside the measure's bounds and is labelled in nice steps
    yt = [float(t) for t, _, _ in ticks(root, "y")]
    assert all(0 <= v <= 100 for v in yt)
    assert len({round(b - a, 6) for a, b in zip(yt, yt[1:], strict=False)}) == 1
    assert "Births with prenatal care in the first trimester" in texts(root)  # subtitle
    assert "policy: New rule" in texts(root)


def test_a_hidden_period_breaks_the_public_line_in_two() -> None:
    root = svg_of(BUILDERS["public_figures.trend_chart"]())
    line = trace(root, "Statewide")
    (path,) = of_class(line, "sd-line")
    assert path.get("d", "").count("M") == 2  # Jan-Feb | Apr-May: no line across March
    assert len(of_class(line, "sd-pt")) == 4  # a marker per shown value
    assert [t for t, _, _ in ticks(root, "x")] == list(MONTHS.values())  # time order
    (errors,) = of_class(line, "sd-error")
    assert errors.get("d", "").count("V") == 4  # an interval per shown value
    assert not of_class(trace(root, "Not shown (privacy)"), "sd-pt")  # y is None: nothing
    # the dashed target line at 15, above the 14 tick
    target = of_class(trace(root, "Target 15.0% by 2027-06-30"), "sd-line")[0]
    assert "stroke-dasharray" in target.attrib
    y15 = float(re.findall(r"[-\d.]+", target.get("d", ""))[1])
    assert abs(y15 - tick_at(root, "y", "15")) < 0.5


def test_region_bars_best_on_top_hatched_when_unreliable_and_statewide_line() -> None:
    root = svg_of(BUILDERS["figures.region_bars"]())
    bars = of_class(root, "sd-bar")
    assert len(bars) == 3
    order = sorted(ticks(root, "y"), key=lambda t: t[2])
    assert [t for t, _, _ in order] == ["Prairie", "Capital", "Harbor"]  # best on top
    harbor = max(bars, key=lambda b: float(b.get("y", "0")))  # the bottom one
    assert harbor.get("fill", "").startswith("url(#")  # a hatch, not colour alone
    assert all(not b.get("fill", "").startswith("url(") for b in bars if b is not harbor)
    (statewide,) = vlines(root)
    assert tick_at(root, "x", "50") < statewide < tick_at(root, "x", "60")
    assert "Statewide 58.0%" in texts(root)
    assert "75.0% · met" in texts(root)


def test_group_dots_reference_star_and_hollow_unreliable_marker() -> None:
    root = svg_of(BUILDERS["figures.group_dots"]())
    assert len(of_class(trace(root, "Reliable"), "sd-pt")) == 2
    (star,) = of_class(trace(root, "Reference (best reliable group)"), "sd-pt")
    assert star.get("fill") == "#009e73" and star.get("d", "").count("L") == 9  # 10 points
    (weak,) = of_class(trace(root, "Too few cases (not reliable)"), "sd-pt")
    assert weak.get("fill") == "none"
    # the marker sits at its value: 40 on the x axis
    assert abs(centre(weak)[0] - tick_at(root, "x", "40")) < 0.5
    assert tick_at(root, "x", "60") < vlines(root)[0] < tick_at(root, "x", "80")
    names = [t for t, _, _ in sorted(ticks(root, "y"), key=lambda t: t[2])]
    assert names == ["Asian", "Black or African American", "White",
                     "Native Hawaiian or Pacific Islander"]


def test_heatmap_one_cell_per_value_a_hatch_where_there_is_none_and_a_colour_bar() -> None:
    root = svg_of(BUILDERS["figures.region_group_heatmap"]())
    cells = of_class(root, "sd-cell")
    assert len(cells) == 3  # four cells, one without a value
    assert len(of_class(root, "sd-nodata")) == 1
    assert {"80.0%", "70.0%", "65.0%*"} <= set(texts(root))
    assert "" not in [text_of(t) for t in of_class(root, "sd-text")[0]]
    ys = {t: y for t, _, y in ticks(root, "y")}
    assert ys["Capital"] < ys["Harbor"]  # autorange reversed: the first row on top
    (bar,) = of_class(root, "sd-colorbar")
    assert [text_of(t) for t in bar.iter(f"{NS}text")][-1] == "Value"  # its title
    # one colour direction: the best value blue, the worst vermillion (higher is better)
    assert cell_under(root, "80.0%").get("fill") == "#0072b2"
    assert cell_under(root, "65.0%*").get("fill") == "#d55e00"


def test_equity_heatmap_draws_every_shown_rate_and_greys_the_others() -> None:
    fig = BUILDERS["figures_equity.heatmap_figure"]()
    root = svg_of(fig)
    shown = sum(v is not None for v in _cells()["value"])
    grey = len(_cells()) - shown
    rate_cells = of_class(traces(root)[0], "sd-cell")
    masked = of_class(traces(root)[1], "sd-cell")
    assert (len(rate_cells), len(masked)) == (shown, grey)
    assert not of_class(root, "sd-nodata")  # the grey trace covers every empty cell
    assert "fewer than\n20 events" in texts(root) and "no data" in texts(root)
    assert {c.get("fill") for c in masked} == {"#e5e5e5"}


def test_disparity_panels_share_groups_and_lines_sit_on_zero_and_one() -> None:
    root = svg_of(BUILDERS["figures_equity.disparity_figure"]())
    left, right = traces(root)
    assert len(of_class(left, "sd-pt")) == len(of_class(right, "sd-pt")) == 3  # one is None
    hollow = [m for m in of_class(root, "sd-pt") if m.get("fill") == "none"]
    assert len(hollow) == 2  # the unreliable group, in both panels
    zero, one = sorted(vlines(root))
    assert abs(zero - tick_at(root, "x", "0")) < 0.5
    assert abs(one - tick_at(root, "x2", "1")) < 0.5
    assert root.find(f".//{NS}g[@data-axis='y2']") is None  # shared: labels on the left only
    assert "Native Hawaiian or Pacific Islander (unreliable)" in [t for t, _, _ in
                                                                   ticks(root, "y")]
    assert "Rate ratio" in texts(root)


def test_small_multiples_one_panel_per_group_shared_scale_hollow_unreliable() -> None:
    root = svg_of(BUILDERS["figures_equity.trends_figure"]())
    groups = _group_trends()["group_label"].unique(maintain_order=True).to_list()
    panels = {g.get("clip-path") for t in traces(root) for g in of_class(t, "sd-line")}
    assert len(panels) == len(groups)
    y_labelled = {g.get("data-axis") for g in of_class(root, "sd-ticks")} - {
        f"x{i}" for i in ("", 2, 3, 4, 5, 6, 7, 8)}
    assert y_labelled == {"y", "y5"}  # the first column only: one scale for all
    assert [t for t, _, _ in ticks(root, "y")] == [t for t, _, _ in ticks(root, "y5")]
    hollow = [m for m in of_class(root, "sd-pt") if m.get("fill") == "none"]
    assert len(hollow) == 1
    for panel in ("x", "x2", "x5"):
        months = [t for t, _, _ in ticks(root, panel)]
        parsed = [datetime.strptime(m, "%b %Y") for m in months]
        assert parsed == sorted(parsed)
    for g in groups:
        assert any(g.split()[0] in t for t in texts(root))  # the subplot titles


def test_review_bars_a_status_each_in_words_and_pattern() -> None:
    root = svg_of(BUILDERS["figures_equity.review_figure"]())
    assert len(of_class(root, "sd-bar")) == 3  # the row without a comparison is left out
    shown = [t.replace("\n", " ") for t in texts(root)]
    assert {"widening: +33%", "narrowing: -14%", "stable: -4%"} <= set(shown)
    fills = {b.get("fill") for b in of_class(root, "sd-bar")}
    assert all(f and f.startswith("url(#") for f in fills)  # patterns, not colour alone
    legend = [text_of(t) for t in of_class(root, "sd-legend")[0].iter(f"{NS}text")]
    assert legend == ["widening", "narrowing", "stable"]
    # the two-line category name is two lines
    assert "Two-year-olds with all recommended\nvaccines" in [t for t, _, _ in ticks(root, "y")]


def test_batches_axes_are_labelled_with_full_numbers() -> None:
    root = svg_of(BUILDERS["figures_governance.batches_figure"]())
    assert [t for t, _, _ in ticks(root, "y")] == ["0", "200,000", "400,000", "600,000"]
    assert [t for t, _, _ in ticks(root, "y2")] == ["0", "20,000", "40,000", "60,000"]
    assert root.find(f".//{NS}g[@data-axis='x']") is None  # shared x: labels below only
    assert [t for t, _, _ in ticks(root, "x2")] == ["#1 2026-10-01", "#2 2026-11-01"]
    assert {"491,503", "15,936", "47,880 rejected", "3 rejected"} <= set(texts(root))
    assert len(of_class(root, "sd-bar")) == 4


def test_quarantine_theil_and_unknown_bars() -> None:
    q = svg_of(BUILDERS["figures_governance.quarantine_figure"]())
    assert len(of_class(q, "sd-bar")) == 2 and {"120", "3"} <= set(texts(q))
    theil = svg_of(BUILDERS["figures_equity.theil_figure"]())
    assert len(of_class(theil, "sd-bar")) == 3  # the undefined within part is not drawn
    assert {"between 0.0042", "within 0.0074"} <= set(texts(theil))
    stacked = of_class(trace(theil, "within regions"), "sd-bar")[0]
    first = [b for b in of_class(trace(theil, "between regions"), "sd-bar")
             if b.get("y") == stacked.get("y")][0]
    assert abs(float(first.get("x", "0")) + float(first.get("width", "0"))
               - float(stacked.get("x", "0"))) < 0.5  # stacked end to end
    unknown = svg_of(BUILDERS["figures_equity.unknown_figure"]())
    bars = of_class(unknown, "sd-bar")
    assert len(bars) == len(_shares())
    (warning,) = hlines(unknown)
    assert tick_at(unknown, "y", "12") < warning < tick_at(unknown, "y", "8")
    assert "12.4% (above 10%)" in texts(unknown)
    assert [t for t, _, _ in ticks(unknown, "x")] == _shares()["region_name"].to_list()


def test_public_group_chart_labels_the_hidden_group() -> None:
    root = svg_of(BUILDERS["public_figures.group_chart"]())
    assert len(of_class(root, "sd-bar")) == 2
    (cross,) = of_class(trace(root, "Not shown (privacy)"), "sd-pt")
    assert cross.get("fill") == "none"  # a drawn cross, not a filled mark
    assert "suppressed: fewer than 11" in texts(root)
    assert "50.0%" in texts(root) and "40.0% (unreliable)" in texts(root)


def test_maps_draw_each_region_and_hatch_a_hidden_one() -> None:
    internal = svg_of(BUILDERS["figures.region_map"]())
    assert len(of_class(internal, "sd-fill")) == 3
    assert {"Capital", "Harbor", "Prairie"} <= set(texts(internal))
    assert {"75.0% (better)", "40.0% (worse)"} <= set(texts(internal))  # the colour bar
    public = svg_of(BUILDERS["public_figures.region_map"]())
    regions = of_class(public, "sd-region")
    assert [r.find(f"{NS}title").text for r in regions] == ["Capital", "Harbor", "Prairie"]
    hidden = [r for r in regions if r.find(f"{NS}title").text == "Harbor"][0]
    assert hidden.get("fill", "").startswith("url(#")  # no value: hatched, not coloured
    assert of_class(public, "sd-colorbar")


def test_sparkline_has_no_axes() -> None:
    root = svg_of(BUILDERS["figures.sparkline"]())
    assert not of_class(root, "sd-ticks")
    (line,) = of_class(root, "sd-line")
    assert line.get("d", "").count("M") == 1 and line.get("d", "").count("L") == 2


# --- text, formats and what is not drawn -------------------------------------------------


def test_hostile_text_is_escaped_everywhere() -> None:
    bad = "<script>alert(1)</script> & <b>bold</b>"
    fig = go.Figure(go.Bar(x=[bad, "b"], y=[1, 2], name=bad, text=[bad, "&"]))
    fig.add_scatter(x=[bad, "b"], y=[2, 1], name="second", mode="markers+text",
                    text=["<script>x</script>", "&amp; &lt;"])
    fig.update_layout(title={"text": bad, "subtitle": {"text": bad}},
                      meta={"description": bad}, xaxis_title=bad, yaxis_title=bad,
                      annotations=[{"text": bad, "x": "b", "y": 2}])
    svg = to_svg(fig)
    root = ET.fromstring(svg)
    assert not [e for e in root.iter() if e.tag.removeprefix(NS) == "script"]
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert "&amp;" in svg and " & " not in svg
    shown = texts(root)
    assert "<script>alert(1)</script> & bold" in shown  # Plotly's style tag dropped
    assert "& <" in shown  # entities read as the characters they stand for
    assert root.find(f"{NS}desc").text == bad
    html = figure_html(fig)
    assert "<figcaption>&lt;script&gt;" in html and "<script" not in html


def test_an_unknown_trace_is_left_out_with_a_comment() -> None:
    fig = go.Figure(go.Pie(values=[1, 2], labels=["a", "b"]))
    fig.add_scatter(x=[1, 2], y=[3, 4], name="kept")
    fig.update_layout(title="Mixed")
    svg = to_svg(fig)
    root = ET.fromstring(svg)
    assert "<!-- unsupported: pie -->" in svg
    assert len(of_class(trace(root, "kept"), "sd-pt")) == 2
    alone = to_svg(go.Figure(go.Sankey(node={"label": ["a", "b"]})))
    assert "<!-- unsupported: sankey -->" in alone and ET.fromstring(alone).get("role") == "img"
    assert ET.fromstring(to_svg(go.Figure())).find(f"{NS}title").text == "Chart"


def test_long_labels_are_cut_with_the_full_text_kept() -> None:
    long = "A region name long enough that it could never fit beside the chart " * 3
    fig = go.Figure(go.Bar(y=[long.strip(), "Short"], x=[3, 4], orientation="h"))
    root = svg_of(fig)
    label = [t for t in root.findall(f".//{NS}g[@data-axis='y']/{NS}text")
             if "…" in text_of(t)]
    assert len(label) == 1
    assert label[0].find(f"{NS}title").text == long.strip()
    assert text_width(text_of(label[0]), 12) <= WIDTH * 0.5
    check_text_in_view(root)


def test_tick_formats_and_date_labels() -> None:
    assert [d3_format(",.0f", v) for v in (0, 1234.5, -98765.4)] == ["0", "1,235", "−98,765"]
    assert [d3_format(".0%", v) for v in (0.0, 0.25, 1.0)] == ["0%", "25%", "100%"]
    assert [d3_format(".1f", v) for v in (2.25, -0.04, -1.25)] == ["2.3", "0.0", "−1.3"]
    assert d3_format(",d", 491503) == "491,503" and d3_format("$,.2f", 1234.5) == "$1,234.50"
    assert d3_format("+.1%", 0.125) == "+12.5%" and d3_format(".2s", 1500) == "1.5k"
    assert time_format("%b %Y", datetime(2025, 1, 31)) == "Jan 2025"
    assert time_format("%Y-%m-%d", datetime(2025, 1, 3)) == "2025-01-03"
    fig = go.Figure(go.Scatter(x=[datetime(2025, m, 1) for m in range(1, 13)],
                               y=[0.1 * m for m in range(12)]))
    fig.update_yaxes(tickformat=".0%", range=[0, 1.2], ticksuffix=" ")
    fig.update_xaxes(tickformat="%b %Y")
    root = svg_of(fig)
    assert [t for t, _, _ in ticks(root, "y")] == ["0% ", "20% ", "40% ", "60% ", "80% ",
                                                    "100% ", "120% "]
    months = [t for t, _, _ in ticks(root, "x")]
    assert months[0] == "Jan 2025" and all(re.fullmatch(r"[A-Z][a-z]{2} 2025", m) for m in months)
    fig.update_yaxes(tickformat=",.0f", range=[0, 5000], tickprefix="$", ticksuffix="")
    assert [t for t, _, _ in ticks(svg_of(fig), "y")] == ["$0", "$1,000", "$2,000", "$3,000",
                                                          "$4,000", "$5,000"]


def test_autoranged_axes_get_nice_steps_and_some_room() -> None:
    fig = go.Figure(go.Scatter(x=[0, 1, 2, 3], y=[3.1, 7.9, 5.2, 4.4], mode="markers"))
    root = svg_of(fig)
    ys = [float(t) for t, _, _ in ticks(root, "y")]
    steps = {round(b - a, 9) for a, b in zip(ys, ys[1:], strict=False)}
    assert len(steps) == 1 and steps.pop() in (0.5, 1.0, 2.0, 2.5)
    pts = of_class(root, "sd-pt")
    top = min(centre(p)[1] for p in pts)
    bottom = max(centre(p)[1] for p in pts)
    plot = [float(v) for v in root.find(f".//{NS}clipPath/{NS}rect").attrib.values()]
    x, y, w, h = plot
    assert y + 5 < top and bottom < y + h - 5  # padded: no marker on the edge
    big = svg_of(go.Figure(go.Bar(x=["a", "b"], y=[12_000, 48_000])))
    assert [t for t, _, _ in ticks(big, "y")][-1] in ("40k", "50k")


def test_the_largest_figures_convert() -> None:
    """A 12 x 20 heatmap and a 60-month trend with its band: milliseconds each."""
    regions = [f"Region {i:02d}" for i in range(12)]
    groups = [f"Group {j:02d}" for j in range(20)]
    values = [None if (i * 7 + j) % 9 == 0 else 40 + (i * 20 + j) % 50 for i in range(12)
              for j in range(20)]
    cross = pl.DataFrame({"Region": [r for r in regions for _ in groups],
                          "Group": [g for _ in regions for g in groups], "Value": values,
                          "Reliability": ["reliable"] * 240})
    heat = svg_of(F.region_group_heatmap(cross, title="Grid", fmt=FMT, what="Share",
                                         higher_better=True))
    assert len(of_class(heat, "sd-cell")) == sum(v is not None for v in values)
    assert len(of_class(heat, "sd-nodata")) == sum(v is None for v in values)
    ends = [date(2021 + (m + 1) // 12, (m + 1) % 12 + 1, 1) for m in range(60)]
    vals = [50 + 10 * ((m % 12) - 6) / 6 for m in range(60)]
    trend = pl.DataFrame({"Period": [e.strftime("%b %Y") for e in ends], "Period end": ends,
                          "Value": vals, "CI low": [v - 3 for v in vals],
                          "CI high": [v + 3 for v in vals],
                          "Reliability": ["reliable"] * 60})
    root = svg_of(F.trend_figure(trend, TARGET, title="Sixty months", series="s", y_title="%",
                                 fmt=FMT))
    assert len(of_class(trace(root, "s"), "sd-pt")) == 60
    years = [t for t, _, _ in ticks(root, "x")]
    assert years == sorted(years) and all(re.fullmatch(r"\d{4}", y) for y in years)


def test_fills_gaps_and_legend_only_traces() -> None:
    x = [1, 2, 3, 4, 5]
    fig = go.Figure()
    fig.add_scatter(x=x, y=[1, 2, None, 2, 1], fill="tozeroy", name="area", mode="lines")
    fig.add_scatter(x=x, y=[3, 4, 5, 4, 3], fill="tonexty", name="band", mode="lines")
    fig.add_scatter(x=x, y=[9, 9, 9, 9, 9], name="hidden", visible="legendonly")
    fig.add_bar(x=x, y=[1, 1, 1, 1, 1], name="off", visible=False)
    root = svg_of(fig)
    fills = of_class(root, "sd-fill")
    assert len(fills) == 2 and fills[0].get("d", "").count("M") == 2  # the gap splits it
    assert not [t for t in traces(root) if t.get("data-name") in ("hidden", "off")]
    legend = [text_of(t) for t in of_class(root, "sd-legend")[0].iter(f"{NS}text")]
    assert legend == ["area", "band", "hidden"]
    assert max(float(t) for t, _, _ in ticks(root, "y")) < 9  # not in the range either


def test_heatmap_colour_scales_named_or_listed_with_a_midpoint() -> None:
    fig = go.Figure(go.Heatmap(z=[[-1.0, 0.0, 3.0], [None, 1.5, -3.0]], x=["a", "b", "c"],
                               y=["r1", "r2"], zmid=0, colorscale="RdBu",
                               texttemplate="%{z:.1f}"))
    root = svg_of(fig)
    fills = {text_of(t): cell_under(root, text_of(t)).get("fill")
             for t in of_class(root, "sd-text")[0]}
    assert fills["0.0"] == "#f7f7f7"  # the middle of RdBu at zmid
    assert fills["3.0"] == "#053061" and fills["−3.0"] == "#67001f"  # both ends: +/- 3
    labels = [text_of(t) for t in of_class(root, "sd-colorbar")[0].iter(f"{NS}text")]
    assert len(labels) >= 3 and "0" in labels  # a few ticks, zero among them
    assert len(of_class(root, "sd-nodata")) == 1
    fixed = go.Figure(go.Heatmap(z=[[0, 5, 10]], zmin=0, zmax=5,
                                 colorscale=[[0, "#ffffff"], [1, "#000000"]]))
    assert [c.get("fill") for c in of_class(svg_of(fixed), "sd-cell")] == [
        "#ffffff", "#000000", "#000000"]  # beyond zmax: the top colour


def test_a_figure_that_cannot_be_drawn_is_still_a_named_image(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import svgfig

    def broken(self: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(svgfig._Renderer, "render", broken)
    fig = BUILDERS["figures.trend_figure"]()
    svg = to_svg(fig)
    root = ET.fromstring(svg)
    check_accessible(root, "Share: Statewide (Births with prenatal care in the first trimester)",
                     fig.layout.meta["description"])
    assert "<!-- not drawn: RuntimeError -->" in svg
