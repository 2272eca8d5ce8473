"""The gap between the heuristic and the exact least-loss suppression of statewide tables.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/publish_gap.py -w /tmp/pub-demo --as-of 2026-11-25

Runs the snapshot's protection once with :data:`metrics.publish.linked.GAP_LOG` on: every
statewide periods x groups table solved exactly (``scipy.optimize.milp``, HiGHS) is also
solved by the heuristic the publisher used before, and both information losses
(:mod:`metrics.publish.leastloss`: 1,000,000 per hidden figure with counts >= 20, plus
1 + count per hidden figure) are printed: tables, how many the heuristic solved at the
optimum, the median and largest ratio heuristic / exact, and the figures >= 20 each hides.
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
    a = ap.parse_args()
    import polars as pl

    from metrics.engine import load_observations
    from metrics.publish import linked
    from metrics.publish.leastloss import LARGE_COST
    from metrics.publish.snapshot import feed_sources, public_register
    from metrics.suppression import PUBLIC
    from metrics.workspace import Workspace

    ws = Workspace.open(a.workspace)
    as_of = date.fromisoformat(a.as_of)
    reg = public_register(ws.register)
    obs = load_observations(ws.engine).filter(pl.col("kpi_id").is_in(list(reg.kpis))
                                              & (pl.col("period_end") <= as_of))
    linked.GAP_LOG = []
    t = time.perf_counter()
    linked.protect_linked(reg, obs, PUBLIC, sources=feed_sources(ws))
    took = time.perf_counter() - t
    log = linked.GAP_LOG
    linked.GAP_LOG = None
    if not log:
        print("no statewide table needed complementary cells")
        return
    ratios = [r["heuristic"] / r["exact"] for r in log if r["exact"] > 0]
    at_opt = sum(1 for r in log if r["heuristic"] <= r["exact"] * (1 + 1e-9))
    large_h = sum(int(r["heuristic"] // LARGE_COST) for r in log)
    large_e = sum(int(r["exact"] // LARGE_COST) for r in log)
    print(f"statewide tables solved exactly and by the heuristic: {len(log)} "
          f"({statistics.median(r['cells'] for r in log):.0f} cells median); protection with "
          f"both took {took:.1f} s")
    print(f"  heuristic at the optimum on {at_opt} of {len(log)}; loss ratio heuristic/exact: "
          f"median {statistics.median(ratios):.2f}, largest {max(ratios):.2f}")
    print(f"  hidden figures with counts >= 20: heuristic {large_h}, exact {large_e}")
    worst = sorted(log, key=lambda r: r["heuristic"] / max(r["exact"], 1e-9))[-5:]
    for r in worst:
        print(f"    {r['table']}: heuristic {r['heuristic']:,.0f}, exact {r['exact']:,.0f}")


if __name__ == "__main__":
    main()
