"""Data health: feed freshness against cadence, batches, quarantine, quality checks, upload.

URL: ``data-health`` (all feeds) or ``data-health?feed=<feed_id>`` (one feed's drill-down).
"""

from __future__ import annotations

import hashlib
import tempfile
from datetime import date
from pathlib import Path

import polars as pl
import streamlit as st

from dashboard import components as ui
from dashboard import state
from dashboard.figures_governance import batches_figure, quarantine_figure, status_cell
from metrics.access import AccessDenied, can_edit, visible_feeds
from metrics.feedstate import last_batches
from metrics.governance import (
    ON_TIME,
    STATUS_WORDS,
    batch_history,
    error_report,
    feed_health,
    feeds_frame,
    quarantine_by_code,
)
from metrics.governance.agreements import agreement_states
from metrics.governance.programme import programme_health
from metrics.governance.quality import checks_frame, feed_quality, kpi_quality
from metrics.ingest import FeedRefused, Preview, apply_preview, preview

ALL_FEEDS = "(all feeds)"
CHECK_ICONS = {"ok": "ok", "warning": "warning", "problem": "problem",
               "not applicable": "– not applicable"}

reg = state.register()
ws = state.workspace()
as_of = state.today()
ver = state.version()

st.title("Data health")
ui.interactive_switch("views/data_health.py")
st.caption(f"Feed freshness against each feed's cadence and lag, judged on {as_of:%d %b %Y}. "
           "“Data current through” is the last day of data received; “next expected” is when "
           "the following batch is due.")

viewer = state.viewer()
visible = {f.feed_id for f in visible_feeds(reg, viewer)}  # an agency lead: their agency's feeds
health = [h for h in state.read(feed_health, reg, as_of) if h.feed_id in visible]
applied_at = state.read(last_batches)
by_feed = {h.feed_id: h for h in health}


# --- programme health -------------------------------------------------------------------
ph = state.read(programme_health, reg, state.observations(), health, as_of)
with st.container(border=True):
    st.subheader("Programme health")
    share = ph.share_on_time
    ui.figures_row([
        ("KPIs updated on time", f"{ph.kpis_on_time} of {ph.kpis_total}",
         f"{share:.0%} of KPIs" if share is not None else ""),
        ("KPI owners who never updated", str(ph.owners_never_updated.height)),
        ("Overdue commitments", f"{ph.overdue_commitments.height} of {ph.open_commitments}"),
        ("Stat sessions held / planned", f"{ph.sessions_held} / {ph.sessions_planned}"),
        ("Oldest open commitment",
         f"{ph.oldest_open_days} days" if ph.oldest_open_days is not None else "none open")])
    st.markdown("\n".join(f"- {line}" for line in ph.summary()))
    if ph.owners_never_updated.height or ph.overdue_commitments.height:
        with st.expander("Owners who never updated, overdue commitments"):
            ui.table(ph.owners_never_updated, key="dh_never")
            ui.table(ph.overdue_commitments, key="dh_overdue")

# --- every feed -------------------------------------------------------------------------
frame = feeds_frame(health)
late = [h for h in health if h.status != ON_TIME]
st.subheader("Feeds")
if late:
    for h in late:
        st.warning(f"**{h.name}** ({h.feed_id}, {h.agency}): {h.explanation}", icon=":material/warning:")
else:
    st.success(f"All {len(health)} feeds are on time.", icon=":material/check_circle:")
table = frame.with_columns(
    pl.struct("status").map_elements(lambda r: status_cell(r["status"], STATUS_WORDS[r["status"]]),
                                     return_dtype=pl.String).alias("status")
).select("status", "feed_id", "name", "agency", "cadence", "data_through", "next_expected",
         "last_batch_at", "last_file", "last_rows_accepted", "last_rows_rejected",
         "rows_quarantined")
ui.table(table, key="dh_feeds", labels={
    "status": "Status", "data_through": "Data current through",
    "next_expected": "Next batch expected", "last_batch_at": "Last batch received",
    "last_rows_accepted": "Last batch: rows accepted",
    "last_rows_rejected": "Last batch: rows rejected",
    "rows_quarantined": "Rows quarantined (all batches)"})

