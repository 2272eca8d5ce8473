"""Stat sessions and the commitments made in them, followed up until closed.

Functions take a ``Session``; the clock is passed in (``as_of`` for dates that drive a
computation, ``at`` for the time a record is written).  Every write validates first and
writes nothing when anything is wrong; a status change is refused when the commitment
changed since the caller read it (optimistic locking on ``Commitment.version``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import polars as pl
from sqlalchemy import update
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, col, select

from metrics import audit
from metrics.access import Viewer, require_edit
from metrics.definitions import Register
from metrics.groups import statewide
from metrics.intervals import z_value
from metrics.periods import display_label
from metrics.store.tables import Annotation, Commitment, CommitmentUpdate, Observation, StatSession

STATUSES = ("open", "in progress", "done", "dropped")
OPEN_STATUSES = ("open", "in progress")
FOCUS_KINDS = ("all", "priority", "agency")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

__all__ = [
    "FOCUS_KINDS", "OPEN_STATUSES", "STATUSES", "CommitmentError", "CommitmentView", "Movement",
    "StaleEdit", "carried_forward", "create_commitment", "create_session", "did_it_move",
    "get_session", "history", "list_commitments", "list_sessions", "open_by_kpi", "overdue",
    "update_status",
]


class CommitmentError(ValueError):
    """Bad input for a session or commitment; ``problems`` maps each field to what is wrong."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__(" ".join(problems.values()))


class StaleEdit(CommitmentError):
    """Someone else changed the commitment since it was read; nothing was written."""


