"""Time the demo build and every page of the internal app in a real browser.

    .venv/bin/python benchmarks/page_load.py [--claims 1050000] [--runs 5] [--workspace DIR]
                                             [--screenshot docs/screenshot.png]

1. ``statdesk demo`` into a temporary workspace (as of 2026-11-25): wall time and the
   child's peak resident memory (from ``os.wait4``).
2. ``streamlit run dashboard/app.py`` on that workspace, then Debian's Chromium loads every
   page of the registry as a first request, each in a fresh browser context: seconds from
   request until the script has finished, no element is still loading and every Plotly
   chart is drawn. The moment is taken by the page's own clock (``performance.now()``,
   counted from the navigation's start, the instant that state is first reached), so the
   figures do not include the browser driver's polling and round trips. The app is started
   as ``statdesk run`` starts it (``python -m dashboard.serve``: its pages are prepared once
   the server answers) and timed once that is done; ``--no-prepare`` starts it with plain
   ``streamlit run`` instead, so that the first load of each page waits for the data. The
   first load of each page is shown apart; the median is over ``--runs`` loads after it.
   The same pages are then loaded ``--runs`` times each by a returning visitor: one browser
   context whose HTTP cache already holds the app's scripts (each load still a new tab, a
   new server session and the whole page run and drawn). A bare Streamlit page (a title
   and a sentence) served the same way is timed last, as the floor every page starts from.
   A page FAILS when it shows an error (an exception or an error box) or draws fewer charts
   than it should (``CHARTS``); its median is compared with the budget (1.5 s). The
   server's peak memory is read from /proc. The exit code is 1 when a page fails.
3. A snapshot of (a copy of) the workspace is published; the public app's pages
   (``statdesk serve-public``) are timed the same way, and the static site's pages (served
   by a plain file server) until their load event, first visit and returning visitor.

The machine is shared and noisy: compare figures measured in one run, not across runs.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import AS_OF, CHROMIUM, CHROMIUM_ARGS, start_server  # noqa: E402

READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
LOADING = ('[data-testid="stStatusWidget"], [data-testid="stSkeleton"], '
           '[data-testid="stSkeletonElement"]')
ALL_CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .every(c => c.querySelector('.main-svg'))"""
#: Records in the page, on its own clock, when the page is drawn: a script run has started
#: and finished, nothing is loading, every Plotly chart has its SVG. The latest such moment
#: is kept (a second run would move it on).
DRAWN_CLOCK = """(() => {
  let started = false, drawn = false;
  const check = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app && app.getAttribute('data-test-script-state');
    if (state === 'running') { started = true; drawn = false; return; }
    const ok = started && state === 'notRunning'
      && !document.querySelector('%s')
      && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
           .every(c => c.querySelector('.main-svg'));
    if (ok && !drawn) { window.__sdDrawnAt = performance.now(); }
    drawn = ok;
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true,
                                                 attributes: true});
})();"""


ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
BUDGET = 1.5  # seconds, median request-to-drawn per page
# Charts each page must draw on the demo (first request, default view).
CHARTS = {"session": 0, "kpi": 5, "agency": 0, "equity": 1, "commitments": 0,
          "data-health": 0, "catalog": 0, "publish": 0, "admin": 0}
PARAMS = {"kpi": "?id=prenatal_care"}


def check(page: Any, want: int) -> str:
    """'' when the page is right, else what is wrong with it."""
    errors = page.locator(ERRORS)
    if errors.count():
        return f"shows an error: {(errors.first.inner_text() or '').strip()[:160]}"
    if page.locator('[role="dialog"]:has-text("Page not found")').count():
        return "shows Streamlit's 'Page not found' box: its address leads nowhere"
    # charts drawn on the server (inline SVG) or by Plotly in the browser
    drawn = (page.locator('img[src^="data:image/svg+xml"]').count()
             + page.locator('[data-testid="stPlotlyChart"] .main-svg').count())
    if drawn < want:
        return f"draws {drawn} chart(s), {want} expected"
    return ""


def build_demo(workspace: Path, claims: int) -> tuple[float, float]:
    """Run ``statdesk demo``; return (seconds, peak RSS in MiB) of that process."""
    statdesk = Path(sys.executable).with_name("statdesk")
    cmd = [str(statdesk), "demo", "--workspace", str(workspace), "--as-of", AS_OF,
           "--claims", str(claims)]
    print("+", shlex.join(cmd), flush=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"statdesk demo failed with exit code {proc.returncode}")
    return took, usage.ru_maxrss / 1024


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load(browser: Any, url: str, screenshot: Path | None = None,
         want: int | None = None, context: Any = None) -> float | str:
    """Seconds from navigation to a finished script with every chart drawn, or what is
    wrong with the page (when ``want``, the charts it must draw, is given and the page is
    wrong).  A fresh
    browser context (a first visit: nothing cached) unless ``context`` is given (a
    returning visitor: the browser's cache holds the app's scripts; a new tab and a new
    session on the server all the same)."""
    own = context is None
    if own:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.add_init_script(DRAWN_CLOCK % LOADING)
    try:
        page.goto(url, wait_until="domcontentloaded")
        page.wait_for_selector(READY, timeout=120_000)
        page.wait_for_function("sel => !document.querySelector(sel)", arg=LOADING,
                               timeout=120_000)
        page.wait_for_selector(READY, timeout=120_000)
        page.wait_for_function(ALL_CHARTS_DRAWN, timeout=120_000)
        page.wait_for_function("() => window.__sdDrawnAt !== undefined", timeout=120_000)
        page.wait_for_timeout(150)  # a late rerun would move the moment on
        took = float(page.evaluate("window.__sdDrawnAt")) / 1000
        if want is not None:
            page.wait_for_timeout(200)  # late error boxes
            wrong = check(page, want)
            if wrong:
                return wrong
        if screenshot is not None:
            save_screenshot(page, screenshot)
        return took
    finally:
        page.close()
        if own:
            context.close()


