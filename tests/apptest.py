"""Helpers for AppTest page tests: open a view of the internal app, point it at a workspace."""

from __future__ import annotations

import base64
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
    """The charts drawn on the server: the SVG of each image the page shows (their alt
    text is checked by :func:`svg_alts`)."""
    out = []
    for node in _nodes(at, "image"):
        for img in node.proto.imgs:
            if img.url.startswith(SVG_URL):
                out.append(base64.b64decode(img.url[len(SVG_URL):]).decode("utf-8"))
    return out


def svg_alts(at: AppTest) -> list[str]:
    """The alt text of each chart drawn on the server."""
    return [img.alt for node in _nodes(at, "image") for img in node.proto.imgs
            if img.url.startswith(SVG_URL)]


SVG_URL = "data:image/svg+xml;base64,"


def _nodes(at: AppTest, kind: str) -> list[Any]:
    found: list[Any] = []

    def walk(node: Any) -> None:
        if getattr(node, "type", None) == kind:
            found.append(node)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


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
