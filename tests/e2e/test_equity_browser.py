"""The equity review in a real browser: a deep link draws the region x group heatmap."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import CHART, main_text, open_page, python_errors, wait_for_charts

pytestmark = pytest.mark.e2e

HEATMAP_TITLE = "Births with prenatal care in the first trimester by region and group"


def test_deep_link_draws_the_heatmap(page: Any, app_server: str) -> None:
    open_page(page, app_server, "/equity?kpi=prenatal_care")
    assert wait_for_charts(page, n=3) >= 3  # gaps, disparities, heatmap
    assert python_errors(page) == []
    text = main_text(page)
    assert "Equity review" in text and "Reference: Asian." in text
    # the heatmap is an SVG image drawn on the server: named by its title, labelled cells
    heat = page.locator(f'img.sd-chart[alt*="{HEATMAP_TITLE}"]')
    assert heat.count() == 1
    heat.scroll_into_view_if_needed()
    box = heat.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150
    svg = page.evaluate("img => atob(img.src.split(',')[1])", heat.element_handle())
    # each label's words, its lines (tspans) joined
    labels = [" ".join(re.findall(r">([^<]+)<", t))
              for t in re.findall(r"<text[^>]*>.*?</text>", svg, re.S)]
    assert any("fewer than" in t for t in labels)
    assert any(t.endswith("%") for t in labels)
    assert page.locator(CHART).count() >= 3
