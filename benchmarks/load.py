"""Many people at once: N browser sessions against one app server.

    .venv/bin/python benchmarks/load.py [--sessions 20] [--kpi prenatal_care]
                                        [--workspace data/demo] [--timeout 180]

1. The workspace is STATDESK_WORKSPACE (default ``data/demo``); when it has no
   definitions, ``statdesk demo`` builds it first (``--claims`` is passed on).
2. One ``streamlit run dashboard/app.py`` serves it (STATDESK_AS_OF pinned to the demo's
   date), and one page of each kind is loaded once to warm the caches (not counted;
   ``--no-warmup`` to count the cold start too).
3. One Debian Chromium, N browser contexts (separate cookies and Streamlit sessions),
   all started together from asyncio: each opens the stat session, then a KPI detail page,
   and waits until the script has finished and every Plotly chart is drawn.

Prints, per page, the median and 95th percentile of the seconds from navigation to charts
drawn (every Plotly chart's SVG), and the errors: exception boxes shown on the page, timeouts, HTTP errors. The last
line is ``load_sessions=<N> p50=<s> p95=<s> errors=<n>`` over every page load.

The machine is shared and noisy: compare figures measured in one run, not across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import AS_OF, CHROMIUM, CHROMIUM_ARGS, start_server  # noqa: E402

READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
LOADING = ('[data-testid="stStatusWidget"], [data-testid="stSkeleton"], '
           '[data-testid="stSkeletonElement"]')
EXCEPTION = '[data-testid="stException"]'
# Drawn: at least n charts, Plotly charts each with its SVG and charts drawn on the server
# (SVG images) present (as benchmarks/page_load.py counts them).
CHARTS_DRAWN = """n => {
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  const pictures = document.querySelectorAll(
    'img[src^="data:image/svg+xml"]').length;
  return charts.length + pictures >= n && charts.every(c => c.querySelector('.main-svg'));
}"""
# The frontend looks for the server's base path from a deep link (/kpi/_stcore/health ...):
# those 404s are how it finds it, not errors.
PROBES = ("/_stcore/health", "/_stcore/host-config")


@dataclass
class PageResult:
    page: str
    seconds: float | None  # None when the load failed
    errors: list[str] = field(default_factory=list)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks; NaN for no values."""
    if not values:
        return float("nan")
    s = sorted(values)
    pos = (len(s) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def ensure_workspace(workspace: Path, claims: int | None) -> None:
    if (workspace / "definitions").is_dir():
        return
    cmd = [str(Path(sys.executable).with_name("statdesk")), "demo", "--workspace", str(workspace),
           "--as-of", AS_OF] + (["--claims", str(claims)] if claims else [])
    print("+", shlex.join(cmd), flush=True)
    t0 = time.perf_counter()
    if subprocess.call(cmd, stdout=subprocess.DEVNULL) != 0:
        sys.exit("statdesk demo failed; run it by hand to see why.")
    print(f"demo built in {time.perf_counter() - t0:.0f} s", flush=True)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=20)


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def load(page: Any, url: str, name: str, min_charts: int, timeout_s: float) -> PageResult:
    """Navigate, wait for the finished script and every chart drawn; note what went wrong."""
    ms = timeout_s * 1000
    t0 = time.perf_counter()
    try:
        response = await page.goto(url, wait_until="domcontentloaded", timeout=ms)
        if response is not None and response.status >= 400:
            return PageResult(name, None, [f"HTTP {response.status} for {url}"])
        await page.wait_for_selector(READY, timeout=ms)
        await page.wait_for_function("sel => !document.querySelector(sel)", arg=LOADING,
                                     timeout=ms)
        await page.wait_for_selector(READY, timeout=ms)
        await page.wait_for_function(CHARTS_DRAWN, arg=min_charts, timeout=ms)
        took = time.perf_counter() - t0
    except Exception as exc:  # noqa: BLE001 - a timeout or a dead page is a counted error
        kind = "timeout" if "Timeout" in type(exc).__name__ else type(exc).__name__
        return PageResult(name, None, [f"{kind} on {url}: {str(exc).splitlines()[0][:160]}"])
    shown = await page.locator(EXCEPTION).all_text_contents()
    errors = [f"exception shown on {url}: {t.strip()[:160]}" for t in shown]
    return PageResult(name, None if errors else took, errors)


