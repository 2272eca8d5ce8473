"""The one-page follow-up memo after a stat session: its commitments, agency by agency."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from metrics.commitments import CommitmentView
from metrics.definitions import Register
from metrics.periods import display_label
from metrics.store.tables import StatSession

from .base import document, esc, table

MEMO_CSS = """
body { font-size: 9.5pt; line-height: 1.3; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin-top: .8rem; }
table { font-size: .8rem; width: 100%; }
@page { size: Letter; margin: 12mm; }
"""


def _kpi_names(register: Register, c: CommitmentView) -> str:
    return ", ".join(register.kpis[k].name if k in register.kpis else k for k in c.kpis) or "–"


def followup_memo_html(register: Register, stat_session: StatSession,
                       commitments: Sequence[CommitmentView], *, as_of: date,
                       carried: Sequence[CommitmentView] = ()) -> str:
    """One page: the commitments made in ``stat_session``, per agency, with owners and due
    dates, and (briefly) what is still open from earlier sessions."""
    made = [c for c in commitments if c.session_id == stat_session.id]
    still_open = [c for c in carried if c.is_open and c.session_id != stat_session.id]
    agencies = sorted({c.agency_id for c in made} | {c.agency_id for c in still_open},
                      key=lambda a: (a == "", register.agencies[a].name if a in register.agencies else a))
    focus = "" if stat_session.focus_kind == "all" else (
        f" · focus: {stat_session.focus_kind} "
        + (register.priorities[stat_session.focus_id].name if stat_session.focus_kind == "priority"
           and stat_session.focus_id in register.priorities else
           register.agencies[stat_session.focus_id].name if stat_session.focus_id in register.agencies
           else stat_session.focus_id))
    title = f"Follow-up: stat session of {stat_session.held_on:%d %B %Y}"
    body = [f"<header><h1>{esc(title)}</h1>",
            f'<p class="meta">{esc(stat_session.title)}{" · " if stat_session.title else ""}'
            f"Month reviewed: {esc(display_label(stat_session.period))}{esc(focus)} · "
            f"sent {as_of:%d %B %Y} · Governor's Office of Results</p>",
            f"<p>{len(made)} commitment(s) were made at this session. Each comes back at the next "
            "session until it is done; please record progress before then.</p></header><main>"]
    if not agencies:
        body.append("<p>No commitments were recorded at this session.</p>")
    for a in agencies:
        agency = register.agencies.get(a)
        name = agency.name if agency else (a or "No agency named")
        body.append(f'<section aria-labelledby="ag-{esc(a)}"><h2 id="ag-{esc(a)}">{esc(name)}</h2>')
        if agency and agency.lead:
            body.append(f'<p class="meta">Lead: {esc(agency.lead)}'
                        f"{(' · ' + esc(agency.lead_email)) if agency.lead_email else ''}</p>")
        mine = [c for c in made if c.agency_id == a]
        if mine:
            body.append(table(
                caption=f"Commitments made ({len(mine)})",
                headers=["Commitment", "Owner", "Due", "KPIs", "Status"],
                rows=[(c.text, c.owner, f"{c.due_on:%d %b %Y}", _kpi_names(register, c), c.status)
                      for c in mine]))
        older = [c for c in still_open if c.agency_id == a]
        if older:
            body.append(table(
                caption=f"Still open from earlier sessions ({len(older)})",
                headers=["Commitment", "Owner", "Due", "Made on", "Status"],
                rows=[(c.text, c.owner, f"{c.due_on:%d %b %Y}"
                       + (f" (overdue {c.days_overdue} days)" if c.overdue else ""),
                       f"{c.made_on:%d %b %Y}", c.status) for c in older]))
        body.append("</section>")
    body.append("</main>")
    return document(title=title, body="".join(body), extra_css=MEMO_CSS)
