"""Storage on both backends: migrations, ingest of a demo feed, users and audit (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest
from alembic.script import ScriptDirectory
from polars.testing import assert_frame_equal
from sqlalchemy import inspect, text
from sqlmodel import select

from metrics import audit
from metrics.access import operator
from metrics.engine import load_observations
from metrics.ingest import ingest
from metrics.store.db import alembic_config
from metrics.store.tables import Batch, FeedMonth, Observation
from metrics.users import add_user, list_users, remove_user, viewer_for
from metrics.workspace import Workspace
from tests.conftest import AS_OF
from tests.pg import db_url, pg_server, pg_url  # noqa: F401 - fixtures

FEED = "doh_overdose"
TABLES = {"batch", "quarantinerow", "feedmonth", "observation", "annotation", "statsession",
          "commitment", "commitmentupdate", "dataset", "roadmapaction", "publication", "appuser",
          "auditentry"}


def fresh_workspace(demo_root: Path, root: Path, url: str) -> Workspace:
    """The demo's definitions in a new, empty workspace whose database is ``url``."""
    shutil.copytree(demo_root / "definitions", root / "definitions")
    ws = Workspace.open(root, url)
    ws.init_db()
    return ws


def feed_files(demo_root: Path) -> list[Path]:
    """The back-file (all months but the last three), then the next monthly file.

    The feed's KPI is a rolling 12-month rate, so observations need a year of months.
    """
    inbox = demo_root / "inbox"
    files = [inbox / f"{FEED}_backfile.csv", *sorted(inbox.glob(f"{FEED}_2026-*.csv"))[:1]]
    assert all(f.exists() for f in files) and len(files) == 2, f"demo inbox lacks {FEED} files"
    return files


def _obs(ws: Workspace) -> pl.DataFrame:
    return load_observations(ws.engine).sort("kpi_id", "period", "region", "group")


def test_init_db_migrates_to_head(db_url: str, tmp_path: Path) -> None:  # noqa: F811
    ws = Workspace.open(tmp_path / "ws", db_url)
    ws.init_db()
    ws.init_db()  # a second run is a no-op
    insp = inspect(ws.engine)
    assert set(insp.get_table_names()) >= TABLES
    cols = {c["name"] for c in insp.get_columns("appuser")}
    assert {"created_at", "updated_at", "updated_by", "version"} <= cols
    with ws.engine.connect() as c:
        head = ScriptDirectory.from_config(alembic_config(str(ws.engine.url))).get_current_head()
        assert c.execute(text("select version_num from alembic_version")).scalar_one() == head
    ws.engine.dispose()


def test_ingest_demo_feed_applies_and_is_idempotent(db_url: str, tmp_path: Path,  # noqa: F811
                                                   demo_workspace: Path) -> None:
    ws = fresh_workspace(demo_workspace, tmp_path / "ws", db_url)
    first, second = feed_files(demo_workspace)
    r1 = ingest(ws, FEED, first, received_by="test", received_on=AS_OF)
    assert r1.status == "applied", r1.summary()
    assert r1.rows_accepted > 0 and r1.observations_written > 0
    r2 = ingest(ws, FEED, second, received_by="test", received_on=AS_OF)
    assert r2.status == "applied", r2.summary()
    before = _obs(ws)
    with ws.session() as s:
        n_batches = len(s.exec(select(Batch)).all())
        months = sorted(fm.month for fm in s.exec(select(FeedMonth)))
    again = ingest(ws, FEED, first, received_by="test", received_on=AS_OF)
    assert again.status == "duplicate" and again.batch_id == r1.batch_id
    assert_frame_equal(_obs(ws), before)
    with ws.session() as s:
        assert len(s.exec(select(Batch)).all()) == n_batches
        assert sorted(fm.month for fm in s.exec(select(FeedMonth))) == months
        assert s.exec(select(Observation).where(Observation.kpi_id == "no_such")).first() is None
    kpis = {k.kpi_id for k in ws.register.kpis_of_feed(FEED)}
    assert set(before["kpi_id"].unique()) == kpis
    ws.engine.dispose()


