"""Where a page's time goes, on the server side: what ``page_load.py`` cannot tell apart.

    .venv/bin/python benchmarks/page_profile.py --workspace DIR [--runs 5]

For every page of the internal app (AppTest, signed in as the local operator): the script
time of the first run (cold caches) and the median of ``--runs`` reruns (warm), the number
of Streamlit elements the page sends (the browser draws each one), how many Plotly charts
and tables it sends, and the bytes of the charts' figures. Build the workspace first with
``statdesk demo --as-of 2026-11-25 -w DIR``. Browser time is ``page_load.py``'s; a page
whose browser time is far above its warm script time is slow to draw, not to compute.
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import AS_OF  # noqa: E402

PARAMS = {"kpi": {"id": "prenatal_care"}}


def _count(node: Any, counts: collections.Counter[str]) -> None:
    for child in getattr(node, "children", {}).values():
        counts[type(child).__name__] += 1
        _count(child, counts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workspace", type=Path, required=True, help="a built demo workspace")
    ap.add_argument("--runs", type=int, default=5, help="warm reruns per page")
    args = ap.parse_args()
    os.environ["STATDESK_WORKSPACE"] = str(args.workspace.resolve())
    os.environ["STATDESK_AS_OF"] = AS_OF
    os.environ.pop("STATDESK_DATABASE_URL", None)
    from streamlit.testing.v1 import AppTest

    from dashboard.pages_registry import PAGES

    print("| page | first run | warm rerun (median) | elements | charts | chart bytes | tables |")
    print("|---|---|---|---|---|---|---|")
    for spec in PAGES:
        if not (ROOT / "dashboard" / spec.path).exists():
            continue
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
        at.run()
        for k, v in PARAMS.get(spec.url_path, {}).items():
            at.query_params[k] = v
        t0 = time.perf_counter()
        at.switch_page(spec.path).run()
        first = time.perf_counter() - t0
        warm = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t0)
        if at.exception:
            print(f"| {spec.title} | FAIL: {at.exception[0].value[:100]} | | | | | |")
            continue
        counts: collections.Counter[str] = collections.Counter()
        _count(at._tree, counts)
        charts = [len(el.proto.spec) for el in at.get("plotly_chart")]
        print(f"| {spec.title} | {first:.2f} s | {statistics.median(warm):.2f} s | "
              f"{sum(counts.values())} | {len(charts)} | {sum(charts) / 1024:.0f} KiB | "
              f"{counts['Dataframe']} |", flush=True)
    print(f"| machine | {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} | | | | | |")


if __name__ == "__main__":
    main()
