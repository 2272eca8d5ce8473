"""Feed health: is every agency's feed arriving on time, and what became of its batches?

A feed's *next batch expected* is the end of the period after the one its data runs
through, plus the feed's lag (``metrics.scorecard.next_expected``).  Its status is

* ``on_time`` while ``as_of`` is on or before that date;
* ``late`` once ``as_of`` is past it;
* ``missing`` when no batch ever supplied data, or when more than two further
  cadence periods have gone by (``as_of`` past the date the period three after
  ``data_through`` was due).

Nothing here reads the clock: ``as_of`` is passed in.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import func
from sqlmodel import Session, col, select

from metrics.definitions import Feed, Register
from metrics.definitions.models import CADENCES
from metrics.errors import CATALOGUE
from metrics.feedstate import feed_through, quarantined
from metrics.ingest import quarantine_report
from metrics.scorecard import next_expected
from metrics.store.tables import Batch, QuarantineRow
from metrics.workspace import Workspace

ON_TIME, LATE, MISSING = "on_time", "late", "missing"
STATUS_WORDS = {ON_TIME: "On time", LATE: "Late", MISSING: "Missing"}
CADENCE_WORDS = {"monthly": "month", "quarterly": "quarter", "annual": "year"}
REPORT_COLUMNS = ["file", "row_number", "column", "value", "code", "message"]


def due_date(data_through: date, cadence: str, lag_days: int, periods_ahead: int = 1) -> date:
    """End of the ``periods_ahead``-th cadence period after ``data_through``, plus the lag."""
    months = CADENCES.get(cadence, 1) * periods_ahead
    idx = data_through.year * 12 + data_through.month - 1 + months
    y, m = idx // 12, idx % 12 + 1
    return date(y, m, calendar.monthrange(y, m)[1]) + timedelta(days=lag_days)


def missing_after(data_through: date, cadence: str, lag_days: int) -> date:
    """The last day a feed counts as late rather than missing (two periods past due)."""
    return due_date(data_through, cadence, lag_days, 3)


def feed_status(data_through: date | None, cadence: str, lag_days: int, as_of: date) -> str:
    """``on_time``, ``late`` or ``missing`` (see the module docstring)."""
    if data_through is None:
        return MISSING
    if as_of > missing_after(data_through, cadence, lag_days):
        return MISSING
    if as_of > next_expected(data_through, cadence, lag_days):
        return LATE
    return ON_TIME


@dataclass(frozen=True)
class FeedHealth:
    feed_id: str
    name: str
    agency_id: str
    agency: str
    kind: str
    cadence: str
    lag_days: int
    steward: str
    agreement_id: str
    last_batch_id: int | None
    last_batch_at: datetime | None
    last_file: str | None
    last_batch_status: str | None
    last_rows_accepted: int | None
    last_rows_rejected: int | None
    data_through: date | None
    next_expected: date | None
    status: str
    days_overdue: int
    rows_quarantined: int
    batches: int

    @property
    def status_word(self) -> str:
        return STATUS_WORDS[self.status]

    @property
    def explanation(self) -> str:
        """The status with its rule, in words."""
        per = CADENCE_WORDS.get(self.cadence, self.cadence)
        if self.data_through is None:
            return (f"Missing: no batch has supplied data yet (expected every {per}, "
                    f"{self.lag_days} days after the {per} ends).")
        rule = (f"the next batch is due {self.lag_days} days after the end of the {per} after "
                f"{self.data_through:%d %b %Y}, on {self.next_expected:%d %b %Y}")
        if self.status == ON_TIME:
            return f"On time: data current through {self.data_through:%d %b %Y}; {rule}."
        if self.status == LATE:
            return f"Late by {self.days_overdue} days: {rule}."
        return (f"Missing: {self.days_overdue} days overdue, more than two {per}s past due; "
                f"{rule}.")


def _last_batches(session: Session) -> dict[str, Batch]:
    latest = (select(Batch.feed_id, func.max(col(Batch.id)).label("bid"))
              .group_by(Batch.feed_id).subquery())
    rows = session.exec(select(Batch).join(latest, col(Batch.id) == latest.c.bid)).all()
    return {b.feed_id: b for b in rows}


def _batch_counts(session: Session) -> dict[str, int]:
    return {fid: n for fid, n in session.exec(
        select(Batch.feed_id, func.count(col(Batch.id))).group_by(Batch.feed_id))}


def _health(feed: Feed, register: Register, as_of: date, through: date | None,
            last: Batch | None, n_quarantined: int, n_batches: int) -> FeedHealth:
    status = feed_status(through, feed.cadence, feed.lag_days, as_of)
    nxt = next_expected(through, feed.cadence, feed.lag_days) if through else None
    overdue = max((as_of - nxt).days, 0) if nxt else 0
    agency = register.agencies.get(feed.agency_id)
    return FeedHealth(
        feed_id=feed.feed_id, name=feed.name, agency_id=feed.agency_id,
        agency=agency.name if agency else feed.agency_id, kind=feed.kind, cadence=feed.cadence,
        lag_days=feed.lag_days, steward=feed.steward, agreement_id=feed.agreement_id,
        last_batch_id=last.id if last else None, last_batch_at=last.received_at if last else None,
        last_file=last.file_name if last else None,
        last_batch_status=last.status if last else None,
        last_rows_accepted=last.rows_accepted if last else None,
        last_rows_rejected=last.rows_rejected if last else None,
        data_through=through, next_expected=nxt, status=status, days_overdue=overdue,
        rows_quarantined=n_quarantined, batches=n_batches)


def feed_health(session: Session, register: Register, as_of: date) -> list[FeedHealth]:
    """Health of every feed of the register, in register order."""
    through = feed_through(session, register)
    last = _last_batches(session)
    q = quarantined(session)
    counts = _batch_counts(session)
    return [_health(f, register, as_of, through.get(f.feed_id), last.get(f.feed_id),
                    q.get(f.feed_id, 0), counts.get(f.feed_id, 0))
            for f in register.feeds.values()]


FEEDS_SCHEMA: dict[str, Any] = {
    "feed_id": pl.String, "name": pl.String, "agency_id": pl.String, "agency": pl.String,
    "cadence": pl.String, "lag_days": pl.Int64, "last_batch_at": pl.String,
    "last_file": pl.String, "last_batch_status": pl.String, "last_rows_accepted": pl.Int64,
    "last_rows_rejected": pl.Int64, "data_through": pl.Date, "next_expected": pl.Date,
    "status": pl.String, "days_overdue": pl.Int64, "rows_quarantined": pl.Int64,
    "steward": pl.String, "agreement_id": pl.String, "explanation": pl.String,
}


def feeds_frame(health: list[FeedHealth]) -> pl.DataFrame:
    """One row per feed (the table of the Data health page and of ``statdesk feeds``)."""
    rows = []
    for h in health:
        d = asdict(h)
        d["last_batch_at"] = h.last_batch_at.isoformat(timespec="seconds") if h.last_batch_at else None
        d["explanation"] = h.explanation
        rows.append({k: d[k] for k in FEEDS_SCHEMA})
    return pl.DataFrame(rows, schema=FEEDS_SCHEMA)


def batch_history(session: Session, feed_id: str) -> pl.DataFrame:
    """Every batch of a feed, oldest first: when, which file, rows accepted and rejected."""
    rows = [{"batch_id": b.id, "received_at": b.received_at, "file": b.file_name,
             "status": b.status, "received_by": b.received_by, "period_min": b.period_min,
             "period_max": b.period_max, "rows_total": b.rows_total,
             "rows_accepted": b.rows_accepted, "rows_rejected": b.rows_rejected}
            for b in session.exec(select(Batch).where(Batch.feed_id == feed_id)
                                  .order_by(col(Batch.received_at), col(Batch.id)))]
    schema: dict[str, Any] = {"batch_id": pl.Int64, "received_at": pl.Datetime("us", "UTC"), "file": pl.String,
              "status": pl.String, "received_by": pl.String, "period_min": pl.String,
              "period_max": pl.String, "rows_total": pl.Int64, "rows_accepted": pl.Int64,
              "rows_rejected": pl.Int64}
    return pl.DataFrame(rows, schema=schema)


def quarantine_by_code(session: Session, feed_id: str | None = None,
                       batch_id: int | None = None) -> pl.DataFrame:
    """Quarantined problems by error code (a row can have several problems)."""
    q = select(QuarantineRow.code, func.count(col(QuarantineRow.id)))
    if feed_id:
        q = q.where(QuarantineRow.feed_id == feed_id)
    if batch_id:
        q = q.where(QuarantineRow.batch_id == batch_id)
    rows = [{"code": c, "title": CATALOGUE.get(c, (c, ""))[0], "problems": n}
            for c, n in session.exec(q.group_by(QuarantineRow.code))]
    return pl.DataFrame(rows, schema={"code": pl.String, "title": pl.String,
                                      "problems": pl.Int64}).sort(["problems", "code"],
                                                                  descending=[True, False])


def error_report_frame(ws: Workspace, feed_id: str, batch_id: int | None = None) -> pl.DataFrame:
    """The quarantine of a feed (or one batch) as the agency needs it to fix its file."""
    return (quarantine_report(ws, feed_id=feed_id, batch_id=batch_id)
            .sort(["batch_id", "row_number", "column"]).select(REPORT_COLUMNS))


def error_report(ws: Workspace, feed_id: str, batch_id: int | None = None) -> str:
    """CSV for the agency: file, row_number, column, value, code, message."""
    from metrics.safe_output import write_csv

    return write_csv(error_report_frame(ws, feed_id, batch_id))
