"""Charts on a page: drawn on the server as SVG pictures, or interactive Plotly charts when
the reader asks for them. Shared by the internal and the public app (no database here)."""

from __future__ import annotations

import base64
import html
import re
from typing import Any

import streamlit as st

#: Session key of the "interactive charts" switch (off: charts are drawn on the server).
INTERACTIVE = "interactive_charts"


def switch_link(page: str, *, param: str, key: str, turn_on: str, turn_off: str,
                icon: str, help: str) -> bool:
    """A two-way switch kept in the session (``key``) and shown as a link to the same page
    that turns it on or off (``?param=on|off``, so the view can be shared as an address).
    A link, not a toggle: it loads no widget code of its own. Returns whether it is on."""
    asked = st.query_params.get(param)
    if asked in ("on", "off"):
        st.session_state[key] = asked == "on"
    on = bool(st.session_state.get(key))
    params = {k: v for k, v in st.query_params.to_dict().items() if k != param}
    st.page_link(page, label=turn_off if on else turn_on, icon=icon, help=help,
                 query_params=params | {param: "off" if on else "on"})
    return on


def interactive_switch(page: str) -> None:
    """The reader's choice between charts drawn as pictures (they appear at once) and
    interactive Plotly charts (values on hover, zoom; a second or more to appear)."""
    switch_link(page, param="charts", key=INTERACTIVE,
                turn_on="Make the charts interactive (values on hover, zoom)",
                turn_off="Show the charts as pictures (they appear at once)",
                icon=":material/touch_app:",
                help="Pictures are drawn on the server and appear at once. Interactive charts "
                     "show each value on hover and zoom, but take a second or more to appear.")


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
    # per mark; its alt text is the chart's title (its description is the caption below).
    # Written as HTML (drawn with the page's other HTML blocks, no image viewer to load).
    found = re.search(r"<title[^>]*>([^<]*)</title>", svg)
    alt = html.unescape(found.group(1)) if found else "Chart"
    st.html(picture_html(svg, alt))


def picture_html(svg: str, alt: str) -> str:
    """An SVG drawing as an ``<img>`` (a data address, so nothing is fetched) that fits the
    width of its column."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (f'<img class="sd-chart" alt="{html.escape(alt)}" '
            f'style="display:block;max-width:100%;height:auto" '
            f'src="data:image/svg+xml;base64,{data}">')


__all__ = ["INTERACTIVE", "chart", "interactive_switch", "picture_html", "svg_of",
           "switch_link"]
