"""Commitments and sessions: create a stat session, record commitments live, follow them up
(status with a note, version-checked), carry open ones forward, "did it move?", annotations,
and the briefing packet and follow-up memo (HTML and PDF).

URL: ``commitments`` (sessions, overdue, new session) or ``commitments?session=<id>``.
Every user-typed text is shown as text (escaped tables and Markdown), never as markup.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import polars as pl
import streamlit as st

from dashboard import components as ui
from dashboard import state
from dashboard.auth import current_viewer
from metrics import annotations as an
from metrics import commitments as cm
from metrics.access import AccessDenied, can_edit
from metrics.periods import display_label

PAGE = "views/commitments.py"
reg = state.register()
today = state.today()
ss = st.session_state


def _user() -> str:
    """Who is writing, as the audit log names them."""
    return current_viewer().actor


def _focus_text(kind: str, fid: str) -> str:
    if kind == "priority" and fid in reg.priorities:
        return f"priority: {reg.priorities[fid].name}"
    if kind == "agency" and fid in reg.agencies:
        return f"agency: {reg.agencies[fid].name}"
    return "all priorities"


def _session_label(s: cm.StatSession) -> str:
    return (f"#{s.id} · {s.held_on:%d %b %Y} · reviewing {display_label(s.period)} · "
            f"{_focus_text(s.focus_kind, s.focus_id)}" + (f" · {s.title}" if s.title else ""))


def _problems(key: str) -> None:
    """The form's refusal: every problem, as text, above the form (values stay entered)."""
    problems = ss.get(key) or {}
    if problems:
        st.error("Nothing was saved. Please fix:\n\n"
                 + "\n".join(f"- {ui.escape(p)}" for p in problems.values()), icon=":material/error:")


def _flash(key: str) -> None:
    if msg := ss.pop(key, None):
        st.success(ui.escape(msg), icon=":material/check_circle:")


def _table(views: list[cm.CommitmentView], *, carried: bool = False) -> pl.DataFrame:
    """Commitments as a static table (text in the page, read by screen readers, never HTML)."""
    def kpi_names(v: cm.CommitmentView) -> str:
        return ", ".join(reg.kpis[k].name if k in reg.kpis else k for k in v.kpis)

    rows = [{"No.": v.id, "Commitment": v.text, "Owner": v.owner,
             "Agency": reg.agencies[v.agency_id].name if v.agency_id in reg.agencies else v.agency_id,
             "Due": f"{v.due_on:%d %b %Y}", "Status": v.status,
             "Overdue": f"overdue by {v.days_overdue} days" if v.overdue else "",
             "Carried forward": f"↻ from {v.made_on:%d %b %Y}" if carried else "",
             "KPIs": kpi_names(v), "Latest note": v.last_note} for v in views]
    schema = {"No.": pl.Int64, "Commitment": pl.String, "Owner": pl.String, "Agency": pl.String,
              "Due": pl.String, "Status": pl.String, "Overdue": pl.String,
              "Carried forward": pl.String, "KPIs": pl.String, "Latest note": pl.String}
    return pl.DataFrame(rows, schema=schema)


def _show(df: pl.DataFrame, key: str) -> None:
    """The table (typed text is shown as text, never as markup)."""
    ui.table(df, key=key)


# --- landing: sessions, overdue, new session --------------------------------------------


def _create_session() -> None:
    kind, _, fid = ss["ns_focus"].partition(":")
    try:
        row = state.write(cm.create_session, held_on=ss["ns_date"], period=ss["ns_month"],
                          focus_kind=kind, focus_id=fid, title=ss["ns_title"], by=_user(),
                          register=reg)
    except cm.CommitmentError as exc:
        ss["ns_errors"] = exc.problems
        return
    except AccessDenied as exc:
        ss["ns_errors"] = {"focus_id": str(exc)}
        return
    ss["ns_errors"] = {}
    ss["cm_flash"] = f"Stat session #{row.id} created."
    st.query_params["session"] = str(row.id)


