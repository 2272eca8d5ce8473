"""SQLModel tables: what users write and what the system must remember.

Base / table / Create / Public split where a model crosses the UI boundary.
Functions take a ``Session``; there is no module-level engine.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Batch(SQLModel, table=True):
    """One file received for one feed, and what became of it."""

    id: int | None = Field(default=None, primary_key=True)
    feed_id: str = Field(index=True)
    file_name: str
    file_hash: str = Field(index=True)
    received_at: datetime
    received_by: str = ""
    period_min: str | None = None
    period_max: str | None = None
    rows_total: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    status: str = "applied"  # applied | refused | duplicate
    message: str = Field(default="", sa_column=Column(Text))
    storage: str = ""  # folder of the batch's accepted rows (Parquet, one file per month)


class QuarantineRow(SQLModel, table=True):
    """A rejected row of a batch, with a stable error code and an actionable message."""

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(index=True, foreign_key="batch.id")
    feed_id: str = Field(index=True)
    row_number: int  # spreadsheet row (header is row 1)
    column: str = ""
    value: str = ""
    code: str = Field(index=True)
    message: str = Field(default="", sa_column=Column(Text))
    record: str = Field(default="", sa_column=Column(Text))  # the row as JSON


class FeedMonth(SQLModel, table=True):
    """Which batch currently supplies a feed's data for one month (latest wins)."""

    __table_args__ = (UniqueConstraint("feed_id", "month"),)
    id: int | None = Field(default=None, primary_key=True)
    feed_id: str = Field(index=True)
    month: date
    batch_id: int = Field(foreign_key="batch.id")
    rows: int = 0
    path: str = ""


class Observation(SQLModel, table=True):
    """KPI x period x region x group, as the engine computed it."""

    id: int | None = Field(default=None, primary_key=True)
    kpi_id: str = Field(index=True)
    period: str = Field(index=True)
    period_start: date
    period_end: date
    region: str
    group: str
    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    events: float | None = None
    rse: float | None = None
    reliable: bool = True


class Annotation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kpi_id: str = Field(index=True)
    on_date: date
    kind: str = "event"  # event | policy | series_break | commitment
    text: str = Field(sa_column=Column(Text))
    public: bool = False
    created_by: str = ""
    created_at: datetime | None = None
    commitment_id: int | None = None


class StatSession(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    held_on: date
    period: str  # the month reviewed, YYYY-MM
    focus_kind: str = "all"  # all | priority | agency
    focus_id: str = ""
    title: str = ""
    notes: str = Field(default="", sa_column=Column(Text))
    created_by: str = ""
    created_at: datetime | None = None


class Commitment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(index=True, foreign_key="statsession.id")
    text: str = Field(sa_column=Column(Text))
    owner: str
    agency_id: str = ""
    due_on: date
    kpi_ids: str = ""  # semicolon-separated KPI ids
    status: str = "open"  # open | in progress | done | dropped
    closed_on: date | None = None
    version: int = 1
    created_by: str = ""
    created_at: datetime | None = None


class CommitmentUpdate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(index=True, foreign_key="commitment.id")
    session_id: int | None = None
    status: str
    note: str = Field(default="", sa_column=Column(Text))
    updated_by: str = ""
    updated_at: datetime | None = None


class Dataset(SQLModel, table=True):
    """An entry of the data inventory."""

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: str = Field(index=True, unique=True)
    title: str
    description: str = Field(default="", sa_column=Column(Text))
    source_system: str = ""
    agency_id: str = ""
    steward: str = ""
    steward_email: str = ""
    classification: str = "internal"  # public | internal | confidential
    restricted: bool = False
    restriction_citation: str = ""
    legal_basis: str = ""
    cadence: str = "monthly"
    feed_ids: str = ""
    keywords: str = ""
    version: int = 1
    updated_by: str = ""
    updated_at: datetime | None = None


class RoadmapAction(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    pillar: str  # Policy | People | Infrastructure
    stage: str  # Beginning | Building | Sustaining
    status: str = "not started"  # not started | in progress | done
    owner: str = ""
    due_on: date | None = None
    win_horizon: str = ""  # short | mid | long
    win: str = Field(default="", sa_column=Column(Text))
    version: int = 1


class Publication(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    published_at: datetime
    published_by: str = ""
    version: str
    path: str
    settings: str = Field(default="", sa_column=Column(Text))
    manifest_hash: str = ""
    cells_suppressed_primary: int = 0
    cells_suppressed_complementary: int = 0


class AppUser(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True)
    name: str = ""
    role: str = "agency_lead"  # governor_staff | agency_lead | data_steward | admin
    agency_id: str = ""
    active: bool = True
    created_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str = ""
    version: int = 1


class AuditEntry(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    actor: str = ""
    action: str  # create | update | delete | publish | ingest
    entity: str = Field(index=True)
    entity_id: str = ""
    detail: str = Field(default="", sa_column=Column(Text))


class TargetRecord(SQLModel, table=True):
    """A target agreed in the app; it takes the place of the register's for its KPI/scope."""

    __table_args__ = (UniqueConstraint("kpi_id", "region", "group"),)
    id: int | None = Field(default=None, primary_key=True)
    kpi_id: str = Field(index=True)
    region: str = "all"
    group: str = "all"
    baseline_value: float | None = None
    baseline_period: str | None = None
    target_value: float | None = None
    target_date: date | None = None
    set_by: str = ""
    approved_by: str = ""
    approved_on: date | None = None
    source: str = Field(default="", sa_column=Column(Text))
    agreed: bool = True
    version: int = 1
    updated_by: str = ""
    updated_at: datetime | None = None
