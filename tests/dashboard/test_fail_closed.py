"""Without sign-in the internal app stays on this computer: `statdesk run` refuses a network
address unless the operator passes a flag that says what it does, and the app itself shows
nothing on a network address without sign-in (and tells the truth when allowed to)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from metrics import serving
from metrics.cli import app
from tests.dashboard.test_auth import gated_page, shown_kpis

runner = CliRunner()


@pytest.mark.parametrize(("address", "loopback"), [
    ("127.0.0.1", True), ("127.0.1.1", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("0.0.0.0", False), ("::", False), ("192.168.1.20", False),
    ("statdesk.example.gov", False), ("", False)])
def test_loopback(address: str, loopback: bool) -> None:
    assert serving.is_loopback(address) is loopback


def test_auth_configured_reads_the_secrets_files(tmp_path: Path) -> None:
    f = tmp_path / "secrets.toml"
    assert not serving.auth_configured([f])  # no file
    f.write_text('[database]\nurl = "sqlite://"\n')
    assert not serving.auth_configured([f])
    f.write_text("[auth]\n")
    assert not serving.auth_configured([f])  # an empty section is no sign-in
    f.write_text('[auth]\nclient_id = "x"\n')
    assert serving.auth_configured([f])
    f.write_text("[auth\nbroken")
    assert not serving.auth_configured([f])


@pytest.fixture()
def no_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "10.1.2.3"])
def test_run_refuses_a_network_address_without_sign_in(no_secrets: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        address: str) -> None:
    monkeypatch.setenv("STATDESK_ADDRESS", address)
    result = runner.invoke(app, ["run", "-w", str(no_secrets / "nowhere")])
    assert result.exit_code == 2
    assert "sign-in is not configured" in result.output and serving.FLAG in result.output
    assert "Nothing was started" in result.output and "Traceback" not in result.output
    assert not (no_secrets / "nowhere").exists()  # not even the demo was built


def test_run_with_sign_in_is_not_refused(no_secrets: Path) -> None:
    secrets = no_secrets / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text('[auth]\nclient_id = "x"\n')
    assert serving.refusal("0.0.0.0", auth=serving.auth_configured(), allow_open=False) is None
    assert serving.refusal("0.0.0.0", auth=False, allow_open=True) is None
    assert serving.refusal("127.0.0.1", auth=False, allow_open=False) is None


@pytest.fixture()
def served_on(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    old = st.get_option("server.address")
    monkeypatch.delenv(serving.OPEN_ENV, raising=False)
    yield
    st.config.set_option("server.address", old)


def _run_local(address: str) -> AppTest:
    st.config.set_option("server.address", address)
    at = AppTest.from_function(gated_page, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_app_on_a_network_address_without_sign_in_shows_nothing(served_on: None) -> None:
    at = _run_local("0.0.0.0")
    assert shown_kpis(at) == set() and not at.header
    assert "Sign-in is not configured" in at.error[0].value


def test_app_allowed_on_the_network_says_so(served_on: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(serving.OPEN_ENV, "1")
    at = _run_local("0.0.0.0")
    assert len(shown_kpis(at)) == 20
    warning = " ".join(w.value for w in at.sidebar.warning)
    assert "served to the network (0.0.0.0)" in warning
    assert "127.0.0.1" not in " ".join(i.value for i in at.sidebar.info)


def test_app_on_loopback_keeps_local_mode(served_on: None) -> None:
    at = _run_local("127.0.0.1")
    assert len(shown_kpis(at)) == 20
    assert "127.0.0.1" in " ".join(i.value for i in at.sidebar.info)
