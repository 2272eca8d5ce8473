"""What the browser benchmarks share: Debian's Chromium, and the app served on a free port."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-25"
CHROMIUM = os.environ.get("STATDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(workspace: Path, log: Path | None = None, *, as_of: str = AS_OF,
                 timeout: float = 90, script: str = "dashboard/app.py"
                 ) -> tuple[subprocess.Popen[bytes], str]:
    """Serve the internal app (or another Streamlit ``script``) on ``workspace``; return
    the process and its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "STATDESK_DATABASE_URL"}
    env |= {"STATDESK_WORKSPACE": str(workspace), "STATDESK_AS_OF": as_of}
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.headless",
           "true", "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    print("+", shlex.join(cmd), flush=True)
    out = log.open("wb") if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    tail = (lambda: log.read_text()[-2000:]) if log is not None else (lambda: "")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the app exited with {proc.returncode}:\n{tail()}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, base
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    sys.exit(f"the app did not answer within {timeout:.0f} s:\n{tail()}")


def public_inputs(workspace: str, as_of: date):  # type: ignore[no-untyped-def]
    """The workspace, its public register and the public KPIs' observations up to ``as_of``:
    what the publishing benchmarks start from."""
    import polars as pl

    from metrics.engine import load_observations
    from metrics.publish.snapshot import public_register
    from metrics.workspace import Workspace

    ws = Workspace.open(workspace)
    reg = public_register(ws.register)
    obs = load_observations(ws.engine).filter(pl.col("kpi_id").is_in(list(reg.kpis))
                                              & (pl.col("period_end") <= as_of))
    return ws, reg, obs
