"""Shared fixtures: a demo workspace built once per test session (real SQLite, real Parquet)."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests: the same examples on every run (a CI run never fails by chance), no
# deadline (these machines are shared and noisy). HYPOTHESIS_PROFILE=explore searches anew.
settings.register_profile("statdesk", derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "statdesk"))

AS_OF = date(2026, 11, 25)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def pristine_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo state (fewer claims than the full demo, same shape), built through ingest.

    Never opened by a test: it is only copied, so every copy starts the same.
    """
    from metrics.demo import build_demo

    root = tmp_path_factory.mktemp("demo") / "ws"
    build_demo(root, as_of=AS_OF, claims=120_000, progress=lambda *_: None, loop=False)
    return root


@pytest.fixture()
def loop_copy(pristine_demo: Path, tmp_path: Path) -> Path:
    """A private copy of the demo with its month-to-month loop (as ``statdesk demo`` builds
    it): users, two past stat sessions, commitments and annotations."""
    from metrics.demo.loop import build_loop
    from metrics.workspace import Workspace

    dst = tmp_path / "ws"
    shutil.copytree(pristine_demo, dst)
    build_loop(Workspace.open(dst), AS_OF)
    return dst


@pytest.fixture(scope="session")
def demo_workspace(pristine_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace shared by tests that read it (pages may seed catalog tables)."""
    dst = tmp_path_factory.mktemp("shared") / "ws"
    shutil.copytree(pristine_demo, dst)
    return dst


@pytest.fixture()
def demo_copy(pristine_demo: Path, tmp_path: Path) -> Path:
    """A private copy of the pristine demo workspace that a test may change."""
    dst = tmp_path / "ws"
    shutil.copytree(pristine_demo, dst)
    return dst


def use_workspace(monkeypatch: pytest.MonkeyPatch, root: Path) -> Path:
    """Run the app on ``root`` with the tests' fixed date, with fresh Streamlit caches."""
    import streamlit as st

    monkeypatch.setenv("STATDESK_WORKSPACE", str(root))
    monkeypatch.setenv("STATDESK_AS_OF", AS_OF.isoformat())
    monkeypatch.delenv("STATDESK_DATABASE_URL", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    return root


@pytest.fixture()
def app_env(demo_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Environment for AppTest runs on the shared demo workspace."""
    return use_workspace(monkeypatch, demo_workspace)


@pytest.fixture()
def copy_env(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Like ``app_env`` but on a private copy the test may change."""
    return use_workspace(monkeypatch, demo_copy)


def chromium_path() -> str | None:
    for p in (os.environ.get("STATDESK_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if p and Path(p).exists():
            return p
    return None