@dataclass(frozen=True)
class CommitmentView:
    """A commitment as the pages, packet and memo show it."""

    id: int
    session_id: int
    made_on: date  # the date of the session it was made in
    session_title: str
    text: str
    owner: str
    agency_id: str
    due_on: date
    kpi_ids: str  # semicolon-separated, as stored (``kpis`` gives the tuple)
    status: str
    closed_on: date | None
    version: int
    overdue: bool
    days_overdue: int
    last_note: str = ""
    last_updated_by: str = ""
    last_updated_at: datetime | None = None

    @property
    def kpis(self) -> tuple[str, ...]:
        return tuple(_split_kpis(self.kpi_ids))

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def _now(at: datetime | None) -> datetime:
    at = at or datetime.now(UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _split_kpis(kpi_ids: str | Iterable[str] | None) -> list[str]:
    items = kpi_ids.split(";") if isinstance(kpi_ids, str) else list(kpi_ids or [])
    out: list[str] = []
    for k in (str(i).strip() for i in items):
        if k and k not in out:
            out.append(k)
    return out


def _known_kpis(session: Session, register: Register | None) -> Collection[str]:
    if register is not None:
        return register.kpis.keys()
    return set(session.exec(select(Observation.kpi_id).distinct()).all())


def create_session(session: Session, *, acting: Viewer, held_on: date, period: str,
                   focus_kind: str = "all", focus_id: str = "", title: str = "", notes: str = "",
                   by: str = "", register: Register | None = None,
                   at: datetime | None = None) -> StatSession:
    """Record a stat session reviewing ``period`` (YYYY-MM), held on ``held_on``.

    ``acting`` must be allowed to edit sessions (an agency lead: one focused on their agency).
    """
    require_edit(acting, "session", (focus_id or "").strip() if focus_kind == "agency" else "")
    by = by or acting.email
    problems: dict[str, str] = {}
    if not isinstance(held_on, date):
        problems["held_on"] = "The session needs a date (YYYY-MM-DD)."
    if not _MONTH.match(period or ""):
        problems["period"] = f"The month reviewed must be written YYYY-MM, not '{period}'."
    if focus_kind not in FOCUS_KINDS:
        problems["focus_kind"] = f"Focus must be one of {', '.join(FOCUS_KINDS)}, not '{focus_kind}'."
    elif focus_kind != "all":
        focus_id = (focus_id or "").strip()
        known = (register.priorities if focus_kind == "priority" else register.agencies) if register else None
        if not focus_id:
            problems["focus_id"] = f"Choose the {focus_kind} the session focuses on."
        elif known is not None and focus_id not in known:
            problems["focus_id"] = (f"There is no {focus_kind} '{focus_id}'. "
                                    f"Known: {', '.join(sorted(known))}.")
    else:
        focus_id = ""
    if problems:
        raise CommitmentError(problems)
    row = StatSession(held_on=held_on, period=period, focus_kind=focus_kind, focus_id=focus_id,
                      title=title.strip(), notes=notes, created_by=by, created_at=_now(at))
    session.add(row)
    session.flush()
    audit.record(session, actor=by, action="create", entity="session", entity_id=row.id or "",
                 detail=f"held {held_on.isoformat()}, reviewing {period}, focus {focus_kind}"
                 + (f" {focus_id}" if focus_id else ""), at=row.created_at)
    session.commit()
    session.refresh(row)
    return row


def get_session(session: Session, session_id: int) -> StatSession | None:
    return session.get(StatSession, session_id)


def list_sessions(session: Session) -> list[StatSession]:
    """Every stat session, most recent first."""
    return list(session.exec(select(StatSession).order_by(
        col(StatSession.held_on).desc(), col(StatSession.id).desc())).all())


def create_commitment(session: Session, *, acting: Viewer, session_id: int, text: str, owner: str,
                      due_on: date | None, kpi_ids: str | Iterable[str] | None = None,
                      agency_id: str = "", by: str = "", register: Register | None = None,
                      at: datetime | None = None) -> Commitment:
    """Record a commitment made in stat session ``session_id``; validate everything first.

    ``acting`` must be allowed to edit commitments of the commitment's agency.
    """
    by = by or acting.email
    problems: dict[str, str] = {}
    stat = session.get(StatSession, session_id) if session_id is not None else None
    if stat is None:
        problems["session_id"] = f"There is no stat session #{session_id}; create the session first."
    if not (text or "").strip():
        problems["text"] = "Write what will be done (the commitment text is empty)."
    if not (owner or "").strip():
        problems["owner"] = "Name the person who owns the commitment."
    if not isinstance(due_on, date):
        problems["due_on"] = "Give a due date."
    elif stat is not None and due_on < stat.held_on:
        problems["due_on"] = (f"The due date {due_on:%d %b %Y} is before the session "
                              f"({stat.held_on:%d %b %Y}); choose a date on or after it.")
    kpis = _split_kpis(kpi_ids)
    unknown = [k for k in kpis if k not in _known_kpis(session, register)]
    if unknown:
        problems["kpi_ids"] = (f"Unknown KPI id(s): {', '.join(unknown)}. "
                               "Pick KPIs from the list of the register.")
    agency_id = (agency_id or "").strip()
    if agency_id and register is not None and agency_id not in register.agencies:
        problems["agency_id"] = (f"There is no agency '{agency_id}'. "
                                 f"Known: {', '.join(sorted(register.agencies))}.")
    if not agency_id and register is not None and kpis and not unknown:
        agency_id = register.kpis[kpis[0]].agency_id
    if problems:
        raise CommitmentError(problems)
    require_edit(acting, "commitment", agency_id)
    assert isinstance(due_on, date)
    row = Commitment(session_id=session_id, text=text.strip(), owner=owner.strip(),
                     agency_id=agency_id, due_on=due_on, kpi_ids=";".join(kpis), status="open",
                     version=1, created_by=by, created_at=_now(at))
    session.add(row)
    session.flush()
    audit.record(session, actor=by, action="create", entity="commitment", entity_id=row.id or "",
                 detail=f"session #{session_id}, owner {row.owner}, due {due_on.isoformat()}: "
                 f"{row.text[:200]}", at=row.created_at)
    session.commit()
    session.refresh(row)
    return row


def history(session: Session, commitment_id: int) -> list[CommitmentUpdate]:
    """Status changes and notes of one commitment, oldest first."""
    return list(session.exec(select(CommitmentUpdate)
                             .where(CommitmentUpdate.commitment_id == commitment_id)
                             .order_by(col(CommitmentUpdate.id))).all())


def _last_change(session: Session, c: Commitment) -> tuple[str, datetime | None]:
    h = history(session, c.id or 0)
    return (h[-1].updated_by, h[-1].updated_at) if h else (c.created_by, c.created_at)


def update_status(session: Session, commitment_id: int, *, acting: Viewer, status: str,
                  note: str = "", by: str = "", expected_version: int, as_of: date,
                  stat_session_id: int | None = None, at: datetime | None = None) -> Commitment:
    """Change a commitment's status (with a note), refused if it changed since it was read.

    Closing it (``done``) records ``closed_on = as_of`` and puts a ``commitment`` annotation
    on each linked KPI; ``dropped`` records ``closed_on`` too; re-opening clears it.
    """
    c = session.get(Commitment, commitment_id, populate_existing=True)
    if c is None:
        raise CommitmentError({"commitment_id": f"There is no commitment #{commitment_id}."})
    require_edit(acting, "commitment", c.agency_id)
    by = by or acting.email
    if status not in STATUSES:
        raise CommitmentError({"status": f"Status must be one of {', '.join(STATUSES)}, not '{status}'."})
    if status == c.status and not (note or "").strip():
        raise CommitmentError({"note": f"The commitment is already '{status}'; add a note to record progress."})
    if c.version != expected_version:
        who, when = _last_change(session, c)
        raise StaleEdit({"version": (
            f"Commitment #{commitment_id} was changed by {who or 'someone'} at "
            f"{when:%d %b %Y %H:%M} UTC (now '{c.status}'); reload and try again."
            if when else f"Commitment #{commitment_id} was changed by {who or 'someone'}; "
            "reload and try again.")})
    stamp = _now(at)
    was, text, owner, linked = c.status, c.text, c.owner, _split_kpis(c.kpi_ids)
    closed_on = as_of if status in ("done", "dropped") else None
    result: CursorResult = session.execute(  # type: ignore[assignment]
        update(Commitment).where(col(Commitment.id) == commitment_id,
                                 col(Commitment.version) == expected_version)
        .values(status=status, closed_on=closed_on, version=expected_version + 1))
    if result.rowcount != 1:  # changed between our read and our write
        session.rollback()
        session.expire_all()
        fresh = session.get(Commitment, commitment_id)
        who, when = _last_change(session, fresh) if fresh else ("someone", None)
        raise StaleEdit({"version": f"Commitment #{commitment_id} was changed by {who or 'someone'}"
                         + (f" at {when:%d %b %Y %H:%M} UTC" if when else "")
                         + "; reload and try again."})
    session.add(CommitmentUpdate(commitment_id=commitment_id, session_id=stat_session_id,
                                 status=status, note=(note or "").strip(), updated_by=by,
                                 updated_at=stamp))
    if status == "done" and was != "done":
        for k in linked:
            session.add(Annotation(kpi_id=k, on_date=as_of, kind="commitment",
                                   text=f"Commitment done: {text} ({owner})", public=False,
                                   created_by=by, created_at=stamp, commitment_id=commitment_id))
    audit.record(session, actor=by, action="update", entity="commitment", entity_id=commitment_id,
                 detail=f"status {was} -> {status} (version {expected_version + 1})"
                 + (f": {note.strip()[:200]}" if (note or "").strip() else ""), at=stamp)
    session.commit()
    session.expire_all()
    fresh = session.get(Commitment, commitment_id)
    assert fresh is not None
    return fresh


def _views(session: Session, rows: Iterable[Commitment], as_of: date | None) -> list[CommitmentView]:
    rows = list(rows)
    if not rows:
        return []
    sessions = {s.id: s for s in session.exec(select(StatSession).where(
        col(StatSession.id).in_({r.session_id for r in rows}))).all()}
    notes: dict[int, CommitmentUpdate] = {}
    for upd in session.exec(select(CommitmentUpdate).where(
            col(CommitmentUpdate.commitment_id).in_([r.id for r in rows]))
            .order_by(col(CommitmentUpdate.id))).all():
        notes[upd.commitment_id] = upd
    out = []
    for r in rows:
        s = sessions[r.session_id]
        late = (as_of - r.due_on).days if as_of and r.status in OPEN_STATUSES else 0
        u = notes.get(r.id or 0)
        out.append(CommitmentView(
            id=r.id or 0, session_id=r.session_id, made_on=s.held_on,
            session_title=s.title or f"Stat session of {s.held_on:%d %b %Y}", text=r.text,
            owner=r.owner, agency_id=r.agency_id, due_on=r.due_on,
            kpi_ids=";".join(_split_kpis(r.kpi_ids)), status=r.status, closed_on=r.closed_on,
            version=r.version, overdue=late > 0, days_overdue=max(late, 0),
            last_note=u.note if u else "", last_updated_by=u.updated_by if u else r.created_by,
            last_updated_at=u.updated_at if u else r.created_at))
    return out


def list_commitments(session: Session, *, as_of: date, session_id: int | None = None,
                     open_only: bool = False) -> list[CommitmentView]:
    """Commitments (of one session, or all), in due-date order."""
    q = select(Commitment)
    if session_id is not None:
        q = q.where(Commitment.session_id == session_id)
    if open_only:
        q = q.where(col(Commitment.status).in_(OPEN_STATUSES))
    return _views(session, session.exec(q.order_by(col(Commitment.due_on), col(Commitment.id))).all(),
                  as_of)


def open_by_kpi(session: Session, as_of: date) -> dict[str, list[CommitmentView]]:
    """Open commitments keyed by each KPI they are linked to."""
    out: dict[str, list[CommitmentView]] = {}
    for v in list_commitments(session, as_of=as_of, open_only=True):
        for k in v.kpis:
            out.setdefault(k, []).append(v)
    return out


def overdue(session: Session, as_of: date) -> list[CommitmentView]:
    """Open commitments whose due date is before ``as_of``, most overdue first."""
    return [v for v in list_commitments(session, as_of=as_of, open_only=True) if v.overdue]


def _in_focus(v: CommitmentView, stat: StatSession, origin: StatSession | None,
              register: Register | None) -> bool:
    if stat.focus_kind == "all":
        return True
    if origin is not None and (origin.focus_kind, origin.focus_id) == (stat.focus_kind, stat.focus_id):
        return True
    if stat.focus_kind == "agency":
        return v.agency_id == stat.focus_id or bool(register and any(
            k in register.kpis and register.kpis[k].agency_id == stat.focus_id for k in v.kpis))
    return bool(register and any(
        k in register.kpis and register.priority_of(register.kpis[k]).priority_id == stat.focus_id
        for k in v.kpis))


def carried_forward(session: Session, session_id: int, *, as_of: date | None = None,
                    register: Register | None = None) -> list[CommitmentView]:
    """Commitments of earlier sessions still open at this one (they come back until closed).

    "Earlier" is an earlier date (or the same date and a lower id); "still open" means not
    closed before this session's date. A session with a focus gets the commitments of that
    agency or priority (through the commitment's agency or its linked KPIs). Overdue is
    judged on ``as_of`` (default: the session's date).
    """
    stat = session.get(StatSession, session_id)
    if stat is None:
        raise CommitmentError({"session_id": f"There is no stat session #{session_id}."})
    earlier = {s.id: s for s in session.exec(select(StatSession)).all()
               if (s.held_on, s.id or 0) < (stat.held_on, stat.id or 0)}
    if not earlier:
        return []
    rows = session.exec(select(Commitment).where(col(Commitment.session_id).in_(earlier.keys()))
                        .order_by(col(Commitment.due_on), col(Commitment.id))).all()
    views = _views(session, rows, as_of or stat.held_on)
    return [v for v in views
            if (v.status in OPEN_STATUSES or (v.closed_on is not None and v.closed_on >= stat.held_on))
            and _in_focus(v, stat, earlier.get(v.session_id), register)]


@dataclass(frozen=True)
class Movement:
    """A KPI's statewide value before a commitment and after it was closed."""

    kpi_id: str
    before_period: str | None
    before_value: float | None
    before_ci: tuple[float | None, float | None]
    after_period: str | None
    after_value: float | None
    after_ci: tuple[float | None, float | None]
    difference: float | None
    significant: bool | None  # the change is larger than the confidence intervals allow
    text: str


def _fmt(register: Register | None, kpi_id: str, v: float, *, diff: bool = False) -> str:
    if register is not None and kpi_id in register.kpis:
        kpi = register.kpis[kpi_id]
        if diff and kpi.unit == "%":
            return f"{v:.{kpi.decimals}f} points"
        return kpi.format_value(v)
    return f"{v:,.3g}" if abs(v) < 100 else f"{v:,.0f}"


def _significant(a: float, a_ci: tuple, b: float, b_ci: tuple) -> bool | None:
    if None in a_ci or None in b_ci or any(isinstance(x, float) and math.isnan(x) for x in (*a_ci, *b_ci)):
        return None
    z = z_value(0.95)
    se = math.hypot((a_ci[1] - a_ci[0]) / (2 * z), (b_ci[1] - b_ci[0]) / (2 * z))
    return (a != b) if se == 0 else abs(b - a) / se > z


def did_it_move(observations: pl.DataFrame, commitment: Commitment | CommitmentView, *,
                months: int = 3, register: Register | None = None) -> list[Movement]:
    """For each linked KPI: the statewide value of the latest period ending on or before the
    commitment was made, against the latest period ending after it was closed and within
    ``months`` months of closing; the difference, and whether it exceeds what the two 95%
    confidence intervals allow (a z-test on the difference)."""
    made: date | None = getattr(commitment, "made_on", None)
    created: datetime | None = getattr(commitment, "created_at", None)
    if made is None and created is not None:
        made = created.date()
    kpis = _split_kpis(commitment.kpi_ids)
    closed = commitment.closed_on
    out = []
    for k in kpis:
        s = observations.filter((pl.col("kpi_id") == k) & statewide() & pl.col("value").is_not_null()
                                ).sort("period_end")
        before = s.filter(pl.col("period_end") <= made) if made else s.clear()
        b = before.row(-1, named=True) if before.height else None
        a = None
        if closed is not None:
            y, m = closed.year, closed.month + months
            limit = date(y + (m - 1) // 12, (m - 1) % 12 + 1, 1)
            after = s.filter((pl.col("period_end") > closed) & (pl.col("period_end") < limit))
            a = after.row(-1, named=True) if after.height else None
        diff = sig = None
        if closed is None:
            text = "The commitment is not closed yet."
        elif b is None:
            text = "There is no value from before the commitment to compare with."
        elif a is None:
            text = (f"No data yet for a period ending after the commitment was closed "
                    f"({closed:%d %b %Y}) and within {months} months of it.")
        else:
            diff = a["value"] - b["value"]
            sig = _significant(b["value"], (b["ci_low"], b["ci_high"]), a["value"],
                               (a["ci_low"], a["ci_high"]))
            verdict = {True: "a change larger than the confidence intervals allow",
                       False: "within the confidence intervals, so not a clear change",
                       None: "no confidence interval to judge it by"}[sig]
            text = (f"{display_label(b['period'])}: {_fmt(register, k, b['value'])}; "
                    f"{display_label(a['period'])}: {_fmt(register, k, a['value'])} "
                    f"({'+' if diff >= 0 else '−'}{_fmt(register, k, abs(diff), diff=True)}): {verdict}.")
        out.append(Movement(
            kpi_id=k, before_period=b["period"] if b else None, before_value=b["value"] if b else None,
            before_ci=(b["ci_low"], b["ci_high"]) if b else (None, None),
            after_period=a["period"] if a else None, after_value=a["value"] if a else None,
            after_ci=(a["ci_low"], a["ci_high"]) if a else (None, None),
            difference=diff, significant=sig, text=text))
    return out
