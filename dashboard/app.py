"""StatDesk internal app: ``streamlit run dashboard/app.py`` (or ``statdesk run``)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent
if str(ROOT.parent) not in sys.path:  # running from a source checkout
    sys.path.insert(0, str(ROOT.parent))

from dashboard.pages_registry import PAGES  # noqa: E402

st.set_page_config(page_title="StatDesk", page_icon="📊", layout="wide")

sections: dict[str, list] = {}
for spec in PAGES:
    if not (ROOT / spec.path).exists():
        continue
    page = st.Page(str(ROOT / spec.path), title=spec.title, url_path=spec.url_path,
                   icon=spec.icon, default=spec.default)
    sections.setdefault(spec.section, []).append(page)

nav = st.navigation(sections)
with st.sidebar:
    st.caption("StatDesk · Governor's Office of Results")
    st.info("Local mode: no sign-in is configured, so StatDesk listens on this computer "
            "(127.0.0.1) only.", icon="🔒")
nav.run()
