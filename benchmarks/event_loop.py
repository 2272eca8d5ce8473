"""The app server's event loop: Streamlit on uvloop against Python's standard asyncio loop.

    .venv/bin/python benchmarks/event_loop.py [--runs 8]

A first visit fetches some sixty script files from the app's Python process, and each
widget type brings its own. Two servers run the same small page (a title and a sentence;
the same with one selectbox), one on uvloop (what StatDesk installs, and Streamlit uses when
it is installed) and one with uvloop hidden from it. Chromium loads each page from each
server in turn, first visits (a fresh browser context each), timed by the page's own clock
as in ``page_load.py``; medians and the ratio standard/uvloop are printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import CHROMIUM, CHROMIUM_ARGS, start_server  # noqa: E402
from benchmarks.page_load import load  # noqa: E402

APP = '''import streamlit as st

st.title("Hello")
st.write("A minimal Streamlit page.")
if st.query_params.get("widget") == "selectbox":
    st.selectbox("Region", ["Statewide", "Capital", "Harbor", "Prairie"])
'''
#: Starts Streamlit with uvloop hidden (an import of it fails), so the standard loop is used.
WITHOUT_UVLOOP = ("import sys; sys.modules['uvloop'] = None; from streamlit.web import cli; "
                  "sys.argv = ['streamlit', 'run', *sys.argv[1:]]; cli.main()")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=8, help="loads of each page from each server")
    args = ap.parse_args()
    try:
        import uvloop  # noqa: F401
    except ImportError:
        sys.exit("uvloop is not installed: make install")
    from playwright.sync_api import sync_playwright

    pages = {"bare page": "/", "page with one selectbox": "/?widget=selectbox"}
    with tempfile.TemporaryDirectory(prefix="statdesk-loop-") as tmp:
        app = Path(tmp) / "app.py"
        app.write_text(APP, encoding="utf-8")
        servers = {"uvloop": start_server(Path(tmp), script=str(app), prepare=False),
                   "standard asyncio": start_server(Path(tmp), script=str(app),
                                                    launcher=["-c", WITHOUT_UVLOOP])}
        times: dict[tuple[str, str], list[float]] = {}
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for _proc, base in servers.values():  # one load each before timing
                    for path in pages.values():
                        load(browser, base + path)
                for _ in range(args.runs):
                    for loop, (_proc, base) in servers.items():
                        for page, path in pages.items():
                            times.setdefault((loop, page), []).append(
                                float(load(browser, base + path)))
                browser.close()
        finally:
            for proc, _base in servers.values():
                proc.terminate()
                proc.wait(timeout=20)
    print("\n| page, first visit | standard asyncio | uvloop | standard / uvloop |")
    print("|---|---|---|---|")
    for page in pages:
        std = statistics.median(times[("standard asyncio", page)])
        uv = statistics.median(times[("uvloop", page)])
        print(f"| {page} | {std:.2f} s | {uv:.2f} s | {std / uv:.2f}x |")
    print(f"({args.runs} loads of each page from each server, interleaved; medians)")


if __name__ == "__main__":
    main()
