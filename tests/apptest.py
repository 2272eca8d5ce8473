"""Helpers for AppTest page tests: open a view of the internal app, point it at a workspace."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, use_workspace

APP = str(ROOT / "dashboard" / "app.py")


def open_view(view: str, *, timeout: int = 60, **params: str) -> AppTest:
    """Run the app, then switch to ``view`` (e.g. "views/kpi.py") with query parameters."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(view).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


__all__ = ["APP", "open_view", "use_workspace"]
