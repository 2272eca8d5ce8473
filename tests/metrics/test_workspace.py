"""Workspace.register: the definitions with the targets agreed in the app, and no silent fallback."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from metrics.store.tables import TargetRecord
from metrics.workspace import Workspace
from tests.workspace_factory import base_tables, make_workspace, write_definitions


def test_without_a_database_the_register_is_the_definitions(tmp_path: Path) -> None:
    write_definitions(tmp_path / "ws" / "definitions", base_tables())
    ws = Workspace.open(tmp_path / "ws", database_url=f"sqlite:///{tmp_path / 'ws' / 'statdesk.db'}")
    assert ws.register.targets == ws.definitions_register.targets
    assert ws.register.target_for("share_a") is not None


def test_a_target_agreed_in_the_app_is_in_force(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    with ws.session() as s:
        s.add(TargetRecord(kpi_id="share_a", baseline_value=50, baseline_period="2025-12",
                           target_value=61, target_date=date(2027, 6, 30), set_by="director",
                           approved_by="governor", updated_at=datetime.now(UTC)))
        s.commit()
    target = ws.reload().target_for("share_a")
    assert target is not None and target.target_value == 61


def test_a_stored_target_that_cannot_be_read_is_not_silently_dropped(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    with ws.session() as s:
        s.add(TargetRecord(kpi_id="share_a", baseline_value=50, baseline_period="not a period",
                           target_value=61, target_date=date(2027, 6, 30), set_by="director"))
        s.commit()
    ws.__dict__.pop("register", None)
    with pytest.raises(ValueError, match="not a period"):
        ws.register  # noqa: B018
