"""What changed since the last session: computed from the demo's loop, shown in the packet."""

from __future__ import annotations

from pathlib import Path

from metrics.changes import changes_for
from metrics.commitments import list_commitments
from metrics.engine import load_observations
from metrics.packet import build_packet_html
from metrics.scorecard import scorecard
from metrics.workspace import Workspace
from tests.conftest import AS_OF


def test_changes_since_the_last_session_lead_the_packet(loop_copy: Path) -> None:
    ws = Workspace.open(loop_copy)
    obs = load_observations(ws.engine)
    now = scorecard(ws.register, obs, month="2026-10", as_of=AS_OF)
    then = {s.kpi_id: s.status for s in scorecard(ws.register, obs, month="2026-09",
                                                  as_of=AS_OF)}
    with ws.session() as s:
        ch = changes_for(s, ws.register, obs, as_of=AS_OF, month="2026-10", now=now)
        views = list_commitments(s, as_of=AS_OF, open_only=True)
        assert ch is not None
        assert (ch.held_on.isoformat(), ch.reviewed) == ("2026-10-22", "2026-09")
        moved = {k.kpi_id for k in now if then[k.kpi_id] != k.status}
        assert {c.kpi_id for c in ch.status_changes} == moved and moved
        assert all(c.why.startswith("new data: ") and "Oct 2026 now" in c.why
                   for c in ch.status_changes)
        assert [c.text for c in ch.overdue] == ["Send the late eviction filings file"]
        assert [c.text for c in ch.done] == ["Open three prenatal clinics in Lakeshore"]
        assert ch.late == ["Eviction court filings: the next batch is overdue"]
        assert len(ch.annotations) == 2
        # for the packet of the first session, nothing was held before it
        assert changes_for(s, ws.register, obs, as_of=AS_OF, month="2026-08", now=now,
                           held_before=ch.held_on.replace(month=9, day=17)) is None
    html = build_packet_html(ws.register, obs, now, views, month="2026-10", as_of=AS_OF,
                             changes=ch)
    first, summary = html.index('id="changed-h"'), html.index('id="summary-h"')
    assert first < summary  # first thing after the header
    part = html[first:summary]
    assert "Births with prenatal care in the first trimester: off track → on track" in part
    assert "41 days overdue" in part and "done 28 Oct 2026" in part
    assert f"{len(moved)} status changes" in part
