"""Database engines from a URL, schema migrations, and the data version.

The embedded default is a SQLite file in WAL mode with a busy timeout; any
SQLAlchemy URL (``postgresql+psycopg://...``) works through one setting.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import event, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, create_engine, select

from . import tables

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def busy_timeout_ms() -> int:
    """How long SQLite waits for another writer: STATDESK_SQLITE_BUSY_TIMEOUT_MS (default 30 s)."""
    raw = os.environ.get("STATDESK_SQLITE_BUSY_TIMEOUT_MS", "").strip()
    try:
        return max(0, int(raw)) if raw else 30000
    except ValueError:
        raise ValueError(f"STATDESK_SQLITE_BUSY_TIMEOUT_MS must be a whole number of "
                         f"milliseconds, not '{raw}'.") from None


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        wait_ms = busy_timeout_ms()
        engine = create_engine(url, connect_args={"timeout": wait_ms / 1000,
                                                  "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={wait_ms}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic (never drops user data)."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def data_version(session: Session) -> tuple[int, int, int, int]:
    """Changes whenever data changes: a batch, a recomputation, a target, any audited write.

    Every write of the library records an audit entry (a refresh too, even one that keeps
    the number of observations), so the last audit id moves with each of them.
    """
    b = session.exec(select(func.max(tables.Batch.id))).one() or 0
    o = session.exec(select(func.count(col(tables.Observation.id)))).one() or 0
    t = session.exec(select(func.coalesce(func.sum(col(tables.TargetRecord.version)), 0))).one()
    a = session.exec(select(func.max(tables.AuditEntry.id))).one() or 0
    return int(b), int(o), int(t or 0), int(a)


__all__ = ["SQLModel", "Session", "make_engine", "migrate", "data_version"]
