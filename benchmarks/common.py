"""What the browser benchmarks share: Debian's Chromium, and the app served on a free port."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import tempfile
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
                 timeout: float = 90, script: str = "dashboard/app.py", prepare: bool = True,
                 launcher: list[str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """Serve the internal app (or another Streamlit ``script``) on ``workspace``; return
    the process and its base URL.  ``prepare``: started as ``statdesk run`` starts it
    (``python -m dashboard.serve``), and returned once its pages are prepared (the log line
    is printed); else plain ``streamlit run``, returned once it answers.  ``launcher``: the
    Python arguments that start the server instead (given the script and options)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "STATDESK_DATABASE_URL"}
    env |= {"STATDESK_WORKSPACE": str(workspace), "STATDESK_AS_OF": as_of}
    if launcher is not None:
        prepare = False
        launcher = [*launcher, script]
    else:
        launcher = (["-m", "dashboard.serve", script] if prepare
                    else ["-m", "streamlit", "run", script])
    cmd = [sys.executable, *launcher, "--server.headless",
           "true", "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    print("+", shlex.join(cmd), flush=True)
    if log is None and prepare:
        log = Path(tempfile.mkdtemp(prefix="statdesk-server-")) / "server.log"
    out = log.open("wb") if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    tail = (lambda: log.read_text()[-2000:]) if log is not None else (lambda: "")
    deadline = time.monotonic() + timeout
    answered = False
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the app exited with {proc.returncode}:\n{tail()}")
        if not answered:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    answered = r.read().strip() == b"ok"
            except OSError:
                pass
        if answered and not prepare:
            return proc, base
        if answered and log is not None:
            said = [line for line in log.read_text(errors="replace").splitlines()
                    if line.startswith("StatDesk:")]
            if said:
                print("  " + "\n  ".join(said), flush=True)
                return proc, base
        time.sleep(0.3)
    proc.terminate()
    sys.exit(f"the app did not {'answer' if not answered else 'prepare its pages'} within "
             f"{timeout:.0f} s:\n{tail()}")


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