def landing() -> None:
    sessions = state.read(cm.list_sessions)
    late = state.read(cm.overdue, today)
    st.subheader(f"Overdue commitments ({len(late)})")
    if late:
        st.warning(f"{len(late)} open commitment(s) are past their due date (as of {today:%d %b %Y}).",
                   icon=":material/warning:")
        _show(_table(late).drop("Carried forward"), "cm_overdue_table")
    else:
        st.caption("No open commitment is past its due date.")
    st.subheader("Stat sessions")
    if not sessions:
        st.caption("No stat session yet: create the first one below (Create a stat session).")
    for s_ in sessions[:24]:
        st.page_link(PAGE, label=_session_label(s_), query_params={"session": str(s_.id)}, icon=":material/event:")
    box = ui.on_demand("Create a stat session", key="ns_open", icon=":material/add:")
    if box is None:
        return
    months = ui.months_with_data()
    focus = ["all"] + [f"priority:{p}" for p in reg.priorities] + [f"agency:{a}" for a in reg.agencies]
    ss.setdefault("ns_date", today)
    if months:
        ss.setdefault("ns_month", state.default_month() or months[0])
    with box:
        _problems("ns_errors")
        with st.form("new_session"):
            st.date_input("Date held", key="ns_date")
            st.selectbox("Month reviewed", months, key="ns_month", format_func=display_label)
            st.selectbox("Focus", focus, key="ns_focus",
                         format_func=lambda f: _focus_text(*f.partition(":")[::2]) if ":" in f else "All priorities")
            st.text_input("Title (optional)", key="ns_title", max_chars=200)
            st.form_submit_button("Create session", on_click=_create_session, type="primary")


# --- one session -------------------------------------------------------------------------


def _record(session_id: int) -> None:
    try:
        row = state.write(
            cm.create_commitment, session_id=session_id, text=ss["cm_text"], owner=ss["cm_owner"],
            due_on=ss["cm_due"], kpi_ids=ss["cm_kpis"], agency_id=ss["cm_agency"],
            by=_user(), register=reg)
    except cm.CommitmentError as exc:
        ss["cm_errors"] = exc.problems
        return
    except AccessDenied as exc:
        ss["cm_errors"] = {"agency_id": str(exc)}
        return
    ss["cm_errors"] = {}
    ss["cm_flash"] = f"Commitment #{row.id} recorded for {row.owner}."
    ss["cm_text"], ss["cm_owner"], ss["cm_kpis"] = "", "", []


def _update(session_id: int) -> None:
    cid = ss["up_pick"]
    seen = ss.get("cm_seen", {}).get(cid)
    if seen is None:
        ss["up_errors"] = {"version": "This commitment is not on the page any more; reload the page."}
        return
    try:
        row = state.write(cm.update_status, cid, status=ss["up_status"], note=ss["up_note"],
                          by=_user(), expected_version=seen, as_of=today,
                          stat_session_id=session_id)
    except cm.CommitmentError as exc:
        ss["up_errors"] = exc.problems
        return
    except AccessDenied as exc:
        ss["up_errors"] = {"status": str(exc)}
        return
    ss["up_errors"] = {}
    ss["up_flash"] = f"Commitment #{cid} is now '{row.status}'."
    ss["up_note"] = ""


def _annotate() -> None:
    try:
        row = state.write(an.add_annotation, kpi_id=ss["an_kpi"], on_date=ss["an_date"],
                          kind=ss["an_kind"], text=ss["an_text"], public=ss["an_public"],
                          by=_user(), register=reg)
    except an.AnnotationError as exc:
        ss["an_errors"] = exc.problems
        return
    except AccessDenied as exc:
        ss["an_errors"] = {"kpi_id": str(exc)}
        return
    ss["an_errors"] = {}
    ss["an_flash"] = f"Annotation added to {reg.kpis[row.kpi_id].name} on {row.on_date:%d %b %Y}."
    ss["an_text"] = ""


def _in_focus(stat: cm.StatSession, kpi_id: str) -> bool:
    if stat.focus_kind == "priority":
        return reg.priority_of(reg.kpis[kpi_id]).priority_id == stat.focus_id
    if stat.focus_kind == "agency":
        return reg.kpis[kpi_id].agency_id == stat.focus_id
    return True


