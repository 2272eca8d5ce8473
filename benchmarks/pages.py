"""Benchmark: how fast the internal app's pages answer.

    python benchmarks/pages.py [--workspace data/demo] [--reruns 5] [--loads 3] [--no-browser]

Works on a temporary copy of the workspace (the demo state is built there, with 120,000
claims, when the workspace does not exist), seeded with a stat session and three
commitments, so the user's own workspace is never changed.

1. Warm rerun of every page of the registry that exists, with Streamlit's AppTest: the
   page is run once (cold, caches filled), then rerun; the median of ``--reruns`` reruns is
   compared with the target (below 0.3 s).
2. In a real browser (Debian's Chromium through Playwright, against ``streamlit run``): the
   time from navigation to the stat session page's charts drawn (its scorecard tables with
   their trend sparklines, or Plotly charts where a page has them), median of ``--loads``
   fresh page loads; the same for the commitments page of the seeded session.

The machines are shared: read the medians and their ratio to the target, not one time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RERUN = 0.3  # seconds, warm rerun of a page
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
LOADING = '[data-testid="stStatusWidget"], [data-testid="stSkeleton"], [data-testid="stSkeletonElement"]'
# Charts drawn: every Plotly chart has its SVG, every data grid (sparklines) its canvas
# (a page with neither is drawn when the script is idle).
DRAWN_JS = """() => {
  const plots = document.querySelectorAll('[data-testid="stPlotlyChart"]');
  const drawn = document.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg');
  const grids = document.querySelectorAll('[data-testid="stDataFrame"]');
  const canvases = document.querySelectorAll('[data-testid="stDataFrame"] canvas');
  return drawn.length >= plots.length && canvases.length >= grids.length;
}"""


def prepare(source: Path | None, tmp: Path, as_of: date) -> tuple[Path, int]:
    """A private workspace copy with one stat session and three commitments."""
    from metrics import commitments as cm
    from metrics.access import operator
    from metrics.workspace import Workspace, resolve_workspace

    src = resolve_workspace(source)
    dst = tmp / "ws"
    if (src / "definitions").is_dir():
        print(f"Copying the workspace {src} ...", flush=True)
        shutil.copytree(src, dst)
    else:
        from metrics.demo import build_demo

        print(f"No workspace at {src}: building the demo state (120,000 claims) ...", flush=True)
        build_demo(dst, as_of=as_of, claims=120_000, progress=lambda *_: None)
    ws = Workspace.open(dst)
    ws.init_db()
    with ws.session() as s:
        stat = cm.create_session(s, held_on=as_of - timedelta(days=20), period=f"{as_of.replace(day=1) - timedelta(days=1):%Y-%m}",
                                 by="benchmark", register=ws.register, acting=operator("benchmark"))
        for i, kpi in enumerate(list(ws.register.kpis)[:3]):
            cm.create_commitment(s, session_id=stat.id, text=f"Benchmark commitment {i + 1}",
                                 owner="Analyst", due_on=as_of + timedelta(days=10 * (i - 1)),
                                 kpi_ids=kpi, register=ws.register, acting=operator("benchmark"))
    return dst, int(stat.id or 0)


def page_params(session_id: int) -> dict[str, list[dict[str, str]]]:
    from metrics.workspace import Workspace

    reg = Workspace.open().register
    return {"kpi": [{"id": next(iter(reg.kpis))}], "agency": [{"id": next(iter(reg.agencies))}],
            "commitments": [{}, {"session": str(session_id)}]}


def warm_reruns(session_id: int, reruns: int) -> list[tuple[str, float, float]]:
    """(page, cold run seconds, median warm rerun seconds) for every page that exists."""
    from streamlit.testing.v1 import AppTest

    from dashboard.pages_registry import PAGES

    params = page_params(session_id)
    out = []
    for spec in PAGES:
        if not (ROOT / "dashboard" / spec.path).exists():
            continue
        for qp in params.get(spec.url_path, [{}]):
            at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=300)
            at.run()
            for k, v in qp.items():
                at.query_params[k] = v
            t0 = time.perf_counter()
            at.switch_page(spec.path).run()
            cold = time.perf_counter() - t0
            if at.exception:
                print(f"  {spec.url_path}: the page raised {at.exception[0].value!r}", flush=True)
            times = []
            for _ in range(reruns):
                t0 = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - t0)
            label = spec.url_path + ("?" + "&".join(f"{k}={v}" for k, v in qp.items()) if qp else "")
            out.append((label, cold, statistics.median(times)))
            print(f"  {label:<28} cold {cold:6.2f} s  warm {statistics.median(times):6.3f} s", flush=True)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def browser_loads(workspace: Path, paths: list[str], loads: int) -> list[tuple[str, float]]:
    """(path, median seconds from navigation to charts drawn) in Chromium."""
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("STATDESK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        print("Chromium is not installed (apt-get install chromium): browser timings skipped.")
        return []
    port = _free_port()
    env = {**os.environ, "STATDESK_WORKSPACE": str(workspace)}
    env.pop("STATDESK_DATABASE_URL", None)
    log = (workspace.parent / "streamlit.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
                             "--server.headless", "true", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
                             "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    out = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for path in paths:
                times = []
                for i in range(loads + 1):  # the first load warms the server's caches
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    page = context.new_page()
                    t0 = time.perf_counter()
                    page.goto(base + path, wait_until="domcontentloaded")
                    page.wait_for_selector(READY, timeout=180_000)
                    page.wait_for_function("sel => document.querySelectorAll(sel).length === 0",
                                           arg=LOADING, timeout=180_000)
                    page.wait_for_function(DRAWN_JS, timeout=180_000)
                    took = time.perf_counter() - t0
                    context.close()
                    if i:
                        times.append(took)
                out.append((path, statistics.median(times)))
                print(f"  {path:<28} charts drawn, median {statistics.median(times):6.2f} s", flush=True)
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workspace", type=Path, default=None, help="Workspace to copy (default data/demo).")
    ap.add_argument("--reruns", type=int, default=5, help="Warm reruns per page (median).")
    ap.add_argument("--loads", type=int, default=3, help="Browser loads per page (median).")
    ap.add_argument("--no-browser", action="store_true", help="Skip the browser timings.")
    args = ap.parse_args()
    as_of = date.fromisoformat(os.environ.get("STATDESK_AS_OF", "2026-11-25"))
    os.environ["STATDESK_AS_OF"] = as_of.isoformat()
    os.environ.pop("STATDESK_DATABASE_URL", None)
    with tempfile.TemporaryDirectory(prefix="statdesk-bench-") as tmp:
        ws, sid = prepare(args.workspace, Path(tmp), as_of)
        os.environ["STATDESK_WORKSPACE"] = str(ws)
        os.chdir(ROOT)
        print(f"Warm reruns with AppTest (median of {args.reruns}):", flush=True)
        reruns = warm_reruns(sid, args.reruns)
        loads = [] if args.no_browser else browser_loads(ws, ["/", f"/commitments?session={sid}"],
                                                         args.loads)
    print()
    print(f"{'page':<28} {'cold run s':>10} {'warm rerun s':>13} {'vs target':>10}  verdict")
    for label, cold, warm in reruns:
        verdict = "ok" if warm < TARGET_RERUN else "SLOW"
        print(f"{label:<28} {cold:>10.2f} {warm:>13.3f} {warm / TARGET_RERUN:>9.2f}x  {verdict}")
    print(f"Target: warm rerun < {TARGET_RERUN} s on every page.")
    if loads:
        print()
        print(f"{'browser: page':<28} {'to charts drawn s':>18}  (median of {args.loads} loads)")
        for path, s in loads:
            print(f"{path:<28} {s:>18.2f}")
    slow = [label for label, _c, warm in reruns if warm >= TARGET_RERUN]
    print(f"\npages_over_target={len(slow)}" + (f" ({', '.join(slow)})" if slow else ""))


if __name__ == "__main__":
    main()
