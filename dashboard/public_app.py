"""StatDesk public equity site: ``statdesk serve-public SNAPSHOT`` (reads snapshot files only).

It holds no database URL and imports nothing that opens one: every figure comes from
the published snapshot folder named by ``STATDESK_SNAPSHOT``. Internal pages do not exist
here, so no path leads to them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent
if str(ROOT.parent) not in sys.path:  # running from a source checkout
    sys.path.insert(0, str(ROOT.parent))

st.set_page_config(page_title="Equity snapshot", layout="wide")

from dashboard.nav import HOME_PATH, home_alias  # noqa: E402

home = st.Page(str(ROOT / "public_views/home.py"), title="Priority outcomes", url_path=HOME_PATH,
               default=True)
pages = [
    home,
    st.Page(str(ROOT / "public_views/outcome.py"), title="Outcome detail", url_path="outcome"),
    st.Page(str(ROOT / "public_views/about.py"), title="About the data", url_path="about"),
    home_alias(home, "home", "Priority outcomes"),  # /home opens "/"
]
nav = st.navigation(pages)
with st.sidebar:
    st.caption("Public equity snapshot · Governor's Office of Results")
nav.run()
