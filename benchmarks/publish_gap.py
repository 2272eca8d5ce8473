"""The gap between the heuristic and the exact least-loss suppression of statewide tables.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/publish_gap.py -w /tmp/pub-demo --as-of 2026-11-25

Runs the snapshot's protection once with a gap log (``protect_linked(..., gap_log=[])``): every
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
from typing import Any


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-w", "--workspace", required=True)
    ap.add_argument("--as-of", default="2026-11-25")
    ap.add_argument("--time-runs", type=int, default=0,
                    help="also time the protection with and without the exact model")
    a = ap.parse_args()

    from benchmarks.common import public_inputs
    from metrics.publish import linked
    from metrics.publish.leastloss import LARGE_COST
    from metrics.publish.release import release
    from metrics.publish.snapshot import feed_sources
    from metrics.suppression import PUBLIC

    as_of = date.fromisoformat(a.as_of)
    ws, reg, obs = public_inputs(a.workspace, as_of)
    log: list[dict[str, Any]] = []
    t = time.perf_counter()
    linked.protect_linked(reg, obs, PUBLIC, sources=feed_sources(ws), gap_log=log)
    took = time.perf_counter() - t
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
    bound = lower_bound(reg, linked.released_truth(reg, release(reg, obs, sources=feed_sources(ws))))
    print(f"  lower bound (any pattern): at least {bound['hidden']} statewide group figures with "
          f"counts >= 20 hidden, of {bound['figures']:,} ({bound['hidden'] / bound['figures']:.1%})")
    if a.time_runs:
        timed: dict[str, list[float]] = {"exact": [], "heuristic": []}
        exact_fn = linked.least_loss_cells
        for _ in range(a.time_runs):
            for who in ("exact", "heuristic"):
                linked.least_loss_cells = exact_fn if who == "exact" else (  # type: ignore[assignment]
                    lambda *_a, **_k: None)
                t = time.perf_counter()
                linked.protect_linked(reg, obs, PUBLIC, sources=feed_sources(ws))
                timed[who].append(time.perf_counter() - t)
        linked.least_loss_cells = exact_fn  # type: ignore[assignment]
        e, h = statistics.median(timed["exact"]), statistics.median(timed["heuristic"])
        print(f"  protection and audit of every public KPI: exact {e:.1f} s, heuristic only "
              f"{h:.1f} s (medians of {a.time_runs}, alternating; ratio {e / h:.2f}x)")
    worst = sorted(log, key=lambda r: r["heuristic"] / max(r["exact"], 1e-9))[-5:]
    for r in worst:
        print(f"    {r['table']}: heuristic {r['heuristic']:,.0f}, exact {r['exact']:,.0f}")


def lower_bound(reg: Any, truth: Any) -> dict[str, int]:
    """Statewide group figures with counts >= 20 that any safe pattern hides.

    Counted as the snapshot check counts them (the smaller of numerator and denominator for
    counted KPIs). A figure that is itself sensitive (a small remainder) is hidden; a
    statewide row of one period with one sensitive figure needs another hidden figure in
    the row (the published total minus the others gives it away), which is one of 20 or
    more when every other figure of the row is. Twelve-month figures are not counted, so
    this is a lower bound of what the check reports.
    """
    import polars as pl

    from metrics.publish.linked import CountTable, _table_rows, count_tables
    from metrics.publish.release import COARSE
    from metrics.suppression import PUBLIC

    counted = [k for k, v in reg.kpis.items() if v.measure in ("proportion", "rate", "count")]
    size = pl.min_horizontal(pl.when(pl.col("kpi_id").is_in(counted)).then(pl.col("numerator"))
                             .otherwise(None), pl.col("denominator"))
    cells = truth.filter((pl.col("region") == "all") & (pl.col("group") != "all")).with_columns(
        _size=size)
    figures = cells.filter(pl.col("_size") >= 20).height
    sizes = {(r[0], r[1], r[2], r[3]): r[4] for r in cells.select(
        "kpi_id", "period", "grain", "group", "_size").rows()}
    must: set[tuple[Any, ...]] = set()
    partner_rows: set[tuple[Any, ...]] = set()
    for table in count_tables(reg, truth):
        ct = CountTable(table.name, table.kind, table.kpi_ids, table.proportion)
        rows = _table_rows(ct, truth, truth.with_columns(suppressed=pl.lit(False)), PUBLIC)
        rows = rows.filter((pl.col("region") == "all") & (pl.col("group") != "all")
                           & (pl.col("grain") != COARSE))
        for part in rows.partition_by("period", maintain_order=True):
            sens = part.filter("_sensitive").get_column("group").to_list()
            if not sens:
                continue
            for k in table.kpi_ids:
                p, g = part.item(0, "period"), part.item(0, "grain")
                for grp in sens:
                    if (sizes.get((k, p, g, grp)) or 0) >= 20:
                        must.add((k, p, g, grp))
                others = [grp for grp in part.get_column("group").to_list() if grp not in sens]
                if len(sens) == 1 and others and all(
                        (sizes.get((k, p, g, o)) or 0) >= 20 for o in others):
                    partner_rows.add((k, p, g))
    return {"hidden": len(must) + len(partner_rows), "figures": figures}


if __name__ == "__main__":
    main()
