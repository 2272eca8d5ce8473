"""The public site in a real browser: pages, accessibility (axe-core), downloads, no way in.

The server is started the way the public runs it: ``statdesk serve-public SNAPSHOT --port N``
on a snapshot published from the demo state. axe-core comes from the PyPI package
``axe-playwright-python`` (it bundles axe.min.js; no network needed at test time).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from metrics.access import operator
from metrics.publish import build_snapshot
from tests.conftest import AS_OF, ROOT
from tests.e2e.conftest import (
    free_port,
    main_text,
    open_page,
    python_errors,
    sidebar_pages,
    wait_for_app,
    wait_for_charts,
)
from tests.metrics.test_publish import demo_source

pytestmark = pytest.mark.e2e
PAGES = ["/", "/outcome?kpi=prenatal_care", "/outcome?kpi=infant_mortality", "/about"]


@pytest.fixture(scope="module")
def snapshot(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    return build_snapshot(demo_source(demo_workspace), out, as_of=AS_OF, published_by="staff", acting=operator()).path


@pytest.fixture(scope="module")
def public_server(snapshot: Path) -> Iterator[str]:
    """``statdesk serve-public`` on the snapshot's parent folder (it serves the latest version)."""
    port = free_port()
    log = snapshot.parent / f"public-{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATDESK_")}
    statdesk = str(Path(sys.executable).parent / "statdesk")
    with log.open("wb") as out:
        proc = subprocess.Popen([statdesk, "serve-public", str(snapshot.parent), "--port", str(port)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"serve-public exited:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"public site did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the command and the streamlit it started
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _axe() -> Any:
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        if os.environ.get("STATDESK_REQUIRE_BROWSER") == "1":
            pytest.fail("axe-playwright-python is not installed (pip install axe-playwright-python)")
        pytest.skip("axe-playwright-python is not installed; accessibility check skipped")
    return Axe()


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_and_has_no_serious_accessibility_violation(page: Any, public_server: str,
                                                                 path: str) -> None:
    open_page(page, public_server, path)
    if "outcome" in path:
        wait_for_charts(page, 3)
    assert python_errors(page) == []
    assert page.locator("h1").count() >= 1
    results = _axe().run(page)
    bad = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
           for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], bad


def test_headings_are_in_order(page: Any, public_server: str) -> None:
    open_page(page, public_server, "/outcome?kpi=prenatal_care")
    levels = page.eval_on_selector_all(
        '[data-testid="stMain"] h1, [data-testid="stMain"] h2, [data-testid="stMain"] h3',
        "els => els.map(e => Number(e.tagName[1]))")
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels


def test_downloads_hold_the_published_files(page: Any, public_server: str, snapshot: Path) -> None:
    open_page(page, public_server, "/outcome?kpi=prenatal_care")
    button = page.get_by_role("button", name="Births with prenatal care in the first trimester (CSV)")
    with page.expect_download() as info:
        button.click()
    got = Path(info.value.path()).read_bytes()
    assert got == (snapshot / "kpis" / "prenatal_care.csv").read_bytes()
    open_page(page, public_server, "/about")
    with page.expect_download() as info:
        page.get_by_role("button", name="DCAT-US catalog (data.json)").click()
    assert Path(info.value.path()).read_bytes() == (snapshot / "data.json").read_bytes()


@pytest.mark.parametrize("path", ["/session", "/publish", "/data-health", "/catalog"])
def test_internal_pages_do_not_exist_here(page: Any, public_server: str, path: str) -> None:
    open_page(page, public_server, path)
    wait_for_app(page)
    assert [t for t, _ in sidebar_pages(page)] == ["Priority outcomes", "Outcome detail",
                                                   "About the data"]
    text = main_text(page)
    for internal in ("Stat session", "Commitments", "Publish the public", "Data health",
                     "Catalog and governance", "quarantine"):
        assert internal not in text


def test_private_kpi_shows_nothing(page: Any, public_server: str) -> None:
    open_page(page, public_server, "/outcome?kpi=repeat_maltreatment")
    text = main_text(page)
    assert "Outcome not published" in text
    assert "maltreatment" not in text.lower().replace("repeat_maltreatment", "")
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0


@pytest.mark.parametrize(("path", "heading"), [("/outcome?kpi=prenatal_care", "h2"), ("/", "h4")])
def test_spanish_summary_is_marked_as_spanish(page: Any, public_server: str, snapshot: Path,
                                              path: str, heading: str) -> None:
    resumen = json.loads((snapshot / "summaries.json").read_text())["es"]["prenatal_care"]["text"]
    open_page(page, public_server, path)
    main = page.locator('[data-testid="stMain"]')
    main.locator(f'{heading}[lang="es"]').first.wait_for(timeout=30_000)
    assert main.locator(f'{heading}[lang="es"]').first.inner_text().strip() == "Resumen"
    texts = [t.strip() for t in main.locator('p[lang="es"]').all_inner_texts()]
    assert resumen in texts


def test_the_home_pages_own_address_opens_it(page: Any, public_server: str) -> None:
    """/home is the priority outcomes page at "/", not a "Page not found" box."""
    open_page(page, public_server, "/home")
    page.wait_for_url(f"{public_server}/")
    wait_for_app(page)
    assert python_errors(page) == []
    assert page.locator("h1").first.inner_text().strip() != ""
    assert [t for t, _ in sidebar_pages(page)] == ["Priority outcomes", "Outcome detail",
                                                   "About the data"]
