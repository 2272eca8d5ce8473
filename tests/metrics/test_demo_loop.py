"""The demo's month-to-month loop: every role, two past sessions, one commitment done and
annotated on its KPI, one overdue, one carried forward."""

from __future__ import annotations

from pathlib import Path

from metrics import commitments as cm
from metrics.access import ROLES
from metrics.annotations import list_annotations
from metrics.users import list_users
from metrics.workspace import Workspace
from tests.conftest import AS_OF


def test_demo_loop_has_every_role_and_a_living_commitment_loop(loop_copy: Path) -> None:
    ws = Workspace.open(loop_copy)
    with ws.session() as s:
        users = list_users(s)
        assert {u.role for u in users} == set(ROLES)
        leads = {u.agency_id for u in users if u.role == "agency_lead"}
        assert leads == set(ws.register.agencies)
        sessions = cm.list_sessions(s)
        assert [(x.held_on.isoformat(), x.period) for x in sessions] == [
            ("2026-10-22", "2026-09"), ("2026-09-17", "2026-08")]
        views = {c.text: c for c in cm.list_commitments(s, as_of=AS_OF)}
        done = views["Open three prenatal clinics in Lakeshore"]
        assert done.status == "done" and not done.overdue
        notes = list_annotations(s, "prenatal_care")
        assert [a.kind for a in notes] == ["commitment"] and done.text in notes[0].text
        late = views["Send the late eviction filings file"]
        assert late.status == "open" and late.overdue and late.days_overdue == 41
        going = next(c for c in views.values() if c.status == "in progress")
        assert going.due_on > AS_OF and not going.overdue
        carried = [c.text for c in cm.carried_forward(s, sessions[0].id or 0, as_of=AS_OF)]
        assert late.text in carried