def _documents(stat: cm.StatSession, mine: list[cm.CommitmentView], carried: list[cm.CommitmentView]) -> None:
    from metrics.packet import (
        PdfError,
        build_packet_html,
        find_chromium,
        followup_memo_html,
        html_to_pdf,
    )

    st.subheader("Briefing packet and follow-up memo")
    obs = state.observations()
    statuses = [s for s in state.statuses(stat.period) if _in_focus(stat, s.kpi_id)]
    open_ = [v for v in [*mine, *carried] if v.is_open]
    if stat.focus_kind == "all":
        open_ = state.read(cm.list_commitments, as_of=today, open_only=True)
    title = f"Briefing packet: {display_label(stat.period)}" + (
        f" ({_focus_text(stat.focus_kind, stat.focus_id)})" if stat.focus_kind != "all" else "")

    def packet() -> str:
        from metrics.changes import changes_for

        changes = state.read(changes_for, reg, obs, as_of=today, month=stat.period,
                             now=statuses, feed_through=state.feeds_through(),
                             held_before=stat.held_on)
        return build_packet_html(reg, obs, statuses, open_, month=stat.period, as_of=today,
                                 title=title, changes=changes)

    def memo() -> str:
        return followup_memo_html(reg, stat, mine, as_of=today, carried=carried)

    def pdf(make) -> bytes:  # type: ignore[no-untyped-def]
        with tempfile.TemporaryDirectory() as tmp:
            try:
                return html_to_pdf(make(), Path(tmp) / "doc.pdf").read_bytes()
            except PdfError as exc:
                return str(exc).encode()

    name = f"statdesk-{stat.period}-session-{stat.id}"
    has_pdf = find_chromium() is not None
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button("Packet (HTML)", data=lambda: packet().encode("utf8"), file_name=f"{name}-packet.html",
                       mime="text/html", key="dl_packet_html", on_click="ignore", icon=":material/download:")
    c2.download_button("Packet (PDF)", data=lambda: pdf(packet), file_name=f"{name}-packet.pdf",
                       mime="application/pdf", key="dl_packet_pdf", on_click="ignore", icon=":material/download:",
                       disabled=not has_pdf)
    c3.download_button("Follow-up memo (HTML)", data=lambda: memo().encode("utf8"),
                       file_name=f"{name}-memo.html", mime="text/html", key="dl_memo_html",
                       on_click="ignore", icon=":material/download:")
    c4.download_button("Follow-up memo (PDF)", data=lambda: pdf(memo), file_name=f"{name}-memo.pdf",
                       mime="application/pdf", key="dl_memo_pdf", on_click="ignore", icon=":material/download:",
                       disabled=not has_pdf)
    st.caption(f"The packet covers {len(statuses)} KPI(s), off-track ones first, and "
               f"{len(open_)} open commitment(s). The PDF takes a few seconds to print.")
    if not has_pdf:
        st.info("PDF downloads need Chromium on the server (apt-get install chromium); the HTML "
                "versions print to PDF from any browser.", icon=":material/info:")


