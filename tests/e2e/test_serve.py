"""The app started as ``statdesk run`` starts it prepares its pages and says so in its log.

The shared ``served_app`` is started with ``python -m dashboard.serve`` (what the CLI runs);
the browser tests all run on it. No browser is needed here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.pages_registry import PAGES
from dashboard.serve import error_lines, option, pages_for
from metrics.cli.core import streamlit_command
from tests.e2e.conftest import start_server, stop_server

pytestmark = pytest.mark.e2e


def said(log: Path) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines()
            if line.startswith("StatDesk:")]


def test_the_cli_starts_the_apps_with_their_pages_prepared() -> None:
    for module in ("dashboard.app", "dashboard.public_app"):
        cmd = streamlit_command(module, 8765)
        assert cmd[1:3] == ["-m", "dashboard.serve"]
        assert cmd[3].endswith(module.replace(".", "/") + ".py")
        assert option(cmd, "--server.port", "") == "8765"
    assert len(pages_for("dashboard/app.py")) == len(PAGES)
    assert pages_for("/x/dashboard/public_app.py") == ("", "outcome", "about")


def test_every_page_is_prepared_without_an_error(served_app: tuple[str, Path]) -> None:
    _base, log = served_app
    lines = said(log)
    assert lines, "the server log says nothing of its pages"
    assert re.fullmatch(rf"StatDesk: {len(PAGES)} pages prepared in \d+\.\d s\.", lines[0]), lines
    assert not [line for line in lines if "error" in line or "could not" in line], lines


def test_a_broken_workspace_is_named_in_the_log_at_start(tmp_path: Path) -> None:
    """An empty folder as the workspace: every page says what is wrong, and the log says it
    once, before anyone opens a page."""
    empty = tmp_path / "empty"
    empty.mkdir()
    proc, _base, log = start_server(empty, prepare=True)
    try:
        lines = said(log)
    finally:
        stop_server(proc)
    assert lines[0].startswith(f"StatDesk: {len(PAGES)} pages prepared"), lines
    assert lines[1].startswith("StatDesk: every page shows an error: The definitions have "
                               "problems"), lines
    assert len(lines) == 2, lines


def test_error_lines_name_the_pages_that_show_each_error() -> None:
    assert error_lines({"kpi": ["A"], "equity": ["A"], "admin": ["B", "C"]}, 10) == [
        "the pages kpi, equity show an error: A", "the page admin shows an error: B | C"]
    assert error_lines({"(default page)": ["A"], "about": ["A"]}, 2) == ["every page shows an error: A"]
    assert error_lines({}, 3) == []
