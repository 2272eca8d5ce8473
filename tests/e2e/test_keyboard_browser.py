"""The stat session, KPI and commitments pages by keyboard alone, in Chromium at 1366 px.

Only Tab, the arrow keys, typing and Enter are used: from the stat session to a KPI, a
region chosen on the KPI page, and a commitment recorded (the last one in
``test_commitments_browser.py``, on a private workspace).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.conftest import python_errors, wait_for_app

pytestmark = pytest.mark.e2e

#: What has the keyboard focus: tag, accessible label, text, link, role.
FOCUSED = """() => { const e = document.activeElement;
  return {tag: e.tagName, label: e.getAttribute('aria-label') || '',
          text: (e.innerText || '').trim(), href: e.getAttribute('href') || '',
          role: e.getAttribute('role') || ''}; }"""


def tab_to(page: Any, wanted: Any, limit: int = 80) -> dict[str, str]:
    """Press Tab until the focused element satisfies ``wanted``; return it (the test fails
    with the elements passed on the way when it is not reached)."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if wanted(focused):
            return dict(focused)
        seen.append(f"{focused['tag']} {focused['label'] or focused['text'][:40]!r}")
    raise AssertionError(f"not reached by Tab in {limit} presses: {seen}")


@pytest.fixture()
def laptop(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.set_default_timeout(90_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_from_the_stat_session_to_a_kpi_by_keyboard(laptop: Any, app_server: str) -> None:
    page = laptop
    page.goto(app_server + "/", wait_until="domcontentloaded")
    wait_for_app(page)
    first = tab_to(page, lambda f: True, limit=1)
    assert first["text"] == "Skip to main content"  # the first Tab offers to skip the menu
    link = tab_to(page, lambda f: f["tag"] == "A" and f["href"].startswith("kpi?id=")
                  and not f["text"].startswith("trending_up"))  # a scorecard row's KPI
    page.keyboard.press("Enter")
    page.wait_for_url("**/kpi?id=**")
    wait_for_app(page)
    assert parse_qs(urlparse(page.url).query)["id"] == parse_qs(link["href"].split("?")[1])["id"]
    assert page.locator("h1").first.inner_text().strip() == link["text"]
    assert python_errors(page) == []


def test_a_region_chosen_by_keyboard_changes_the_headline(laptop: Any, app_server: str) -> None:
    page = laptop
    page.goto(app_server + "/kpi?id=prenatal_care", wait_until="domcontentloaded")
    wait_for_app(page)
    tab_to(page, lambda f: f["role"] == "combobox" and f["label"] == "Region")
    page.keyboard.press("ArrowDown")  # opens the list on "Statewide"
    options = page.locator('[role="option"]').all_inner_texts()
    assert options[0] == "Statewide", options
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**region=**")
    wait_for_app(page)
    chosen = options[1]
    headline = page.get_by_text(f"for {chosen} in ").first
    assert headline.is_visible(), f"the headline does not speak of {chosen}"
    assert python_errors(page) == []
