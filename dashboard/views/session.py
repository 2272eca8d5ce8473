"""Stat session: the month's scorecard of priority KPIs, grouped by priority, riskiest first.

URL: ``?month=YYYY-MM&priority=<priority_id>&agency=<agency_id>`` (all optional).
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard import components as ui
from dashboard import downloads, room, state
from dashboard.charts import switch_link
from metrics.periods import display_label, parse_period
from metrics.presentation import month_words

ALL = "all"


@st.cache_data(show_spinner=False, max_entries=16)
def _trends(root: str, ver: tuple[int, ...], through: date | None,
            viewer_key: tuple[str, str]) -> dict[str, list[float]]:
    return downloads.sparklines(state.observations(), through)


def _changes(month: str) -> object | None:
    """What changed since the last session held up to today (None: no session yet)."""
    from metrics.changes import last_session, since_last_session

    def work(s: object) -> object | None:
        last = last_session(s, state.today())
        if last is None:
            return None
        before = state.statuses(last.period) if last.period in months else None
        return since_last_session(s, reg, as_of=state.today(), month=month,
                                  before=before, now=state.statuses(month), last=last)

    try:
        return state.read(work)
    except Exception:  # noqa: BLE001 - said in words, never a traceback or its text
        st.warning("What changed since the last session could not be worked out just now (the "
                   "database did not answer). The scorecard below is unaffected.",
                   icon=":material/warning:")
        return None


reg = state.register()
months = ui.months_with_data()
default = state.default_month()
present = switch_link(
    "views/session.py", param="present", key="session_present",
    turn_on="Presentation mode (projector)", turn_off="Leave presentation mode",
    icon=":material/co_present:",
    help="Large type, one priority per screen; the arrow keys move between priorities.")
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
                 f"another {what} above.", icon=":material/error:")

statuses = [s for s in state.statuses(month)
            if priority in (ALL, s.priority_id) and agency in (ALL, s.agency_id)]
st.caption(f"Statuses for {display_label(month)} (the latest period of each KPI ending in "
           f"that month), computed on {state.today():%d %B %Y}. Status follows the rule "
           "against the pro-rated target, never the change from last month.")
ui.status_counts(downloads.status_counts(statuses))
if not statuses:
    st.info("No KPI matches these filters. Choose all priorities or all agencies.")
    st.stop()

changes = _changes(month)
if changes is not None and not present:
    room.what_changed(changes)

trends = _trends(str(state.workspace().root), state.version(), parse_period(month).end,
                 state.viewer_key())
card = downloads.scorecard_table(statuses, reg, month=month, trends=trends)
commitments = ui.open_commitments(state.today())
shown_priorities = [p for p in priorities[1:] if any(s.priority_id == p for s in statuses)]

if present:
    room.present_css()
    slide = min(max(int(st.session_state.get("session_slide", 0)), 0),
                len(shown_priorities) - 1)
    pid = shown_priorities[slide]
    st.caption(f"Priority {slide + 1} of {len(shown_priorities)} · {month_words(month)} · "
               "Right arrow: next priority · Left arrow: previous")
    room.priority_block(pid, [s for s in statuses if s.priority_id == pid], reg, month=month,
                        commitments=commitments, big=True)
    b1, b2, b3 = st.columns([1, 1, 4])
    if b1.button("Previous priority", icon=":material/arrow_back:", shortcut="Left",
                 disabled=slide == 0, key="present_prev"):
        st.session_state["session_slide"] = slide - 1
        st.rerun()
    if b2.button("Next priority", icon=":material/arrow_forward:", shortcut="Right",
                 disabled=slide >= len(shown_priorities) - 1, key="present_next"):
        st.session_state["session_slide"] = slide + 1
        st.rerun()
    st.stop()

go_to = st.selectbox("Go to a KPI's detail", [s.kpi_id for s in statuses], key="session_goto",
                     format_func=lambda k: reg.kpis[k].name)
ui.kpi_link(go_to, f"Open “{reg.kpis[go_to].name}”", month)

for pid in shown_priorities:
    room.priority_block(pid, [s for s in statuses if s.priority_id == pid], reg, month=month,
                        commitments=commitments)

st.divider()
# Drawn when opened: most sessions never open the table or download it.
full = ui.on_demand("The scorecard as one table, with every column, and its downloads "
                    "(CSV, Excel)", key="session_table_open", icon=":material/table:")
if full is not None:
    with full:
        ui.download_buttons({"Scorecard": card}, name=f"scorecard-{month}",
                            key="session_download")
        ui.table(card, key="session_table", hide=("KPI id",))
