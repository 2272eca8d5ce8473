"""Incremental refresh: recompute only the KPIs and periods that new months of a feed touch.

For a feed in the workspace store, ingest does this for every batch.  For a feed that
lives in an outside engine there is no batch: the agency's new rows land in the table,
and ``statdesk refresh --feed F --months 2026-10,2026-11`` recomputes what they change,
reading only those periods' months from the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session

from metrics.definitions import Register
from metrics.periods import periods_touching

from .compute import compute
from .store import current_sources, replace_observations


def refresh_feed(session: Session, register: Register, root: str, feed_id: str,
                 months: Sequence[date]) -> tuple[int, dict[str, set[str]]]:
    """Recompute the observations new data for ``months`` of ``feed_id`` can change.

    Returns the number of observations written and the scope (KPI -> periods).
    """
    from metrics.ingest.apply import months_affected

    if feed_id not in register.feeds:
        raise ValueError(f"there is no feed '{feed_id}'; feeds: {', '.join(sorted(register.feeds))}")
    ms = sorted({date(m.year, m.month, 1) for m in months})
    kpis = register.kpis_of_feed(feed_id)
    scope = {k.kpi_id: periods_touching(months_affected(k, feed_id, ms), k.grain,
                                        fiscal_start=k.fiscal_start) for k in kpis}
    if not kpis or not ms:
        return 0, scope
    obs = compute(register, current_sources(session, root), kpis, periods=scope)
    n = replace_observations(session, obs, scope)
    session.commit()
    return n, scope
