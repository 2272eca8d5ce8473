"""Page views per second: the static site of a snapshot against ``statdesk serve-public``.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/public_site.py -w /tmp/pub-demo \
        [--snapshot SNAPSHOT_DIR] [--seconds 20] [--clients 4]

Both servers run on this machine and are measured in the same run:

* static: Python's plain file server (``python -m http.server``) on the snapshot folder;
  ``--clients`` threads fetch the site's pages (home, about, one page per outcome) in a
  loop for ``--seconds``: requests per second, and the median latency;
* both: one Chromium (Debian's) loads the home page and an outcome page in turn, as a
  reader would, until each page is drawn (static: the ``load`` event; Streamlit: the
  script run is over and no skeleton remains): page views per second, medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402

APP_READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
LOADING = '[data-testid="stStatusWidget"], [data-testid="stSkeleton"], [data-testid="stSkeletonElement"]'


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}) before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


def http_load(urls: list[str], seconds: float, clients: int) -> tuple[float, float]:
    lat: list[float] = []
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def worker(k: int) -> None:
        i = k
        while time.monotonic() < stop:
            t = time.perf_counter()
            with urllib.request.urlopen(urls[i % len(urls)], timeout=10) as r:
                r.read()
            with lock:
                lat.append(time.perf_counter() - t)
            i += 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(lat) / (time.monotonic() - t0), statistics.median(lat)


def browser_views(page, urls: list[str], seconds: float, streamlit: bool) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times: list[float] = []
    stop = time.monotonic() + seconds
    i = 0
    t0 = time.monotonic()
    while time.monotonic() < stop or not times:
        t = time.perf_counter()
        page.goto(urls[i % len(urls)], wait_until="load")
        if streamlit:
            page.wait_for_selector(APP_READY, timeout=90_000)
            page.wait_for_function("sel => document.querySelectorAll(sel).length === 0",
                                   arg=LOADING, timeout=90_000)
            page.wait_for_selector(APP_READY, timeout=90_000)
        times.append(time.perf_counter() - t)
        i += 1
    return len(times) / (time.monotonic() - t0), statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-w", "--workspace", default="")
    ap.add_argument("--snapshot", default="")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=4)
    a = ap.parse_args()
    if a.snapshot:
        snap = Path(a.snapshot)
    else:
        out = Path(tempfile.mkdtemp(prefix="statdesk-site-"))
        subprocess.run([sys.executable, "-c", "from metrics.cli import app; app()", "publish",
                        str(out), "-w", a.workspace, "--as-of", "2026-11-25"], check=True,
                       stdout=subprocess.DEVNULL)
        snap = sorted(out.iterdir())[-1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATDESK_")}
    env["PYTHONPATH"] = os.environ.get("PYTHONPATH", "")
    sp, pp = free_port(), free_port()
    static = subprocess.Popen([sys.executable, "-m", "http.server", str(sp), "--bind",
                               "127.0.0.1", "--directory", str(snap)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    public = subprocess.Popen([sys.executable, "-c", "from metrics.cli import app; app()",
                               "serve-public", str(snap), "--port", str(pp)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        sbase, pbase = f"http://127.0.0.1:{sp}", f"http://127.0.0.1:{pp}"
        wait_http(f"{sbase}/index.html", static)
        wait_http(f"{pbase}/_stcore/health", public)
        pages = ["index.html", "about.html"] + sorted(
            f"kpi/{p.name}" for p in (snap / "kpi").glob("*.html"))
        rps, lat = http_load([f"{sbase}/{p}" for p in pages], a.seconds, a.clients)
        print(f"static site, plain file server, {a.clients} clients: {rps:,.0f} requests/s, "
              f"median {lat * 1000:.1f} ms ({len(pages)} pages)")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            s_views, s_med = browser_views(page, [f"{sbase}/index.html",
                                                  f"{sbase}/kpi/prenatal_care.html"],
                                           a.seconds, False)
            p_views, p_med = browser_views(page, [f"{pbase}/", f"{pbase}/outcome?kpi=prenatal_care"],
                                           a.seconds, True)
            browser.close()
        print(f"one Chromium, home and an outcome page in turn: static {s_views:.1f} views/s "
              f"(median {s_med * 1000:.0f} ms), serve-public {p_views:.2f} views/s "
              f"(median {p_med * 1000:.0f} ms); ratio {s_views / p_views:.0f}x")
    finally:
        static.terminate()
        os.killpg(public.pid, 15)
        static.wait(10)
        public.wait(15)


if __name__ == "__main__":
    main()
