"""The data roadmap: default actions, validated edits, version check."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from metrics.access import operator
from metrics.governance.inventory import InventoryError, StaleEdit
from metrics.governance.roadmap import (
    PILLARS,
    STAGES,
    ensure_roadmap,
    list_actions,
    roadmap_frame,
    update_action,
)
from metrics.workspace import Workspace
from tests.conftest import AS_OF

AT = datetime(2026, 11, 25, tzinfo=UTC)


def test_default_roadmap_seeded_once(demo_copy: Path) -> None:
    ws = Workspace.open(demo_copy)
    with ws.session() as s:
        n = ensure_roadmap(s)
        assert n >= 12 and ensure_roadmap(s) == 0
        acts = list_actions(s)
    titles = {a.title for a in acts}
    for t in ("Adopt an executive order making data sharing the default",
              "Name a data steward in every agency", "Stand up the cross-agency data hub",
              "Publish the data inventory as open data", "Standard data-sharing agreement template",
              "Data literacy training for analysts"):
        assert t in titles
    assert {a.pillar for a in acts} == set(PILLARS) and {a.stage for a in acts} == set(STAGES)
    assert {a.win_horizon for a in acts} == {"short", "mid", "long"}
    assert all(a.win for a in acts)
    assert [STAGES.index(a.stage) for a in acts] == sorted(STAGES.index(a.stage) for a in acts)


def test_update_with_validation_and_version(demo_copy: Path) -> None:
    ws = Workspace.open(demo_copy)
    with ws.session() as s:
        ensure_roadmap(s)
        act = list_actions(s)[0]
        with pytest.raises(InventoryError, match="needs an owner"):
            update_action(s, act.id, status="in progress", owner=" ", due_on=None,
                          expected_version=1, by="cdo", at=AT, acting=operator())
        with pytest.raises(InventoryError, match="Status 'half done'"):
            update_action(s, act.id, status="half done", owner="CDO", due_on=None,
                          expected_version=1, by="cdo", at=AT, acting=operator())
        done = update_action(s, act.id, status="in progress", owner="Chief Data Officer",
                             due_on=date(2026, 10, 31), expected_version=1, by="cdo", at=AT, acting=operator())
        assert done.version == 2
        with pytest.raises(StaleEdit, match="since you opened it"):
            update_action(s, act.id, status="done", owner="Someone", due_on=None,
                          expected_version=1, by="other", at=AT, acting=operator())
        frame = roadmap_frame(s, AS_OF)
    row = frame.filter(frame["id"] == act.id).row(0, named=True)
    assert row["status"] == "in progress" and row["owner"] == "Chief Data Officer"
    assert row["overdue"] is True  # due 31 Oct, not done on 25 Nov