BARE_APP = 'import streamlit as st\n\nst.title("Hello")\nst.write("A minimal Streamlit page.")\n'


def bare_streamlit(tmp: Path, runs: int) -> list[float]:
    """First-visit loads of a bare Streamlit page: the floor any Streamlit page starts from."""
    from playwright.sync_api import sync_playwright

    app = tmp / "bare_app.py"
    app.write_text(BARE_APP, encoding="utf-8")
    proc, base = start_server(tmp, script=str(app), prepare=False)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            load(browser, base + "/")
            times = [float(load(browser, base + "/")) for _ in range(max(runs, 1))]
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return times


def save_screenshot(page: Any, path: Path) -> None:
    """A PNG of the viewport, reduced to a palette so that it stays small."""
    from PIL import Image

    page.wait_for_timeout(500)
    raw = path.with_suffix(".raw.png")
    page.screenshot(path=str(raw))
    with Image.open(raw) as img:
        img.convert("RGB").quantize(colors=128, dither=Image.Dither.NONE).save(path, optimize=True)
    raw.unlink()
    print(f"Screenshot written to {path} ({path.stat().st_size / 1024:.0f} KiB)")


Results = dict[str, tuple[float, list[float]] | str]


def measure(browser: Any, base: str, pages: dict[str, tuple[int, str]], runs: int,
            results: Results, warm: dict[str, list[float]], *,
            timer: Any = None) -> None:
    """First visits (a fresh browser context each), then a returning visitor (one context
    whose HTTP cache holds the site's files) for each page: ``pages`` maps a name to (charts
    it must draw, path). ``timer``: how one load is timed (default :func:`load`)."""
    timer = timer or load
    for name, (want, path) in pages.items():
        first = timer(browser, base + path, want=want)
        if isinstance(first, str):
            results[name] = first
            continue
        times = [timer(browser, base + path, want=want) for _ in range(runs)]
        wrong = next((t for t in times if isinstance(t, str)), None)
        results[name] = wrong if wrong is not None else (first, [float(t) for t in times])
    returning = browser.new_context(viewport={"width": 1400, "height": 900})
    timer(browser, base + next(iter(pages.values()))[1], context=returning)
    for name, (want, path) in pages.items():
        if isinstance(results[name], str):
            continue
        again = [timer(browser, base + path, want=want, context=returning) for _ in range(runs)]
        wrong = next((t for t in again if isinstance(t, str)), None)
        if wrong is not None:
            results[name] = wrong
        else:
            warm[name] = [float(t) for t in again]
    returning.close()


#: The public app's pages (``statdesk serve-public``) and the charts each must draw.
PUBLIC_APP = {"Public app: priority outcomes (/)": (0, "/"),
              "Public app: outcome detail (/outcome?kpi=prenatal_care)":
                  (3, "/outcome?kpi=prenatal_care"),
              "Public app: about the data (/about)": (0, "/about")}
#: The static public site's pages and the SVG charts each must hold.
STATIC_SITE = {"Static site: home (index.html)": (1, "/index.html"),
               "Static site: outcome (kpi/prenatal_care.html)": (1, "/kpi/prenatal_care.html"),
               "Static site: about (about.html)": (0, "/about.html")}


def load_static(browser: Any, url: str, want: int | None = None,
                context: Any = None) -> float | str:
    """Seconds from navigation to the end of the page's load event (the page's own clock),
    or what is wrong with it (fewer SVG charts than ``want``)."""
    own = context is None
    if own:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        response = page.goto(url, wait_until="load")
        if response is None or response.status != 200:
            return f"answers HTTP {response.status if response else 'nothing'}"
        took = float(page.evaluate(
            "performance.getEntriesByType('navigation')[0].loadEventEnd")) / 1000
        if want is not None and page.locator("svg").count() < want:
            return f"holds {page.locator('svg').count()} chart(s), {want} expected"
        return took
    finally:
        page.close()
        if own:
            context.close()


