"""Fixtures and helpers for browser tests (real server, real Chromium).

Fixtures
    ``app_server``   base URL (``http://127.0.0.1:PORT``) of the internal app started as
                     ``statdesk run`` starts it (``python -m dashboard.serve``, pages prepared)
                     on the shared demo workspace, STATDESK_AS_OF=2026-11-25; one per session.
    ``served_app``   (base URL, server log) of that same server.
    ``browser``      a Playwright Chromium (Debian's ``/usr/bin/chromium``); one per session.
    ``page``         a fresh page in a fresh browser context (1400x1000), closed after the test.

Helpers (``from tests.e2e.conftest import open_page, wait_for_app, ...``)
    ``wait_for_app(page)``          wait until the script has finished and nothing is loading.
    ``open_page(page, base, path)`` go to ``base + path``, wait, return the seconds it took;
                                    the time is kept for the load-time summary at the end.
    ``wait_for_charts(page, n=1)``  wait until ``n`` charts are drawn (Plotly or SVG images).
    ``python_errors(page)``         exception boxes and Python error names shown on the page.
    ``main_text(page)``             the text of the main area (hidden text included).
    ``sidebar_pages(page)``         the (title, href) of every page in the sidebar navigation.
    ``table_csvs(page)``            the CSV of every ``st.dataframe`` (tables are canvas-drawn).

Mark browser tests ``@pytest.mark.e2e``. Without Chromium they are skipped with the reason,
unless ``STATDESK_REQUIRE_BROWSER=1`` (as in CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AS_OF, ROOT, chromium_path

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
APP_READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
LOADING = ('[data-testid="stStatusWidget"], [data-testid="stSkeleton"], '
           '[data-testid="stSkeletonElement"]')
# a chart drawn by Plotly in the browser, or drawn on the server (an SVG image) and loaded
CHART = ('[data-testid="stPlotlyChart"] .main-svg, '
         'img[src^="data:image/svg+xml"]')
EXCEPTION = '[data-testid="stException"]'
# Names of Python exceptions (KeyError, StreamlitAPIException, ...) and tracebacks.
PYTHON_ERROR = re.compile(r"Traceback \(most recent call last\)|\b[A-Z][A-Za-z]*(?:Error|Exception)\b")
SERVER_START_TIMEOUT = 90.0
# What ``dashboard.serve`` logs once the pages are prepared (or could not be).
PREPARED = re.compile(r"^StatDesk: .*(pages prepared|could not be prepared)", re.M)

# Text nodes joined by spaces, so that words in neighbouring elements stay apart.
_TEXT_JS = """sel => {
  const root = document.querySelector(sel);
  if (!root) return "";
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const parts = [];
  while (walk.nextNode()) parts.push(walk.currentNode.nodeValue);
  return parts.join(" ");
}"""

# (path, seconds) of every open_page() call, printed at the end of the run.
PAGE_LOADS: list[tuple[str, float]] = []


def _no_browser(reason: str) -> None:
    if os.environ.get("STATDESK_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (STATDESK_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(workspace: Path, *, env: dict[str, str] | None = None,
                 app: str = "dashboard/app.py", prepare: bool = False
                 ) -> tuple[subprocess.Popen[bytes], str, Path]:
    """Start ``streamlit run APP`` on a free port; return (process, base URL, log file).

    The server runs on ``workspace`` with STATDESK_AS_OF pinned; extra ``env`` wins.
    ``prepare``: started as ``statdesk run`` starts it (``python -m dashboard.serve``), and
    returned once the log says whether its pages were prepared.
    The caller stops it with ``stop_server``.
    """
    port = free_port()
    log = workspace.parent / f"streamlit-{port}.log"
    full_env = {k: v for k, v in os.environ.items() if k != "STATDESK_DATABASE_URL"}
    full_env.update({"STATDESK_WORKSPACE": str(workspace), "STATDESK_AS_OF": AS_OF.isoformat()})
    full_env.update(env or {})
    launcher = ["-m", "dashboard.serve", app] if prepare else ["-m", "streamlit", "run", app]
    cmd = [sys.executable, *launcher, "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                answered = r.read().decode().strip() == "ok"
            if answered and (not prepare or PREPARED.search(log.read_text(errors="replace"))):
                return proc, base, log
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError(f"streamlit did not answer on {base} within {SERVER_START_TIMEOUT:.0f} s:\n"
                       f"{log.read_text()[-3000:]}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def served_app(demo_workspace: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, server log) of the internal app on the demo workspace, started as
    ``statdesk run`` starts it, its pages prepared."""
    proc, base, log = start_server(demo_workspace, prepare=True)
    try:
        yield base, log
    finally:
        stop_server(proc)


