"""Charts on a page: drawn on the server as SVG pictures, or interactive Plotly charts when
the reader asks for them. Shared by the internal and the public app (no database here)."""

from __future__ import annotations

import html
import re
from typing import Any

import streamlit as st

#: Session key of the "interactive charts" switch (off: charts are drawn on the server).
INTERACTIVE = "interactive_charts"


def interactive_switch() -> None:
    """The reader's choice between charts drawn as pictures (they appear at once) and
    interactive Plotly charts (values on hover, zoom; a second or more to appear)."""
    st.toggle("Interactive charts", key=INTERACTIVE,
              help="Off: charts are pictures drawn on the server, which appear at once. On: "
                   "each value shows on hover and charts zoom, but they take a second or "
                   "more to appear.")


def svg_of(fig: Any, width: int = 720) -> str:
    """The figure drawn as SVG; kept on the figure, so that a figure reused from a cache
    (figures are never changed once built) is drawn once."""
    from dashboard.svgfig import to_svg

    drawn: dict[int, str] | None = getattr(fig, "_sd_svg", None)
    if drawn is None:
        drawn = {}
        fig._sd_svg = drawn
    if width not in drawn:
        drawn[width] = to_svg(fig, width=width)
    return drawn[width]


def chart(fig: Any, *, key: str, width: int = 720) -> None:
    """A Plotly figure: an SVG picture drawn on the server unless the reader asked for
    interactive charts (:func:`interactive_switch`)."""
    if st.session_state.get(INTERACTIVE):
        st.plotly_chart(fig, key=key, config={"displaylogo": False})
        return
    svg = svg_of(fig, width)
    # an image, not inline markup: the browser draws it natively, without building a node
    # per mark; its alt text is the chart's title (its description is the caption below)
    found = re.search(r"<title[^>]*>([^<]*)</title>", svg)
    alt = html.unescape(found.group(1)) if found else "Chart"
    st.image(svg, alt=alt, width="stretch")


__all__ = ["INTERACTIVE", "chart", "interactive_switch", "svg_of"]
