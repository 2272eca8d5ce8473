"""Several people at once: benchmarks/load.py with three simultaneous sessions, no errors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, chromium_path
from tests.e2e.conftest import _no_browser

pytestmark = pytest.mark.e2e


def test_three_simultaneous_sessions_load_without_errors(demo_workspace: Path) -> None:
    exe = chromium_path()
    if exe is None:
        _no_browser("Debian's chromium is not installed (apt-get install chromium); "
                    "browser tests skipped")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load.py"), "--sessions", "3",
         "--workspace", str(demo_workspace), "--timeout", "150"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={"STATDESK_CHROMIUM": exe, "PATH": "/usr/bin:/bin",
             "HOME": str(Path.home())})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    found = re.fullmatch(r"load_sessions=3 p50=(\d+\.\d+) p95=(\d+\.\d+) errors=(\d+)", last)
    assert found, proc.stdout[-2000:]
    p50, p95, errors = float(found[1]), float(found[2]), int(found[3])
    assert errors == 0, proc.stdout[-3000:]
    assert 0 < p50 <= p95 < 150
    assert "| stat session: seconds to charts drawn |" in proc.stdout
    assert "loads 3 | errors 0 |" in proc.stdout
