"""StatDesk internal app: ``streamlit run dashboard/app.py`` (or ``statdesk run``)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent
if str(ROOT.parent) not in sys.path:  # running from a source checkout
    sys.path.insert(0, str(ROOT.parent))

from dashboard.auth import gate  # noqa: E402
from dashboard.nav import HOME_PATH, home_alias  # noqa: E402
from dashboard.pages_registry import PAGES  # noqa: E402
from metrics.access import can_open  # noqa: E402

st.set_page_config(page_title="StatDesk", page_icon=":material/monitoring:", layout="wide")
viewer = gate()  # stops here for anyone who may not see the app

# Material icons in the navigation (emoji show as empty boxes without an emoji font).
ICONS = {"session": ":material/groups:", "kpi": ":material/trending_up:",
         "agency": ":material/account_balance:", "equity": ":material/balance:",
         "commitments": ":material/task_alt:", "data-health": ":material/monitor_heart:",
         "catalog": ":material/folder_open:", "publish": ":material/public:",
         "admin": ":material/admin_panel_settings:"}


# Text colours with at least 4.5:1 contrast on white (WCAG 2.1 AA): captions, code, links.
APP_CSS = """<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p
  { color: #595959 !important; opacity: 1 !important; }
code { color: #3b3b3b !important; }
[data-testid="stMarkdownContainer"] a, [data-testid="stMarkdownContainer"] a:visited,
a[target="_blank"] { color: #0b5394 !important; }
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *,
[data-testid="stMetricValue"], [data-testid="stMetricValue"] *,
[data-testid="stPageLink"] *, [data-testid="stPageLink-NavLink"] *
  { white-space: normal !important; overflow: visible !important;
    text-overflow: clip !important; }
</style>"""


def _icon(url_path: str, icon: str) -> str:
    return icon if icon.startswith(":material/") else ICONS.get(url_path, ":material/article:")


visible = [spec for spec in PAGES
           if (ROOT / spec.path).exists() and can_open(viewer, spec.url_path)]
home = next((spec for spec in visible if spec.default), visible[0] if visible else None)
sections: dict[str, list] = {}
home_page = None
for spec in visible:
    page = st.Page(str(ROOT / spec.path), title=spec.title,
                   url_path=HOME_PATH if spec is home else spec.url_path,
                   icon=_icon(spec.url_path, spec.icon), default=spec is home)
    home_page = page if spec is home else home_page
    sections.setdefault(spec.section, []).append(page)
# The default page's usual path (/session) opens it at "/" (dashboard/nav.py).
aliases = [] if home is None or home_page is None else [
    home_alias(home_page, home.url_path, home.title)]

# One flat list: sectioned navigation puts headings inside the <ul>, which screen readers
# (and axe-core) reject as list markup; the section order is kept.
nav = st.navigation([page for pages in sections.values() for page in pages] + aliases)
st.html(APP_CSS)
with st.sidebar:
    st.caption("StatDesk · Governor's Office of Results")
nav.run()