def test_same_observations_on_sqlite_and_postgresql(pg_url: str, tmp_path: Path,  # noqa: F811
                                                    demo_workspace: Path) -> None:
    spaces = [fresh_workspace(demo_workspace, tmp_path / "lite", f"sqlite:///{tmp_path / 'lite.db'}"),
              fresh_workspace(demo_workspace, tmp_path / "pg", pg_url)]
    for ws in spaces:
        for f in feed_files(demo_workspace):
            assert ingest(ws, FEED, f, received_by="test", received_on=AS_OF).status == "applied"
    lite, pg = (_obs(ws) for ws in spaces)
    assert lite.height > 0
    assert_frame_equal(lite, pg, check_exact=False, rel_tol=1e-12)
    for ws in spaces:
        ws.engine.dispose()


def test_users_and_audit_round_trip(db_url: str, tmp_path: Path) -> None:  # noqa: F811
    ws = Workspace.open(tmp_path / "ws", db_url)
    ws.init_db()
    t0 = datetime(2026, 11, 25, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    with ws.session() as s:
        add_user(s, "Amara.Osei@Health.Lakeland.gov", "agency_lead", agency_id="doh",
                 name="Dr. Amara Osei", actor="admin@gov", now=t0, acting=operator())
        add_user(s, "cdo@gov.lakeland.gov", "data_steward", actor="admin@gov",
                 now=t0 + timedelta(minutes=1), acting=operator())
        remove_user(s, "cdo@gov.lakeland.gov", actor="admin@gov", now=t0 + timedelta(minutes=2), acting=operator())
        audit.record(s, actor="chief@gov", action="publish", entity="publication", entity_id=7,
                     detail="snapshot 2026-10 — “quoted” ünïcode", at=t0 + timedelta(minutes=3))
        s.commit()
    with ws.session() as s:
        users = {u.email: u for u in list_users(s)}
        assert set(users) == {"amara.osei@health.lakeland.gov", "cdo@gov.lakeland.gov"}
        lead = users["amara.osei@health.lakeland.gov"]
        assert (lead.role, lead.agency_id, lead.name, lead.active) == (
            "agency_lead", "doh", "Dr. Amara Osei", True)
        assert lead.created_at == t0 and lead.created_at.tzinfo is not None
        assert users["cdo@gov.lakeland.gov"].active is False
        assert users["cdo@gov.lakeland.gov"].version == 2
        assert [u.email for u in list_users(s, include_inactive=False)] == [lead.email]
        v = viewer_for(s, "AMARA.OSEI@health.lakeland.gov")
        assert v is not None and (v.role, v.agency_id) == ("agency_lead", "doh")
        assert viewer_for(s, "cdo@gov.lakeland.gov") is None
        log = audit.entries(s)
        assert [(e.action, e.entity, e.entity_id) for e in log] == [
            ("publish", "publication", "7"),
            ("deactivate", "user", "cdo@gov.lakeland.gov"),
            ("create", "user", "cdo@gov.lakeland.gov"),
            ("create", "user", "amara.osei@health.lakeland.gov"),
        ]
        assert log[0].at == t0 + timedelta(minutes=3)
        assert log[0].at.utcoffset() == timedelta(0)  # read back as UTC
        assert log[0].detail == "snapshot 2026-10 — “quoted” ünïcode"
        assert len(audit.entries(s, entity="user", entity_id="cdo@gov.lakeland.gov")) == 2
        frame = audit.audit_frame(log)
        assert frame.height == 4 and frame.schema["at"] == pl.Datetime("us", "UTC")
    ws.engine.dispose()


def test_audit_refuses_naive_time_and_unknown_action(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws", f"sqlite:///{tmp_path / 'a.db'}")
    ws.init_db()
    with ws.session() as s:
        with pytest.raises(ValueError, match="time zone"):
            audit.record(s, actor="a", action="update", entity="x", at=datetime(2026, 1, 1))
        with pytest.raises(ValueError, match="unknown audit action"):
            audit.record(s, actor="a", action="frobnicate", entity="x", at=datetime.now(UTC))
