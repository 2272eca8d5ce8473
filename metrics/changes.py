"""What changed since the last stat session: the first thing the room reads.

``since_last_session`` compares the scorecard reviewed at the last session held on or
before ``as_of`` with the scorecard for the month now reviewed, and lists what happened in
between: statuses that changed and why (new data, revised data, target changed), feeds
that delivered or are late, commitments done, due or overdue, annotations added. Pure
reads; no clock (``as_of`` is passed in). Used by the stat-session page and the packet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import polars as pl
from sqlmodel import Session, col, select

from metrics import presentation as P
from metrics.commitments import CommitmentView, list_commitments
from metrics.definitions import Register
from metrics.groups import ALL
from metrics.scorecard import KpiStatus, scorecard
from metrics.store.tables import Annotation, AuditEntry, Batch, StatSession


@dataclass(frozen=True)
class StatusChange:
    kpi_id: str
    name: str
    before: str
    after: str
    why: str

    @property
    def sentence(self) -> str:
        return (f"{self.name}: {P.status_word(self.before).lower()} → "
                f"{P.status_word(self.after).lower()} ({self.why}).")


@dataclass(frozen=True)
class Changes:
    session_title: str
    held_on: date
    reviewed: str  # the month the last session reviewed (YYYY-MM)
    month: str  # the month reviewed now
    status_changes: list[StatusChange] = field(default_factory=list)
    arrived: list[str] = field(default_factory=list)  # sentences, one per feed
    late: list[str] = field(default_factory=list)
    done: list[CommitmentView] = field(default_factory=list)
    due: list[CommitmentView] = field(default_factory=list)  # open, due since the session
    overdue: list[CommitmentView] = field(default_factory=list)
    annotations: list[str] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return (f"What changed since the last session ({self.session_title or 'stat session'}"
                f", {P.date_words(self.held_on)}, which reviewed {P.month_words(self.reviewed)})")

    def summary(self) -> str:
        """One sentence of counts, each saying what it counts."""
        return (f"Since {P.date_words(self.held_on)}: "
                f"{P.plural(len(self.status_changes), 'status change')}, "
                f"{P.plural(len(self.arrived), 'feed')} delivered data, "
                f"{P.plural(len(self.late), 'feed')} late, "
                f"{P.plural(len(self.done), 'commitment')} done, "
                f"{P.plural(len(self.overdue), 'commitment')} overdue, "
                f"{P.plural(len(self.annotations), 'annotation')} added.")


def last_session(session: Session, as_of: date) -> StatSession | None:
    """The latest stat session held on or before ``as_of``."""
    return session.exec(select(StatSession).where(col(StatSession.held_on) <= as_of)
                        .order_by(col(StatSession.held_on).desc(), col(StatSession.id).desc())
                        ).first()


def _why(register: Register, a: KpiStatus, b: KpiStatus, targets_edited: set[str]) -> str:
    if b.kpi_id in targets_edited:
        return "target changed since the session"
    if a.period != b.period:
        return (f"new data: {P.period_words(b.period)} now, {P.period_words(a.period)} then"
                if a.period else f"first data: {P.period_words(b.period)}")
    if a.value != b.value:
        return (f"data revised: {P.period_words(b.period)} was {a.value_text}, "
                f"now {b.value_text}")
    if a.interim_target != b.interim_target:
        return f"target changed: {a.target_text} then, {b.target_text} now"
    return "the same data and target, judged on a later date"


def _start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def since_last_session(session: Session, register: Register, *, as_of: date, month: str,
                       before: Sequence[KpiStatus] | None, now: Sequence[KpiStatus],
                       last: StatSession | None = None) -> Changes | None:
    """What changed between the last session (or ``last``) and ``as_of``; None when no
    session has been held. ``before`` is the scorecard for the month that session
    reviewed (None: statuses are not compared), ``now`` the scorecard for ``month``."""
    last = last or last_session(session, as_of)
    if last is None:
        return None
    since = _start(last.held_on)
    edits = session.exec(select(AuditEntry).where(
        col(AuditEntry.entity).in_(("target", "target_edit")))).all()
    edited = {str(e.entity_id).split("/")[0] for e in edits if _aware(e.at) >= since
              and str(e.entity_id).endswith(f"/{ALL}/{ALL}")}  # statewide targets
    changes: list[StatusChange] = []
    if before is not None:
        then = {s.kpi_id: s for s in before}
        for s in now:
            a = then.get(s.kpi_id)
            if a is not None and a.status != s.status:
                changes.append(StatusChange(s.kpi_id, s.name, a.status, s.status,
                                            _why(register, a, s, edited)))
    arrived: list[str] = []
    batches = session.exec(select(Batch).where(Batch.status == "applied")).all()
    by_feed: dict[str, list[Batch]] = {}
    for b in batches:
        if _aware(b.received_at) >= since:
            by_feed.setdefault(b.feed_id, []).append(b)
    for fid in sorted(by_feed, key=lambda f: register.feeds[f].name if f in register.feeds
                      else f):
        got = by_feed[fid]
        latest = max((b.period_max for b in got if b.period_max), default=None)
        rows = sum(b.rows_accepted for b in got)
        arrived.append(f"{P.name_of(fid, register.feeds)}: {P.plural(len(got), 'file')}, "
                       f"{P.count_text(rows)} rows accepted"
                       + (f", data through {P.period_words(latest)}" if latest else ""))
    late_feeds = sorted({register.kpis[s.kpi_id].feed_id for s in now if s.stale
                         and s.kpi_id in register.kpis})
    late = [f"{P.name_of(f, register.feeds)}: the next batch is overdue" for f in late_feeds]
    views = [c for c in list_commitments(session, as_of=as_of)
             if not c.kpis or any(k in register.kpis for k in c.kpis)]
    done = [c for c in views if c.status == "done" and c.closed_on is not None
            and c.closed_on >= last.held_on]
    overdue = [c for c in views if c.overdue]
    due = [c for c in views if c.status in ("open", "in progress") and not c.overdue
           and last.held_on <= c.due_on <= as_of]
    notes = session.exec(select(Annotation).order_by(col(Annotation.on_date))).all()
    added = [f"{P.name_of(a.kpi_id, register.kpis)}, {P.date_words(a.on_date)}: {a.text}"
             for a in notes if a.created_at is not None and _aware(a.created_at) >= since
             and a.kpi_id in register.kpis]
    return Changes(last.title, last.held_on, last.period, month, changes, arrived, late, done,
                   due, overdue, added)


def changes_for(session: Session, register: Register, observations: pl.DataFrame, *,
                as_of: date, month: str, now: Sequence[KpiStatus],
                feed_through: dict[str, date] | None = None,
                held_before: date | None = None) -> Changes | None:
    """``since_last_session`` with the earlier scorecard worked out here: the last session
    held on or before ``as_of`` (or strictly before ``held_before``, for the packet of a
    given session)."""
    if held_before is not None:
        last = session.exec(select(StatSession).where(col(StatSession.held_on) < held_before)
                            .order_by(col(StatSession.held_on).desc(),
                                      col(StatSession.id).desc())).first()
    else:
        last = last_session(session, as_of)
    if last is None:
        return None
    before = scorecard(register, observations, month=last.period, as_of=as_of,
                       feed_through=feed_through)
    return since_last_session(session, register, as_of=as_of, month=month, before=before,
                              now=now, last=last)
