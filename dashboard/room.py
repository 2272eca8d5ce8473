"""The stat-session room: the scorecard as rows people can read at a glance.

Each KPI is one row whose status, name, value, target and reason in words wrap inside the
page's width (no horizontal scrolling at 1366 px); pace, change, equity gap and freshness
sit on a second line. A presentation mode shows one priority per screen in large type for
a projector, with the arrow keys to move between priorities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from dashboard import components as ui
from metrics import presentation as P
from metrics.definitions import Register
from metrics.scorecard import KpiStatus

ROW_WIDTHS = (1.5, 2.6, 1.4, 1.4, 4.6)
HEADINGS = ("Status", "KPI", "Value", "Target", "Why: the rule in words")

PRESENT_CSS = """
<style>
section[data-testid="stSidebar"], header[data-testid="stHeader"] { display: none; }
.block-container, [data-testid="stMainBlockContainer"] { max-width: 100%;
  padding: 1rem 2.5rem; }
[data-testid="stMain"] p, [data-testid="stMain"] li { font-size: 1.45rem; line-height: 1.4; }
[data-testid="stMain"] h1 { font-size: 2.6rem; }
[data-testid="stMain"] h2 { font-size: 2.1rem; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { font-size: 1.15rem; }
[data-testid="stMain"] [data-testid="stBadge"] span, [data-testid="stMain"] .stBadge p
  { font-size: 1.3rem; }
</style>
"""


def headings() -> None:
    cols = st.columns(ROW_WIDTHS, gap="small")
    for col, text in zip(cols, HEADINGS, strict=True):
        col.markdown(f"**{text}**")


def second_line(s: KpiStatus, n_open: int = 0, n_overdue: int = 0) -> str:
    """Pace, change, equity gap and freshness in one line of words."""
    parts = []
    if s.pace:
        parts.append(f"Pace: {s.pace}")
    if s.change:
        parts.append(f"Change: {s.change}")
    gap = P.gap_word(s.gap_status)
    parts.append(f"Equity gap: {gap}" + (f" ({s.gap_text})" if s.gap_status not in (
        "not applicable",) and s.gap_text else ""))
    through = P.date_words(s.data_through, "no data yet")
    parts.append(f"Data current through {through}" + (" (stale: the next batch is overdue)"
                                                       if s.stale else ""))
    if n_open:
        parts.append(f"{P.plural(n_open, 'open commitment')}"
                     + (f", {n_overdue} overdue" if n_overdue else ""))
    return " · ".join(parts)


def row(s: KpiStatus, reg: Register, *, month: str | None, commitments: Sequence = (),
        big: bool = False) -> None:
    """One KPI: status | name (link) | value | target | reason; then the second line."""
    look = P.status_look(s.status)
    with st.container(border=True, key=f"kpirow_{s.kpi_id}"):
        c = st.columns(ROW_WIDTHS, gap="small", vertical_alignment="top")
        with c[0]:
            st.badge(look.word, icon=look.icon, color=look.badge)  # type: ignore[arg-type]
            if s.stale:
                st.badge("Stale", icon=":material/schedule:", color="orange",
                         help="The next batch of data is overdue")
        with c[1]:
            params = {"id": s.kpi_id} | ({"month": month} if month else {})
            st.page_link(ui.KPI_PAGE, label=s.name, query_params=params,
                         help="Open the KPI's detail page")
            agency = P.name_of(s.agency_id, reg.agencies)
            st.caption(agency)
        c[2].markdown(f"**{ui.escape(s.value_text)}**  \n{ui.escape(P.period_words(s.period))}")
        c[3].markdown(ui.escape(s.target_text))
        c[4].markdown(ui.escape(s.explanation))
        overdue = sum(1 for x in commitments if getattr(x, "overdue", False))
        st.caption(ui.escape(second_line(s, len(commitments), overdue)))
        if commitments and not big:
            with st.expander(f"Open commitments ({len(commitments)})"):
                for x in commitments:
                    due = P.date_words(getattr(x, "due_on", None), "no due date")
                    late = (f", {x.days_overdue} days overdue"
                            if getattr(x, "overdue", False) else "")
                    st.markdown(f"- {ui.escape(getattr(x, 'text', x))} — "
                                f"{ui.escape(P.text_or(getattr(x, 'owner', None), 'no owner'))}"
                                f", due {due}{late}")


def priority_block(pid: str, items: Sequence[KpiStatus], reg: Register, *, month: str | None,
                   commitments: Mapping[str, list], big: bool = False) -> None:
    pr = reg.priorities[pid]
    (st.header if big else st.subheader)(pr.name)
    if pr.description:
        st.caption(pr.description)
    headings()
    for s in items:
        row(s, reg, month=month, commitments=commitments.get(s.kpi_id) or [], big=big)


def present_css() -> None:
    st.html(PRESENT_CSS)


def _commitment_line(c: object) -> str:
    due = P.date_words(getattr(c, "due_on", None), "no due date")
    late = (f", {getattr(c, 'days_overdue', 0)} days overdue" if getattr(c, "overdue", False)
            else "")
    closed = getattr(c, "closed_on", None)
    done = f", done {P.date_words(closed)}" if closed is not None else ""
    return (f"{getattr(c, 'text', c)} — {P.text_or(getattr(c, 'owner', None), 'no owner')}, "
            f"due {due}{late}{done}")


def what_changed(ch: object) -> None:
    """The "what changed since the last session" panel (``ch`` is a metrics.changes.Changes)."""
    from metrics.changes import Changes

    assert isinstance(ch, Changes)
    with st.container(border=True, key="what_changed"):
        st.subheader(ch.heading)
        st.markdown(ui.escape(ch.summary()))
        parts: list[tuple[str, str, list[str]]] = [
            ("Statuses that changed", ":material/swap_vert:",
             [c.sentence for c in ch.status_changes]),
            ("Commitments overdue", ":material/schedule:",
             [_commitment_line(c) for c in ch.overdue]),
            ("Commitments done", ":material/task_alt:", [_commitment_line(c) for c in ch.done]),
            ("Commitments due since the session", ":material/event:",
             [_commitment_line(c) for c in ch.due]),
            ("Feeds late", ":material/running_with_errors:", ch.late),
            ("Feeds that delivered data", ":material/inbox:", ch.arrived),
            ("Annotations added", ":material/sticky_note_2:", ch.annotations),
        ]
        for title, icon, lines in parts:
            if not lines:
                continue
            with st.expander(f"{title} ({len(lines)})", icon=icon,
                             expanded=title in ("Statuses that changed", "Commitments overdue")):
                st.markdown("\n".join(f"- {ui.escape(x)}" for x in lines))
