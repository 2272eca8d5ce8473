"""Helpers for AppTest page tests: open a view of the internal app, point it at a workspace."""

from __future__ import annotations

from typing import Any

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


def frames(at: AppTest) -> list[Any]:
    """The page's tables in page order, grids (``st.dataframe``) and plain tables
    (``st.table``) alike; each has ``.value``, a pandas DataFrame of the data shown."""
    found: list[Any] = []

    def walk(node: Any) -> None:
        if getattr(node, "type", None) in ("dataframe", "table"):
            found.append(node)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


__all__ = ["APP", "frames", "open_view", "use_workspace"]
