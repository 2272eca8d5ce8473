"""Figure builders: traces, markers for unreliable values, palette and words, descriptions."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dashboard import figures as F
from metrics.status import Status
from metrics.targets import InterimTarget, Target

FMT = lambda v: "–" if v is None else f"{v:.1f}%"  # noqa: E731
TARGET = Target(kpi_id="k", baseline_value=50.0, baseline_date=date(2024, 6, 30),
                target_value=70.0, target_date=date(2027, 6, 30),
                interim=(InterimTarget(date(2025, 12, 31), 62.0),))


def _trend() -> pl.DataFrame:
    ends = [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]
    return pl.DataFrame({
        "Period": ["Jan 2025", "Feb 2025", "Mar 2025", "Apr 2025"], "Period end": ends,
        "Value": [52.0, 55.0, 54.0, 58.0], "CI low": [50.0, 53.0, 40.0, 56.0],
        "CI high": [54.0, 57.0, 68.0, 60.0],
        "Reliability": ["reliable", "reliable", "too few cases", "reliable"]})


def _regions() -> pl.DataFrame:
    return pl.DataFrame({
        "Region code": ["R01", "R02", "R03"], "Region": ["Capital", "Harbor", "Prairie"],
        "Value": [60.0, 40.0, 75.0], "CI low": [58.0, 30.0, 70.0],
        "CI high": [62.0, 50.0, 80.0],
        "Reliability": ["reliable", "too few cases", "reliable"],
        "Status": ["on track", "too few cases", "met"]})


def _groups() -> pl.DataFrame:
    return pl.DataFrame({
        "Group": ["Asian", "Black or African American", "White", "Native Hawaiian or Pacific "
                  "Islander"],
        "Value": [80.0, 60.0, 75.0, 40.0], "CI low": [78.0, 57.0, 74.0, 20.0],
        "CI high": [82.0, 63.0, 76.0, 65.0],
        "Reliability": ["reliable", "reliable", "reliable", "too few cases"],
        "Reference": ["best reliable group", "", "", ""]})


GEOJSON = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"region_id": f"R0{i}"}, "geometry": {
        "type": "Polygon", "coordinates": [[[-97 + i, 42], [-96 + i, 42], [-96 + i, 43],
                                            [-97 + i, 43], [-97 + i, 42]]]}}
    for i in (1, 2, 3)]}


def test_trend_has_band_series_trajectory_and_target_points() -> None:
    fig = F.trend_figure(_trend(), TARGET, title="Share: Statewide", series="Statewide value",
                         y_title="%", fmt=FMT)
    names = [t.name for t in fig.data]
    assert names == ["95% confidence interval", "Statewide value", "Too few cases (not reliable)",
                     "Target trajectory", "Baseline", "Interim target", "Final target"]
    traj = fig.data[names.index("Target trajectory")]
    assert traj.line.dash == "dash"  # a dash pattern, not colour alone
    assert traj.y[0] == 50.0 and traj.y[-1] == 70.0
    assert dict(zip(traj.x, traj.y, strict=True))[date(2025, 12, 31)] == pytest.approx(62.0)
    weak = fig.data[names.index("Too few cases (not reliable)")]
    assert weak.marker.symbol == "circle-open" and list(weak.text) == ["too few"]
    assert list(weak.x) == [date(2025, 3, 31)]
    assert fig.layout.title.text == "Share: Statewide"
    desc = fig.layout.meta["description"]
    assert desc == F.trend_alt(_trend(), TARGET, series="Statewide value", fmt=FMT)
    assert desc.startswith("Statewide value rose from 52.0% in Jan 2025 to 58.0% in Apr 2025")
    assert "1 of 4 points rest on too few cases" in desc


def test_trend_without_target_and_with_annotations() -> None:
    fig = F.trend_figure(_trend(), None, title="t", series="Statewide value", y_title="%",
                         fmt=FMT, annotations=[(date(2025, 2, 1), "policy", "New rule")])
    assert "Target trajectory" not in [t.name for t in fig.data]
    assert "no agreed target" in fig.layout.meta["description"]
    assert [a.text for a in fig.layout.annotations] == ["policy: New rule"]
    assert fig.layout.shapes[0].line.dash == "dot"
    empty = F.trend_figure(_trend().clear(), None, title="t", series="Statewide value",
                           y_title="%", fmt=FMT)
    assert "No values" in empty.layout.meta["description"]


def test_region_map_is_an_offline_choropleth() -> None:
    fig = F.region_map(_regions(), GEOJSON, title="By region", fmt=FMT, higher_better=True,
                       what="Share")
    shapes = [t for t in fig.data if t.fill == "toself"]
    assert [t.name for t in shapes] == ["Capital", "Harbor", "Prairie"]
    assert "Harbor: 40.0% (too few cases)" in shapes[1].text
    # region names are written on the map, and no outside base map or font is needed
    assert sorted(a.text for a in fig.layout.annotations) == ["Capital", "Harbor", "Prairie"]
    assert not any(t.type.endswith("map") or t.type == "choropleth" for t in fig.data)
    # one direction: the best region (Prairie, higher is better) is blue, the worst vermillion
    from metrics.presentation import BETTER, WORSE

    def rgb(c: str) -> tuple[int, ...]:
        return tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) if c.startswith("#") else \
            tuple(int(float(x)) for x in c[c.index("(") + 1:-1].split(",")[:3])

    assert rgb(shapes[2].fillcolor) == rgb(BETTER) and rgb(shapes[1].fillcolor) == rgb(WORSE)
    flipped = F.region_map(_regions(), GEOJSON, title="b", fmt=FMT, higher_better=False,
                           what="Share")
    assert rgb([t for t in flipped.data if t.fill == "toself"][1].fillcolor) == rgb(BETTER)
    assert fig.layout.meta["description"] == (
        "Across 3 regions, the share ranges from 75.0% in Prairie (best) to 40.0% in Harbor "
        "(worst); too few cases in Harbor.")


def test_region_bars_rank_best_on_top_with_words_and_patterns() -> None:
    fig = F.region_bars(_regions(), title="Ranked", fmt=FMT, higher_better=True, what="Share",
                        statewide=58.0)
    bar = fig.data[0]
    assert list(bar.y) == ["Harbor", "Capital", "Prairie"]  # drawn bottom-up: best on top
    assert list(bar.marker.pattern.shape) == ["/", "", ""]
    assert bar.text[2] == "75.0% · met" and "too few cases" in bar.text[0]
    assert list(bar.marker.color) == [F.OKABE_ITO["grey"], F.OKABE_ITO["bluish_green"],
                                      F.OKABE_ITO["blue"]]
    assert bar.error_x.array[2] == pytest.approx(5.0)
    lower = F.region_bars(_regions(), title="Ranked", fmt=FMT, higher_better=False, what="x")
    assert list(lower.data[0].y) == ["Prairie", "Capital", "Harbor"]


def test_group_dots_mark_reference_and_unreliable_groups() -> None:
    fig = F.group_dots(_groups(), title="By group", fmt=FMT, what="Share", statewide=70.0)
    by_name = {t.name: t for t in fig.data}
    assert list(by_name["Reference (best reliable group)"].y) == ["Asian"]
    assert by_name["Reference (best reliable group)"].marker.symbol == "star"
    weak = by_name["Too few cases (not reliable)"]
    assert weak.marker.symbol == "circle-open" and "(too few cases)" in weak.text[0]
    assert by_name["Reliable"].error_x.arrayminus[0] == pytest.approx(1.0)
    desc = fig.layout.meta["description"]
    assert "the reference (best reliable) group is Asian" in desc
    assert "too few cases for Native Hawaiian or Pacific Islander" in desc


def test_heatmap_cells_carry_text_and_marks() -> None:
    cross = pl.DataFrame({"Region": ["Capital", "Capital", "Harbor", "Harbor"],
                          "Group": ["Asian", "White", "Asian", "White"],
                          "Value": [80.0, 70.0, None, 65.0],
                          "Reliability": ["reliable", "reliable", "", "too few cases"]})
    fig = F.region_group_heatmap(cross, title="Grid", fmt=FMT, what="Share", higher_better=True)
    hm = fig.data[0]
    assert hm.type == "heatmap" and list(hm.y) == ["Capital", "Harbor"]
    assert [list(r) for r in hm.text] == [["80.0%", "70.0%"], ["", "65.0%*"]]
    assert "cells marked * rest on too few cases" in fig.layout.meta["description"]


def test_status_styles_pair_colour_with_word_icon_and_symbol() -> None:
    words = ("not met", "off track", "at risk", "uncertain", "on track", "met", "no data",
             "too few cases", "no agreed target")
    assert set(F.STATUS_STYLE) == set(words) == {str(s) for s in Status}
    icons = {F.STATUS_STYLE[w].icon for w in words}
    assert len(icons) == len(words)  # each status recognisable without colour
    assert {F.STATUS_STYLE[w].colour for w in words} <= set(F.OKABE_ITO.values())
    assert all(i.startswith(":material/") for i in icons)  # Material icons, never emoji
    assert F.status_label("off track") == "Off track"
    assert F.status_label("something new") == "Something new"


def test_sparkline_and_every_figure_has_a_title_and_description() -> None:
    figs = [F.sparkline([1.0, None, 3.0]),
            F.trend_figure(_trend(), TARGET, title="a", series="s", y_title="%", fmt=FMT),
            F.region_map(_regions(), GEOJSON, title="b", fmt=FMT, higher_better=True, what="x"),
            F.group_dots(_groups(), title="c", fmt=FMT, what="x")]
    for fig in figs:
        assert fig.layout.title.text
        assert fig.layout.meta["description"].endswith(".")


def test_annotation_text_is_shown_as_text_never_markup() -> None:
    from datetime import date as _d

    note = "Commitment done: <b>mobile</b> <a href='x'>clinics</a>"
    fig = F.trend_figure(_trend(), None, title="t", series="Statewide value", y_title="%",
                         fmt=lambda v: f"{v:.1f}%",
                         annotations=[(_d(2026, 3, 31), "commitment", note)])
    texts = [a.hovertext for a in fig.layout.annotations if "mobile" in (a.hovertext or "")]
    assert texts and all("<" not in t and "&lt;b&gt;" in t for t in texts)
    assert all("<" not in (a.text or "") for a in fig.layout.annotations)


def test_trend_axis_stays_within_the_measure_range() -> None:
    wide = _trend().with_columns(pl.Series("CI high", [54.0, 57.0, 130.0, 60.0]),
                                 pl.Series("CI low", [50.0, 53.0, -20.0, 56.0]))
    fig = F.trend_figure(wide, TARGET, title="t", series="s", y_title="%", fmt=FMT,
                         bounds=(0.0, 100.0))
    lo, hi = fig.layout.yaxis.range
    assert lo >= 0.0 and hi <= 100.0  # a share never past 100%
    band = next(t for t in fig.data if t.fill == "toself")
    assert max(band.y) <= 100.0 and min(band.y) >= 0.0


def test_trend_annotation_labels_are_short_and_staggered() -> None:
    notes = [(date(2025, 2, 1), "policy", "A long policy note about mobile clinics opening "
              "in three counties"), (date(2025, 2, 15), "event", "Storm")]
    fig = F.trend_figure(_trend(), TARGET, title="t", series="s", y_title="%", fmt=FMT,
                         annotations=notes)
    labels = [a for a in fig.layout.annotations if a.hovertext]
    assert all(len(a.text) <= 32 for a in labels)
    assert labels[0].hovertext.startswith("policy: A long policy note about mobile clinics")
    assert len({a.y for a in labels}) == 2  # neighbours on different lines


def test_rejected_rows_are_visible_beside_many_accepted_with_full_numbers() -> None:
    from datetime import datetime

    from dashboard.figures_governance import batches_figure

    history = pl.DataFrame({"batch_id": [1, 2], "received_at": [datetime(2026, 10, 1),
                                                                 datetime(2026, 11, 1)],
                            "file": ["a.csv", "b.csv"], "rows_accepted": [491_503, 15_936],
                            "rows_rejected": [47_880, 3]})
    fig = batches_figure(history, "Wages")
    acc, rej = fig.data
    assert list(rej.text) == ["47,880 rejected", "3 rejected"]  # never cut to "4"
    assert rej.yaxis == "y2" and fig.layout.yaxis2.range[1] >= 47_880  # own scale
    assert fig.layout.yaxis.range[1] >= 491_503
    assert rej.constraintext == "none" and rej.cliponaxis is False


def test_heatmap_uses_the_one_direction_better_blue() -> None:
    from metrics.presentation import BETTER, WORSE

    cross = pl.DataFrame({"Region": ["Capital", "Harbor"], "Group": ["Asian", "Asian"],
                          "Value": [60.0, 40.0], "Reliability": ["reliable", "reliable"]})
    for higher_better, top in ((True, BETTER), (False, WORSE)):
        fig = F.region_group_heatmap(cross, title="t", fmt=FMT, what="Share",
                                     higher_better=higher_better)
        scale = fig.data[0].colorscale
        assert scale[-1][1] == top  # the highest value's colour follows the direction
