"""Pages read and write only through dashboard/state.py: no database session, no store table.

The library checks the acting user on every write; a page that opened its own session could
skip ``state.write`` (which passes the viewer) and read data unfiltered for the viewer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGES = sorted([*(ROOT / "dashboard" / "views").glob("*.py"),
                *(ROOT / "dashboard" / "public_views").glob("*.py"),
                ROOT / "dashboard" / "components.py", ROOT / "dashboard" / "target_form.py"])
FORBIDDEN_MODULES = ("metrics.store", "sqlmodel", "sqlalchemy")


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_page_opens_no_session_and_imports_no_table(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            assert not node.module.startswith(FORBIDDEN_MODULES), (path.name, node.module)
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert not alias.name.startswith(FORBIDDEN_MODULES), (path.name, alias.name)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr != "session", f"{path.name}:{node.lineno} opens a session"
