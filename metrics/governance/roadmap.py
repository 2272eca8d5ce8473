"""The data roadmap: the actions that make data a shared asset of the state, and their wins.

Three pillars (Policy, People, Infrastructure) and three stages (Beginning, Building,
Sustaining), after the state data strategies that set a presumption of sharing between
agencies.  The default roadmap is seeded when the table is empty; status, owner and due
date are edited with validation and a version check.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
from sqlalchemy import func
from sqlmodel import Session, col, select

from metrics.access import Viewer, require_edit
from metrics.store.tables import AuditEntry, RoadmapAction

from .inventory import InventoryError, StaleEdit

PILLARS = ("Policy", "People", "Infrastructure")
STAGES = ("Beginning", "Building", "Sustaining")
STATUSES = ("not started", "in progress", "done")
HORIZONS = {"short": "Short-term win", "mid": "Mid-term win", "long": "Long-term win"}

# (title, pillar, stage, win horizon, win)
DEFAULT_ROADMAP: tuple[tuple[str, str, str, str, str], ...] = (
    ("Adopt an executive order making data sharing the default", "Policy", "Beginning", "short",
     "Agencies share with a presumption of yes; refusals must cite the law that forbids it."),
    ("Standard data-sharing agreement template", "Policy", "Beginning", "short",
     "New agreements signed in weeks, not months, on one template reviewed by counsel."),
    ("Name a Chief Data Officer with a cross-agency mandate", "Policy", "Beginning", "short",
     "One accountable owner for the state data plan."),
    ("Publish a data classification and privacy standard", "Policy", "Building", "mid",
     "Every dataset classified public, internal or confidential with the same rules."),
    ("Tie agency performance reviews to the Governor's priority KPIs", "Policy", "Building", "mid",
     "Monthly stat sessions run on the same certified measures."),
    ("Review and renew sharing agreements before they expire", "Policy", "Sustaining", "long",
     "No feed flows without a valid agreement."),
    ("Name a data steward in every agency", "People", "Beginning", "short",
     "Each dataset has a named person who answers for its quality and access."),
    ("Data literacy training for analysts", "People", "Building", "mid",
     "Analysts in every agency can read, question and use the shared data."),
    ("Form a data governance board of agency stewards", "People", "Building", "mid",
     "Stewards decide standards and resolve access questions together."),
    ("Equity data training for programme leads", "People", "Sustaining", "long",
     "Programme leads read results by race, ethnicity and region as a matter of course."),
    ("Stand up the cross-agency data hub", "Infrastructure", "Beginning", "mid",
     "Agency feeds land in one place with validation, quarantine and batch records."),
    ("Publish the data inventory as open data", "Infrastructure", "Building", "short",
     "The public can see what data the state holds (data.json, DCAT-US)."),
    ("Automate feed delivery and freshness alerts", "Infrastructure", "Building", "mid",
     "Late feeds are known the day after they are due."),
    ("Adopt SPD 15 race and ethnicity codes in every source system", "Infrastructure",
     "Sustaining", "long", "Group figures compare across agencies without re-coding."),
    ("Integrated client data with privacy-preserving record linkage", "Infrastructure",
     "Sustaining", "long", "Outcomes followed across programmes without sharing names."),
)


def ensure_roadmap(session: Session) -> int:
    """Seed the default roadmap if the table is empty; return the actions added."""
    if session.exec(select(func.count(col(RoadmapAction.id)))).one():
        return 0
    for title, pillar, stage, horizon, win in DEFAULT_ROADMAP:
        session.add(RoadmapAction(title=title, pillar=pillar, stage=stage, win_horizon=horizon,
                                  win=win))
    session.commit()
    return len(DEFAULT_ROADMAP)


def list_actions(session: Session) -> list[RoadmapAction]:
    acts = list(session.exec(select(RoadmapAction)))
    return sorted(acts, key=lambda a: (STAGES.index(a.stage) if a.stage in STAGES else 9,
                                       PILLARS.index(a.pillar) if a.pillar in PILLARS else 9,
                                       a.id or 0))


def roadmap_frame(session: Session, as_of: date | None = None) -> pl.DataFrame:
    rows = [{"id": a.id, "stage": a.stage, "pillar": a.pillar, "title": a.title,
             "status": a.status, "owner": a.owner, "due_on": a.due_on,
             "overdue": bool(as_of and a.due_on and a.due_on < as_of and a.status != "done"),
             "win_horizon": a.win_horizon, "win": a.win, "version": a.version}
            for a in list_actions(session)]
    schema = {"id": pl.Int64, "stage": pl.String, "pillar": pl.String, "title": pl.String,
              "status": pl.String, "owner": pl.String, "due_on": pl.Date, "overdue": pl.Boolean,
              "win_horizon": pl.String, "win": pl.String, "version": pl.Int64}
    return pl.DataFrame(rows, schema=schema)


def update_action(session: Session, action_id: int, *, status: str, owner: str,
                  due_on: date | None, acting: Viewer, expected_version: int, by: str,
                  at: datetime) -> RoadmapAction:
    """Change an action's status, owner and due date; raises InventoryError or StaleEdit.

    ``acting`` must be allowed to edit the catalog (data stewards and administrators).
    """
    require_edit(acting, "roadmap")
    problems = []
    if status not in STATUSES:
        problems.append(f"Status '{status}' is not one of {', '.join(STATUSES)}.")
    owner = (owner or "").strip()
    if status != "not started" and not owner:
        problems.append("An action in progress or done needs an owner.")
    if len(owner) > 120:
        problems.append("The owner is longer than 120 characters.")
    if due_on is not None and not isinstance(due_on, date):
        problems.append("The due date is not a date.")
    act = session.get(RoadmapAction, action_id)
    if act is None:
        problems.append(f"There is no roadmap action {action_id}.")
    if problems:
        raise InventoryError(problems)
    assert act is not None
    if act.version != expected_version:
        raise StaleEdit(f"'{act.title}' was changed by someone else since you opened it "
                        f"(version {act.version}, you edited version {expected_version}). "
                        "Reload it and make your change again.")
    act.status, act.owner, act.due_on = status, owner, due_on
    act.version += 1
    session.add(act)
    session.add(AuditEntry(at=at, actor=by, action="update", entity="roadmap_action",
                           entity_id=str(action_id),
                           detail=f"status={status}; owner={owner}; due_on={due_on}"))
    session.commit()
    session.refresh(act)
    return act