# --- one feed ---------------------------------------------------------------------------
param = st.query_params.get("feed")
if param and param not in visible:
    st.error(f"There is no feed '{ui.escape(param)}' that you can open. Pick one below; feeds: "
             f"{', '.join(sorted(visible)) or 'none'}.")
    st.page_link("views/data_health.py", label="Back to all feeds", icon=":material/undo:")
    st.stop()
options = [ALL_FEEDS, *(f for f in reg.feeds if f in visible)]
if st.session_state.get("_dh_feed_param", "") != (param or ""):  # the URL changed: follow it
    st.session_state["dh_feed"] = param or ALL_FEEDS
choice = st.selectbox("Feed", options, key="dh_feed",
                      format_func=lambda f: f if f == ALL_FEEDS else f"{reg.feeds[f].name} ({f})")
st.session_state["_dh_feed_param"] = "" if choice == ALL_FEEDS else choice
if choice == ALL_FEEDS:
    if "feed" in st.query_params:
        del st.query_params["feed"]
    st.info("Pick a feed to see its batches, quarantine, quality checks and to upload a file.")
    st.stop()
if st.query_params.get("feed") != choice:
    st.query_params["feed"] = choice

feed = reg.feeds[choice]
h = by_feed[choice]
st.header(f"{status_cell(h.status, h.status_word)} · {feed.name}")
st.markdown(f"{h.explanation}")
st.caption(f"Agency: {h.agency} · steward: {feed.steward or 'not named'} · classification: "
           f"{feed.classification} · cadence: {feed.cadence}, lag {feed.lag_days} days · "
           f"legal basis: {feed.legal_basis or 'not recorded'}")
for ag in agreement_states(reg, as_of, health=health, last_applied=applied_at):
    if choice in ag.feeds:
        text = f"Sharing agreement **{ag.agreement.agreement_id}**: {ag.status}. " + " ".join(ag.flags)
        (st.error if ag.status == "expired" else st.warning if ag.flags else st.caption)(text)

history = state.read(batch_history, choice)
codes = state.read(quarantine_by_code, choice)
st.subheader("Batches")
if history.height == 0:
    st.info("No batch received yet.")
else:
    left, right = st.columns([3, 2])
    with left:
        ui.chart(batches_figure(history, feed.name), key="dh_batches_chart")
    with right:
        ui.table(history.select("batch_id", "received_at", "file", "status", "rows_accepted",
                                "rows_rejected", "period_min", "period_max"),
                 key="dh_batches_table", labels={"received_at": "Received"})

st.subheader("Quarantine")
if codes.height == 0:
    st.success("No row of this feed is in quarantine.", icon=":material/check_circle:")
else:
    left, right = st.columns([3, 2])
    with left:
        ui.chart(quarantine_figure(codes, feed.name), key="dh_quarantine_chart")
    with right:
        ui.table(codes, key="dh_quarantine_table")
    st.download_button("Download the error report (CSV) for the agency",
                       error_report(ws, choice).encode(), file_name=f"{choice}_errors.csv",
                       mime="text/csv", key="dh_error_report")


