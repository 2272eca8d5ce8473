"""What the Publish page's preview costs: protection and audit, then the public pages.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/publish_preview.py -w /tmp/pub-demo \
        --as-of 2026-11-25 [--runs 5]

Times, in this process, the suppression and linked audit of every public KPI (what the
page's counts need; once, uncached) and the rendering of the static site's pages from it
(:func:`metrics.publish.preview.preview_pages`, what the page adds; median of runs), and
prints the pages' share of the whole preview.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-w", "--workspace", required=True)
    ap.add_argument("--as-of", default="2026-11-25")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()

    from benchmarks.common import public_inputs
    from metrics.feedstate import feed_through
    from metrics.publish.linked import protect_linked
    from metrics.publish.preview import preview_pages
    from metrics.publish.snapshot import feed_sources
    from metrics.scorecard import latest_month
    from metrics.suppression import PUBLIC

    as_of = date.fromisoformat(a.as_of)
    ws, reg, obs = public_inputs(a.workspace, as_of)
    t = time.perf_counter()
    pub, _truth, _audit = protect_linked(reg, obs, PUBLIC, sources=feed_sources(ws))
    protect = time.perf_counter() - t
    with ws.session() as s:
        through = feed_through(s, ws.register)
    month = latest_month(obs) or f"{as_of:%Y-%m}"
    times = []
    pages: dict[str, str] = {}
    for _ in range(a.runs):
        t = time.perf_counter()
        pages = preview_pages(reg, pub, month=month, as_of=as_of, feed_through=through)
        times.append(time.perf_counter() - t)
    render = statistics.median(times)
    size = sum(len(p) for p in pages.values())
    print(f"suppression and linked audit of {len(reg.kpis)} KPIs: {protect:.1f} s (once)")
    print(f"public pages rendered from it: median {render:.2f} s over {a.runs} runs "
          f"({len(pages)} pages, {size / 1024:.0f} KiB of HTML)")
    print(f"  the pages are {render / (render + protect):.0%} of a cold preview; a preview of "
          f"the same data again (protection cached) costs the pages only")


if __name__ == "__main__":
    main()
