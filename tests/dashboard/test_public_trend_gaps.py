"""The public trend chart keeps time order: a hidden period is a gap, not moved to the end."""

from __future__ import annotations

from datetime import date

import polars as pl

from dashboard.public_figures import trend_chart
from metrics.public_html import svg_line


def _rows() -> pl.DataFrame:
    return pl.DataFrame({
        "period": ["2026-01", "2026-02", "2026-03", "2026-04"],
        "period_end": [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)],
        "value": [10.0, 99.0, 12.0, 13.0], "ci_low": [9.0, 98.0, 11.0, 12.0],
        "ci_high": [11.0, 100.0, 13.0, 14.0], "suppressed": [False, True, False, False]})


def test_hidden_period_is_a_gap_in_time_order() -> None:
    fig = trend_chart({"name": "Outcome", "unit": "%"}, _rows().reverse(), None, {})
    line = fig.data[0]
    assert list(line.x) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert list(line.y) == [10.0, None, 12.0, 13.0]  # the hidden figure is not drawn
    assert line.connectgaps is False
    assert list(fig.layout.xaxis.categoryarray) == list(line.x)


def test_static_sparkline_breaks_the_line_at_a_hidden_period() -> None:
    svg = svg_line([("2026-01", 10.0), ("2026-02", None), ("2026-03", 12.0), ("2026-04", 13.0)],
                   label="Outcome over time")
    assert svg.count("<polyline") == 2 and 'role="img"' in svg and "<title>" in svg
