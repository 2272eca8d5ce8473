"""Cost of checking a feed file at the door, against a peer checkout measured in the same run.

    PYTHONPATH=$PWD python benchmarks/check_feed.py WORKSPACE FEED_ID FILE --peer /path/to/other/checkout

Reads FILE once per repetition and runs ``check_feed`` (every check, no database write) with
this checkout's code and with the peer's, alternating, each in its own process; prints the
median of each and the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = """
import sys, time
from datetime import date
from metrics.ingest import check_feed, read_feed_file
from metrics.workspace import Workspace
ws = Workspace.open(sys.argv[1]); feed = ws.register.feeds[sys.argv[2]]
t = time.perf_counter()
raw = read_feed_file(sys.argv[3], date_format=feed.date_format)
acc, err = check_feed(raw, feed, ws.register, received_on=date(2026, 11, 25), file_name="x")
print(time.perf_counter() - t, raw.height, acc.height, err.height)
"""


def run(root: Path, args: argparse.Namespace) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-c", CHILD, args.workspace, args.feed_id, args.file],
                         env=env, capture_output=True, text=True, check=True, cwd=root).stdout
    secs, *counts = out.split()
    return float(secs), "/".join(counts)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workspace")
    p.add_argument("feed_id")
    p.add_argument("file")
    p.add_argument("--peer", required=True, help="another checkout (e.g. main) to compare with")
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    here = Path(__file__).resolve().parent.parent
    peer = Path(args.peer).resolve()
    times: dict[str, list[float]] = {"this": [], "peer": []}
    rows: dict[str, str] = {}
    for _ in range(args.repeat):
        for name, root in (("this", here), ("peer", peer)):
            secs, rows[name] = run(root, args)
            times[name].append(secs)
    med = {k: statistics.median(v) for k, v in times.items()}
    for k in ("this", "peer"):
        print(f"{k:>4}: median {med[k] * 1000:8.1f} ms over {args.repeat} runs "
              f"(rows read/accepted/errors {rows[k]})")
    print(f"ratio this/peer: {med['this'] / med['peer']:.2f}")


if __name__ == "__main__":
    main()
