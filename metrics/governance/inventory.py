"""The data inventory: datasets and source systems, their stewards, classification and use.

Seeded from the feed contracts (one dataset per feed) the first time it is read while
empty; edited by data stewards.  Every save is validated (all problems at once) and
checked against the version the editor started from, so two stewards cannot overwrite
each other's changes unseen.

"Default is to share": a dataset may be marked restricted only with a written legal
citation that prohibits sharing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from metrics.access import Viewer, require_edit
from metrics.definitions import Register
from metrics.definitions.models import CADENCES, CLASSIFICATIONS
from metrics.store.tables import AuditEntry, Batch, Dataset

EDITABLE = ("title", "description", "source_system", "agency_id", "steward", "steward_email",
            "classification", "restricted", "restriction_citation", "legal_basis", "cadence",
            "feed_ids", "keywords")
_ID = re.compile(r"^[a-z0-9][a-z0-9_\-.]{1,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RESTRICTION_RULE = ("Default is to share: a dataset can be marked restricted only with the "
                    "written legal citation that prohibits sharing it (statute, regulation or "
                    "court order, e.g. '42 CFR Part 2').")


class InventoryError(ValueError):
    """The values cannot be saved; ``problems`` says what to fix, all at once."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class StaleEdit(RuntimeError):
    """Someone else saved the record since the editor opened it."""


@dataclass(frozen=True)
class Saved:
    dataset: Dataset
    created: bool


def split_list(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;,]", text or "") if p.strip()]


def seed_rows(register: Register) -> list[dict[str, object]]:
    """One dataset per feed contract."""
    rows = []
    for f in register.feeds.values():
        agency = register.agencies.get(f.agency_id)
        email = agency.lead_email if agency and (not f.steward or f.steward == agency.lead) else ""
        kpis = register.kpis_of_feed(f.feed_id)
        words = [agency.name if agency else f.agency_id] + [k.name for k in kpis]
        rows.append(dict(
            dataset_id=f.feed_id, title=f.name, description=f.description or f.name,
            source_system=f.name, agency_id=f.agency_id, steward=f.steward, steward_email=email,
            classification=f.classification if f.classification in CLASSIFICATIONS else "internal",
            restricted=False, restriction_citation="", legal_basis=f.legal_basis,
            cadence=f.cadence, feed_ids=f.feed_id, keywords="; ".join(dict.fromkeys(words))))
    return rows


def ensure_inventory(session: Session, register: Register, *, at: datetime,
                     by: str = "feed contracts") -> int:
    """Seed the inventory from the feed contracts if it is empty; return datasets added."""
    if session.exec(select(Dataset.id).limit(1)).first() is not None:
        return 0
    rows = seed_rows(register)
    try:
        for r in rows:
            session.add(Dataset(**r, version=1, updated_by=by, updated_at=at))  # type: ignore[arg-type]
        session.commit()
    except IntegrityError:  # seeded at the same moment by another process
        session.rollback()
        return 0
    return len(rows)


def validate(values: dict[str, object], register: Register) -> list[str]:
    """Every problem with a dataset's values, in words a steward can act on."""
    p: list[str] = []
    dsid = str(values.get("dataset_id", "")).strip()
    if not _ID.match(dsid):
        p.append(f"Identifier '{dsid}' is not valid: use 2 to 64 lower-case letters, digits, "
                 "'_', '-' or '.', starting with a letter or digit.")
    if not str(values.get("title", "")).strip():
        p.append("Title is required.")
    if not str(values.get("description", "")).strip():
        p.append("Description is required (it is published in the data.json catalog).")
    agency = str(values.get("agency_id", ""))
    if agency not in register.agencies:
        p.append(f"Agency '{agency}' is not in the register; use one of "
                 f"{', '.join(sorted(register.agencies))}.")
    if not str(values.get("steward", "")).strip():
        p.append("Name the data steward.")
    email = str(values.get("steward_email", "")).strip()
    if not _EMAIL.match(email):
        p.append(f"Steward e-mail '{email}' is not an e-mail address.")
    cls = values.get("classification")
    if cls not in CLASSIFICATIONS:
        p.append(f"Classification '{cls}' is not one of {', '.join(CLASSIFICATIONS)}.")
    if values.get("cadence") not in CADENCES:
        p.append(f"Cadence '{values.get('cadence')}' is not one of {', '.join(CADENCES)}.")
    unknown = [f for f in split_list(str(values.get("feed_ids", ""))) if f not in register.feeds]
    if unknown:
        p.append(f"Unknown feed(s): {', '.join(unknown)}. Feeds: {', '.join(sorted(register.feeds))}.")
    if not split_list(str(values.get("keywords", ""))):
        p.append("Give at least one keyword (the data.json catalog requires one).")
    if values.get("restricted") and not str(values.get("restriction_citation", "")).strip():
        p.append("Restricted without a legal citation is refused. " + RESTRICTION_RULE)
    if len(str(values.get("restriction_citation", ""))) > 255:
        p.append("The legal citation is longer than 255 characters; shorten it.")
    return p


