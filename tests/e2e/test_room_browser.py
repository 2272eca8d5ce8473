"""The stat-session room in Chromium at 1366 and 1920 pixels wide: every page opens without
an error, without horizontal scrolling and without a serious or critical axe-core
violation; every scorecard row shows its reason in words on screen; presentation mode
moves by keyboard. Screenshots go to ``$STATDESK_SCREENSHOTS`` (else the test's tmp dir).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AS_OF, ROOT
from tests.e2e.conftest import main_text, open_page, python_errors, wait_for_app

pytestmark = pytest.mark.e2e

WIDTHS = {1366: 768, 1920: 1080}


def _pages() -> list[str]:
    from dashboard.pages_registry import PAGES

    return [p.url_path for p in PAGES if (ROOT / "dashboard" / p.path).exists()]


@pytest.fixture(scope="module")
def statuses(demo_workspace: Path) -> list[Any]:
    from metrics.engine import load_observations
    from metrics.feedstate import feed_through
    from metrics.scorecard import latest_month, scorecard
    from metrics.workspace import Workspace

    ws = Workspace.open(demo_workspace)
    obs = load_observations(ws.engine)
    with ws.session() as s:
        through = feed_through(s, ws.register)
    return scorecard(ws.register, obs, month=latest_month(obs), as_of=AS_OF,
                     feed_through=through)


@pytest.fixture()
def sized(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    width = request.param
    context = browser.new_context(viewport={"width": width, "height": WIDTHS[width]})
    context.set_default_timeout(90_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _shot(page: Any, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("STATDESK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def _serious_axe(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {n['target']}" for v in found
            if v["impact"] in ("serious", "critical") for n in v["nodes"]]


def _cut_text(page: Any) -> list[str]:
    """Texts in the main area cut off with an ellipsis ("34.4 per 100,…")."""
    return list(page.evaluate("""() => [...document.querySelectorAll(
        '[data-testid="stMain"] *')].filter(e => e.children.length === 0 && e.textContent.trim()
        && getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1
        && !e.closest('[data-baseweb="select"]')).map(e => e.textContent.trim())"""))


def _spilling(page: Any) -> list[str]:
    """Texts in a table cell of the main area that run past their cell's edge (a badge over
    the next column's KPI name)."""
    return list(page.evaluate("""() => [...document.querySelectorAll(
        '[data-testid="stMain"] td')].flatMap(td => {
          const cell = td.getBoundingClientRect();
          return [...td.querySelectorAll('*')].filter(e => {
            const b = e.getBoundingClientRect();
            return b.width > 0 && (b.right > cell.right + 1 || b.left < cell.left - 1);
          }).map(e => e.textContent.trim().slice(0, 80));
        })"""))


def _overflow(page: Any) -> int:
    """How many pixels the main area would scroll sideways (0: none)."""
    return int(page.evaluate("""() => {
        const m = document.querySelector('[data-testid="stMain"]');
        return Math.max(m.scrollWidth - m.clientWidth,
                        document.documentElement.scrollWidth - window.innerWidth); }"""))


@pytest.mark.parametrize("sized", list(WIDTHS), indirect=True, ids=lambda w: f"{w}px")
@pytest.mark.parametrize("url_path", _pages())
def test_every_page_is_readable_and_accessible(sized: Any, app_server: str, url_path: str,
                                               tmp_path: Path) -> None:
    page = sized
    open_page(page, app_server, f"/{url_path}")
    page.wait_for_timeout(400)
    width = page.viewport_size["width"]
    _shot(page, f"{url_path}-{width}", tmp_path)
    assert python_errors(page) == []
    assert page.locator('[data-testid="stMain"] [data-testid="stAlert"]:has-text("Error")'
                        ).count() == 0
    assert main_text(page).strip(), f"{url_path} is empty"
    assert _overflow(page) <= 1, f"{url_path} scrolls sideways at {width} px"
    assert _cut_text(page) == [], f"{url_path} cuts text off at {width} px"
    assert _spilling(page) == [], f"{url_path}: text runs out of its table cell at {width} px"
    assert _serious_axe(page) == []