def session_view(stat: cm.StatSession) -> None:
    sid = stat.id or 0
    st.subheader(f"Stat session {_session_label(stat)}")
    if stat.notes:
        st.text(stat.notes)
    st.page_link(PAGE, label="All sessions and new session", icon=":material/arrow_back:", query_params={})
    _flash("cm_flash")
    mine = state.read(cm.list_commitments, as_of=today, session_id=sid)
    carried = state.read(cm.carried_forward, sid, as_of=today, register=reg)
    late = [v for v in [*mine, *carried] if v.overdue]
    if late:
        st.warning(f"{len(late)} commitment(s) here are overdue as of {today:%d %b %Y}.", icon=":material/warning:")

    st.markdown("#### Record a commitment")
    kpi_ids = [k for k in reg.kpis if _in_focus(stat, k)] or list(reg.kpis)
    ss.setdefault("cm_due", max(today, stat.held_on) + timedelta(days=30))
    ss.setdefault("cm_agency", stat.focus_id if stat.focus_kind == "agency" else "")
    _problems("cm_errors")
    with st.form("new_commitment"):
        st.text_area("What will be done", key="cm_text", max_chars=1000, height=80)
        a, b, c = st.columns(3)
        a.text_input("Owner (a person)", key="cm_owner", max_chars=200)
        b.selectbox("Agency", ["", *reg.agencies], key="cm_agency",
                    format_func=lambda x: reg.agencies[x].name if x else "From the first KPI")
        c.date_input("Due date", key="cm_due")
        st.multiselect("Linked KPIs", kpi_ids, key="cm_kpis", format_func=lambda k: reg.kpis[k].name)
        st.form_submit_button("Record commitment", on_click=_record, args=(sid,), type="primary")

    st.markdown(f"#### Commitments made at this session ({len(mine)})")
    if mine:
        _show(_table(mine).drop("Carried forward"), "cm_made_table")
    else:
        st.caption("None yet.")
    st.markdown(f"#### Carried forward from earlier sessions ({len(carried)})")
    if carried:
        _show(_table(carried, carried=True), "cm_carried_table")
    else:
        st.caption("No open commitment from an earlier session.")

    views = {v.id: v for v in [*mine, *carried]}
    ss["cm_seen"] = {v.id: v.version for v in views.values()}  # what this render showed
    editable = {i: v for i, v in views.items()  # an agency lead: their agency's commitments
                if can_edit(state.viewer(), "commitment", v.agency_id)}
    if editable:
        st.markdown("#### Update a commitment")
        _flash("up_flash")
        _problems("up_errors")
        if ss.get("up_pick") not in editable:
            ss["up_pick"] = next(iter(editable))
        with st.form("update_commitment"):
            st.selectbox("Commitment", list(editable), key="up_pick",
                         format_func=lambda i: f"#{i} {editable[i].text[:80]} ({editable[i].status})")
            st.selectbox("New status", list(cm.STATUSES), key="up_status")
            st.text_input("Note (what happened)", key="up_note", max_chars=500)
            st.form_submit_button("Save status", on_click=_update, args=(sid,))
    if views:
        done = [v for v in views.values() if v.status == "done" and v.kpis]
        if done:
            st.markdown("#### Did it move?")
            st.caption("Statewide value before the commitment against the latest period "
                       "ending within 3 months after it was closed, with 95% intervals.")
            obs = state.observations()
            for v in done:
                with st.expander(f"#{v.id} · closed {v.closed_on:%d %b %Y}", expanded=False):
                    st.text(v.text)
                    for m in cm.did_it_move(obs, v, register=reg):
                        st.markdown(f"**{ui.escape(reg.kpis[m.kpi_id].name)}**: {ui.escape(m.text)}")

    annotatable = [k for k in kpi_ids
                   if can_edit(state.viewer(), "annotation", reg.kpis[k].agency_id)]
    if annotatable:
        box = ui.on_demand("Add an annotation to a KPI (event, policy change, series break)",
                           key="an_open", icon=":material/sticky_note_2:")
        if box is not None:
            with box:
                _flash("an_flash")
                _problems("an_errors")
                ss.setdefault("an_date", today)
                with st.form("new_annotation"):
                    st.selectbox("KPI", annotatable, key="an_kpi", format_func=lambda k: reg.kpis[k].name)
                    st.date_input("Date", key="an_date")
                    st.selectbox("Kind", list(an.MANUAL_KINDS), key="an_kind",
                                 format_func=an.KIND_LABELS.get)
                    st.text_input("What happened", key="an_text", max_chars=an.MAX_TEXT)
                    st.checkbox("Public (shown on the public site)", key="an_public")
                    st.form_submit_button("Add annotation", on_click=_annotate)

    _documents(stat, mine, carried)


st.title("Commitments and sessions")
raw = ui.param("session")
if raw is None:
    _flash("cm_flash")
    landing()
else:
    found = state.read(cm.get_session, int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if found is None:
        st.error(f"There is no stat session '{ui.escape(raw)}' (from the address's 'session=' part). "
                 "Pick one from the list of sessions.", icon=":material/error:")
        st.page_link(PAGE, label="All sessions", icon=":material/arrow_back:", query_params={})
        st.stop()
    session_view(found)
