"""Annotations on a KPI's chart: events, policy changes, series breaks, closed commitments.

"Why did it change?" is answered on the chart itself. Annotations are internal unless
marked public (the public site shows only public ones). Functions take a ``Session``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime

from sqlmodel import Session, col, select

from metrics import audit
from metrics.access import Viewer, require_edit
from metrics.definitions import Register
from metrics.store.tables import Annotation, Observation

KINDS = ("event", "policy", "series_break", "commitment")
MANUAL_KINDS = ("event", "policy", "series_break")
KIND_LABELS = {"event": "Event", "policy": "Policy change", "series_break": "Series break",
               "commitment": "Commitment closed"}
MAX_TEXT = 500

__all__ = ["KINDS", "KIND_LABELS", "MANUAL_KINDS", "AnnotationError", "add_annotation",
           "list_annotations"]


class AnnotationError(ValueError):
    """Bad input for an annotation; ``problems`` maps each field to what is wrong."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__(" ".join(problems.values()))


def add_annotation(session: Session, *, acting: Viewer, kpi_id: str, on_date: date | None,
                   kind: str, text: str, public: bool = False, by: str = "",
                   register: Register | None = None,
                   known_kpis: Collection[str] | None = None, commitment_id: int | None = None,
                   at: datetime | None = None) -> Annotation:
    """Add an annotation to ``kpi_id`` on ``on_date``; validate everything, write nothing if bad.

    ``kind`` is event, policy or series_break (``commitment`` is written when a commitment
    is closed and needs its ``commitment_id``). KPIs are checked against ``register`` (or
    ``known_kpis``, else the KPIs with observations).
    """
    kpi = register.kpis.get(kpi_id) if register is not None else None
    require_edit(acting, "annotation", kpi.agency_id if kpi is not None else "")
    by = by or acting.email
    problems: dict[str, str] = {}
    if known_kpis is None:
        known_kpis = (register.kpis.keys() if register is not None
                      else set(session.exec(select(Observation.kpi_id).distinct()).all()))
    if not kpi_id or kpi_id not in known_kpis:
        problems["kpi_id"] = f"There is no KPI '{kpi_id}'; pick one from the register."
    elif register is not None and public and not register.kpis[kpi_id].public:
        problems["public"] = (f"KPI '{kpi_id}' is not public, so its annotations cannot be public; "
                              "untick 'public'.")
    if not isinstance(on_date, date):
        problems["on_date"] = "Give the date the annotation refers to (YYYY-MM-DD)."
    if kind not in KINDS:
        problems["kind"] = f"Kind must be one of {', '.join(MANUAL_KINDS)}, not '{kind}'."
    elif kind == "commitment" and commitment_id is None:
        problems["kind"] = ("A 'commitment' annotation is written when a commitment is closed; "
                            f"choose one of {', '.join(MANUAL_KINDS)}.")
    text = (text or "").strip()
    if not text:
        problems["text"] = "Write what happened (the annotation text is empty)."
    elif len(text) > MAX_TEXT:
        problems["text"] = (f"The text is {len(text)} characters; keep it to {MAX_TEXT} "
                            "(it is shown on the chart).")
    if problems:
        raise AnnotationError(problems)
    assert isinstance(on_date, date)
    stamp = at or datetime.now(UTC)
    row = Annotation(kpi_id=kpi_id, on_date=on_date, kind=kind, text=text, public=bool(public),
                     created_by=by, created_at=stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC),
                     commitment_id=commitment_id)
    session.add(row)
    session.flush()
    audit.record(session, actor=by, action="create", entity="annotation", entity_id=row.id or "",
                 detail=f"{kpi_id} {on_date.isoformat()} {kind}: {text[:200]}",
                 at=row.created_at)
    session.commit()
    session.refresh(row)
    return row


def list_annotations(session: Session, kpi_id: str, public_only: bool = False) -> list[Annotation]:
    """Annotations of one KPI in date order (only the public ones when ``public_only``)."""
    q = select(Annotation).where(Annotation.kpi_id == kpi_id)
    if public_only:
        q = q.where(col(Annotation.public).is_(True))
    return list(session.exec(q.order_by(col(Annotation.on_date), col(Annotation.id))).all())