@pytest.fixture(scope="session")
def app_server(served_app: tuple[str, Path]) -> str:
    """Base URL of the internal app running on the demo workspace."""
    return served_app[0]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (skips, or fails under CI, when it is missing)."""
    exe = chromium_path()
    if exe is None:
        _no_browser("Debian's chromium is not installed (apt-get install chromium); "
                    "browser tests skipped")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("the playwright package is not installed (make install); browser tests skipped")
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001 - a broken browser install
        pw.stop()
        _no_browser(f"chromium at {exe} does not start: {str(exc).splitlines()[0]}")
    try:
        yield b
    finally:
        b.close()
        pw.stop()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A fresh page in its own context (no shared cookies or session state)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    # Without the native save dialog, a table's "Download as CSV" becomes a plain download.
    context.add_init_script("delete window.showSaveFilePicker;")
    context.set_default_timeout(90_000)
    p = context.new_page()
    try:
        yield p
    finally:
        context.close()


def wait_for_app(page: Any, timeout: float = 90.0) -> None:
    """Wait until the script run is over and no spinner or skeleton remains."""
    ms = timeout * 1000
    page.wait_for_selector(APP_READY, timeout=ms)
    page.wait_for_function(
        "sel => document.querySelectorAll(sel).length === 0", arg=LOADING, timeout=ms)
    page.wait_for_selector(APP_READY, timeout=ms)


def open_page(page: Any, base: str, path: str = "/", timeout: float = 90.0) -> float:
    """Load ``base + path`` as a first request, wait for the app; return (and keep) the seconds."""
    t0 = time.perf_counter()
    page.goto(base + path, wait_until="domcontentloaded")
    wait_for_app(page, timeout)
    took = time.perf_counter() - t0
    PAGE_LOADS.append((path, took))
    return took


def wait_for_charts(page: Any, n: int = 1, timeout: float = 90.0) -> int:
    """Wait until at least ``n`` charts are drawn; return how many are."""
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length >= n",
                           arg=[CHART, n], timeout=timeout * 1000)
    return int(page.locator(CHART).count())


def main_text(page: Any) -> str:
    """Text of the main area, including text in collapsed expanders and tabs."""
    return str(page.evaluate(_TEXT_JS, '[data-testid="stMain"]'))


def python_errors(page: Any) -> list[str]:
    """Exception boxes, Python error names or tracebacks visible anywhere on the page, and
    Streamlit's "Page not found" box (an address that leads nowhere)."""
    found = [str(t) for t in page.locator(EXCEPTION).all_text_contents()]
    found += [str(t) for t in page.locator('[role="dialog"]').all_inner_texts()
              if "Page not found" in t]
    text = str(page.locator('[data-testid="stApp"]').first.inner_text())
    found += [m.group(0) for m in PYTHON_ERROR.finditer(text)]
    return found


def table_csvs(page: Any, scope: str = '[data-testid="stMain"]') -> list[str]:
    """The CSV of every ``st.dataframe`` in ``scope``, through its own "Download as CSV" button.

    Tables are drawn on a canvas, so their cells are not in the page's text; this is the
    data the table shows, as a user downloads it. Needs the ``page`` fixture's context.
    """
    out: list[str] = []
    frames = page.locator(f'{scope} [data-testid="stDataFrame"]')
    for i in range(frames.count()):
        button = frames.nth(i).locator('button[aria-label="Download as CSV"]')
        with page.expect_download(timeout=30_000) as download:
            button.evaluate("b => b.click()")  # the toolbar only shows on hover
        out.append(Path(download.value.path()).read_text(encoding="utf-8-sig"))
    return out


def sidebar_pages(page: Any) -> list[tuple[str, str]]:
    """(title, href) of every page in the sidebar navigation, expanding "View more" first."""
    more = page.locator('[data-testid="stSidebarNavViewButton"]')
    if more.count() and "more" in (more.first.text_content() or "").lower():
        more.first.click()
    links = page.locator('[data-testid="stSidebarNav"] a')
    out: list[tuple[str, str]] = []
    for i in range(links.count()):
        a = links.nth(i)
        shown = a.evaluate("""el => { const c = el.cloneNode(true);
            c.querySelectorAll('[data-testid="stIconMaterial"]').forEach(i => i.remove());
            return c.textContent; }""")
        title = re.sub(r"^\W+", "", str(shown or "").strip())  # drop the icon
        out.append((title, str(a.get_attribute("href") or "")))
    return out


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not PAGE_LOADS:
        return
    by_path: dict[str, list[float]] = {}
    for path, s in PAGE_LOADS:
        by_path.setdefault(path, []).append(s)
    terminalreporter.section("page load (first request to app idle, seconds)")
    for path, times in sorted(by_path.items()):
        terminalreporter.write_line(
            f"{path:<40} median {statistics.median(times):6.2f}  max {max(times):6.2f}  n={len(times)}")
