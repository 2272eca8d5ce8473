"""Upgrading a filled 0001 database to head loses nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, insert, inspect, select, text
from sqlmodel import Session
from sqlmodel import select as sm_select

from metrics.store.db import alembic_config, make_engine, migrate
from metrics.store.tables import AppUser, AuditEntry, Commitment
from tests.pg import db_url, pg_server  # noqa: F401 - fixtures

T0 = datetime(2026, 10, 14, 13, 5, 9, tzinfo=UTC)
T1 = datetime(2026, 11, 20, 16, 45, tzinfo=UTC)
LONG = "Line one\nline two — with “quotes”, ünïcode and 'apostrophes'. " * 20

# Rows in the 0001 schema, in foreign-key order. Every table users or ingest write to.
ROWS: dict[str, list[dict[str, Any]]] = {
    "batch": [
        dict(id=1, feed_id="doh_overdose", file_name="doh_overdose_backfile.csv", file_hash="ab" * 32,
             received_at=T0, received_by="amara", period_min="2023-11", period_max="2026-07",
             rows_total=2970, rows_accepted=2968, rows_rejected=2, status="applied",
             message=LONG, storage="doh_overdose/20261014T130509-abab"),
        dict(id=2, feed_id="hfa_evictions", file_name="bad.xlsx", file_hash="cd" * 32,
             received_at=T1, received_by="tom", period_min=None, period_max=None, rows_total=0,
             rows_accepted=0, rows_rejected=0, status="refused", message="missing column", storage=""),
    ],
    "quarantinerow": [
        dict(id=1, batch_id=1, feed_id="doh_overdose", row_number=17, column="region", value="R99",
             code="feed.unknown_region", message="R99 is not a region", record='{"region": "R99"}'),
        dict(id=2, batch_id=1, feed_id="doh_overdose", row_number=18, column="numerator",
             value="-1", code="feed.negative_value", message="negative", record="{}"),
    ],
    "feedmonth": [
        dict(id=1, feed_id="doh_overdose", month=date(2026, 7, 1), batch_id=1, rows=90,
             path="doh_overdose/x/2026-07.parquet"),
    ],
    "observation": [
        dict(id=1, kpi_id="overdose_deaths", period="R12-2026-07", period_start=date(2025, 8, 1),
             period_end=date(2026, 7, 31), region="all", group="all", numerator=1234.0,
             denominator=3_552_000.0, value=34.740990990990994, ci_low=32.8, ci_high=36.7,
             events=1234.0, rse=2.85, reliable=True),
        dict(id=2, kpi_id="overdose_deaths", period="R12-2026-07", period_start=date(2025, 8, 1),
             period_end=date(2026, 7, 31), region="R07", group="nhpi", numerator=None,
             denominator=None, value=None, ci_low=None, ci_high=None, events=None, rse=None,
             reliable=False),
    ],
    "statsession": [
        dict(id=1, held_on=date(2026, 11, 18), period="2026-10", focus_kind="priority",
             focus_id="healthy", title="Healthy people, October", notes=LONG, created_by="chief",
             created_at=T1),
    ],
    "commitment": [
        dict(id=1, session_id=1, text="Expand naloxone distribution in Pine Hills", owner="Dr. Osei",
             agency_id="doh", due_on=date(2026, 12, 15), kpi_ids="overdose_deaths",
             status="in progress", closed_on=None, version=3, created_by="chief", created_at=T1),
    ],
    "commitmentupdate": [
        dict(id=1, commitment_id=1, session_id=1, status="in progress", note="Two sites open",
             updated_by="amara", updated_at=T1),
    ],
    "annotation": [
        dict(id=1, kpi_id="overdose_deaths", on_date=date(2026, 3, 1), kind="policy",
             text="Fentanyl test strips legalised", public=True, created_by="chief",
             created_at=T0, commitment_id=None),
    ],
    "dataset": [
        dict(id=1, dataset_id="doh-vital", title="Vital statistics", description=LONG,
             source_system="VRS", agency_id="doh", steward="Registrar",
             steward_email="vital@health.lakeland.gov", classification="confidential",
             restricted=True, restriction_citation="LSC 31-4-12", legal_basis="statute",
             cadence="monthly", feed_ids="doh_vital", keywords="births;deaths", version=2,
             updated_by="cdo", updated_at=T0),
    ],
    "roadmapaction": [
        dict(id=1, title="Adopt a data-sharing agreement template", pillar="Policy",
             stage="Building", status="done", owner="CDO", due_on=date(2026, 6, 30),
             win_horizon="short", win="Ten agreements signed on the template", version=1),
    ],
    "publication": [
        dict(id=1, published_at=T1, published_by="chief", version="2026-10.1",
             path="published/2026-10.1", settings='{"min_cell": 11}', manifest_hash="ef" * 32,
             cells_suppressed_primary=41, cells_suppressed_complementary=17),
    ],
    "appuser": [
        dict(id=1, email="amara.osei@health.lakeland.gov", name="Dr. Amara Osei",
             role="agency_lead", agency_id="doh", active=True),
        dict(id=2, email="former@gov.lakeland.gov", name="", role="data_steward", agency_id="",
             active=False),
    ],
    "auditentry": [
        dict(id=1, at=T0, actor="amara", action="ingest", entity="batch", entity_id="1",
             detail="2968 rows"),
        dict(id=2, at=T1, actor="chief", action="update", entity="commitment", entity_id="1",
             detail=LONG),
    ],
}


def _norm(v: Any) -> Any:
    """Compare datetimes as UTC instants (SQLite gives them back without an offset)."""
    if isinstance(v, datetime):
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
    return v


def _dump(engine: Any) -> dict[str, list[dict[str, Any]]]:
    meta = MetaData()
    meta.reflect(engine)
    out = {}
    with engine.connect() as conn:
        for name in ROWS:
            t = meta.tables[name]
            out[name] = [{k: _norm(v) for k, v in r._mapping.items()}
                         for r in conn.execute(select(t).order_by(t.c.id))]
    return out


def test_upgrade_from_0001_keeps_every_row(db_url: str) -> None:  # noqa: F811
    engine = make_engine(db_url)
    migrate(engine, "0001")
    meta = MetaData()
    meta.reflect(engine)  # the 0001 schema as it is in the database
    with engine.begin() as conn:
        for name, rows in ROWS.items():
            conn.execute(insert(meta.tables[name]), rows)
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequences on
            for name in ROWS:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT max(id) FROM {name}))"))
    before = _dump(engine)
    for name, rows in ROWS.items():
        assert [{k: _norm(v) for k, v in r.items()} for r in rows] == before[name], name

    migrate(engine)  # to head
    with engine.connect() as conn:
        head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
        assert conn.execute(text("select version_num from alembic_version")).scalar_one() == head
        assert head == "0003"
    after = _dump(engine)
    for name in ROWS:
        assert len(after[name]) == len(ROWS[name]), name
        old_cols = set(before[name][0])
        assert [{k: r[k] for k in old_cols} for r in after[name]] == before[name], name
    insp = inspect(engine)
    assert {"ix_auditentry_at", "ix_auditentry_entity"} <= {
        i["name"] for i in insp.get_indexes("auditentry")}

    # The upgraded rows read back through the application's models, new columns defaulted.
    with Session(engine) as s:
        users = s.exec(sm_select(AppUser).order_by(AppUser.id)).all()
        assert [(u.email, u.role, u.agency_id, u.active, u.version, u.updated_by, u.created_at)
                for u in users] == [
            ("amara.osei@health.lakeland.gov", "agency_lead", "doh", True, 1, "", None),
            ("former@gov.lakeland.gov", "data_steward", "", False, 1, "", None)]
        c = s.get(Commitment, 1)
        assert c is not None and c.version == 3 and c.created_at == T1
        log = s.exec(sm_select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [e.at for e in log] == [T0, T1] and log[1].detail == LONG
        # new rows still get fresh ids after the upgrade
        s.add(AppUser(email="new@gov.lakeland.gov", role="admin"))
        s.commit()
        assert s.exec(sm_select(AppUser).where(AppUser.email == "new@gov.lakeland.gov")).one().id == 3
    engine.dispose()


def test_head_schema_matches_the_models(tmp_path: Path) -> None:
    """No table or column the models declare is missing from the migrations."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    migrate(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    engine.dispose()
