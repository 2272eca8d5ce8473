"""Helpers for AppTest page tests: open a view of the internal app, point it at a workspace."""

from __future__ import annotations

import base64
import html
import re
from html.parser import HTMLParser
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


_PICTURE = re.compile(r'<img class="sd-chart" alt="([^"]*)"[^>]*'
                      r'src="data:image/svg\+xml;base64,([^"]+)"')


def _pictures(at: AppTest) -> list[tuple[str, str]]:
    """(alt text, SVG) of each chart drawn on the server, in page order."""
    return [(html.unescape(alt), base64.b64decode(data).decode("utf-8"))
            for node in _nodes(at, "html") for alt, data in _PICTURE.findall(node.value)]


def svg_figures(at: AppTest) -> list[str]:
    """The charts drawn on the server: the SVG of each picture the page shows (their alt
    text is checked by :func:`svg_alts`)."""
    return [svg for _, svg in _pictures(at)]


def svg_alts(at: AppTest) -> list[str]:
    """The alt text of each chart drawn on the server."""
    return [alt for alt, _ in _pictures(at)]


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


class PlainTable:
    """A plain table the page drew as HTML (``dashboard.components.html_table``), read back
    as a user's browser shows it: ``.value`` is a pandas DataFrame of the values, each
    typed by its column's ``data-kind`` and named by the column (the heading's
    ``data-column`` when the heading shown differs); ``.text`` the cells' text as shown."""

    type = "table"

    def __init__(self, markup: str) -> None:
        import pandas as pd

        parser = _TableParser()
        parser.feed(markup)
        columns = [name for name, _ in parser.head]
        self.text = pd.DataFrame([[t for t, _ in row] for row in parser.rows],
                                 columns=columns, dtype=object)
        data: dict[str, list[Any]] = {}
        for i, (name, kind) in enumerate(parser.head):
            data[name] = [_typed(kind, *row[i]) for row in parser.rows]
        frame = pd.DataFrame(data)
        for name, kind in parser.head:
            if kind in ("date", "datetime"):
                frame[name] = pd.to_datetime(frame[name])
        self.value = frame


def _typed(kind: str, text: str, raw: str | None) -> Any:
    if raw is None:
        return None if text == "" and kind != "text" else text
    if raw == "\x00null":
        return None
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "bool":
        return raw == "true"
    return raw


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.head: list[tuple[str, str]] = []
        self.rows: list[list[tuple[str, str | None]]] = []
        self._cell: list[str] | None = None
        self._raw: str | None = None
        self._kind = "text"
        self._name: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and self.head:
            self.rows.append([])
        if tag in ("th", "td"):
            self._cell = []
            self._kind = a.get("data-kind") or "text"
            self._name = a.get("data-column")
            self._raw = "\x00null" if "data-null" in a else a.get("data-value")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("th", "td") or self._cell is None:
            return
        text = "".join(self._cell)
        if tag == "th":
            self.head.append((self._name or text, self._kind))
        else:
            self.rows[-1].append((text, self._raw))
        self._cell = None


def frames(at: AppTest) -> list[Any]:
    """The page's tables in page order, grids (``st.dataframe``) and plain tables alike;
    each has ``.value``, a pandas DataFrame of the data shown."""
    found: list[Any] = []

    def walk(node: Any) -> None:
        kind = getattr(node, "type", None)
        if kind in ("dataframe", "table"):
            found.append(node)
        elif kind == "html" and 'class="sd-data"' in node.value:
            found.append(PlainTable(node.value))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def html_blocks(at: AppTest, marker: str) -> list[str]:
    """The bodies of the page's HTML blocks that contain ``marker`` (e.g. a class name)."""
    return [node.value for node in _nodes(at, "html") if marker in node.value]


def as_text(markup: str) -> str:
    """What a reader sees of a block of HTML: the text without tags or styles, unescaped."""
    markup = re.sub(r"<style.*?</style>", "", markup, flags=re.S)
    markup = re.sub(r'<span class="sd-icon"[^>]*>[^<]*</span>', "", markup)  # icon ligatures
    markup = re.sub(r"</(li|p|h\d|summary|dt|dd|tr|caption)>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def shown_figures(at: AppTest) -> dict[str, str]:
    """The headline figures the page shows (label: value as written)."""
    out: dict[str, str] = {}
    for body in html_blocks(at, 'class="sd-figures"'):
        for label, value in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", body, flags=re.S):
            out[as_text(label).strip()] = as_text(value).strip()
    return out


def open_box(at: AppTest, *keys: str) -> AppTest:
    """Open the on-demand expanders with these keys (``ui.on_demand``), as a reader would
    by clicking them, and run the page again."""
    for key in keys:
        at.session_state[key] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


__all__ = ["APP", "INTERACTIVE", "PlainTable", "as_text", "charts_shown", "frames", "html_blocks",
           "open_box", "shown_figures", "open_view", "svg_figures",
           "use_workspace"]
