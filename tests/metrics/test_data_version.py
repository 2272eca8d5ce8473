"""data_version changes with every change of data, so caches keyed on it follow the data."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from metrics import audit
from metrics.cli import app
from metrics.store import data_version
from metrics.store.tables import Observation
from metrics.workspace import Workspace


def _read(root: Path) -> tuple[tuple[int, ...], int]:
    ws = Workspace.open(root)
    with ws.session() as s:
        out = data_version(s), int(s.exec(select(func.count(Observation.id))).one())
    ws.engine.dispose()
    return out


def test_a_refresh_that_keeps_the_row_count_changes_the_version(demo_copy: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STATDESK_DATABASE_URL", raising=False)
    before, rows_before = _read(demo_copy)
    res = CliRunner().invoke(app, ["refresh", "--workspace", str(demo_copy), "--by", "analyst"])
    assert res.exit_code == 0, res.output
    after, rows_after = _read(demo_copy)
    assert rows_after == rows_before > 0
    assert f"{rows_after} observations recomputed." in res.output
    assert after != before
    ws = Workspace.open(demo_copy)
    with ws.session() as s:
        last = audit.entries(s, limit=1)[0]
    assert (last.actor, last.action, last.entity) == ("analyst", "recompute", "observations")
    assert last.detail == f"{rows_after} observations recomputed from the feeds in force"


def test_reading_changes_nothing(demo_copy: Path) -> None:
    assert _read(demo_copy)[0] == _read(demo_copy)[0]
