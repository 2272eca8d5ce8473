"""Every write of the library checks the acting user itself: a page, a command or a script
that passes the wrong role is refused with words, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from metrics import annotations as an
from metrics import commitments as cm
from metrics.access import AccessDenied, Viewer, local_viewer, operator
from metrics.cli import app
from metrics.governance.inventory import ensure_inventory, save_dataset
from metrics.governance.roadmap import ensure_roadmap, list_actions, update_action
from metrics.ingest import apply_preview, ingest, preview
from metrics.publish import build_snapshot
from metrics.store.tables import (
    Annotation,
    AppUser,
    AuditEntry,
    Batch,
    Commitment,
    Dataset,
    RoadmapAction,
    StatSession,
    TargetRecord,
)
from metrics.target_edits import save_target
from metrics.users import add_user, remove_user
from metrics.workspace import Workspace
from tests.workspace_factory import AS_OF, agg_rows, base_tables, make_workspace, write_feed

STAFF = Viewer("staff@state.gov", "governor_staff")
ADMIN = Viewer("admin@state.gov", "admin")
STEWARD = Viewer("steward@state.gov", "data_steward")
LEAD1 = Viewer("lead@ag1.gov", "agency_lead", agency_id="ag1")
LEAD2 = Viewer("lead@ag2.gov", "agency_lead", agency_id="ag2")
EVERYONE = {"staff": STAFF, "admin": ADMIN, "steward": STEWARD, "lead_ag1": LEAD1,
            "lead_ag2": LEAD2}
runner = CliRunner()


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    tables = base_tables()
    tables["agencies"].append(dict(agency_id="ag2", name="Agency Two", lead="B. Lead",
                                   lead_email="lead@ag2.gov"))
    w = make_workspace(tmp_path / "ws", tables)
    rows = agg_rows(["2026-01", "2026-02"])
    for r in rows:
        r["score"] = "50"
    ingest(w, "agg", write_feed(tmp_path / "seed.csv", rows), received_on=AS_OF)
    with w.session() as s:
        stat = cm.create_session(s, acting=operator(), held_on=date(2026, 3, 1), period="2026-02")
        cm.create_commitment(s, acting=operator(), session_id=int(stat.id or 0), text="Open clinics",
                             owner="Ana", due_on=date(2026, 6, 1), agency_id="ag1")
        ensure_inventory(s, w.register, at=datetime(2026, 1, 1, tzinfo=UTC))
        ensure_roadmap(s)
        add_user(s, "lead@ag1.gov", "agency_lead", agency_id="ag1", register=w.register,
                 acting=operator())
        add_user(s, "steward@state.gov", "data_steward", acting=operator())
        add_user(s, "admin@state.gov", "admin", acting=operator())
    return w


def _counts(ws: Workspace) -> dict[str, int]:
    with ws.session() as s:
        return {t.__name__: len(s.exec(select(t)).all()) for t in
                (StatSession, Commitment, Annotation, TargetRecord, Dataset, AppUser, Batch,
                 AuditEntry)} | {
            "versions": sum(c.version for c in s.exec(select(Commitment)))
            + sum(a.version for a in s.exec(select(RoadmapAction)))
            + sum(d.version for d in s.exec(select(Dataset)))}


def _new_session(ws: Workspace, v: Viewer) -> Any:
    with ws.session() as s:
        return cm.create_session(s, acting=v, held_on=date(2026, 3, 2), period="2026-02",
                                 focus_kind="agency", focus_id="ag1", register=ws.register)


def _new_commitment(ws: Workspace, v: Viewer) -> Any:
    with ws.session() as s:
        return cm.create_commitment(s, acting=v, session_id=1, text="More nurses", owner="Bo",
                                    due_on=date(2026, 7, 1), kpi_ids="share_a",
                                    register=ws.register)


def _close(ws: Workspace, v: Viewer) -> Any:
    with ws.session() as s:
        return cm.update_status(s, 1, acting=v, status="done", note="", expected_version=1,
                                as_of=AS_OF)


def _annotate(ws: Workspace, v: Viewer) -> Any:
    with ws.session() as s:
        return an.add_annotation(s, acting=v, kpi_id="share_a", on_date=date(2026, 2, 1),
                                 kind="policy", text="New rule", register=ws.register)


def _target(ws: Workspace, v: Viewer) -> Any:
    values = {"baseline_value": 50, "baseline_period": "2024-01", "target_value": 70,
              "target_date": date(2027, 6, 30), "set_by": "x", "approved_by": "", "agreed": True}
    with ws.session() as s:
        return save_target(s, ws.register, "share_a", values, acting=v, expected_version=0,
                           by="x", at=datetime.now(UTC))


def _dataset(ws: Workspace, v: Viewer) -> Any:
    values = {"dataset_id": "new_set", "title": "New set", "description": "d",
              "source_system": "s", "agency_id": "ag1", "steward": "x",
              "steward_email": "x@ag1.gov", "classification": "internal", "restricted": False,
              "legal_basis": "", "agreement_ids": "", "cadence": "monthly", "feed_ids": "",
              "keywords": "health"}
    with ws.session() as s:
        return save_dataset(s, ws.register, values, acting=v, expected_version=None, by="x",
                            at=datetime.now(UTC))


def _roadmap(ws: Workspace, v: Viewer) -> Any:
    with ws.session() as s:
        act = list_actions(s)[0]
        return update_action(s, int(act.id or 0), status="in progress", owner="Cy", due_on=None,
                             acting=v, expected_version=act.version, by="x", at=datetime.now(UTC))


def _add_user(ws: Workspace, v: Viewer) -> Any:
    with ws.session() as s:
        return add_user(s, "new@state.gov", "governor_staff", acting=v)


def _remove_user(ws: Workspace, v: Viewer) -> Any:
    with ws.session() as s:
        return remove_user(s, "steward@state.gov", acting=v)


def _publish(ws: Workspace, v: Viewer) -> Any:
    return build_snapshot(ws, ws.root / "site", acting=v, as_of=AS_OF, published_by="x")


def _upload(ws: Workspace, v: Viewer) -> Any:
    rows = agg_rows(["2026-03"])
    for r in rows:
        r["score"] = "50"
    path = write_feed(ws.root.parent / "mar.csv", rows)
    pv = preview(ws, "agg", path, received_on=AS_OF)
    return apply_preview(ws, pv, acting=v)


def _ingest(ws: Workspace, v: Viewer) -> Any:
    rows = agg_rows(["2026-04"])
    path = write_feed(ws.root.parent / "apr.csv", rows)
    return ingest(ws, "agg", path, received_on=AS_OF, acting=v)


# action -> (function, roles that may do it)
ACTIONS: dict[str, tuple[Callable[[Workspace, Viewer], Any], set[str]]] = {
    "create session (agency ag1)": (_new_session, {"staff", "admin", "lead_ag1"}),
    "create commitment (ag1 KPI)": (_new_commitment, {"staff", "admin", "lead_ag1"}),
    "close commitment (ag1)": (_close, {"staff", "admin", "lead_ag1"}),
    "annotate ag1 KPI": (_annotate, {"staff", "admin", "lead_ag1"}),
    "set a target": (_target, {"staff", "admin"}),
    "add a dataset": (_dataset, {"steward", "admin"}),
    "update the roadmap": (_roadmap, {"steward", "admin"}),
    "add a user": (_add_user, {"admin"}),
    "remove a user": (_remove_user, {"admin"}),
    "publish": (_publish, {"staff", "admin"}),
    "upload a feed file (ag1)": (_upload, {"steward", "admin", "lead_ag1"}),
    "ingest a feed file (ag1)": (_ingest, {"steward", "admin", "lead_ag1"}),
}


@pytest.mark.parametrize("who", list(EVERYONE))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_write_allowed_only_for_its_roles(ws: Workspace, action: str, who: str) -> None:
    fn, allowed = ACTIONS[action]
    before = _counts(ws)
    if who in allowed:
        assert fn(ws, EVERYONE[who]) is not None
        assert _counts(ws) != before
        return
    with pytest.raises(AccessDenied) as exc:
        fn(ws, EVERYONE[who])
    assert "may not change" in str(exc.value) and "Nothing was changed" in str(exc.value)
    assert _counts(ws) == before


@pytest.mark.parametrize("action", list(ACTIONS))
def test_local_mode_and_operator_may_do_everything(ws: Workspace, action: str) -> None:
    fn, _ = ACTIONS[action]
    assert fn(ws, local_viewer()) is not None


def test_a_write_without_an_acting_user_is_refused(ws: Workspace) -> None:
    before = _counts(ws)
    with pytest.raises(AccessDenied, match="say who is making this change"):
        _close(ws, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError), ws.session() as s:
        cm.update_status(s, 1, status="done", expected_version=1, as_of=AS_OF)  # type: ignore[call-arg]
    assert _counts(ws) == before


def test_lead_cannot_close_another_agencys_commitment(ws: Workspace) -> None:
    """The issue's case: a lead of one agency set another agency's commitment to done."""
    with pytest.raises(AccessDenied, match="belongs to agency ag1"):
        _close(ws, LEAD2)
    with ws.session() as s:
        assert s.get(Commitment, 1).status == "open"  # type: ignore[union-attr]


# --- the command line acts as the user --by names -------------------------------------------


def _cli(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def test_cli_ingest_by_a_lead_of_another_agency_is_refused(ws: Workspace, tmp_path: Path) -> None:
    with ws.session() as s:
        add_user(s, "lead@ag2.gov", "agency_lead", agency_id="ag2", register=ws.register,
                 acting=operator())
    path = write_feed(tmp_path / "may.csv", agg_rows(["2026-05"]))
    before = _counts(ws)
    r = _cli("ingest", "agg", str(path), "-w", str(ws.root), "--by", "lead@ag2.gov",
             "--as-of", AS_OF.isoformat())
    assert r.exit_code == 3 and "access.denied" in r.output and "Nothing was changed" in r.output
    assert _counts(ws) == before
    r = _cli("ingest", "agg", str(path), "-w", str(ws.root), "--by", "lead@ag1.gov",
             "--as-of", AS_OF.isoformat())
    assert r.exit_code == 0, r.output


def test_cli_users_by_a_steward_is_refused(ws: Workspace) -> None:
    before = _counts(ws)
    r = _cli("users", "add", "x@state.gov", "--role", "admin", "-w", str(ws.root), "--by", "steward@state.gov")
    assert r.exit_code == 1 and "only administrators may" in r.output
    r = _cli("users", "remove", "admin@state.gov", "-w", str(ws.root), "--by", "lead@ag1.gov")
    assert r.exit_code == 1 and "only administrators may" in r.output
    assert _counts(ws) == before
    r = _cli("users", "add", "x@state.gov", "--role", "admin", "-w", str(ws.root), "--by", "admin@state.gov")
    assert r.exit_code == 0, r.output


def test_cli_publish_by_a_lead_is_refused(ws: Workspace) -> None:
    r = _cli("publish", str(ws.root / "site"), "-w", str(ws.root), "--by", "lead@ag1.gov",
             "--as-of", AS_OF.isoformat())
    assert r.exit_code == 1 and "may not change the public site" in r.output
    assert not (ws.root / "site").exists() or not any((ws.root / "site").iterdir())
