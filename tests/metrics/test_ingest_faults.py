"""A process killed in the middle of an ingest leaves the database as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from metrics.ingest import ingest
from metrics.workspace import Workspace
from tests.conftest import ROOT
from tests.workspace_factory import AS_OF, agg_rows, make_workspace, write_feed

TABLES = ("batch", "feedmonth", "observation", "quarantinerow")
STATDESK = Path(sys.executable).parent / "statdesk"


def _state(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    with ws.engine.connect() as c:
        return {t: [tuple(r) for r in c.exec_driver_sql(f"SELECT * FROM {t} ORDER BY id")]
                for t in TABLES}


def _run(ws: Workspace, path: Path, fault: str | None) -> subprocess.CompletedProcess[str]:
    """``statdesk ingest`` in a new process, killed at ``fault`` (see tests/faultpoints.py)."""
    env = {k: v for k, v in os.environ.items() if k != "STATDESK_DATABASE_URL"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    cmd = [sys.executable, "-m", "tests.faultpoints", fault] if fault else [str(STATDESK)]
    return subprocess.run([*cmd, "ingest", "agg", str(path), "--workspace", str(ws.root),
                           "--as-of", AS_OF.isoformat(), "--by", "tester"],
                          env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)


@pytest.fixture()
def loaded(tmp_path: Path) -> tuple[Workspace, Path]:
    """A workspace with January applied (one row quarantined) and a file revising it."""
    ws = make_workspace(tmp_path / "ws")
    jan = agg_rows(["2026-01"]) + [dict(agg_rows(["2026-01"])[0], group="asian", region="R9")]
    rep = ingest(ws, "agg", write_feed(tmp_path / "jan.csv", jan), received_on=AS_OF)
    assert rep.status == "applied" and rep.rows_rejected == 1
    revised = agg_rows(["2026-01", "2026-02"], num=lambda t, i, j: 20 + t + i + j)
    revised.append(dict(revised[0], group="martian"))
    return ws, write_feed(tmp_path / "revised.csv", revised)


@pytest.mark.parametrize("fault", ["after_files", "before_commit"])
def test_killed_ingest_leaves_database_as_it_was(loaded: tuple[Workspace, Path], fault: str) -> None:
    ws, path = loaded
    before = _state(ws)
    assert all(before[t] for t in TABLES)
    proc = _run(ws, path, fault)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    ws.engine.dispose()
    assert _state(ws) == before
    # a normal re-run then applies the file
    rep = ingest(ws, "agg", path, received_by="tester", received_on=AS_OF)
    assert rep.status == "applied" and rep.batch_id == 2, rep.summary()
    assert rep.error_counts() == {"feed.unknown_group": 1}
    after = _state(ws)
    with ws.engine.connect() as c:
        assert [tuple(r) for r in c.exec_driver_sql("SELECT id, status FROM batch ORDER BY id")] \
            == [(1, "applied"), (2, "applied")]
        assert [tuple(r) for r in c.exec_driver_sql("SELECT DISTINCT batch_id FROM feedmonth")] \
            == [(2,)]  # both months now come from batch 2
    assert len(after["quarantinerow"]) == 2
    assert after["observation"] != before["observation"]
    _check_applied(ws)


def test_killed_after_commit_is_fully_applied(loaded: tuple[Workspace, Path]) -> None:
    ws, path = loaded
    proc = _run(ws, path, "after_commit")
    assert proc.returncode == -signal.SIGKILL
    ws.engine.dispose()
    _check_applied(ws)
    # the file is now known: sending it again changes nothing
    before = _state(ws)
    rep = ingest(ws, "agg", path, received_on=AS_OF)
    assert rep.status == "duplicate" and "already applied as batch 2" in rep.summary()
    assert _state(ws) == before


def _check_applied(ws: Workspace) -> None:
    from metrics.engine import load_observations

    obs = load_observations(ws.engine, ["count_a"])
    statewide = {r["period"]: r["value"] for r in obs.filter(
        (obs["region"] == "all") & (obs["group"] == "all")).iter_rows(named=True)}
    expected = {m: float(sum(20 + t + i + j for i in range(3) for j in range(3)))
                for t, m in enumerate(["2026-01", "2026-02"])}
    assert statewide == expected
