"""The default page's own address, for both apps.

Streamlit serves the default page at "/" but answers that page's own path (``/session``,
``/home``) with a "Page not found" box. So the default page is filed under a path nobody
asks for (:data:`HOME_PATH`), and a hidden page at its usual path switches to it with the
same query parameters (``/session?present=on`` opens ``/?present=on``).
"""

from __future__ import annotations

import streamlit as st

#: Where the default page is filed (it is served at "/"); no link uses it.
HOME_PATH = "start"


def home_alias(home: st.Page, url_path: str, title: str) -> st.Page:
    """A hidden page at ``url_path`` that opens the default page ``home``."""

    def to_home() -> None:
        st.switch_page(home, query_params=st.query_params.to_dict())

    return st.Page(to_home, title=title, url_path=url_path, visibility="hidden")
