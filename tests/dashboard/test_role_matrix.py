"""Role × page × action (AppTest on the whole app, signed in as each role).

For every role and every page of the internal app: whether the page opens at all, what it
shows (never a KPI or feed the role may not see), which write widgets it offers, and what a
write the role may not make says.  Then the order in which people open pages: caches are
keyed by the viewer, so what one role's visit computed is never shown to another.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics import commitments as cm
from metrics.access import AREAS, Viewer, can_open, local_viewer, operator
from metrics.users import add_user
from metrics.workspace import Workspace
from tests.apptest import open_box
from tests.conftest import AS_OF, ROOT

APP = str(ROOT / "dashboard" / "app.py")
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-cookie-secret-that-is-long-enough",
    "client_id": "statdesk-test",
    "client_secret": "any",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
EMAILS = {"staff": "chief@gov.lakeland.gov", "lead": "amara.osei@health.lakeland.gov",
          "steward": "data@gov.lakeland.gov", "admin": "it@gov.lakeland.gov"}
VIEWERS = {"staff": Viewer(EMAILS["staff"], "governor_staff"),
           "lead": Viewer(EMAILS["lead"], "agency_lead", agency_id="doh"),
           "steward": Viewer(EMAILS["steward"], "data_steward"),
           "admin": Viewer(EMAILS["admin"], "admin"), "local": local_viewer()}
VIEW = {"session": "views/session.py", "kpi": "views/kpi.py", "agency": "views/agency.py",
        "equity": "views/equity.py", "commitments": "views/commitments.py",
        "data-health": "views/data_health.py", "catalog": "views/catalog.py",
        "publish": "views/publish.py", "admin": "views/admin.py",
        "feed-setup": "views/feed_setup.py"}
HIDDEN = "Children with a repeat maltreatment"  # repeat_maltreatment: DHS, not public
SEES_ALL = {"staff", "admin", "local"}


@pytest.fixture(scope="module")
def matrix_ws(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with a user of each role and a session holding a DOH and a DHS commitment."""
    root = tmp_path_factory.mktemp("matrix") / "ws"
    shutil.copytree(demo_workspace, root)
    ws = Workspace.open(root, f"sqlite:///{root / 'statdesk.db'}")
    ws.init_db()
    with ws.session() as s:
        for role, email in EMAILS.items():
            v = VIEWERS[role]
            add_user(s, email, v.role, agency_id=v.agency_id, register=ws.register,
                     acting=operator())
        stat = cm.create_session(s, acting=operator(), held_on=date(2026, 11, 10),
                                 period="2026-10", title="Matrix session")
        for agency, text in (("doh", "Open two prenatal clinics"), ("dhs", "Hire caseworkers")):
            cm.create_commitment(s, acting=operator(), session_id=int(stat.id or 0), text=text,
                                 owner="Owner", due_on=date(2026, 12, 31), agency_id=agency)
    ws.engine.dispose()
    return root


@pytest.fixture(scope="module")
def fresh_caches() -> Iterator[None]:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


