"""Agency: an agency's KPIs with their status, the health of its feeds, its commitments.

URL: ``agency?id=<agency_id>`` (optional ``month=YYYY-MM``); without an id, pick one.
"""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from dashboard import components as ui
from dashboard import downloads, room, state
from metrics import presentation as P
from metrics.feedstate import last_batches, quarantined
from metrics.periods import display_label, parse_period


@st.cache_data(show_spinner=False, max_entries=4)
def _batches(root: str, ver: tuple[int, ...]) -> tuple[dict[str, datetime], dict[str, int]]:
    return state.read(last_batches), state.read(quarantined)


@st.cache_data(show_spinner=False, max_entries=16)
def _trends(root: str, ver: tuple[int, ...], through: date | None,
            viewer_key: tuple[str, str]) -> dict[str, list[float]]:
    return downloads.sparklines(state.observations(), through)


reg = state.register()
st.title("Agency")
agencies = sorted(reg.agencies, key=lambda a: reg.agencies[a].name)
asked = ui.param("id")
if asked is not None and asked not in reg.agencies:
    st.error(f"There is no agency '{ui.escape(asked)}'. Valid agency ids: {', '.join(agencies)}. "
             "Choose one below or go back to the stat session.", icon=":material/error:")
    ui.back_link()
    del st.query_params["id"]
    asked = None
if asked is None and agencies:  # open on the viewer's own agency, else the one most at risk
    own = state.viewer().agency_id
    risky = [s.agency_id for s in state.statuses(state.default_month())]
    asked = own if own in reg.agencies else next(
        (a for a in risky if a in reg.agencies), agencies[0])
    st.query_params["id"] = asked
agency_id, _ = ui.choose("Agency", agencies, name="id", key="agency_choice",
                         format_func=lambda a: reg.agencies[a].name)
agency = reg.agencies[agency_id]
st.header(agency.name)
st.caption(f"Lead: {agency.lead or 'not named'}"
           + (f" · {agency.lead_email}" if agency.lead_email else ""))

months = ui.months_with_data()
month = state.default_month()
if months:
    month, bad = ui.choose("Month reviewed", months, name="month", key="agency_month",
                           format_func=display_label, default=month)
    if bad is not None:
        st.error(f"There is no month '{ui.escape(bad)}' with data; showing {display_label(month)}.",
                 icon=":material/error:")

root, ver, as_of = str(state.workspace().root), state.version(), state.today()
frames = {}

# --- KPIs -------------------------------------------------------------------------------
st.subheader("KPIs")
statuses = [s for s in state.statuses(month) if s.agency_id == agency_id]
if statuses:
    ui.status_counts(downloads.status_counts(statuses))
    trends = _trends(root, ver, parse_period(month).end if month else None, state.viewer_key())
    frames["KPIs"] = downloads.scorecard_table(statuses, reg, month=month, trends=trends)
    open_now = ui.open_commitments(as_of)
    name = reg.agencies[agency_id].name if agency_id in reg.agencies else agency_id
    st.html(room.card_html(name, statuses, reg, month=month, commitments=open_now))
    # drawn when opened: a table grid is heavy for the browser
    full = st.expander("The KPIs as one table, with every column", key="agency_kpis_open",
                       on_change="rerun")
    if full.open:
        with full:
            ui.table(frames["KPIs"], key="agency_kpis", hide=("Agency", "KPI id"))
    ui.csv_button(frames["KPIs"], name=f"{agency_id}-kpis", key="agency_kpis_csv",
                  label="KPIs (CSV)")
else:
    st.info(f"{agency.name} owns no KPI in the register.")

# --- feeds ------------------------------------------------------------------------------
st.subheader("Feed health")
feed_ids = sorted({f for f, feed in reg.feeds.items() if feed.agency_id == agency_id}
                  | {reg.kpis[s.kpi_id].feed_id for s in statuses})
if feed_ids:
    last, held = _batches(root, ver)
    frames["Feeds"] = downloads.feed_health_table(
        reg, feed_ids, through=state.feeds_through(), last=last, quarantined=held, as_of=as_of)
    late = frames["Feeds"].filter(frames["Feeds"]["Freshness"].str.contains("late"))
    if late.height:
        st.warning("Late: " + "; ".join(
            f"{r['Feed']} (data through {P.date_words(r['Data current through'], 'nothing yet')}"
            f", next batch was expected by {P.date_words(r['Next expected'], 'now')})"
            for r in late.iter_rows(named=True)), icon=":material/schedule:")
    ui.table(frames["Feeds"], key="agency_feeds")
    ui.csv_button(frames["Feeds"], name=f"{agency_id}-feeds", key="agency_feeds_csv",
                  label="feed health (CSV)")
    st.caption("Late: the feed's next batch is overdue (its cadence plus the agreed lag after "
               "the period ends). Quarantined rows are rows refused at ingest; see Data health.")
else:
    st.info(f"{agency.name} delivers no feed.")

# --- commitments ------------------------------------------------------------------------
st.subheader("Open commitments")
open_by_kpi = ui.open_commitments(as_of)
mine = [c for s in statuses for c in open_by_kpi.get(s.kpi_id, [])]
mine += [c for items in open_by_kpi.values() for c in items
         if getattr(c, "agency_id", None) == agency_id and c not in mine]
if mine:
    frames["Commitments"] = downloads.commitments_table(mine, kpi_names=reg.kpis)
    ui.table(frames["Commitments"], key="agency_commitments")
else:
    st.caption("No open commitments for this agency's KPIs.")

if frames:
    st.divider()
    ui.download_buttons(frames, name=f"agency-{agency_id}-{month or 'latest'}",
                        key="agency_download")
ui.back_link()
