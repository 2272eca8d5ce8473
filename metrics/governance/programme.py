"""Programme health: is the stat-session loop itself alive?

Programmes decay when nobody watches the process: KPIs not updated, owners who never
report, commitments left overdue, sessions cancelled.  Judged on ``as_of``:

* share of KPIs updated on time: KPIs whose feed is on time;
* KPI owners who have never updated: every KPI of the owner has no observations, or its
  feed has never supplied data;
* overdue commitments: due before ``as_of`` and still open or in progress;
* sessions held against planned: one a month, from the month of the first session (or
  ``start``) through the month of ``as_of``;
* age in days of the oldest open commitment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlmodel import Session, col, select

from metrics.commitments import OPEN_STATUSES
from metrics.definitions import Register
from metrics.store.tables import Commitment, StatSession

from .feedhealth import ON_TIME, FeedHealth


@dataclass(frozen=True)
class ProgrammeHealth:
    as_of: date
    kpis_total: int
    kpis_on_time: int
    owners_never_updated: pl.DataFrame  # owner, kpis
    overdue_commitments: pl.DataFrame  # id, text, owner, agency_id, due_on, status, days_overdue
    open_commitments: int
    sessions_held: int
    sessions_planned: int
    oldest_open_days: int | None
    oldest_open_text: str | None

    @property
    def share_on_time(self) -> float | None:
        return self.kpis_on_time / self.kpis_total if self.kpis_total else None

    def summary(self) -> list[str]:
        """The panel in sentences."""
        out = []
        if self.share_on_time is not None:
            out.append(f"{self.kpis_on_time} of {self.kpis_total} KPIs ({self.share_on_time:.0%}) "
                       "were updated on time.")
        n = self.owners_never_updated.height
        out.append("Every KPI owner has updated at least once." if n == 0 else
                   f"{n} KPI owner(s) have never updated: "
                   + ", ".join(self.owners_never_updated["owner"].to_list()) + ".")
        out.append(f"{self.overdue_commitments.height} of {self.open_commitments} open "
                   "commitments are overdue.")
        out.append(f"{self.sessions_held} stat sessions held of {self.sessions_planned} planned "
                   "(one a month)." if self.sessions_planned else "No stat session held yet.")
        if self.oldest_open_days is not None:
            out.append(f"The oldest open commitment is {self.oldest_open_days} days old: "
                       f"{self.oldest_open_text}")
        return out


def _months_between(a: date, b: date) -> int:
    """Months from the month of ``a`` through the month of ``b``, inclusive."""
    return max((b.year - a.year) * 12 + b.month - a.month + 1, 0)


def programme_health(session: Session, register: Register, obs: pl.DataFrame,
                     health: list[FeedHealth], as_of: date, *, start: date | None = None
                     ) -> ProgrammeHealth:
    """Programme health on ``as_of``; ``health`` is ``feedhealth.feed_health(...)``."""
    status = {h.feed_id: h for h in health}
    kpis = list(register.kpis.values())
    on_time = sum(1 for k in kpis if k.feed_id in status and status[k.feed_id].status == ON_TIME)
    with_obs = set(obs.get_column("kpi_id").unique().to_list()) if obs.height else set()
    updated: dict[str, bool] = {}
    owned: dict[str, list[str]] = {}
    for k in kpis:
        owner = k.owner or f"(no owner: {k.agency_id})"
        h = status.get(k.feed_id)
        ok = k.kpi_id in with_obs and h is not None and h.data_through is not None
        updated[owner] = updated.get(owner, False) or ok
        owned.setdefault(owner, []).append(k.kpi_id)
    never = pl.DataFrame([{"owner": o, "kpis": "; ".join(owned[o])}
                          for o, ok in updated.items() if not ok],
                         schema={"owner": pl.String, "kpis": pl.String})

    rows = session.exec(select(Commitment, col(StatSession.held_on))
                        .join(StatSession, col(StatSession.id) == col(Commitment.session_id))).all()
    open_rows = [(c, held) for c, held in rows if c.status in OPEN_STATUSES]
    overdue = pl.DataFrame(
        [{"id": c.id, "text": c.text, "owner": c.owner, "agency_id": c.agency_id,
          "due_on": c.due_on, "status": c.status, "days_overdue": (as_of - c.due_on).days}
         for c, _ in open_rows if c.due_on < as_of],
        schema={"id": pl.Int64, "text": pl.String, "owner": pl.String, "agency_id": pl.String,
                "due_on": pl.Date, "status": pl.String, "days_overdue": pl.Int64},
    ).sort("days_overdue", descending=True)
    opened = [((c.created_at.date() if c.created_at else held), c) for c, held in open_rows]
    opened = [(d, c) for d, c in opened if d <= as_of]
    oldest = min(opened, key=lambda dc: dc[0]) if opened else None

    held_dates = [d for d in session.exec(select(col(StatSession.held_on))) if d <= as_of]
    first = start or (min(held_dates) if held_dates else None)
    held = len({(d.year, d.month) for d in held_dates if first is None or d >= first.replace(day=1)})
    planned = _months_between(first, as_of) if first else 0
    return ProgrammeHealth(
        as_of=as_of, kpis_total=len(kpis), kpis_on_time=on_time, owners_never_updated=never,
        overdue_commitments=overdue, open_commitments=len(open_rows), sessions_held=held,
        sessions_planned=planned,
        oldest_open_days=(as_of - oldest[0]).days if oldest else None,
        oldest_open_text=f"“{oldest[1].text}” ({oldest[1].owner})" if oldest else None)