@pytest.fixture()
def env(matrix_ws: Path, fresh_caches: None, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STATDESK_WORKSPACE", str(matrix_ws))
    monkeypatch.setenv("STATDESK_AS_OF", AS_OF.isoformat())
    monkeypatch.delenv("STATDESK_DATABASE_URL", raising=False)
    return matrix_ws


def open_as(role: str, area: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    if role != "local":
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email": EMAILS[role]}  # type: ignore[attr-defined]
    at.run()
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(VIEW[area]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def text(at: AppTest) -> str:
    """Everything a person reads on the page: text, boxes, tables, choices offered."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning",
                 "info", "success", "text"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [d.value.to_string() for d in at.dataframe]
    parts += [str(e.proto.body) for e in at.get("html")]  # scorecards, figures
    for box in (*at.selectbox, *at.multiselect):
        parts += [str(o) for o in box.options]
    return "\n".join(parts).replace("\\", "")


def buttons(at: AppTest) -> set[str]:
    return {b.label for b in at.button}


def _session(at: AppTest, role: str) -> None:
    assert (HIDDEN in text(at)) == (role in SEES_ALL)


def _kpi(at: AppTest, role: str) -> None:
    if role in SEES_ALL:
        assert at.title[0].value.startswith(HIDDEN)
        assert "Change the target" in [e.label for e in at.expander]
        at.session_state["tf_open_repeat_maltreatment"] = True  # open it, as they would
        at.run()
        assert ("Save target" in buttons(at)) is True
    else:
        assert "You do not have access to this KPI" in text(at) and HIDDEN not in text(at)
        assert "Save target" not in buttons(at)
        assert "Change the target" not in [e.label for e in at.expander]


def _agency(at: AppTest, role: str) -> None:
    assert (HIDDEN in text(at)) == (role in SEES_ALL)


def _equity(at: AppTest, role: str) -> None:
    assert (HIDDEN in text(at)) == (role in SEES_ALL)


def _commitments(at: AppTest, role: str) -> None:
    shown = text(at)
    assert "Open two prenatal clinics" in shown and "Hire caseworkers" in shown
    picker = [b for b in at.selectbox if b.key == "up_pick"]
    editable = {str(o) for o in picker[0].options} if picker else set()
    offered = " ".join(editable)
    if role == "lead":  # their agency's commitment only
        assert "Open two prenatal clinics" in offered and "Hire caseworkers" not in offered
    else:
        assert "Open two prenatal clinics" in offered and "Hire caseworkers" in offered


def _data_health(at: AppTest, role: str) -> None:
    uploader = len(at.get("file_uploader"))
    assert uploader == (1 if role in {"steward", "admin", "local", "lead"} else 0)
    assert ("dhs_child_welfare" in text(at)) == (role != "lead")


def _catalog(at: AppTest, role: str) -> None:
    edits = role in {"steward", "admin", "local"}
    assert ("Edit a dataset, or add one" in [e.label for e in at.expander]) == edits
    open_box(at, "inv_edit_open")  # opening it draws nothing for a role that may not edit
    assert ("Save dataset" in buttons(at)) == edits


def _publish(at: AppTest, role: str) -> None:
    assert "Preview the snapshot" in buttons(at)  # publishing follows the preview


def _admin(at: AppTest, role: str) -> None:
    assert "Add a user, or change one's role" in [e.label for e in at.expander]
    open_box(at, "au_open")
    assert "Save user" in buttons(at)


def _feed_setup(at: AppTest, role: str) -> None:
    assert len(at.get("file_uploader")) == 1  # only stewards and admins get this far


PARAMS: dict[str, dict[str, str]] = {
    "kpi": {"id": "repeat_maltreatment"}, "agency": {"id": "dhs"},
    "commitments": {"session": "1"}, "data-health": {"feed": "doh_vital"}}
CHECKS: dict[str, Callable[[AppTest, str], None]] = {
    "session": _session, "kpi": _kpi, "agency": _agency, "equity": _equity,
    "commitments": _commitments, "data-health": _data_health, "catalog": _catalog,
    "publish": _publish, "admin": _admin, "feed-setup": _feed_setup}


@pytest.mark.parametrize("area", list(VIEW))
@pytest.mark.parametrize("role", list(VIEWERS))
def test_role_page(env: Path, role: str, area: str) -> None:
    assert set(VIEW) == set(AREAS)
    if not can_open(VIEWERS[role], area):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            open_as(role, area, **PARAMS.get(area, {}))
        return
    at = open_as(role, area, **PARAMS.get(area, {}))
    CHECKS[area](at, role)


def test_lead_cannot_open_another_agencys_feed(env: Path) -> None:
    at = open_as("lead", "data-health", feed="dhs_child_welfare")
    assert "that you can open" in text(at) and not at.get("file_uploader")


def test_lead_refused_a_session_for_another_agency(env: Path) -> None:
    at = open_box(open_as("lead", "commitments"), "ns_open")
    at.selectbox(key="ns_focus").set_value("agency:dhs")
    at.button(key="FormSubmitter:new_session-Create session").click().run()
    errors = text(at)
    assert "may not change stat sessions" in errors and "Nothing was changed" in errors
    at.selectbox(key="ns_focus").set_value("agency:doh")
    at.button(key="FormSubmitter:new_session-Create session").click().run()
    assert "Stat session #2 created" in text(at)


# --- the order in which people open pages ---------------------------------------------------


@pytest.mark.parametrize("area", ["data-health", "equity", "session", "agency"])
@pytest.mark.parametrize("second", ["steward", "lead"])
def test_what_staff_opened_first_is_not_shown_to_others(env: Path, area: str, second: str) -> None:
    params = {"data-health": {"feed": "dhs_child_welfare"}, "agency": {"id": "dhs"}}.get(area, {})
    first = open_as("staff", area, **params)
    assert HIDDEN in text(first) or area == "data-health"
    if not can_open(VIEWERS[second], area):
        return
    then = open_as(second, area, **params)
    assert HIDDEN not in text(then)
    assert "repeat_maltreatment" not in text(then)


def test_steward_back_link_opens(env: Path) -> None:
    at = open_as("steward", "kpi", id="infant_mortality")
    links = [p for p in at.get("page_link")]
    assert links and "Back to the stat session" not in str([p.proto for p in links])
