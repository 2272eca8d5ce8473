"""Sharing agreements: expiry within 90 days, expired with feeds still flowing, per KPI."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from metrics.definitions import Agreement
from metrics.governance import feed_health
from metrics.governance.agreements import (
    ACTIVE,
    EXPIRED,
    EXPIRING,
    agreement_for_kpi,
    agreement_states,
    agreement_status,
    agreements_frame,
)
from metrics.workspace import Workspace
from tests.conftest import AS_OF


def test_expiry_window_boundaries() -> None:
    a = Agreement("x", "X", expires=date(2027, 2, 23), effective=date(2023, 1, 1))
    assert agreement_status(a, AS_OF) == EXPIRING  # exactly 90 days ahead
    assert agreement_status(replace(a, expires=date(2027, 2, 24)), AS_OF) == ACTIVE  # 91 days
    assert agreement_status(replace(a, expires=AS_OF), AS_OF) == EXPIRING  # expires today
    assert agreement_status(replace(a, expires=date(2026, 11, 24)), AS_OF) == EXPIRED
    assert agreement_status(replace(a, expires=None, status="expired"), AS_OF) == EXPIRED


def test_demo_agreements(demo_workspace: Path) -> None:
    ws = Workspace.open(demo_workspace)
    from metrics.feedstate import last_batches

    with ws.session() as s:
        health = feed_health(s, ws.register, AS_OF)
        applied = last_batches(s)
    states = {a.agreement.agreement_id: a for a in agreement_states(
        ws.register, AS_OF, health=health, last_applied=applied)}
    assert states["dsa-hfa"].status == EXPIRING and states["dsa-hfa"].days_to_expiry == 67
    assert "Expires in 67 days" in states["dsa-hfa"].flags[0]
    doc = states["dsa-doc"]
    assert doc.status == EXPIRED
    assert [f.feed_id for f in doc.flows] == ["doc_releases"]
    assert "after it expired on 30 Sep 2026" in doc.flows[0].text
    assert "still active" in doc.flows[0].text
    assert all(s.status == ACTIVE and not s.flags for k, s in states.items()
               if k not in ("dsa-hfa", "dsa-doc"))
    frame = agreements_frame(list(states.values()))
    assert frame.filter(frame["agreement_id"] == "dsa-doc")["flags"].item().count("doc_releases") == 1


def test_expired_agreement_with_a_feed_still_flowing_without_batches_after_expiry(
        demo_workspace: Path) -> None:
    """No batch after expiry, but the feed is still on time: it is still flowing."""
    ws = Workspace.open(demo_workspace)
    with ws.session() as s:
        health = feed_health(s, ws.register, AS_OF)
    old = {"doc_releases": datetime(2026, 9, 1, tzinfo=UTC)}
    doc = next(a for a in agreement_states(ws.register, AS_OF, health=health, last_applied=old)
               if a.agreement.agreement_id == "dsa-doc")
    assert len(doc.flows) == 1 and doc.flows[0].reasons[0].startswith("the feed is still active")
    # a missing feed with its last batch before expiry is not flowing
    gone = [replace(h, status="missing") if h.feed_id == "doc_releases" else h for h in health]
    doc = next(a for a in agreement_states(ws.register, AS_OF, health=gone, last_applied=old)
               if a.agreement.agreement_id == "dsa-doc")
    assert doc.flows == ()


def test_agreement_for_kpi(demo_workspace: Path) -> None:
    reg = Workspace.open(demo_workspace).register
    assert agreement_for_kpi(reg, "recidivism").agreement_id == "dsa-doc"
    assert agreement_for_kpi(reg, "eviction_filings").agreement_id == "dsa-hfa"