def public_pages(workspace: Path, tmp: Path, runs: int, results: Results,
                 warm: dict[str, list[float]], *, prepare: bool = True) -> None:
    """Publish a snapshot of (a copy of) the workspace, then time the public app's pages and
    the static site's pages, served as a reader gets them."""
    import shutil

    from playwright.sync_api import sync_playwright

    from benchmarks.common import free_port

    copy = tmp / "public-ws"
    shutil.copytree(workspace, copy)
    statdesk = Path(sys.executable).with_name("statdesk")
    subprocess.run([str(statdesk), "publish", str(tmp / "site"), "-w", str(copy), "--as-of",
                    AS_OF], check=True, stdout=subprocess.DEVNULL)
    snap = sorted((tmp / "site").iterdir())[-1]
    os.environ["STATDESK_SNAPSHOT"] = str(snap)
    app, app_base = start_server(copy, script="dashboard/public_app.py", prepare=prepare)
    port = free_port()
    static = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                               "127.0.0.1", "--directory", str(snap)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)  # the file server is up within a moment
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            measure(browser, app_base, PUBLIC_APP, runs, results, warm)
            measure(browser, f"http://127.0.0.1:{port}", STATIC_SITE, runs, results, warm,
                    timer=load_static)
            browser.close()
    finally:
        os.environ.pop("STATDESK_SNAPSHOT", None)
        for proc in (app, static):
            proc.terminate()
            proc.wait(timeout=20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--claims", type=int, default=1_050_000,
                    help="record-level claims in the demo (default: as 'statdesk demo')")
    ap.add_argument("--runs", type=int, default=5, help="loads per page after the first")
    ap.add_argument("--kpi", default="prenatal_care", help="the KPI detail page to load")
    ap.add_argument("--workspace", type=Path,
                    help="use this built workspace instead of building the demo")
    ap.add_argument("--screenshot", type=Path, help="save the stat session page as a PNG here")
    ap.add_argument("--no-public", dest="public", action="store_false",
                    help="leave out the public app and the static public site")
    ap.add_argument("--no-prepare", dest="prepare", action="store_false",
                    help="start the apps with plain 'streamlit run' (pages not prepared at "
                         "start: the first load of each page waits for the data)")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found: apt-get install chromium")
    print("Command:", shlex.join([Path(sys.executable).name, *sys.argv]))

    with tempfile.TemporaryDirectory(prefix="statdesk-bench-") as tmp:
        build = None
        workspace = args.workspace
        if workspace is None:
            workspace = Path(tmp) / "ws"
            build = build_demo(workspace, args.claims)
        proc, base = start_server(workspace.resolve(), prepare=args.prepare)
        from playwright.sync_api import sync_playwright

        from dashboard.pages_registry import PAGES

        PARAMS["kpi"] = f"?id={args.kpi}"
        # the default page at "/", where the navigation leads (its own path switches to it)
        paths = {p.url_path: "/" if p.default else f"/{p.url_path}{PARAMS.get(p.url_path, '')}"
                 for p in PAGES if (ROOT / "dashboard" / p.path).exists()}
        pages = {f"{p.title} ({paths[p.url_path]})": (p.url_path, paths[p.url_path])
                 for p in PAGES if p.url_path in paths}
        results: dict[str, tuple[float, list[float]] | str] = {}
        warm: dict[str, list[float]] = {}
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                measure(browser, base, {name: (CHARTS.get(url_path, 0), path)
                                        for name, (url_path, path) in pages.items()},
                        args.runs, results, warm)
                if args.screenshot is not None:
                    load(browser, base + "/", screenshot=args.screenshot)
                browser.close()
            server_peak = peak_rss_mib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        if args.public:
            public_pages(workspace, Path(tmp), args.runs, results, warm, prepare=args.prepare)
        peer = bare_streamlit(Path(tmp), args.runs)

    print()
    if build is not None:
        print(f"| demo build ({args.claims:,} claims) | {build[0]:.1f} s | peak RSS {build[1]:.0f} MiB |")
    failed = 0
    print("| page | first load | median, first visit (nothing cached) | median, returning "
          "visitor (browser cache warm) | verdict |")
    print("|---|---|---|---|---|")

    def verdict(med: float) -> str:
        return "ok" if med <= BUDGET else f"over the {BUDGET} s budget ({med / BUDGET:.1f}x)"

    for name, res in results.items():
        if isinstance(res, str):
            failed += 1
            print(f"| {name} | – | – | – | FAIL: {res} |")
            continue
        first, times = res
        med = statistics.median(times)
        again = warm.get(name, [])
        med2 = statistics.median(again) if again else float("nan")
        print(f"| {name} | {first:.2f} s | {med:.2f} s (min {min(times):.2f}, max "
              f"{max(times):.2f}, {len(times)} loads) | {med2:.2f} s (min "
              f"{min(again, default=float('nan')):.2f}, {len(again)} loads) | first visit "
              f"{verdict(med)}; returning {verdict(med2)} |")
    print(f"| peer: a bare Streamlit page (a title and a sentence), same browser and machine "
          f"| | {statistics.median(peer):.2f} s (min {min(peer):.2f}, {len(peer)} loads) | | |")
    print(f"| app server peak RSS | {server_peak:.0f} MiB | | |")
    print(f"| machine | {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} | | |")
    if failed:
        sys.exit(f"{failed} page(s) failed: they show an error or draw no chart where they should")


if __name__ == "__main__":
    main()
