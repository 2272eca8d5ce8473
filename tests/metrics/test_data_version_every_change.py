"""Caches of the app follow the data: every change moves the data version, a refresh too."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from metrics import commitments as cm
from metrics.access import operator
from metrics.engine import recompute_all
from metrics.ingest import ingest
from metrics.store import data_version
from tests.workspace_factory import AS_OF, agg_rows, make_workspace, write_feed


def test_every_change_moves_the_version(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    with ws.session() as s:
        v0 = data_version(s)
    ingest(ws, "agg", write_feed(tmp_path / "jan.csv", agg_rows(["2026-01"])), received_on=AS_OF)
    with ws.session() as s:
        v1 = data_version(s)
        recompute_all(s, ws.register, str(ws.feed_store), actor="analyst")
        v2 = data_version(s)
        assert v2[1] == v1[1]  # the refresh kept the number of observations ...
        assert v2 != v1  # ... and still moved the version
        cm.create_session(s, acting=operator(), held_on=date(2026, 2, 1), period="2026-01")
        v3 = data_version(s)
    refused = ingest(ws, "agg", write_feed(tmp_path / "bad.csv", [dict(agg_rows(["2026-01"])[0],
                                                                      region="R9")]),
                     received_on=AS_OF)
    assert refused.status == "refused"
    with ws.session() as s:
        v4 = data_version(s)
    assert len({v0, v1, v2, v3, v4}) == 5
