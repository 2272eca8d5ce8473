"""The equity review in a real browser: a deep link draws the region x group heatmap."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import CHART, main_text, open_page, python_errors, wait_for_charts

pytestmark = pytest.mark.e2e

HEATMAP_TITLE = "Births with prenatal care in the first trimester by region and group"


def test_deep_link_draws_the_heatmap(page: Any, app_server: str) -> None:
    open_page(page, app_server, "/equity?kpi=prenatal_care")
    assert wait_for_charts(page, n=6) >= 6
    assert python_errors(page) == []
    text = main_text(page)
    assert "Equity review" in text and "Reference: Asian." in text
    heat = page.locator('[data-testid="stPlotlyChart"]', has_text=HEATMAP_TITLE)
    heat.scroll_into_view_if_needed()
    # Plotly draws a heatmap as an image inside its heatmap layer, and the cell labels as text.
    page.wait_for_function(
        "t => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
        ".some(c => c.textContent.includes(t) && c.querySelector('.heatmaplayer image'))",
        arg=HEATMAP_TITLE, timeout=60_000)
    labels = heat.locator(".main-svg text").all_text_contents()
    assert any("fewer than" in t for t in labels)
    assert any(t.endswith("%") for t in labels)
    assert page.locator(CHART).count() >= 6
