"""statdesk commands: stat sessions, commitments, briefing packet and follow-up memo."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from metrics.cli.core import (
    AsOfOpt,
    DataFormat,
    FormatOpt,
    WorkspaceOpt,
    _as_of,
    _emit,
    fail,
    open_workspace,
)

app = typer.Typer()

OutArg = Annotated[Path, typer.Argument(
    help="Base path of the output: OUT.html and OUT.pdf are written beside each other "
         "(a trailing .html or .pdf on OUT is dropped).")]
NoPdfOpt = Annotated[bool, typer.Option("--no-pdf", help="Write the HTML only (no Chromium needed).")]


def _base(out: Path) -> Path:
    return out.with_suffix("") if out.suffix.lower() in (".html", ".htm", ".pdf") else out


def _write(html: str, out: Path, no_pdf: bool, what: str) -> None:
    from metrics.packet import PdfError, html_to_pdf

    base = _base(out)
    base.parent.mkdir(parents=True, exist_ok=True)
    html_path = base.parent / f"{base.name}.html"
    html_path.write_text(html, encoding="utf8")
    typer.echo(f"{what} (HTML) written to {html_path}")
    if no_pdf:
        return
    try:
        pdf = html_to_pdf(html, base.parent / f"{base.name}.pdf")
    except PdfError as exc:
        fail(f"{exc} The HTML was written; rerun with --no-pdf to skip the PDF.")
    typer.echo(f"{what} (PDF) written to {pdf}")


@app.command()
def packet(out: OutArg, workspace: WorkspaceOpt = None,
           period: Annotated[str | None, typer.Option(help="Month reviewed, YYYY-MM (default: latest).")] = None,
           as_of: AsOfOpt = None, no_pdf: NoPdfOpt = False) -> None:
    """Write the briefing packet for a month: OUT.html (accessible, works offline) and OUT.pdf.

    Off-track KPIs first, each with its chart, the numbers in a table and a summary in words; then the open and overdue commitments. The PDF is printed with Chromium (--no-pdf skips it).
    """
    from metrics.changes import changes_for
    from metrics.commitments import list_commitments
    from metrics.engine import load_observations
    from metrics.feedstate import feed_through
    from metrics.packet import build_packet_html
    from metrics.periods import parse_period
    from metrics.scorecard import latest_month, scorecard

    ws = open_workspace(workspace)
    obs = load_observations(ws.engine)
    month = period or latest_month(obs)
    if month is None:
        fail("there is no data yet: ingest the feeds first ('statdesk ingest').")
    try:
        p = parse_period(month)
    except ValueError as exc:
        fail(f"--period: {exc}")
    if p.grain != "month":
        fail(f"--period takes a month (YYYY-MM), not '{month}'.")
    today = _as_of(as_of)
    with ws.session() as s:
        through = feed_through(s, ws.register)
        views = list_commitments(s, as_of=today, open_only=True)
        statuses = scorecard(ws.register, obs, month=month, as_of=today, feed_through=through)
        changes = changes_for(s, ws.register, obs, as_of=today, month=month, now=statuses,
                              feed_through=through)
    html = build_packet_html(ws.register, obs, statuses, views, month=month, as_of=today,
                             changes=changes)
    _write(html, out, no_pdf, "Briefing packet")


@app.command()
def memo(out: OutArg, session: Annotated[int, typer.Option("--session", help="Stat session id (see 'statdesk sessions').")],
         workspace: WorkspaceOpt = None, as_of: AsOfOpt = None, no_pdf: NoPdfOpt = False) -> None:
    """Write the one-page follow-up memo of a stat session (per agency): OUT.html and OUT.pdf."""
    from metrics.commitments import carried_forward, get_session, list_commitments
    from metrics.packet import followup_memo_html

    ws = open_workspace(workspace)
    today = _as_of(as_of)
    with ws.session() as s:
        stat = get_session(s, session)
        if stat is None:
            fail(f"there is no stat session #{session}; 'statdesk sessions' lists them.")
        made = list_commitments(s, as_of=today, session_id=session)
        carried = carried_forward(s, session, as_of=today, register=ws.register)
    _write(followup_memo_html(ws.register, stat, made, as_of=today, carried=carried), out, no_pdf,
           "Follow-up memo")


@app.command()
def sessions(workspace: WorkspaceOpt = None, format: FormatOpt = DataFormat.csv) -> None:
    """List the stat sessions, most recent first, with their number of commitments."""
    from sqlmodel import select

    from metrics.commitments import list_sessions
    from metrics.store.tables import Commitment

    ws = open_workspace(workspace)
    with ws.session() as s:
        counts: dict[int, int] = {}
        for sid in s.exec(select(Commitment.session_id)).all():
            counts[sid] = counts.get(sid, 0) + 1
        rows = [{"id": r.id, "held_on": r.held_on.isoformat(), "period": r.period,
                 "focus_kind": r.focus_kind, "focus_id": r.focus_id, "title": r.title,
                 "commitments": counts.get(r.id or 0, 0), "created_by": r.created_by}
                for r in list_sessions(s)]
    schema = {"id": pl.Int64, "held_on": pl.String, "period": pl.String, "focus_kind": pl.String,
              "focus_id": pl.String, "title": pl.String, "commitments": pl.Int64, "created_by": pl.String}
    _emit(pl.DataFrame(rows, schema=schema), format)


@app.command()
def commitments(workspace: WorkspaceOpt = None,
                overdue: Annotated[bool, typer.Option("--overdue", help="Only open commitments past their due date.")] = False,
                session: Annotated[int | None, typer.Option("--session", help="Only this session's commitments.")] = None,
                open_only: Annotated[bool, typer.Option("--open", help="Only open or in-progress ones.")] = False,
                as_of: AsOfOpt = None, format: FormatOpt = DataFormat.csv) -> None:
    """List commitments with status, due date and overdue days (as of --as-of)."""
    from metrics.commitments import get_session, list_commitments
    from metrics.commitments import overdue as overdue_list

    ws = open_workspace(workspace)
    today: date = _as_of(as_of)
    with ws.session() as s:
        if session is not None and get_session(s, session) is None:
            fail(f"there is no stat session #{session}; 'statdesk sessions' lists them.")
        views = (overdue_list(s, today) if overdue else
                 list_commitments(s, as_of=today, session_id=session, open_only=open_only))
    if session is not None:
        views = [v for v in views if v.session_id == session]
    rows = [{"id": v.id, "session_id": v.session_id, "made_on": v.made_on.isoformat(),
             "text": v.text, "owner": v.owner, "agency_id": v.agency_id,
             "due_on": v.due_on.isoformat(), "kpi_ids": v.kpi_ids, "status": v.status,
             "closed_on": v.closed_on.isoformat() if v.closed_on else None,
             "overdue": v.overdue, "days_overdue": v.days_overdue, "version": v.version}
            for v in views]
    schema = {"id": pl.Int64, "session_id": pl.Int64, "made_on": pl.String, "text": pl.String,
              "owner": pl.String, "agency_id": pl.String, "due_on": pl.String, "kpi_ids": pl.String,
              "status": pl.String, "closed_on": pl.String, "overdue": pl.Boolean,
              "days_overdue": pl.Int64, "version": pl.Int64}
    _emit(pl.DataFrame(rows, schema=schema), format)