def get(session: Session, dataset_id: str) -> Dataset | None:
    return session.exec(select(Dataset).where(Dataset.dataset_id == dataset_id)).first()


def list_datasets(session: Session) -> list[Dataset]:
    return list(session.exec(select(Dataset).order_by(Dataset.agency_id, Dataset.dataset_id)))


def save_dataset(session: Session, register: Register, values: dict[str, object], *,
                 acting: Viewer, expected_version: int | None, by: str, at: datetime) -> Saved:
    """Create (``expected_version=None``) or update a dataset; raises InventoryError/StaleEdit.

    ``acting`` must be allowed to edit the catalog (data stewards and administrators).
    """
    require_edit(acting, "catalog")
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    clean["restricted"] = bool(clean.get("restricted"))
    if not clean["restricted"]:
        clean["restriction_citation"] = clean.get("restriction_citation") or ""
    problems = validate(clean, register)
    dsid = str(clean.get("dataset_id", ""))
    current = get(session, dsid)
    if expected_version is None and current is not None:
        problems.append(f"A dataset '{dsid}' already exists; pick it to edit it.")
    if expected_version is not None and current is None:
        problems.append(f"There is no dataset '{dsid}' to update.")
    if problems:
        raise InventoryError(problems)
    if current is not None and current.version != expected_version:
        raise StaleEdit(f"'{dsid}' was saved by {current.updated_by or 'someone else'} since you "
                        f"opened it (version {current.version}, you edited version "
                        f"{expected_version}). Reload it and make your change again.")
    if expected_version is not None:
        # claim the version in the database itself: a save that landed in between wins
        claimed = session.execute(
            update(Dataset)
            .where(col(Dataset.id) == current.id,  # type: ignore[union-attr,arg-type]
                   col(Dataset.version) == expected_version)
            .values(version=expected_version + 1)
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            raise StaleEdit(f"'{dsid}' was saved by someone else since you opened it (you "
                            f"edited version {expected_version}). Reload it and make your "
                            "change again.")
    changed: list[str] = []
    if current is None:
        current = Dataset(dataset_id=dsid, title=str(clean["title"]), version=1)
        changed = list(EDITABLE)
    else:
        current.version = (expected_version or 0) + 1
    for k in EDITABLE:
        if k in clean and getattr(current, k) != clean[k]:
            setattr(current, k, clean[k])
            changed.append(k)
    current.updated_by, current.updated_at = by, at
    session.add(current)
    session.add(AuditEntry(at=at, actor=by, action="create" if expected_version is None else "update",
                           entity="dataset", entity_id=dsid,
                           detail=", ".join(dict.fromkeys(changed))))
    session.commit()
    session.refresh(current)
    return Saved(current, expected_version is None)


INVENTORY_COLUMNS = ["dataset_id", "title", "description", "source_system", "agency_id",
                     "agency", "steward", "steward_email", "classification", "restricted",
                     "restriction_citation", "legal_basis", "agreement_ids", "cadence",
                     "feed_ids", "kpis", "keywords", "last_batch", "version", "updated_by",
                     "updated_at"]


def inventory_frame(session: Session, register: Register) -> pl.DataFrame:
    """The inventory with the feeds, agreements and KPIs each dataset serves."""
    last: dict[str, date] = {}
    for fid, at in session.exec(select(Batch.feed_id, Batch.received_at)
                                .where(Batch.status == "applied")):
        day = at.date()
        last[fid] = max(day, last.get(fid, day))
    rows = []
    for d in list_datasets(session):
        feeds = split_list(d.feed_ids)
        agency = register.agencies.get(d.agency_id)
        kpis = [k.kpi_id for f in feeds for k in register.kpis_of_feed(f)]
        agreements = [register.feeds[f].agreement_id for f in feeds
                      if f in register.feeds and register.feeds[f].agreement_id]
        batches = [last[f] for f in feeds if f in last]
        rows.append({
            "dataset_id": d.dataset_id, "title": d.title, "description": d.description,
            "source_system": d.source_system, "agency_id": d.agency_id,
            "agency": agency.name if agency else d.agency_id, "steward": d.steward,
            "steward_email": d.steward_email, "classification": d.classification,
            "restricted": d.restricted, "restriction_citation": d.restriction_citation,
            "legal_basis": d.legal_basis, "agreement_ids": "; ".join(dict.fromkeys(agreements)),
            "cadence": d.cadence, "feed_ids": "; ".join(feeds),
            "kpis": "; ".join(dict.fromkeys(kpis)), "keywords": d.keywords,
            "last_batch": max(batches) if batches else None, "version": d.version,
            "updated_by": d.updated_by,
            "updated_at": d.updated_at.isoformat(timespec="seconds") if d.updated_at else None})
    schema: dict[str, Any] = {c: pl.String for c in INVENTORY_COLUMNS}
    schema.update({"restricted": pl.Boolean, "last_batch": pl.Date, "version": pl.Int64})
    return pl.DataFrame(rows, schema=schema)


def export_csv(session: Session, register: Register) -> str:
    from metrics.safe_output import write_csv

    return write_csv(inventory_frame(session, register))
