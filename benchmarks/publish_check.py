"""Measure `statdesk publish` on a workspace: time (median of runs) and the snapshot targets.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/publish_check.py -w /tmp/pub-demo \
        --as-of 2026-11-25 [--runs 3] [--snapshot EXISTING_SNAPSHOT]

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
    a = ap.parse_args()
    snap = Path(a.snapshot) if a.snapshot else None
    times = []
    for _ in range(a.runs if snap is None else 0):
        out = Path(tempfile.mkdtemp(prefix="statdesk-publish-"))
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from metrics.cli import app; app()", "publish",
                        str(out), "-w",
                        a.workspace, "--as-of", a.as_of, "--by", "benchmark"], check=True,
                       env=os.environ, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
        snap = sorted(out.iterdir())[-1]
    if times:
        print(f"statdesk publish: median {statistics.median(times):.1f} s over {len(times)} "
              f"runs ({', '.join(f'{x:.1f}' for x in times)})")
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
          f"statewide group figures with counts >= 20: {figs['statewide_groups_20']:,}")
    for line in figs["status_mismatch_detail"] + figs["audit_problems"]:
        print("   ", line)


if __name__ == "__main__":
    main()
