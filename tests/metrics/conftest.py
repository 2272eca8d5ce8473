"""Fixtures for library tests: the demo register, and a fresh migrated SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from metrics.definitions import Register, load_register
from metrics.store import make_engine, migrate


@pytest.fixture(scope="module")
def register(demo_workspace: Path) -> Register:
    return load_register(demo_workspace / "definitions")


@pytest.fixture()
def session(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'statdesk.db'}")
    migrate(engine)
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()