async def one_session(browser: Any, base: str, pages: list[tuple[str, str, int]],
                      start: asyncio.Event, timeout_s: float) -> list[PageResult]:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    http_errors: list[str] = []
    context.on("response", lambda r: http_errors.append(f"HTTP {r.status} for {r.url}")
               if r.status >= 400 and r.url.startswith(base) and not r.url.endswith(PROBES)
               else None)
    page = await context.new_page()
    await start.wait()
    out = []
    try:
        for name, path, min_charts in pages:
            out.append(await load(page, base + path, name, min_charts, timeout_s))
    finally:
        await context.close()
    if http_errors:
        out[-1].errors.extend(http_errors)
    return out


async def run(base: str, sessions: int, pages: list[tuple[str, str, int]], timeout_s: float,
              warmup: bool) -> tuple[list[PageResult], float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            if warmup:
                go = asyncio.Event()
                go.set()
                await one_session(browser, base, pages, go, timeout_s)
            start = asyncio.Event()
            tasks = [asyncio.create_task(one_session(browser, base, pages, start, timeout_s))
                     for _ in range(sessions)]
            await asyncio.sleep(0.5)  # every context is open before anyone navigates
            t0 = time.perf_counter()
            start.set()
            done = await asyncio.gather(*tasks, return_exceptions=True)
            wall = time.perf_counter() - t0
        finally:
            await browser.close()
    results: list[PageResult] = []
    for d in done:
        if isinstance(d, BaseException):
            results.append(PageResult("session", None, [f"session failed: {d!r}"[:200]]))
        else:
            results.extend(d)
    return results, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20, help="simultaneous browser sessions")
    ap.add_argument("--workspace", type=Path,
                    default=Path(os.environ.get("STATDESK_WORKSPACE") or ROOT / "data" / "demo"))
    ap.add_argument("--kpi", default="prenatal_care", help="the KPI detail page to open")
    ap.add_argument("--claims", type=int, help="claims for 'statdesk demo' if it must be built")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds allowed per page")
    ap.add_argument("--no-warmup", dest="warmup", action="store_false",
                    help="count the first (cold cache) loads too")
    args = ap.parse_args()
    if args.sessions < 1:
        sys.exit("--sessions must be at least 1")
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} not found: apt-get install chromium")
    workspace = args.workspace.resolve()
    ensure_workspace(workspace, args.claims)
    # The stat session is tables (sparklines in cells); the KPI page has five charts.
    pages = [("stat session", "/", 0), (f"KPI detail ({args.kpi})", f"/kpi?id={args.kpi}", 1)]
    with tempfile.TemporaryDirectory(prefix="statdesk-load-") as tmp:
        proc, base = start_server(workspace, Path(tmp) / "server.log")
        try:
            results, wall = asyncio.run(run(base, args.sessions, pages, args.timeout,
                                            args.warmup))
            server_peak = peak_rss_mib(proc.pid)
        finally:
            stop(proc)
    print()
    print(f"{args.sessions} simultaneous sessions on {workspace} "
          f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}); "
          f"all done in {wall:.1f} s; app server peak RSS {server_peak:.0f} MiB")
    for name, _, _ in pages:
        mine = [r for r in results if r.page == name]
        times = [r.seconds for r in mine if r.seconds is not None]
        errs = sum(len(r.errors) or (r.seconds is None) for r in mine)
        print(f"| {name}: seconds to charts drawn | median {statistics.median(times) if times else float('nan'):.2f} "
              f"| p95 {percentile(times, 95):.2f} | max {max(times, default=float('nan')):.2f} "
              f"| loads {len(times)} | errors {errs} |")
    errors = [e for r in results for e in r.errors] + [
        f"{r.page}: failed" for r in results if r.seconds is None and not r.errors]
    for e in errors[:10]:
        print("  error:", e)
    times = [r.seconds for r in results if r.seconds is not None]
    print(f"load_sessions={args.sessions} p50={statistics.median(times) if times else float('nan'):.2f} "
          f"p95={percentile(times, 95):.2f} errors={len(errors)}")


if __name__ == "__main__":
    main()
