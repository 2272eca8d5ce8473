"""The audit log: who did what to which entity, and when (timezone-aware UTC).

``record`` adds an entry to the caller's session so that it commits (or rolls back)
together with the change it describes; ``entries`` reads the log, newest first.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from sqlmodel import Session, col, select

from metrics.store.tables import AuditEntry

ACTIONS: tuple[str, ...] = ("create", "update", "delete", "publish", "ingest", "sign_in",
                            "deactivate", "reactivate", "recompute")


def record(session: Session, *, actor: str, action: str, entity: str, entity_id: str | int = "",
           detail: str = "", at: datetime | None = None) -> AuditEntry:
    """Add one audit entry to ``session`` (the caller commits). ``at`` must be tz-aware."""
    when = at or datetime.now(UTC)
    if when.utcoffset() is None:
        raise ValueError("audit times must carry a time zone (e.g. datetime.now(UTC)).")
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action '{action}'; use one of {', '.join(ACTIONS)}.")
    entry = AuditEntry(at=when.astimezone(UTC), actor=actor, action=action, entity=entity,
                       entity_id=str(entity_id), detail=detail)
    session.add(entry)
    return entry


def entries(session: Session, *, entity: str | None = None, entity_id: str | int | None = None,
            actor: str | None = None, limit: int | None = None) -> list[AuditEntry]:
    """Audit entries, newest first, optionally for one entity (and id) or one actor."""
    q = select(AuditEntry)
    if entity is not None:
        q = q.where(AuditEntry.entity == entity)
    if entity_id is not None:
        q = q.where(AuditEntry.entity_id == str(entity_id))
    if actor is not None:
        q = q.where(AuditEntry.actor == actor)
    q = q.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    if limit is not None:
        q = q.limit(limit)
    return list(session.exec(q))


def distinct_values(session: Session, field: str) -> list[str]:
    """The different non-empty values of ``field`` (``entity`` or ``actor``), sorted."""
    if field not in ("entity", "actor", "action"):
        raise ValueError(f"no audit field '{field}'; use entity, actor or action.")
    column = col(getattr(AuditEntry, field))
    return sorted(v for v in session.exec(select(column).distinct()) if v)


AUDIT_SCHEMA: dict[str, pl.DataType] = {"at": pl.Datetime("us", "UTC"), "actor": pl.String(), "action": pl.String(),
                "entity": pl.String(), "entity_id": pl.String(), "detail": pl.String()}


def audit_frame(rows: list[AuditEntry]) -> pl.DataFrame:
    """The entries as a table (for display or download)."""
    return pl.DataFrame([{k: getattr(r, k) for k in AUDIT_SCHEMA} for r in rows],
                        schema=AUDIT_SCHEMA)


__all__ = ["ACTIONS", "record", "entries", "distinct_values", "audit_frame", "AUDIT_SCHEMA"]
