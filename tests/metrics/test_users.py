"""The users table: adding, changing, removing, and who may sign in."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from metrics import audit
from metrics.access import operator
from metrics.definitions import Register, load_register
from metrics.users import UserError, add_user, check_user, list_users, remove_user, viewer_for
from metrics.workspace import Workspace


@pytest.fixture()
def session(tmp_path: Path) -> Session:
    ws = Workspace.open(tmp_path / "ws", f"sqlite:///{tmp_path / 'u.db'}")
    ws.init_db()
    return ws.session()


@pytest.fixture(scope="module")
def reg(demo_workspace: Path) -> Register:
    return load_register(demo_workspace / "definitions")


def test_every_problem_is_named_at_once(reg: Register) -> None:
    problems = check_user("not-an-email", "boss", "xyz", reg)
    assert len(problems) == 3
    assert "'not-an-email' is not an e-mail address" in problems[0]
    assert "unknown role 'boss'; use one of governor_staff, agency_lead, data_steward, admin" in problems[1]
    assert "unknown agency 'xyz'; use one of dhs, dlw, doc, doe, doh, dps, hfa." in problems[2]
    assert check_user("a@b.gov", "agency_lead", "", reg) == [
        "an agency lead needs an agency (--agency, e.g. doh)."]
    assert check_user("a@b.gov", "agency_lead", "doh", reg) == []


def test_bad_user_is_refused_and_nothing_written(session: Session, reg: Register) -> None:
    with pytest.raises(UserError, match="an agency lead needs an agency"):
        add_user(session, "lead@dhs.gov", "agency_lead", register=reg, acting=operator())
    assert list_users(session) == []
    assert audit.entries(session) == []


def test_add_again_updates_and_reactivates(session: Session, reg: Register) -> None:
    u = add_user(session, "Lead@DHS.gov", "agency_lead", agency_id="dhs", register=reg, actor="root", acting=operator())
    assert (u.email, u.version, u.active) == ("lead@dhs.gov", 1, True)
    remove_user(session, "lead@dhs.gov", actor="root", acting=operator())
    assert viewer_for(session, "lead@dhs.gov") is None
    u = add_user(session, "lead@dhs.gov", "data_steward", register=reg, actor="root", acting=operator())
    assert (u.role, u.agency_id, u.active, u.version) == ("data_steward", "", True, 3)
    assert len(list_users(session)) == 1
    v = viewer_for(session, "LEAD@dhs.gov")
    assert v is not None and v.role == "data_steward" and not v.local
    assert [e.action for e in audit.entries(session, entity="user")] == ["update", "deactivate",
                                                                         "create"]


def test_remove_unknown_user_says_how_to_list(session: Session) -> None:
    with pytest.raises(UserError, match="no user 'ghost@gov'; 'statdesk users list' shows them"):
        remove_user(session, "ghost@gov", acting=operator())


def test_unknown_or_empty_address_has_no_viewer(session: Session) -> None:
    assert viewer_for(session, "") is None
    assert viewer_for(session, None) is None
    assert viewer_for(session, "nobody@gov.lakeland.gov") is None
