"""Targets agreed in the app: validation, provenance, the version check, statuses that follow."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from metrics.access import operator
from metrics.engine import load_observations
from metrics.scorecard import scorecard
from metrics.store.tables import AuditEntry
from metrics.target_edits import (
    StaleTarget,
    TargetError,
    current_version,
    effective_register,
    save_target,
)
from metrics.workspace import Workspace
from tests.conftest import AS_OF
from tests.pg import db_url, pg_server  # noqa: F401 - fixtures

AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
GOOD = {"baseline_value": 76.0, "baseline_period": "2024-10", "target_value": 90.0,
        "target_date": date(2027, 6, 30), "set_by": "Governor's Office of Results",
        "approved_by": "Chief of Staff", "approved_on": date(2026, 11, 25), "source": "Stat session"}


def _ws(pristine_demo: Path, tmp_path: Path, url: str) -> Workspace:
    root = tmp_path / "ws"
    shutil.copytree(pristine_demo / "definitions", root / "definitions")
    ws = Workspace.open(root, url)
    ws.init_db()
    return ws


def test_a_saved_target_takes_the_place_of_the_register_target(demo_copy: Path) -> None:
    ws = Workspace.open(demo_copy)
    before = ws.register.target_for("prenatal_care")
    assert before is not None and before.target_value != 90.0
    with ws.session() as s:
        rec = save_target(s, ws.definitions_register, "prenatal_care", GOOD,
                          expected_version=0, by="staff", at=AT, acting=operator())
        assert rec.version == 1 and current_version(s, "prenatal_care") == 1
        reg = effective_register(ws.definitions_register, s)
        audit = s.exec(select(AuditEntry).where(AuditEntry.entity == "target")).all()
    t = reg.target_for("prenatal_care")
    assert t is not None and t.target_value == 90.0 and t.approved_by == "Chief of Staff"
    assert t.baseline_date == date(2024, 10, 31)
    assert len(audit) == 1 and audit[0].actor == "staff" and "target 90.0" in audit[0].detail
    # a far higher target puts the KPI off track, and the status says so against 90%
    obs = load_observations(ws.engine, ["prenatal_care"])
    st = scorecard(reg, obs, month="2026-10", as_of=AS_OF, kpi_ids=["prenatal_care"])[0]
    assert st.status == "off track"
    assert Workspace.open(demo_copy).register.target_for("prenatal_care").target_value == 90.0


def test_bad_entries_are_refused_with_every_problem_and_nothing_is_written(demo_copy: Path) -> None:
    ws = Workspace.open(demo_copy)
    bad = {**GOOD, "baseline_period": "2024-13", "target_value": None, "set_by": " ",
           "target_date": date(2024, 1, 1)}
    with ws.session() as s, pytest.raises(TargetError) as err:
        save_target(s, ws.definitions_register, "prenatal_care", bad, expected_version=0,
                    by="staff", at=AT, acting=operator())
    assert set(err.value.problems) == {"baseline_period", "target_value", "set_by"}
    late = {**GOOD, "target_date": date(2024, 10, 1)}
    with ws.session() as s:
        with pytest.raises(TargetError) as err2:
            save_target(s, ws.definitions_register, "prenatal_care", late, expected_version=0,
                        by="staff", at=AT, acting=operator())
        assert "after the baseline" in err2.value.problems["target_date"]
        assert current_version(s, "prenatal_care") == 0
    with ws.session() as s, pytest.raises(TargetError):
        save_target(s, ws.definitions_register, "nope", GOOD, expected_version=0, by="x", at=AT, acting=operator())


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_two_people_editing_the_same_target_the_second_is_refused(
        db_url: str, pristine_demo: Path, tmp_path: Path) -> None:  # noqa: F811
    ws = _ws(pristine_demo, tmp_path, db_url)
    reg = ws.definitions_register
    with ws.session() as s:
        save_target(s, reg, "snap_timeliness", GOOD, expected_version=0, by="ana", at=AT, acting=operator())
    # both open version 1; Ana saves first, Ben's save from version 1 is refused
    with ws.session() as a:
        save_target(a, reg, "snap_timeliness", {**GOOD, "target_value": 92.0},
                    expected_version=1, by="ana", at=AT, acting=operator())
    with ws.session() as b, pytest.raises(StaleTarget) as err:
        save_target(b, reg, "snap_timeliness", {**GOOD, "target_value": 95.0},
                    expected_version=1, by="ben", at=AT, acting=operator())
    assert "changed by ana" in str(err.value)
    with ws.session() as s:
        t = effective_register(reg, s).target_for("snap_timeliness")
        assert t is not None and t.target_value == 92.0 and current_version(s, "snap_timeliness") == 2
    # creating a target someone else has just created is refused too
    with ws.session() as s, pytest.raises(StaleTarget):
        save_target(s, reg, "snap_timeliness", GOOD, expected_version=0, by="ben", at=AT, acting=operator())
