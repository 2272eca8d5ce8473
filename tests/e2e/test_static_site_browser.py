"""The static public site of a snapshot in a real browser: every page passes axe-core
(no serious or critical violation), asks no other host for anything, and draws hidden
periods as gaps.

The folder is served by Python's plain static file server, as any web host would.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from metrics.access import operator
from metrics.publish import build_snapshot
from tests.conftest import AS_OF
from tests.e2e.test_public_browser import _axe
from tests.metrics.test_publish import demo_source

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    out = tmp_path_factory.mktemp("static")
    snap = build_snapshot(demo_source(demo_workspace), out, as_of=AS_OF, published_by="staff",
                          acting=operator()).path
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(snap))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield snap, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_every_static_page_is_accessible_and_self_contained(page: Any, site: tuple[Path, str]) -> None:
    snap, base = site
    pages = sorted(p.relative_to(snap).as_posix() for p in snap.rglob("*.html"))
    assert "index.html" in pages and "about.html" in pages
    assert len([p for p in pages if p.startswith("kpi/")]) == 19
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(base) or r.url.startswith("data:")
            else outside.append(r.url))
    for name in pages:
        page.goto(f"{base}/{name}")
        assert page.locator("h1").count() == 1, name
        results = _axe().run(page)
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert bad == [], (name, bad)
    assert outside == []


def test_home_tiles_and_links(page: Any, site: tuple[Path, str]) -> None:
    snap, base = site
    page.goto(f"{base}/index.html")
    tiles = page.locator("li.tile")
    assert tiles.count() == 19
    first = tiles.first
    assert first.locator(".status").inner_text().startswith("Status: ")
    assert first.locator("svg[role=img]").count() == 1
    href = first.locator("h3 a").get_attribute("href")
    page.goto(f"{base}/{href}")
    assert page.locator("table").count() >= 3
    # downloads named on the page exist
    for a in page.locator("a[href^='../kpis/']").all():
        target = (snap / "kpi" / a.get_attribute("href")).resolve()
        assert target.is_file(), target
