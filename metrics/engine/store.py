"""Where the engine's inputs and outputs live: current feed files and stored observations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import polars as pl
from sqlalchemy import delete, insert
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from metrics.definitions import Register
from metrics.store.tables import FeedMonth, Observation

from .compute import OBS_SCHEMA, compute


def current_sources(session: Session, root: str) -> dict[str, list[str]]:
    """feed_id -> the Parquet files in force (the latest batch for every month)."""
    out: dict[str, list[str]] = {}
    for fm in session.exec(select(FeedMonth).order_by(col(FeedMonth.feed_id), col(FeedMonth.month))):
        out.setdefault(fm.feed_id, []).append(f"{root}/{fm.path}")
    return out


def replace_observations(conn: Connection | Session, obs: pl.DataFrame,
                         scope: Mapping[str, Iterable[str]] | None) -> int:
    """Delete the observations in ``scope`` (kpi -> periods; None = everything) and insert ``obs``.

    Runs inside the caller's transaction, so a batch and its observations commit together.
    """
    table = Observation.__table__  # type: ignore[attr-defined]
    if scope is None:
        conn.execute(delete(table))
    else:
        for kpi_id, periods in scope.items():
            ps = sorted(set(periods))
            for i in range(0, len(ps), 500):
                conn.execute(delete(table).where(table.c.kpi_id == kpi_id,
                                                 table.c.period.in_(ps[i:i + 500])))
    rows = obs.select(list(OBS_SCHEMA)).to_dicts()
    for i in range(0, len(rows), 5000):
        conn.execute(insert(table), rows[i:i + 5000])
    return len(rows)


def recompute_all(session: Session, register: Register, root: str, *, by: str = "") -> int:
    """Recompute every observation; audited, so caches of the data know it changed."""
    from metrics import audit

    obs = compute(register, current_sources(session, root))
    n = replace_observations(session, obs, None)
    audit.record(session, actor=by, action="update", entity="observations",
                 detail=f"{n} observations recomputed")
    session.commit()
    return n


def load_observations(engine: Engine, kpi_ids: Iterable[str] | None = None,
                      period: str | None = None) -> pl.DataFrame:
    """Observations as a Polars frame in the engine's schema."""
    table = Observation.__table__  # type: ignore[attr-defined]
    q = select(*[table.c[c] for c in OBS_SCHEMA])
    if kpi_ids is not None:
        q = q.where(table.c.kpi_id.in_(list(kpi_ids)))
    if period is not None:
        q = q.where(table.c.period == period)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    if not rows:
        return pl.DataFrame(schema=OBS_SCHEMA)
    return pl.DataFrame([tuple(r) for r in rows], schema=OBS_SCHEMA, orient="row")
