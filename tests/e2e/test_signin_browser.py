"""Sign-in end to end: a local OIDC provider, the gate, and a real Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from metrics.access import operator
from metrics.users import add_user
from metrics.workspace import Workspace
from tests.conftest import AS_OF, ROOT
from tests.e2e.conftest import free_port, main_text, python_errors, stop_server, wait_for_app

pytestmark = pytest.mark.e2e

LEAD = "amara.osei@health.lakeland.gov"
STRANGER = "stranger@example.com"
SCRIPT = ROOT / "tests" / "e2e" / "signin_app.py"


@pytest.fixture(scope="module")
def idp() -> Iterator[str]:
    try:
        from oidc_provider_mock import User, run_server_in_thread
    except ImportError:
        if os.environ.get("STATDESK_REQUIRE_BROWSER") == "1":
            pytest.fail("oidc-provider-mock is not installed (pip install oidc-provider-mock==0.3.4)")
        pytest.skip("oidc-provider-mock is not installed (pip install oidc-provider-mock==0.3.4); "
                    "browser sign-in test skipped")
    users = [User(sub=LEAD, claims={"email": LEAD, "name": "Amara Osei"}),
             User(sub=STRANGER, claims={"email": STRANGER})]
    with run_server_in_thread(port=0, user_claims=users) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def signin_server(idp: str, demo_workspace: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The gated page on its own workspace (demo definitions, one user) and secrets file."""
    base_dir = tmp_path_factory.mktemp("signin")
    ws_root = base_dir / "ws"
    shutil.copytree(demo_workspace / "definitions", ws_root / "definitions")
    ws = Workspace.open(ws_root, f"sqlite:///{ws_root / 'statdesk.db'}")
    ws.init_db()
    with ws.session() as s:
        add_user(s, LEAD, "agency_lead", agency_id="doh", name="Dr. Amara Osei", acting=operator())
    ws.engine.dispose()
    port = free_port()
    (base_dir / ".streamlit").mkdir()
    (base_dir / ".streamlit" / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        'cookie_secret = "a-long-random-string-for-the-sign-in-browser-test"\n'
        'client_id = "statdesk-test"\n'
        'client_secret = "any"\n'
        f'server_metadata_url = "{idp}/.well-known/openid-configuration"\n')
    env = {k: v for k, v in os.environ.items() if k != "STATDESK_DATABASE_URL"}
    env.update({"STATDESK_WORKSPACE": str(ws_root), "STATDESK_AS_OF": AS_OF.isoformat(),
                "PYTHONPATH": str(ROOT)})
    log = base_dir / "streamlit.log"
    cmd = [sys.executable, "-m", "streamlit", "run", str(SCRIPT), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=base_dir, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://localhost:{port}"  # the origin of redirect_uri
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield base
    finally:
        stop_server(proc)


def sign_in(page: Any, base: str, idp: str, sub: str) -> None:
    page.goto(base + "/", wait_until="domcontentloaded")
    wait_for_app(page)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{idp}/oauth2/authorize*")
    page.fill('input[name="sub"]', sub)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(f"{base}/**")
    wait_for_app(page)


def test_signed_out_visitor_sees_only_the_log_in_prompt(page: Any, signin_server: str) -> None:
    page.goto(signin_server + "/", wait_until="domcontentloaded")
    wait_for_app(page)
    text = main_text(page)
    assert "Sign in with your state account" in text
    assert page.get_by_role("button", name="Log in").is_visible()
    assert "kpi:" not in text and "KPIs visible" not in text
    assert python_errors(page) == []


def test_agency_lead_signs_in_and_sees_own_kpis(page: Any, signin_server: str, idp: str) -> None:
    sign_in(page, signin_server, idp, LEAD)
    page.get_by_text("Dr. Amara Osei (Agency lead, doh)").wait_for()
    text = main_text(page)
    assert "19 KPIs visible" in text
    assert "overdose_deaths" in text and "repeat_maltreatment" not in text
    sidebar = str(page.locator('[data-testid="stSidebar"]').text_content() or "")
    assert "Signed in as Dr. Amara Osei" in sidebar
    assert page.get_by_role("button", name="Log out").is_visible()
    assert python_errors(page) == []


def test_unknown_account_is_not_authorised(page: Any, signin_server: str, idp: str) -> None:
    sign_in(page, signin_server, idp, STRANGER)
    page.get_by_text("not authorised to use StatDesk").wait_for()
    text = main_text(page)
    assert STRANGER in text
    assert "kpi:" not in text and "KPIs visible" not in text
    assert python_errors(page) == []
