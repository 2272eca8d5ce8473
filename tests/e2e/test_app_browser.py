"""The internal app in a real browser: the stat session, a deep link, every page, a bad link."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AS_OF, ROOT
from tests.e2e.conftest import (
    CHART,
    main_text,
    open_page,
    python_errors,
    sidebar_pages,
    table_csvs,
    wait_for_app,
    wait_for_charts,
)

pytestmark = pytest.mark.e2e

# A first request must reach a drawn page within this many seconds, even on a busy machine.
MAX_LOAD_SECONDS = 60.0


@pytest.fixture(scope="module")
def expected(demo_workspace: Path) -> dict[str, Any]:
    """What the stat session must show, computed by the library on the same workspace."""
    from metrics.engine import load_observations
    from metrics.feedstate import feed_through
    from metrics.scorecard import latest_month, scorecard
    from metrics.workspace import Workspace

    ws = Workspace.open(demo_workspace)
    obs = load_observations(ws.engine)
    with ws.session() as s:
        through = feed_through(s, ws.register)
    rows = scorecard(ws.register, obs, month=latest_month(obs), as_of=AS_OF, feed_through=through)
    return {"names": {r.kpi_id: r.name for r in rows},
            "status_of": {r.kpi_id: str(r.status) for r in rows},
            "statuses": Counter(str(r.status) for r in rows),
            "register": ws.register}


def test_stat_session_shows_every_kpi_with_its_status(page: Any, app_server: str,
                                                      expected: dict[str, Any]) -> None:
    took = open_page(page, app_server, "/")
    assert took < MAX_LOAD_SECONDS
    assert python_errors(page) == []
    text = main_text(page)
    assert "Stat session" in text
    # One line per KPI in the tables (as downloaded), else the page's text as one line.
    lines = [ln for csv in table_csvs(page) for ln in csv.splitlines()] + [text]
    assert len(expected["statuses"]) >= 3, "the demo should span several statuses"
    for kpi_id, name in expected["names"].items():
        status = expected["status_of"][kpi_id]
        shown = [ln for ln in lines if name in ln]
        assert shown, f"KPI '{name}' is missing from the stat session"
        assert any(re.search(rf"\b{re.escape(status)}\b", ln, re.IGNORECASE) for ln in shown), \
            f"KPI '{name}' is shown without its status in words ('{status}')"


def test_deep_link_to_a_kpi_draws_its_chart(page: Any, app_server: str,
                                            expected: dict[str, Any]) -> None:
    kpi = expected["register"].kpis["prenatal_care"]
    took = open_page(page, app_server, "/kpi?id=prenatal_care")
    assert took < MAX_LOAD_SECONDS
    assert wait_for_charts(page, 1) >= 1
    box = page.locator(CHART).first.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 150
    assert kpi.name in main_text(page)
    assert python_errors(page) == []
    # The link survives: the address still names the KPI.
    assert "id=prenatal_care" in page.url


def test_every_page_in_the_sidebar_opens_without_an_error(page: Any, app_server: str) -> None:
    open_page(page, app_server, "/")
    pages = sidebar_pages(page)
    titles = [t for t, _ in pages]
    assert "Stat session" in titles and "KPI detail" in titles, titles
    for title, href in pages:
        page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        page.wait_for_url(lambda url, href=href: url.split("?")[0] == href.split("?")[0])
        page.wait_for_timeout(300)  # let the rerun start before waiting for it to end
        wait_for_app(page)
        errors = python_errors(page)
        assert errors == [], f"page '{title}' ({page.url}) shows {errors}"
        assert main_text(page).strip(), f"page '{title}' is empty"


def _view_paths() -> list[str]:
    """A first-request address for every page of the app (deep links carry their parameter)."""
    from dashboard.pages_registry import PAGES

    params = {"kpi": "?id=prenatal_care"}
    return [f"/{p.url_path}{params.get(p.url_path, '')}" for p in PAGES
            if (ROOT / "dashboard" / p.path).exists()]


@pytest.mark.parametrize("path", _view_paths())
def test_first_request_on_each_view_loads_in_time(page: Any, app_server: str, path: str) -> None:
    took = open_page(page, app_server, path)
    assert python_errors(page) == []
    assert took < MAX_LOAD_SECONDS, f"{path} took {took:.1f} s"


def test_unknown_kpi_says_so_and_offers_a_way_back(page: Any, app_server: str) -> None:
    open_page(page, app_server, "/kpi?id=no_such_kpi")
    assert python_errors(page) == []
    alert = page.locator('[data-testid="stMain"] [data-testid="stAlert"]')
    assert alert.count() >= 1, "no message for an unknown KPI"
    assert "no_such_kpi" in (alert.first.text_content() or "")
    assert page.locator(CHART).count() == 0
    back = page.locator('[data-testid="stMain"] a[href]:not([href^="#"])')
    assert back.count() >= 1, "no link back from an unknown KPI"
    back.first.click()
    page.wait_for_timeout(300)
    wait_for_app(page)
    assert python_errors(page) == []
    assert "no_such_kpi" not in main_text(page)


def test_the_stat_sessions_own_address_opens_it_with_its_parameters(page: Any,
                                                                      app_server: str) -> None:
    """/session (the default page's path in the registry) is the stat session at "/", not a
    "Page not found" box; its parameters come along."""
    open_page(page, app_server, "/session?present=on")
    page.wait_for_url(f"{app_server}/?present=on")
    wait_for_app(page)
    assert python_errors(page) == []
    assert page.get_by_role("link", name="Leave presentation mode").count() == 1