@pytest.mark.parametrize("sized", list(WIDTHS), indirect=True, ids=lambda w: f"{w}px")
def test_each_scorecard_row_shows_its_reason_on_screen(sized: Any, app_server: str,
                                                       statuses: list[Any],
                                                       tmp_path: Path) -> None:
    page = sized
    open_page(page, app_server, "/")
    width = page.viewport_size["width"]
    for s in statuses:
        row = page.locator(f'tr.sd-row[data-kpi="{s.kpi_id}"]')
        assert row.count() == 1, s.kpi_id
        reason = row.locator("td.sd-why")
        reason.scroll_into_view_if_needed()
        assert reason.inner_text().strip() == s.explanation, s.kpi_id
        box = reason.bounding_box()
        assert box is not None and box["width"] > 150, s.kpi_id
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, s.kpi_id  # never cut off
        text = row.inner_text()
        for part in (s.name, s.value_text, s.target_text, s.status.capitalize()):
            assert part in text, (s.kpi_id, part)
    assert _spilling(page) == [], f"text runs out of its scorecard cell at {width} px"
    _shot(page, f"session-rows-{width}", tmp_path)


@pytest.mark.parametrize("sized", [1920], indirect=True, ids=lambda w: f"{w}px")
def test_presentation_mode_moves_by_keyboard(sized: Any, app_server: str,
                                             tmp_path: Path) -> None:
    page = sized
    open_page(page, app_server, "/")
    page.get_by_role("link", name="Presentation mode (projector)").first.click()
    wait_for_app(page)
    heading = page.locator('[data-testid="stMain"] h2').first
    assert heading.inner_text().strip() == "Healthy people and families"
    size = float(page.evaluate("""() => parseFloat(getComputedStyle(
        document.querySelector('[data-testid="stMain"] p')).fontSize)"""))
    assert size >= 22  # projector type
    assert page.locator('[data-testid="stSidebar"]').is_hidden()
    _shot(page, "session-present-1920", tmp_path)
    for key, expected in (("ArrowRight", "Economic opportunity"),
                          ("ArrowLeft", "Healthy people and families")):
        heading.click()  # focus on the page, not on a widget
        page.keyboard.press(key)
        page.wait_for_function(  # the rerun may start late on a busy machine
            """t => { const h = document.querySelector('[data-testid="stMain"] h2');
                      return h && h.innerText.trim() === t; }""", arg=expected,
            timeout=60_000)
        wait_for_app(page)
        assert heading.inner_text().strip() == expected
    assert python_errors(page) == []


def test_packet_chart_labels_are_never_clipped(browser: Any, demo_workspace: Path,
                                               tmp_path: Path) -> None:
    """The packet's SVG charts in Chromium: every text inside its chart, none cut off."""
    from metrics.commitments import list_commitments
    from metrics.engine import load_observations
    from metrics.packet import build_packet_html
    from metrics.scorecard import latest_month, scorecard
    from metrics.workspace import Workspace

    ws = Workspace.open(demo_workspace)
    obs = load_observations(ws.engine)
    month = latest_month(obs)
    assert month is not None
    with ws.session() as s:
        views = list_commitments(s, as_of=AS_OF, open_only=True)
    html = build_packet_html(ws.register, obs, scorecard(ws.register, obs, month=month,
                                                         as_of=AS_OF), views, month=month,
                             as_of=AS_OF)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.set_content(html)
        clipped = page.evaluate("""() => {
            const out = [];
            for (const svg of document.querySelectorAll('svg.chart')) {
              const box = svg.getBoundingClientRect();
              for (const t of svg.querySelectorAll('text')) {
                const r = t.getBoundingClientRect();
                if (r.left < box.left - 0.5 || r.right > box.right + 0.5 ||
                    r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
                  out.push(svg.querySelector('title').textContent + ': ' + t.textContent);
              }
            }
            return [document.querySelectorAll('svg.chart').length, out]; }""")
        n, cut = clipped
        page.locator("svg.chart").first.scroll_into_view_if_needed()
        _shot(page, "packet-chart-1366", tmp_path)
    finally:
        context.close()
    assert n >= 10
    assert cut == []
