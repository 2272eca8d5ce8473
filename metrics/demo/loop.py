"""The demo's month-to-month loop: users of every role, two past stat sessions and their
commitments, so every page has something to show at first start.

Relative to ``as_of`` (the demo's "today"; the last closed month is the one before it):

- users: the chief of staff (governor's staff), every agency lead, a data steward and an
  administrator;
- the session two months back reviewed the month before it, and made two commitments:
  prenatal clinics (done since, so its KPI carries a "commitment" annotation) and the late
  eviction file (still open and overdue);
- last month's session made a third commitment, on unemployment payments (in progress,
  due after today), and the eviction file was carried forward to it;
- one event annotation added since last month's session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from metrics import annotations as an
from metrics import commitments as cm
from metrics.access import Viewer
from metrics.users import add_user

CHIEF = "chief.of.staff@governor.lakeland.gov"
STEWARD = "data.steward@results.lakeland.gov"
ADMIN = "admin@results.lakeland.gov"


@dataclass(frozen=True)
class LoopSummary:
    users: int
    sessions: int
    commitments: int


def _month(d: date, back: int) -> date:
    i = d.year * 12 + d.month - 1 - back
    return date(i // 12, i % 12 + 1, 1)


def _at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


def build_loop(ws, as_of: date) -> LoopSummary:  # type: ignore[no-untyped-def]
    """Write the loop into the workspace ``ws`` (its database must be initialised)."""
    reg = ws.register
    first = _month(as_of, 2)  # e.g. Sep 2026 for as_of 25 Nov 2026
    second = _month(as_of, 1)  # Oct 2026
    held1 = first + timedelta(days=16)  # 17 Sep 2026, reviewing Aug 2026
    held2 = second + timedelta(days=21)  # 22 Oct 2026, reviewing Sep 2026
    doh, hfa, dlw = (reg.agencies[a] for a in ("doh", "hfa", "dlw"))
    chief = Viewer(CHIEF, "governor_staff", name="Chief of Staff")
    admin = Viewer(ADMIN, "admin", name="StatDesk administrator")

    def lead(a) -> Viewer:  # type: ignore[no-untyped-def]
        return Viewer(a.lead_email, "agency_lead", a.agency_id, name=a.lead)

    with ws.session() as s:
        n_users = 0
        for email, role, agency, name in (
                (CHIEF, "governor_staff", "", "Chief of Staff"),
                (STEWARD, "data_steward", "", "Results office data steward"),
                (ADMIN, "admin", "", "StatDesk administrator"),
                *((a.lead_email, "agency_lead", a.agency_id, a.lead)
                  for a in reg.agencies.values() if a.lead_email)):
            add_user(s, email, role, agency_id=agency, name=name, register=reg, actor=ADMIN,
                     now=_at(first, 9), acting=admin)
            n_users += 1
        one = cm.create_session(s, held_on=held1, period=_month(first, 1).strftime("%Y-%m"),
                                title=f"{held1:%B} stat session", by=CHIEF, register=reg,
                                at=_at(held1), acting=chief)
        clinics = cm.create_commitment(
            s, session_id=one.id or 0, text="Open three prenatal clinics in Lakeshore",
            owner=doh.lead, due_on=held1 + timedelta(days=44), kpi_ids=["prenatal_care"],
            by=CHIEF, register=reg, at=_at(held1, 11), acting=chief)
        evictions = cm.create_commitment(
            s, session_id=one.id or 0, text="Send the late eviction filings file",
            owner=hfa.lead, due_on=held1 + timedelta(days=28), kpi_ids=["eviction_filings"],
            by=CHIEF, register=reg, at=_at(held1, 11), acting=chief)
        done_on = held1 + timedelta(days=41)
        cm.update_status(s, clinics.id or 0, status="done", by=doh.lead_email,
                         note="Clinics opened in Harbor City, Millbrook and Lakeshore Falls.",
                         expected_version=clinics.version, as_of=done_on, at=_at(done_on),
                         acting=lead(doh))
        two = cm.create_session(s, held_on=held2, period=_month(second, 1).strftime("%Y-%m"),
                                title=f"{held2:%B} stat session", by=CHIEF, register=reg,
                                at=_at(held2), acting=chief)
        cm.create_commitment(
            s, session_id=two.id or 0,
            text="Add weekend adjudication shifts to pay first claims within 21 days",
            owner=dlw.lead, due_on=as_of + timedelta(days=36), kpi_ids=["ui_paid_21_days"],
            by=CHIEF, register=reg, at=_at(held2, 11), acting=chief)
        latest = cm.list_commitments(s, as_of=as_of)
        ui = next(c for c in latest if "weekend" in c.text)
        cm.update_status(s, ui.id, status="in progress", by=dlw.lead_email,
                         note="Two of four weekend shifts staffed.", expected_version=ui.version,
                         as_of=held2 + timedelta(days=14), at=_at(held2 + timedelta(days=14)),
                         acting=lead(dlw))
        cm.update_status(s, evictions.id or 0, status="open", by=hfa.lead_email,
                         note="The court's new case system has not exported the file yet.",
                         expected_version=evictions.version, as_of=held2,
                         at=_at(held2, 12), acting=lead(hfa))
        note_on = held2 + timedelta(days=9)
        an.add_annotation(s, kpi_id="overdose_deaths", on_date=note_on, kind="policy",
                          text="Naloxone vending machines placed in 40 public buildings",
                          by=doh.lead_email, register=reg, at=_at(note_on),
                          acting=lead(doh))
        return LoopSummary(n_users, 2, 3)
