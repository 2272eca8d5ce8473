"""Targets agreed in the app, with provenance, an optimistic version check and an audit trail.

The register's ``targets.csv`` is where targets start; when staff agree a new target in
the app, a :class:`~metrics.store.tables.TargetRecord` takes the place of the register's
target for that KPI and scope.  :func:`effective_register` returns the register with those
targets in force; everything that judges status reads it.

Two people editing the same target: each save names the version it started from, and
the database itself refuses a save whose version is no longer current (:class:`StaleTarget`),
so nothing is silently overwritten.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session, col, select

from metrics import audit
from metrics.access import Viewer, require_edit
from metrics.definitions import Register
from metrics.periods import parse_period
from metrics.store.tables import TargetRecord
from metrics.targets import Target


class TargetError(ValueError):
    """The target as entered cannot be saved; ``problems`` says why, field by field."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


class StaleTarget(RuntimeError):
    """Someone saved this target since it was opened; nothing was written."""


def _to_target(r: TargetRecord, register: Register) -> Target:
    kpi = register.kpis.get(r.kpi_id)
    base_date = (parse_period(r.baseline_period, fiscal_start=kpi.fiscal_start if kpi else 7).end
                 if r.baseline_period else None)
    old = register.target_for(r.kpi_id, r.region, r.group)
    return Target(kpi_id=r.kpi_id, region=r.region, group=r.group,
                  baseline_value=r.baseline_value, baseline_date=base_date,
                  target_value=r.target_value, target_date=r.target_date,
                  interim=old.interim if old is not None else (), set_by=r.set_by,
                  approved_by=r.approved_by, approved_on=r.approved_on, source=r.source,
                  agreed=r.agreed)


def records(session: Session) -> list[TargetRecord]:
    try:
        return list(session.exec(select(TargetRecord)))
    except (OperationalError, ProgrammingError):  # a database not yet migrated
        session.rollback()
        return []


def effective_register(register: Register, session: Session) -> Register:
    """The register with the targets agreed in the app in force."""
    recs = records(session)
    if not recs:
        return register
    edited = {(r.kpi_id, r.region, r.group): _to_target(r, register) for r in recs
              if r.kpi_id in register.kpis}
    kept = tuple(t for t in register.targets if (t.kpi_id, t.region, t.group) not in edited)
    return replace(register, targets=kept + tuple(edited.values()))


def current_version(session: Session, kpi_id: str, region: str = "all", group: str = "all") -> int:
    """0 while the register's target is in force, else the saved record's version."""
    rec = session.exec(select(TargetRecord).where(
        TargetRecord.kpi_id == kpi_id, TargetRecord.region == region,
        TargetRecord.group == group)).first()
    return rec.version if rec is not None else 0


def _validate(register: Register, kpi_id: str, v: dict[str, object]) -> dict[str, str]:
    problems: dict[str, str] = {}
    if kpi_id not in register.kpis:
        return {"kpi_id": f"there is no KPI '{kpi_id}'"}
    if not str(v.get("set_by") or "").strip():
        problems["set_by"] = "say who set the target"
    if not v.get("agreed", True):
        return problems
    for name in ("baseline_value", "target_value"):
        if not isinstance(v.get(name), int | float):
            problems[name] = "enter a number"
    base = str(v.get("baseline_period") or "").strip()
    base_end = None
    try:
        base_end = parse_period(base, fiscal_start=register.kpis[kpi_id].fiscal_start).end
    except ValueError:
        problems["baseline_period"] = (f"'{base}' is not a period; write YYYY-MM, YYYY-Qn, "
                                       "YYYY, FYyyyy or R12-YYYY-MM")
    tdate = v.get("target_date")
    if not isinstance(tdate, date):
        problems["target_date"] = "enter the date the target is due"
    elif base_end is not None and tdate <= base_end:
        problems["target_date"] = f"the target date must come after the baseline ({base_end})"
    return problems


def save_target(session: Session, register: Register, kpi_id: str, values: dict[str, object], *,
                acting: Viewer, expected_version: int, by: str, at: datetime,
                region: str = "all", group: str = "all") -> TargetRecord:
    """Save a target; ``expected_version`` is what the editor opened (0: the register's).

    ``acting`` must be allowed to set targets (the governor's staff and administrators).
    """
    require_edit(acting, "target")
    problems = _validate(register, kpi_id, values)
    if problems:
        raise TargetError(problems)
    fields = {k: values.get(k) for k in ("baseline_value", "baseline_period", "target_value",
                                         "target_date", "set_by", "approved_by", "approved_on")}
    for text in ("set_by", "approved_by", "source", "baseline_period"):
        fields[text] = str(values.get(text) or "").strip()
    fields["agreed"] = bool(values.get("agreed", True))
    rec = session.exec(select(TargetRecord).where(
        TargetRecord.kpi_id == kpi_id, TargetRecord.region == region,
        TargetRecord.group == group)).first()
    stale = StaleTarget(f"The target for {register.kpis[kpi_id].name} was changed by "
                        f"{rec.updated_by if rec is not None else 'someone else'} since you opened "
                        "it; nothing was saved. Reload the page and make your change again.")
    if rec is None:
        if expected_version != 0:
            raise stale
        rec = TargetRecord(kpi_id=kpi_id, region=region, group=group, version=1,
                           updated_by=by, updated_at=at, **fields)  # type: ignore[arg-type]
        session.add(rec)
    else:
        claimed = session.execute(
            update(TargetRecord)
            .where(col(TargetRecord.id) == rec.id,  # type: ignore[arg-type]
                   col(TargetRecord.version) == expected_version)
            .values(version=expected_version + 1, updated_by=by, updated_at=at, **fields)
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            raise stale
    try:
        session.flush()
    except Exception:  # the same target created by someone else a moment ago
        session.rollback()
        raise stale from None
    audit.record(session, actor=by, action="update" if expected_version else "create",
                 entity="target", entity_id=f"{kpi_id}/{region}/{group}",
                 detail=(f"baseline {fields['baseline_value']} ({fields['baseline_period']}), "
                         f"target {fields['target_value']} by {fields['target_date']}, "
                         f"set by {fields['set_by']}, approved by {fields['approved_by'] or '-'}"))
    session.commit()
    session.expire_all()
    out = session.exec(select(TargetRecord).where(col(TargetRecord.id) == rec.id)).one()
    return out
