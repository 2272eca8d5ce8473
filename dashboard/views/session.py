"""Stat session: the month's scorecard of priority KPIs, grouped by priority, riskiest first.

URL: ``?month=YYYY-MM&priority=<priority_id>&agency=<agency_id>`` (all optional).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from dashboard import components as ui
from dashboard import downloads, state
from metrics.periods import display_label, parse_period

ALL = "all"


@st.cache_data(show_spinner=False, max_entries=16)
def _trends(root: str, ver: tuple[int, ...], through: date | None,
            viewer_key: tuple[str, str]) -> dict[str, list[float]]:
    return downloads.sparklines(state.observations(), through)


reg = state.register()
months = ui.months_with_data()
default = state.default_month()
st.title("Stat session")
if not months or default is None:
    st.info("No data has been loaded yet, so there is nothing to review. Load the agencies' "
            "feeds with `statdesk ingest` (or build the demo with `statdesk demo`).")
    st.stop()

c1, c2, c3 = st.columns(3)
month, bad_month = ui.choose("Month reviewed", months, name="month", key="session_month",
                             format_func=display_label, default=default, container=c1)
priorities = [ALL, *sorted(reg.priorities, key=lambda p: reg.priorities[p].order)]
priority, bad_priority = ui.choose(
    "Priority", priorities, name="priority", key="session_priority", default=ALL,
    format_func=lambda p: "All priorities" if p == ALL else reg.priorities[p].name, container=c2)
agencies = [ALL, *sorted(reg.agencies, key=lambda a: reg.agencies[a].name)]
agency, bad_agency = ui.choose(
    "Agency", agencies, name="agency", key="session_agency", default=ALL,
    format_func=lambda a: "All agencies" if a == ALL else reg.agencies[a].name, container=c3)
for what, bad, shown in (("month", bad_month, f"{display_label(month)}, the latest closed "
                          "month"), ("priority", bad_priority, "all priorities"),
                         ("agency", bad_agency, "all agencies")):
    if bad is not None:
        st.error(f"There is no {what} '{ui.escape(bad)}' with data. Showing {shown} instead; choose "
                 f"another {what} above.", icon="🚫")

statuses = [s for s in state.statuses(month)
            if priority in (ALL, s.priority_id) and agency in (ALL, s.agency_id)]
st.caption(f"Statuses for {display_label(month)} (the latest period of each KPI ending in "
           f"that month), computed on {state.today():%d %B %Y}. Status follows the rule "
           "against the pro-rated target, never the change from last month.")
ui.status_counts(downloads.status_counts(statuses))
if not statuses:
    st.info("No KPI matches these filters. Choose all priorities or all agencies.")
    st.stop()

trends = _trends(str(state.workspace().root), state.version(), parse_period(month).end,
                 state.viewer_key())
card = downloads.scorecard_table(statuses, reg, month=month, trends=trends)
commitments = ui.open_commitments(state.today())

go_to = st.selectbox("Go to a KPI's detail", [s.kpi_id for s in statuses], key="session_goto",
                     format_func=lambda k: reg.kpis[k].name)
ui.kpi_link(go_to, f"Open “{reg.kpis[go_to].name}”", month)

for pid in priorities[1:]:
    part = card.filter(pl.col("Priority") == reg.priorities[pid].name)
    if part.height == 0:
        continue
    st.subheader(reg.priorities[pid].name)
    if reg.priorities[pid].description:
        st.caption(reg.priorities[pid].description)
    ui.table(part, key=f"session_table_{pid}", hide=("Priority", "KPI id"))
    for kid in part.get_column("KPI id").to_list():
        items = commitments.get(kid) or []
        if items:
            with st.expander(f"Open commitments: {reg.kpis[kid].name} ({len(items)})"):
                ui.table(downloads.commitments_table(items), key=f"session_commit_{kid}")

st.divider()
ui.download_buttons({"Scorecard": card}, name=f"scorecard-{month}", key="session_download")
