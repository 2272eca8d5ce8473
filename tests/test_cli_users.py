"""statdesk users add / list / remove, on a workspace with the demo's definitions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from metrics.cli import app

runner = CliRunner()


@pytest.fixture()
def ws(demo_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(demo_workspace / "definitions", root / "definitions")
    monkeypatch.delenv("STATDESK_DATABASE_URL", raising=False)
    return root


def run(ws: Path, *args: str) -> tuple[int, str]:
    r = runner.invoke(app, ["users", *args, "--workspace", str(ws)])
    return r.exit_code, r.output


def test_add_list_remove(ws: Path) -> None:
    code, out = run(ws, "list")
    assert code == 0 and "No users yet" in out
    code, out = run(ws, "add", "Amara.Osei@health.lakeland.gov", "--role", "agency_lead",
                    "--agency", "doh", "--name", "Dr. Amara Osei")
    assert code == 0, out
    assert "Added amara.osei@health.lakeland.gov: agency_lead, agency doh." in out
    code, out = run(ws, "add", "cdo@gov.lakeland.gov", "--role", "data_steward")
    assert code == 0 and "Added cdo@gov.lakeland.gov: data_steward." in out
    code, out = run(ws, "list")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 2
    assert lines[0].startswith("amara.osei@health.lakeland.gov") and "agency_lead" in lines[0]
    code, out = run(ws, "remove", "cdo@gov.lakeland.gov")
    assert code == 0 and "Removed cdo@gov.lakeland.gov: they can no longer sign in." in out
    code, out = run(ws, "list", "--format", "json")
    rows = {r["email"]: r for r in json.loads(out)}
    assert rows["cdo@gov.lakeland.gov"]["active"] is False
    assert rows["amara.osei@health.lakeland.gov"] == {
        "email": "amara.osei@health.lakeland.gov", "name": "Dr. Amara Osei",
        "role": "agency_lead", "agency_id": "doh", "active": True}
    code, out = run(ws, "list", "--active-only")
    assert "cdo@" not in out and "amara.osei@" in out
    code, out = run(ws, "add", "cdo@gov.lakeland.gov", "--role", "admin")
    assert code == 0 and "Updated cdo@gov.lakeland.gov: admin." in out


def test_bad_input_is_refused_with_what_to_do(ws: Path) -> None:
    code, out = run(ws, "add", "lead@dhs.gov", "--role", "agency_lead")
    assert code == 1 and "an agency lead needs an agency (--agency, e.g. doh)" in out
    code, out = run(ws, "add", "lead@dhs.gov", "--role", "agency_lead", "--agency", "nasa")
    assert code == 1 and "unknown agency 'nasa'" in out
    code, out = run(ws, "add", "lead@dhs.gov", "--role", "boss")
    assert code == 1 and "unknown role 'boss'" in out
    code, out = run(ws, "remove", "ghost@dhs.gov")
    assert code == 1 and "no user 'ghost@dhs.gov'" in out
    code, out = run(ws, "list")
    assert "No users yet" in out  # nothing half-added
