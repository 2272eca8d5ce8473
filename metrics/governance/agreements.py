"""Sharing agreements: who shares what with whom, under what law, until when.

Agreements come from the definitions (``register.agreements``); each feed names its
agreement (``Feed.agreement_id``).  Flags, judged on ``as_of``:

* ``expiring``: the agreement expires within 90 days (``as_of <= expires <= as_of + 90``);
* ``expired``: past its expiry date (or marked expired in the definitions);
* a feed flowing under an expired agreement: a batch was received after the expiry date,
  or the feed is still active (not ``missing``: batches are still expected from it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl

from metrics.definitions import Agreement, Register

from .feedhealth import MISSING, FeedHealth

EXPIRY_WARNING_DAYS = 90
ACTIVE, EXPIRING, EXPIRED, NOT_YET = "active", "expiring", "expired", "not yet in effect"
STATUS_ICONS = {ACTIVE: "✅", EXPIRING: "⏳", EXPIRED: "⛔", NOT_YET: "🕓"}


@dataclass(frozen=True)
class FlowAfterExpiry:
    agreement_id: str
    feed_id: str
    reasons: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"Feed '{self.feed_id}' flows under expired agreement '{self.agreement_id}': " \
            + "; ".join(self.reasons) + "."


@dataclass(frozen=True)
class AgreementState:
    agreement: Agreement
    status: str
    days_to_expiry: int | None
    feeds: tuple[str, ...]
    datasets: tuple[str, ...]
    flows: tuple[FlowAfterExpiry, ...] = field(default_factory=tuple)

    @property
    def flags(self) -> list[str]:
        a = self.agreement
        out = []
        if self.status == EXPIRING and a.expires:
            out.append(f"Expires in {self.days_to_expiry} days ({a.expires:%d %b %Y}): renew it.")
        if self.status == EXPIRED:
            out.append(f"Expired on {a.expires:%d %b %Y}." if a.expires else "Marked expired.")
        out += [f.text for f in self.flows]
        return out


def agreement_status(a: Agreement, as_of: date, within_days: int = EXPIRY_WARNING_DAYS) -> str:
    if a.status.lower() == EXPIRED or (a.expires is not None and a.expires < as_of):
        return EXPIRED
    if a.effective is not None and a.effective > as_of:
        return NOT_YET
    if a.expires is not None and a.expires <= as_of + timedelta(days=within_days):
        return EXPIRING
    return ACTIVE


def feeds_of(register: Register, agreement_id: str) -> list[str]:
    return [f.feed_id for f in register.feeds.values() if f.agreement_id == agreement_id]


def _flows(register: Register, a: Agreement, health: Mapping[str, FeedHealth],
           last_applied: Mapping[str, datetime]) -> list[FlowAfterExpiry]:
    out = []
    for fid in feeds_of(register, a.agreement_id):
        reasons = []
        last = last_applied.get(fid)
        if a.expires is not None and last is not None and last.date() > a.expires:
            reasons.append(f"a batch was received on {last:%d %b %Y}, after it expired on "
                           f"{a.expires:%d %b %Y}")
        h = health.get(fid)
        if h is not None and h.status != MISSING:
            reasons.append(f"the feed is still active (status {h.status_word.lower()}, next batch "
                           f"expected {h.next_expected:%d %b %Y})" if h.next_expected
                           else "the feed is still active")
        if reasons:
            out.append(FlowAfterExpiry(a.agreement_id, fid, tuple(reasons)))
    return out


def agreement_states(register: Register, as_of: date, *,
                     health: list[FeedHealth] | None = None,
                     last_applied: Mapping[str, datetime] | None = None,
                     within_days: int = EXPIRY_WARNING_DAYS) -> list[AgreementState]:
    """Every agreement with its status on ``as_of`` and its flags.

    ``health``: ``feedhealth.feed_health(...)``; ``last_applied``: feed -> time of its last
    applied batch (``metrics.feedstate.last_batches``).
    """
    by_feed = {h.feed_id: h for h in health or []}
    out = []
    for a in register.agreements.values():
        st = agreement_status(a, as_of, within_days)
        feeds = tuple(feeds_of(register, a.agreement_id))
        flows = tuple(_flows(register, a, by_feed, last_applied or {})) if st == EXPIRED else ()
        days = (a.expires - as_of).days if a.expires else None
        out.append(AgreementState(a, st, days, feeds, tuple(a.datasets) or feeds, flows))
    return out


def agreements_frame(states: list[AgreementState]) -> pl.DataFrame:
    rows = [{"agreement_id": s.agreement.agreement_id, "name": s.agreement.name,
             "status": s.status, "parties": "; ".join(s.agreement.parties),
             "purpose": s.agreement.purpose, "datasets": "; ".join(s.datasets),
             "legal_basis": s.agreement.legal_basis, "effective": s.agreement.effective,
             "expires": s.agreement.expires, "days_to_expiry": s.days_to_expiry,
             "flags": " ".join(s.flags)} for s in states]
    schema = {"agreement_id": pl.String, "name": pl.String, "status": pl.String,
              "parties": pl.String, "purpose": pl.String, "datasets": pl.String,
              "legal_basis": pl.String, "effective": pl.Date, "expires": pl.Date,
              "days_to_expiry": pl.Int64, "flags": pl.String}
    return pl.DataFrame(rows, schema=schema)


def agreement_for_kpi(register: Register, kpi_id: str) -> Agreement | None:
    """The agreement under which the KPI's feed is shared (``None`` if the feed names none)."""
    kpi = register.kpi(kpi_id)
    feed = register.feeds.get(kpi.feed_id)
    if feed is None or not feed.agreement_id:
        return None
    return register.agreements.get(feed.agreement_id)
