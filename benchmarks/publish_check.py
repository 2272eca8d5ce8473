"""Measure `statdesk publish` on a workspace: time (median of runs) and the snapshot targets.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/publish_check.py -w /tmp/pub-demo \
        --as-of 2026-11-25 [--runs 3] [--peer /work/main] [--snapshot EXISTING_SNAPSHOT]

Each run publishes into a fresh folder in a subprocess (imports included, as a user sees
it); then the latest snapshot is measured against the workspace (metrics.publish.check).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-w", "--workspace", required=True)
    ap.add_argument("--as-of", default="2026-11-25")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--snapshot", default="")
    ap.add_argument("--peer", default="", help="another checkout (e.g. /work/main) to time "
                    "in the same run, alternating with this one")
    a = ap.parse_args()
    snap = Path(a.snapshot) if a.snapshot else None
    here = str(Path(__file__).resolve().parent.parent)
    times: dict[str, list[float]] = {"this": [], "peer": []}
    cpu: dict[str, list[float]] = {"this": [], "peer": []}
    for _ in range(a.runs if snap is None else 0):
        for who, root in (("this", here), ("peer", a.peer)):
            if not root:
                continue
            out = Path(tempfile.mkdtemp(prefix="statdesk-publish-"))
            env = dict(os.environ, PYTHONPATH=root)
            t = time.perf_counter()
            r0 = os.times()
            subprocess.run([sys.executable, "-c", "from metrics.cli import app; app()",
                            "publish", str(out), "-w", a.workspace, "--as-of", a.as_of,
                            "--by", "benchmark"], check=True, env=env, cwd=root,
                           stdout=subprocess.DEVNULL)
            r1 = os.times()
            times[who].append(time.perf_counter() - t)
            cpu[who].append((r1.children_user - r0.children_user)
                            + (r1.children_system - r0.children_system))
            if who == "this":
                snap = sorted(out.iterdir())[-1]
    for who in ("this", "peer"):
        if times[who]:
            print(f"statdesk publish ({who}: {here if who == 'this' else a.peer}): median "
                  f"{statistics.median(times[who]):.1f} s wall, "
                  f"{statistics.median(cpu[who]):.1f} s CPU over {len(times[who])} runs")
    if times["this"] and times["peer"]:
        print(f"  ratio peer/this: {statistics.median(times['peer']) / statistics.median(times['this']):.1f}x "
              f"wall, {statistics.median(cpu['peer']) / statistics.median(cpu['this']):.1f}x CPU; "
              f"load average {os.getloadavg()[0]:.1f}")
    from metrics.publish.check import TARGETS, met, snapshot_targets
    from metrics.workspace import Workspace

    assert snap is not None
    figs = snapshot_targets(Workspace.open(a.workspace), snap, as_of=date.fromisoformat(a.as_of))
    ok = met(figs)
    print(f"snapshot {snap}: {figs['cells']:,} cells, {figs['cells_hidden']:,} hidden")
    for name, (op, limit) in TARGETS.items():
        v = figs[name]
        shown = f"{v:.1%}" if isinstance(v, float) else f"{v:,}"
        print(f"  {name}: {shown} (target {op} {limit}) {'met' if ok[name] else 'NOT MET'}")
    print(f"  hidden counts audited by the linked LP: {figs['hidden_counts_audited']:,}; "
          f"statewide group figures with counts >= 20: {figs['statewide_groups_20']:,}; "
          f"statewide figures of combined groups: {figs['statewide_groups_combined']:,}")
    for line in figs["status_mismatch_detail"] + figs["audit_problems"]:
        print("   ", line)


if __name__ == "__main__":
    main()
