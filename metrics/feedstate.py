"""What each feed has delivered: data current through, last batch, quarantine counts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from metrics.definitions import Register
from metrics.periods import parse_period, period_of_month
from metrics.store.tables import Batch, FeedMonth, QuarantineRow


def feed_through(session: Session, register: Register | None = None) -> dict[str, date]:
    """feed_id -> the last day of the latest period it has delivered."""
    out: dict[str, date] = {}
    for fid, m in session.exec(select(FeedMonth.feed_id, func.max(FeedMonth.month))
                               .group_by(FeedMonth.feed_id)):
        grain = "month"
        if register is not None and fid in register.feeds and register.feeds[fid].kind == "aggregate":
            grain = register.feeds[fid].period_grain
        out[fid] = parse_period(period_of_month(m, grain)).end
    return out


def last_batches(session: Session) -> dict[str, datetime]:
    return {fid: at for fid, at in session.exec(
        select(Batch.feed_id, func.max(Batch.received_at)).where(Batch.status == "applied")
        .group_by(Batch.feed_id))}


def quarantined(session: Session) -> dict[str, int]:
    return {fid: n for fid, n in session.exec(
        select(QuarantineRow.feed_id, func.count(func.distinct(QuarantineRow.batch_id * 1000000
                                                               + QuarantineRow.row_number)))
        .group_by(QuarantineRow.feed_id))}
