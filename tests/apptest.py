"""Helpers for AppTest page tests: open a view of the internal app, point it at a workspace."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from dashboard.components import INTERACTIVE
from tests.conftest import ROOT, use_workspace

APP = str(ROOT / "dashboard" / "app.py")


def open_view(view: str, *, timeout: int = 60, interactive: bool = False,
              **params: str) -> AppTest:
    """Run the app, then switch to ``view`` (e.g. "views/kpi.py") with query parameters
    (``interactive``: with interactive Plotly charts, whose figures tests can read)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    if interactive:
        at.session_state[INTERACTIVE] = True
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(view).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def svg_figures(at: AppTest) -> list[str]:
    """The charts drawn on the server (inline SVG), as the browser gets them."""
    return [str(m.value) for m in at.markdown if str(m.value).startswith('<figure class="sd-fig"')]


def charts_shown(at: AppTest) -> list[Any]:
    """Every chart on the page, interactive (Plotly) or drawn on the server (SVG)."""
    return [*at.get("plotly_chart"), *svg_figures(at)]


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


__all__ = ["APP", "INTERACTIVE", "charts_shown", "frames", "open_view", "svg_figures",
           "use_workspace"]
