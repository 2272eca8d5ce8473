"""The sign-in gate (AppTest): local mode, signed out, unknown users, and per-role KPI lists."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.access import operator
from metrics.users import add_user, remove_user
from metrics.workspace import Workspace
from tests.conftest import AS_OF

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-cookie-secret-that-is-long-enough",
    "client_id": "statdesk-test",
    "client_secret": "any",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
LEAD = "amara.osei@health.lakeland.gov"
STAFF = "chief@gov.lakeland.gov"
GONE = "former@gov.lakeland.gov"


def gated_page() -> None:
    """A page that does what every app page does first: gate(), then list what it may show."""
    import streamlit as st

    from dashboard.auth import gate
    from dashboard.state import register
    from metrics.access import visible_kpis

    viewer = gate()
    st.header(viewer.label)
    st.markdown("\n".join(f"- kpi:{k.kpi_id}" for k in visible_kpis(register(), viewer)))


@pytest.fixture(scope="module")
def users_ws(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with three users: a DOH lead, a staff member, and a removed steward."""
    root = tmp_path_factory.mktemp("auth") / "ws"
    shutil.copytree(demo_workspace, root)
    ws = Workspace.open(root, f"sqlite:///{root / 'statdesk.db'}")
    ws.init_db()
    with ws.session() as s:
        add_user(s, LEAD, "agency_lead", agency_id="doh", name="Dr. Amara Osei", acting=operator())
        add_user(s, STAFF, "governor_staff", name="Chief of Staff", acting=operator())
        add_user(s, GONE, "data_steward", acting=operator())
        remove_user(s, GONE, acting=operator())
    ws.engine.dispose()
    return root


@pytest.fixture()
def env(users_ws: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    import streamlit as st

    monkeypatch.setenv("STATDESK_WORKSPACE", str(users_ws))
    monkeypatch.setenv("STATDESK_AS_OF", AS_OF.isoformat())
    monkeypatch.delenv("STATDESK_DATABASE_URL", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield users_ws
    st.cache_resource.clear()


def run(user: dict | None, *, auth: bool = True) -> AppTest:  # type: ignore[type-arg]
    at = AppTest.from_function(gated_page, default_timeout=60)
    if auth:
        at.secrets["auth"] = AUTH
    if user is not None:
        at.user = user  # type: ignore[attr-defined]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_kpis(at: AppTest) -> set[str]:
    text = "\n".join(m.value for m in at.markdown)
    return {line.removeprefix("- kpi:") for line in text.splitlines() if line.startswith("- kpi:")}


def page_text(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.header, *at.markdown, *at.error, *at.caption)]
    return "\n".join(str(p) for p in parts)


def test_without_auth_settings_local_mode_sees_everything(env: Path) -> None:
    at = run(None, auth=False)
    assert at.header[0].value == "Local mode"
    assert len(shown_kpis(at)) == 20
    assert "Local mode" in " ".join(i.value for i in at.sidebar.info)
    assert "127.0.0.1" in " ".join(i.value for i in at.sidebar.info)
    assert not [b for b in at.button if b.label == "Log in"]


def test_signed_out_visitor_sees_only_a_log_in_prompt(env: Path) -> None:
    at = run({"is_logged_in": False})
    assert [b.label for b in at.button] == ["Log in"]
    assert at.title[0].value == "StatDesk"
    assert "Sign in" in at.markdown[0].value
    assert shown_kpis(at) == set()
    assert not at.header  # the page never ran past the gate
    text = page_text(at)
    assert "kpi:" not in text and "Local mode" not in text and "Department" not in text


def test_agency_lead_sees_own_agency_and_public_kpis(env: Path) -> None:
    at = run({"is_logged_in": True, "email": LEAD, "name": "Amara"})
    assert at.header[0].value == "Dr. Amara Osei (Agency lead, doh)"
    kpis = shown_kpis(at)
    assert {"overdose_deaths", "infant_mortality"} <= kpis
    assert "repeat_maltreatment" not in kpis  # another agency's non-public KPI
    assert len(kpis) == 19
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "Signed in as Dr. Amara Osei" in sidebar and "Agency lead" in sidebar
    assert [b.label for b in at.sidebar.button] == ["Log out"]


def test_email_lookup_ignores_case_and_staff_see_everything(env: Path) -> None:
    at = run({"is_logged_in": True, "email": STAFF.upper()})
    assert len(shown_kpis(at)) == 20
    assert "repeat_maltreatment" in shown_kpis(at)


@pytest.mark.parametrize("email", ["stranger@example.com", GONE, ""],
                         ids=["unknown", "removed", "no-email"])
def test_unknown_or_removed_user_is_not_authorised(env: Path, email: str) -> None:
    at = run({"is_logged_in": True, "email": email})
    assert len(at.error) == 1 and "not authorised to use StatDesk" in at.error[0].value
    assert shown_kpis(at) == set()
    assert not at.header and not at.sidebar.caption
    assert [b.label for b in at.button] == ["Log out"]
