"""Feed health against cadence and lag; batches, quarantine, error report; programme health."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from metrics.governance import (
    LATE,
    MISSING,
    ON_TIME,
    batch_history,
    error_report,
    feed_health,
    feed_status,
    feeds_frame,
    missing_after,
    quarantine_by_code,
)
from metrics.governance.programme import programme_health
from metrics.workspace import Workspace
from tests.conftest import AS_OF

# --- lateness against cadence -------------------------------------------------------------

def test_monthly_with_lag_is_late_only_after_the_due_date() -> None:
    through = date(2026, 9, 30)  # September's data; October ends 31 Oct; lag 30 -> due 30 Nov
    assert feed_status(through, "monthly", 30, date(2026, 11, 29)) == ON_TIME
    assert feed_status(through, "monthly", 30, date(2026, 11, 30)) == ON_TIME  # on the boundary
    assert feed_status(through, "monthly", 30, date(2026, 12, 1)) == LATE


def test_monthly_without_lag_boundary() -> None:
    through = date(2026, 1, 31)
    assert feed_status(through, "monthly", 0, date(2026, 2, 28)) == ON_TIME
    assert feed_status(through, "monthly", 0, date(2026, 3, 1)) == LATE


def test_quarterly_with_lag() -> None:
    through = date(2026, 6, 30)  # Q2; Q3 ends 30 Sep; lag 45 -> due 14 Nov
    assert feed_status(through, "quarterly", 45, date(2026, 11, 14)) == ON_TIME
    assert feed_status(through, "quarterly", 45, date(2026, 11, 15)) == LATE


def test_annual_with_lag() -> None:
    through = date(2025, 12, 31)  # 2026 ends 31 Dec 2026; lag 200 -> due 19 Jul 2027
    assert feed_status(through, "annual", 200, date(2027, 7, 19)) == ON_TIME
    assert feed_status(through, "annual", 200, date(2027, 7, 20)) == LATE


def test_missing_when_never_received_or_two_periods_overdue() -> None:
    assert feed_status(None, "monthly", 30, AS_OF) == MISSING
    through = date(2026, 6, 30)
    # due 31 Jul + 10; two more periods: 30 Sep + 10 = 10 Oct is the last "late" day
    assert missing_after(through, "monthly", 10) == date(2026, 10, 10)
    assert feed_status(through, "monthly", 10, date(2026, 10, 10)) == LATE
    assert feed_status(through, "monthly", 10, date(2026, 10, 11)) == MISSING
    assert feed_status(date(2026, 3, 31), "quarterly", 0, date(2026, 12, 31)) == LATE
    assert feed_status(date(2026, 3, 31), "quarterly", 0, date(2027, 1, 1)) == MISSING


# --- on the demo --------------------------------------------------------------------------

def test_demo_feeds(demo_workspace: Path) -> None:
    ws = Workspace.open(demo_workspace)
    with ws.session() as s:
        health = feed_health(s, ws.register, AS_OF)
    by = {h.feed_id: h for h in health}
    assert set(by) == set(ws.register.feeds)
    assert by["hfa_evictions"].status == LATE
    assert by["hfa_evictions"].data_through == date(2026, 8, 31)
    assert by["hfa_evictions"].next_expected == date(2026, 10, 30)
    assert by["hfa_evictions"].days_overdue == 26
    assert "Late by 26 days" in by["hfa_evictions"].explanation
    assert {f for f, h in by.items() if h.status != ON_TIME} == {"hfa_evictions"}
    assert by["doe_students"].rows_quarantined == 10
    assert by["doe_students"].last_rows_rejected == 10
    frame = feeds_frame(health)
    assert frame.height == len(by)
    assert frame.filter(pl.col("feed_id") == "hfa_evictions")["status"].item() == "late"


def test_a_feed_with_no_batch_is_missing(demo_copy: Path) -> None:
    from sqlmodel import delete, select

    from metrics.store.tables import Batch, FeedMonth, QuarantineRow

    ws = Workspace.open(demo_copy)
    with ws.session() as s:
        ids = [b.id for b in s.exec(select(Batch).where(Batch.feed_id == "dps_incidents"))]
        s.exec(delete(FeedMonth).where(FeedMonth.feed_id == "dps_incidents"))
        s.exec(delete(QuarantineRow).where(QuarantineRow.batch_id.in_(ids)))
        s.exec(delete(Batch).where(Batch.feed_id == "dps_incidents"))
        s.commit()
        h = {x.feed_id: x for x in feed_health(s, ws.register, AS_OF)}["dps_incidents"]
    assert h.status == MISSING and h.data_through is None and h.last_batch_at is None
    assert h.explanation.startswith("Missing: no batch has supplied data yet")


def test_batches_quarantine_and_error_report(demo_workspace: Path) -> None:
    ws = Workspace.open(demo_workspace)
    with ws.session() as s:
        hist = batch_history(s, "doe_students")
        codes = quarantine_by_code(s, "doe_students")
    assert hist["rows_rejected"].to_list()[-1] == 10
    assert hist["rows_accepted"].sum() > 0
    got = dict(zip(codes["code"], codes["problems"], strict=True))
    assert got["feed.unknown_region"] == 1 and got["feed.duplicate_key"] >= 2
    text = error_report(ws, "doe_students")
    report = pl.read_csv(text.encode(), infer_schema=False)
    assert report.columns == ["file", "row_number", "column", "value", "code", "message"]
    assert report.height == sum(got.values())
    r11 = report.filter(pl.col("code") == "feed.unknown_region").row(0, named=True)
    assert r11["value"] == "R11" and r11["column"] == "region"
    assert r11["file"] == "doe_students_2026-10.csv" and "R01" in r11["message"]
    assert error_report(ws, "doh_vital").strip() == "file,row_number,column,value,code,message"


# --- programme health ---------------------------------------------------------------------

def test_programme_health(demo_copy: Path) -> None:
    from metrics.engine import load_observations
    from metrics.store.tables import Commitment, StatSession

    ws = Workspace.open(demo_copy)
    now = datetime(2026, 9, 1, tzinfo=UTC)
    with ws.session() as s:
        s1 = StatSession(held_on=date(2026, 8, 12), period="2026-07", created_at=now)
        s2 = StatSession(held_on=date(2026, 10, 14), period="2026-09", created_at=now)
        s.add_all([s1, s2])
        s.flush()
        s.add_all([
            Commitment(session_id=s1.id, text="Fix the eviction feed", owner="Tom Whitehorse",
                       due_on=date(2026, 9, 30), status="open",
                       created_at=datetime(2026, 8, 12, tzinfo=UTC)),
            Commitment(session_id=s1.id, text="Done already", owner="Grace Kim",
                       due_on=date(2026, 9, 1), status="done"),
            Commitment(session_id=s2.id, text="Not due yet", owner="Luis Ortega",
                       due_on=date(2026, 12, 31), status="in progress"),
        ])
        s.commit()
        health = feed_health(s, ws.register, AS_OF)
        ph = programme_health(s, ws.register, load_observations(ws.engine), health, AS_OF)
    assert (ph.kpis_on_time, ph.kpis_total) == (19, 20)  # eviction_filings' feed is late
    assert ph.owners_never_updated.height == 0
    assert ph.overdue_commitments["text"].to_list() == ["Fix the eviction feed"]
    assert ph.overdue_commitments["days_overdue"].item() == (AS_OF - date(2026, 9, 30)).days
    assert ph.open_commitments == 2
    assert (ph.sessions_held, ph.sessions_planned) == (2, 4)  # Aug..Nov, one a month
    assert ph.oldest_open_days == (AS_OF - date(2026, 8, 12)).days
    assert any("1 of 2 open commitments are overdue" in line for line in ph.summary())


def test_owner_who_never_updated(demo_copy: Path) -> None:
    """An owner all of whose KPIs have no observations is listed, with those KPIs."""
    from metrics.engine import load_observations

    ws = Workspace.open(demo_copy)
    owner = ws.register.kpis["eviction_filings"].owner
    theirs = sorted(k.kpi_id for k in ws.register.kpis.values() if k.owner == owner)
    obs = load_observations(ws.engine).filter(~pl.col("kpi_id").is_in(theirs))
    with ws.session() as s:
        ph = programme_health(s, ws.register, obs, feed_health(s, ws.register, AS_OF), AS_OF)
    assert ph.owners_never_updated["owner"].to_list() == [owner]
    assert sorted(ph.owners_never_updated["kpis"].item().split("; ")) == theirs
