"""The Users and audit log page (AppTest): admins only, forms that say what is wrong, the log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics import audit
from metrics.access import operator
from metrics.users import add_user, get_user, list_users
from metrics.workspace import Workspace
from tests.apptest import frames, open_box
from tests.conftest import AS_OF, ROOT

PAGE = "views/admin.py"
ADMIN = "it@gov.lakeland.gov"
LEAD = "amara.osei@health.lakeland.gov"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-cookie-secret-that-is-long-enough",
    "client_id": "statdesk-test",
    "client_secret": "any",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
SAVE = "FormSubmitter:add_user-Save user"
DEACTIVATE = "FormSubmitter:deactivate_user-Deactivate"


@pytest.fixture()
def ws(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """A private demo with an administrator and an agency lead (added by the command line)."""
    import streamlit as st

    monkeypatch.setenv("STATDESK_WORKSPACE", str(demo_copy))
    monkeypatch.setenv("STATDESK_AS_OF", AS_OF.isoformat())
    monkeypatch.delenv("STATDESK_DATABASE_URL", raising=False)
    space = Workspace.open(demo_copy)
    space.init_db()
    with space.session() as s:
        add_user(s, ADMIN, "admin", name="Ines Torres", actor="setup",
                 now=datetime(2026, 11, 1, 9, 0, tzinfo=UTC), acting=operator())
        add_user(s, LEAD, "agency_lead", agency_id="doh", actor="setup",
                 now=datetime(2026, 11, 2, 9, 0, tzinfo=UTC), acting=operator())
    st.cache_data.clear()
    st.cache_resource.clear()
    yield space
    st.cache_resource.clear()
    space.engine.dispose()


def _open(*, user: str | None = None, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    if user is not None:
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email": user}  # type: ignore[attr-defined]
    at.run()
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error).replace("\\", "")


TABLE_COLUMN = {"admin_users_table": "E-mail", "admin_audit_table": "Detail"}


def _frame(at: AppTest, key: str):  # type: ignore[no-untyped-def]
    """The table of users or of the audit log (found by a column only it has)."""
    found = [d.value for d in frames(at) if TABLE_COLUMN[key] in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in frames(at)]
    return found[0]


def test_signed_in_admin_lists_adds_and_deactivates_users(ws: Workspace) -> None:
    at = _open(user=ADMIN)
    assert at.title[0].value == "Users and audit log"
    users = _frame(at, "admin_users_table")
    assert list(users["E-mail"]) == [LEAD, ADMIN]
    assert list(users["Role"]) == ["Agency lead", "Administrator"]
    labels = [e.label for e in at.expander]
    assert "Add a user, or change one's role" in labels and "Deactivate a user" in labels
    assert not at.text_input  # the forms are drawn once opened
    open_box(at, "au_open", "du_open")

    # every problem at once, nothing written, the typed values kept
    at.text_input(key="au_email").input("not-an-address")
    at.selectbox(key="au_role").set_value("agency_lead")
    at.button(key=SAVE).click().run()
    errors = _errors(at)
    assert "Nothing was saved" in errors
    assert "'not-an-address' is not an e-mail address" in errors
    assert "an agency lead needs an agency" in errors
    assert at.text_input(key="au_email").value == "not-an-address"
    with ws.session() as s:
        assert len(list_users(s)) == 2

    at.text_input(key="au_email").input("Nadia.Haddad@DHS.lakeland.gov")
    at.text_input(key="au_name").input("Nadia Haddad")
    at.selectbox(key="au_agency").set_value("dhs")
    at.button(key=SAVE).click().run()
    assert not at.exception and not at.error
    assert "Saved nadia.haddad@dhs.lakeland.gov: Agency lead, agency dhs" in at.success[0].value \
        .replace("\\", "")
    assert "nadia.haddad@dhs.lakeland.gov" in list(_frame(at, "admin_users_table")["E-mail"])

    # deactivating needs a confirmation, and never oneself
    at.selectbox(key="du_email").set_value("nadia.haddad@dhs.lakeland.gov")
    at.button(key=DEACTIVATE).click().run()
    assert "Tick the box to confirm" in _errors(at)
    at.selectbox(key="du_email").set_value(ADMIN)
    at.checkbox(key="du_confirm").check()
    at.button(key=DEACTIVATE).click().run()
    assert "You cannot deactivate yourself" in _errors(at)
    at.selectbox(key="du_email").set_value("nadia.haddad@dhs.lakeland.gov")
    at.checkbox(key="du_confirm").check()
    at.button(key=DEACTIVATE).click().run()
    assert not at.error
    with ws.session() as s:
        gone = get_user(s, "nadia.haddad@dhs.lakeland.gov")
        admin = get_user(s, ADMIN)
        assert gone is not None and gone.active is False and gone.updated_by == ADMIN
        assert admin is not None and admin.active
        log = audit.entries(s, entity="user", actor=ADMIN)
    assert [(e.action, e.entity_id) for e in log] == [
        ("deactivate", "nadia.haddad@dhs.lakeland.gov"), ("create", "nadia.haddad@dhs.lakeland.gov")]
    row = _frame(at, "admin_users_table").set_index("E-mail").loc["nadia.haddad@dhs.lakeland.gov"]
    assert row["Active"] == "no (deactivated)" and row["Changed by"] == ADMIN


def test_admin_cannot_take_away_own_admin_role(ws: Workspace) -> None:
    at = open_box(_open(user=ADMIN), "au_open")
    at.text_input(key="au_email").input(ADMIN.upper())
    at.selectbox(key="au_role").set_value("governor_staff")
    at.button(key=SAVE).click().run()
    assert "cannot take away your own administrator role" in _errors(at)
    with ws.session() as s:
        assert get_user(s, ADMIN).role == "admin"  # type: ignore[union-attr]


def test_agency_lead_never_reaches_the_page(ws: Workspace) -> None:
    # not in the navigation ...
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": LEAD}  # type: ignore[attr-defined]
    at.run()
    assert not at.exception
    with pytest.raises(ValueError, match="Could not find a navigation page") as refused:
        at.switch_page(PAGE)
    assert "views/kpi.py" in str(refused.value)  # the pages a lead has are registered
    # ... and the page itself refuses when run directly
    direct = AppTest.from_file(str(ROOT / "dashboard" / PAGE), default_timeout=90)
    direct.secrets["auth"] = AUTH
    direct.user = {"is_logged_in": True, "email": LEAD}  # type: ignore[attr-defined]
    direct.run()
    assert not direct.exception
    assert "only administrators manage users" in _errors(direct)
    assert not frames(direct) and not direct.text_input  # no user or audit data shown


def test_local_mode_opens_the_page_and_names_the_local_user(ws: Workspace) -> None:
    at = _open()
    assert "Local mode" in " ".join(i.value for i in at.info)
    open_box(at, "au_open")
    at.text_input(key="au_email").input("cdo@gov.lakeland.gov")
    at.selectbox(key="au_role").set_value("data_steward")
    at.button(key=SAVE).click().run()
    assert not at.error
    with ws.session() as s:
        entry = audit.entries(s, entity="user", entity_id="cdo@gov.lakeland.gov")[0]
    assert (entry.actor, entry.action) == ("local user", "create")


def test_audit_log_newest_first_with_filters_and_a_way_back(ws: Workspace) -> None:
    with ws.session() as s:
        audit.record(s, actor="chief@gov.lakeland.gov", action="update", entity="commitment",
                     entity_id=7, detail="status open -> done <b>x</b>",
                     at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
        s.commit()
    at = _open(user=ADMIN, params={"tab": "audit"})
    log = _frame(at, "admin_audit_table")
    assert log.shape[0] > 3
    assert list(log["When"]) == sorted(log["When"], reverse=True)  # newest first
    assert {"ingest", "create", "update"} <= set(log["Action"])
    assert "batch" in set(log["Entity"])  # the demo's feeds were loaded as batches

    at.selectbox(key="audit_entity").set_value("user").run()
    assert at.query_params["entity"] in ("user", ["user"])
    users = _frame(at, "admin_audit_table")
    assert set(users["Entity"]) == {"user"}
    assert list(users["Record"]) == [LEAD, ADMIN]
    assert list(users["When"]) == ["2026-11-02 09:00:00 UTC", "2026-11-01 09:00:00 UTC"]

    at.selectbox(key="audit_entity").set_value("all").run()
    at.selectbox(key="audit_actor").set_value("chief@gov.lakeland.gov").run()
    mine = _frame(at, "admin_audit_table")
    assert list(mine["Detail"]) == ["status open -> done <b>x</b>"]  # shown as text
    assert [b.label for b in at.get("download_button")] == ["Download audit log (CSV)"]


def test_unknown_filter_in_the_address_says_so(ws: Workspace) -> None:
    at = _open(user=ADMIN, params={"tab": "audit", "entity": "spaceship"})
    warning = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "no entity 'spaceship'" in warning and "showing every entity" in warning
    assert _frame(at, "admin_audit_table").shape[0] > 0