@st.cache_data(show_spinner=False, max_entries=32)
def _quality(root: str, v: tuple[int, ...], feed_id: str, day: date,
             viewer_key: tuple[str, str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Quality rows of the feed and of the KPIs this viewer may see (cached per viewer)."""
    q = dict(state.read(quarantine_by_code, feed_id).select("code", "problems").iter_rows())
    fq = checks_frame(state.read(feed_quality, str(ws.feed_store), reg, feed_id, as_of=day,
                                 quarantine=q))
    obs = state.observations()
    through = state.feeds_through()
    kq = [kpi_quality(reg, obs, k.kpi_id, as_of=day, feed_through=through, quarantine=q)
          .frame().with_columns(pl.lit(k.kpi_id).alias("kpi_id"))
          for k in reg.kpis_of_feed(feed_id)]
    kframe = pl.concat(kq) if kq else pl.DataFrame(schema={"check": pl.String, "status": pl.String,
                                                         "finding": pl.String, "kpi_id": pl.String})
    return fq, kframe.select("kpi_id", "check", "status", "finding")


st.subheader("Quality checks")
fq, kq = _quality(str(ws.root), ver, choice, as_of, state.viewer_key())
icon = pl.col("status").replace_strict(CHECK_ICONS, default=pl.col("status"))
st.markdown("**The feed's data in force**")
ui.table(fq.with_columns(icon), key="dh_feed_quality")
if kq.height:
    st.markdown("**The KPIs computed from it**")
    ui.table(kq.with_columns(icon), key="dh_kpi_quality")

# --- upload -----------------------------------------------------------------------------
st.subheader("Upload a new file")
if not can_edit(viewer, "feed_upload", feed.agency_id):
    st.caption("Files of this feed are loaded by data stewards, administrators and the "
               "feed's agency lead; you may look but not upload.")
    st.stop()
st.caption("The file is checked against the feed's contract first; nothing is applied until "
           "you press “Apply this batch”. Rows with errors go to quarantine with the reason.")


def _who() -> str:
    return state.viewer().actor


def _check(data: bytes, name: str) -> Preview | FeedRefused:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (Path(name).name or "upload.csv")
        path.write_bytes(data)
        try:
            return preview(ws, choice, path, received_on=as_of)
        except FeedRefused as exc:
            return exc


upload = st.file_uploader("Feed file (CSV, XLSX or Parquet)", type=["csv", "xlsx", "parquet"],
                          key=f"dh_upload_{choice}")
report = st.session_state.get("dh_report")
if report is not None and report[0] == choice:
    refused = len(report) > 2 and report[2] == "refused"  # nothing accepted: nothing applied
    (st.error if refused else st.success)(ui.escape(report[1]).replace("\n", "  \n"),
                                          icon=":material/error:" if refused
                                          else ":material/check_circle:")
if upload is not None:
    data = upload.getvalue()
    key = (choice, hashlib.sha256(data).hexdigest())
    if st.session_state.get("dh_applied") != key:
        if st.session_state.get("dh_preview_key") != key:
            st.session_state["dh_preview"] = _check(data, upload.name)
            st.session_state["dh_preview_key"] = key
        pv = st.session_state["dh_preview"]
        if isinstance(pv, FeedRefused):
            st.error("This file is refused as a whole; nothing can be applied. Fix it and upload "
                     "it again:\n\n" + "\n".join(f"- {ui.escape(i)}" for i in pv.issues))
        elif pv.duplicate_of is not None:
            st.info(f"This file was already applied as batch {pv.duplicate_of}; applying it "
                    "again would change nothing.")
        else:
            bad = pv.errors.get_column("row_number").n_unique() if pv.errors.height else 0
            st.markdown(f"**Preview of {pv.file_name}** (nothing applied yet)")
            ui.figures_row([("Rows in the file", f"{pv.rows_total:,}"),
                            ("Rows accepted", f"{pv.accepted.height:,}"),
                            ("Rows with errors (to quarantine)", f"{bad:,}")])
            if pv.notes:  # what the feed's declared shape did (feed_shapes.csv)
                st.info("How the file was read (feed_shapes.csv):\n\n"
                        + "\n".join(f"- {n.strip()}" for n in pv.notes), icon=":material/info:")
            if pv.errors.height:
                st.warning(f"{pv.errors.height} problem(s) in {bad} row(s); each is listed with "
                           "its row (the header is row 1).", icon=":material/warning:")
                ui.table(pv.errors.select("row_number", "column", "value", "code", "message"),
                         key="dh_preview_errors")
            if st.button("Apply this batch", type="primary", key="dh_apply"):
                try:
                    rep = apply_preview(ws, pv, received_by=_who(), acting=state.viewer())
                except AccessDenied as exc:
                    st.error(ui.escape(str(exc)), icon=":material/error:")
                    st.stop()
                    raise
                st.session_state["dh_applied"] = key
                st.session_state["dh_report"] = (choice, rep.summary(), rep.status)
                st.session_state.pop("dh_preview", None)
                st.session_state.pop("dh_preview_key", None)
                st.rerun()
