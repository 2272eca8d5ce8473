"""Who sees what: the viewer, the four roles, and the filters every listing goes through.

Roles
    ``governor_staff``  the results office: every KPI, feed and commitment.
    ``agency_lead``     their own agency's KPIs and feeds, plus every public KPI;
                        may edit their own agency's commitments.
    ``data_steward``    public KPIs, every feed contract and the catalog; edits the catalog.
    ``admin``           everything, including the users table.

Functions are pure: they take the register (and a viewer) and never read the clock,
the environment or the database.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from metrics.definitions import Feed, Kpi, Register

GOVERNOR_STAFF = "governor_staff"
AGENCY_LEAD = "agency_lead"
DATA_STEWARD = "data_steward"
ADMIN = "admin"
#: How the audit log names whoever works on this computer without signing in.
LOCAL_ACTOR = "local user"
ROLES: tuple[str, ...] = (GOVERNOR_STAFF, AGENCY_LEAD, DATA_STEWARD, ADMIN)
ROLE_LABELS: dict[str, str] = {
    GOVERNOR_STAFF: "Governor's staff",
    AGENCY_LEAD: "Agency lead",
    DATA_STEWARD: "Data steward",
    ADMIN: "Administrator",
}

# What each editable entity is, and who may change it.
COMMITMENT_ENTITIES = frozenset({"commitment", "commitments", "session", "sessions",
                                 "annotation", "annotations"})
CATALOG_ENTITIES = frozenset({"catalog", "dataset", "datasets", "agreement", "agreements",
                              "roadmap", "feed_contract", "feed_contracts"})
USER_ENTITIES = frozenset({"user", "users"})
PUBLISH_ENTITIES = frozenset({"publication", "publish"})
TARGET_ENTITIES = frozenset({"target", "targets"})
FEED_ENTITIES = frozenset({"feed_upload", "ingest", "batch"})
ENTITIES = (COMMITMENT_ENTITIES | CATALOG_ENTITIES | USER_ENTITIES | PUBLISH_ENTITIES
            | TARGET_ENTITIES | FEED_ENTITIES)
#: What each group of entities is called in a refusal, and who may change it.
_WHO_MAY = [
    (COMMITMENT_ENTITIES, "stat sessions, commitments and annotations",
     "the governor's staff and administrators, or an agency lead for their own agency"),
    (CATALOG_ENTITIES, "the data catalog (inventory, agreements, roadmap)",
     "data stewards and administrators"),
    (USER_ENTITIES, "the users", "administrators"),
    (PUBLISH_ENTITIES, "the public site", "the governor's staff and administrators"),
    (TARGET_ENTITIES, "targets", "the governor's staff and administrators"),
    (FEED_ENTITIES, "feed files",
     "data stewards and administrators, or an agency lead for their own agency's feeds"),
]

# Areas of the app (page keys) and the roles that may open them.
AREAS: dict[str, frozenset[str]] = {
    "session": frozenset({GOVERNOR_STAFF, ADMIN, AGENCY_LEAD}),
    "kpi": frozenset(ROLES),
    "agency": frozenset(ROLES),
    "equity": frozenset(ROLES),
    "commitments": frozenset({GOVERNOR_STAFF, ADMIN, AGENCY_LEAD}),
    "data-health": frozenset(ROLES),
    "catalog": frozenset({GOVERNOR_STAFF, ADMIN, DATA_STEWARD}),
    "feed-setup": frozenset({ADMIN, DATA_STEWARD}),
    "publish": frozenset({GOVERNOR_STAFF, ADMIN}),
    "admin": frozenset({ADMIN}),
}


class AccessError(ValueError):
    """A viewer that cannot exist (unknown role, agency lead without an agency)."""


class AccessDenied(PermissionError):
    """The acting user may not make this change; the message says what and who may."""


@dataclass(frozen=True)
class Viewer:
    """The person looking at the app (or running a command)."""

    email: str
    role: str
    agency_id: str = ""
    local: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise AccessError(f"unknown role '{self.role}'; use one of {', '.join(ROLES)}.")
        if self.role == AGENCY_LEAD and not self.agency_id:
            raise AccessError(f"{self.email or 'this user'} is an agency lead without an agency; "
                              "give the user an agency.")

    @property
    def label(self) -> str:
        """What the app shows as the signed-in identity."""
        if self.local:
            return "Local mode"
        who = self.name or self.email
        role = ROLE_LABELS[self.role]
        return f"{who} ({role}, {self.agency_id})" if self.agency_id else f"{who} ({role})"

    @property
    def actor(self) -> str:
        """How the audit log names this person: the e-mail they signed in with (else their
        name), or LOCAL_ACTOR in local mode."""
        return LOCAL_ACTOR if self.local else (self.email or self.name or "signed-in user")

    @property
    def sees_everything(self) -> bool:
        return self.role in (GOVERNOR_STAFF, ADMIN)


def command_actor(by: str = "") -> str:
    """How the audit log names whoever runs a command: ``--by``, else their login name, else
    LOCAL_ACTOR."""
    return by.strip() or os.environ.get("USER", "") or LOCAL_ACTOR


def local_viewer() -> Viewer:
    """The viewer when sign-in is not configured: a single-user, on-this-machine session."""
    return Viewer(email="", role=GOVERNOR_STAFF, local=True, name="Local mode")


def operator(name: str = "") -> Viewer:
    """The person running StatDesk's commands on the workspace's own computer.

    They own the workspace files and database already, so the library lets them do what
    local mode lets the one person at the app do: everything. Commands acting for a
    signed-in user look that user up instead (:func:`metrics.users.acting_user`).
    """
    return Viewer(email=name, role=ADMIN, local=True, name=name or "Operator")


def _kpi_visible(kpi: Kpi, viewer: Viewer) -> bool:
    if viewer.sees_everything:
        return True
    if viewer.role == AGENCY_LEAD:
        return kpi.public or kpi.agency_id == viewer.agency_id
    return bool(kpi.public)  # data steward


def visible_kpis(register: Register, viewer: Viewer) -> list[Kpi]:
    """The KPIs ``viewer`` may see, in register order."""
    return [k for k in register.kpis.values() if _kpi_visible(k, viewer)]


def visible_kpi_ids(register: Register, viewer: Viewer) -> set[str]:
    return {k.kpi_id for k in visible_kpis(register, viewer)}


def can_see_kpi(register: Register, viewer: Viewer, kpi_id: str) -> bool:
    """False for a KPI the viewer may not see, and for one that does not exist."""
    kpi = register.kpis.get(kpi_id)
    return kpi is not None and _kpi_visible(kpi, viewer)


def filter_observations(obs: pl.DataFrame, register: Register, viewer: Viewer) -> pl.DataFrame:
    """Only the rows of KPIs the viewer may see (same columns, same order)."""
    if viewer.sees_everything:
        return obs
    return obs.filter(pl.col("kpi_id").is_in(sorted(visible_kpi_ids(register, viewer))))


def filter_kpi_ids(ids: Iterable[str], register: Register, viewer: Viewer) -> list[str]:
    """Keep the ids (any order kept) of KPIs the viewer may see."""
    return [i for i in ids if can_see_kpi(register, viewer, i)]


def visible_feeds(register: Register, viewer: Viewer) -> list[Feed]:
    """Feed contracts the viewer may see: an agency lead sees their agency's feeds only."""
    feeds = list(register.feeds.values())
    if viewer.role == AGENCY_LEAD:
        return [f for f in feeds if f.agency_id == viewer.agency_id]
    return feeds


def can_see_feed(register: Register, viewer: Viewer, feed_id: str) -> bool:
    return any(f.feed_id == feed_id for f in visible_feeds(register, viewer))


def can_open(viewer: Viewer, area: str) -> bool:
    """May the viewer open this area (page key) of the app?

    In local mode (no sign-in: one person on their own computer) every area opens.
    """
    if viewer.local:
        return True
    return viewer.role in AREAS.get(area, frozenset())


def can_edit(viewer: Viewer, entity: str, agency_id: str = "") -> bool:
    """May the viewer create or change ``entity``?

    Commitments (and sessions, annotations): governor's staff and admins, or an agency lead
    for their own agency (``agency_id`` of the commitment). Catalog (datasets, agreements,
    roadmap, feed contracts): data stewards and admins. Users: admins. Publishing: staff and
    admins. Feed files (upload and ingest): data stewards and admins, or an agency lead for
    their own agency's feeds. In local mode (one person on their own computer, no sign-in)
    everything is editable, as every area opens. An unknown entity is never editable.
    """
    if entity not in ENTITIES:
        return False
    if viewer.local:
        return True
    role = viewer.role
    if entity in COMMITMENT_ENTITIES:
        if role in (GOVERNOR_STAFF, ADMIN):
            return True
        return role == AGENCY_LEAD and bool(agency_id) and agency_id == viewer.agency_id
    if entity in CATALOG_ENTITIES:
        return role in (DATA_STEWARD, ADMIN)
    if entity in USER_ENTITIES:
        return role == ADMIN
    if entity in PUBLISH_ENTITIES or entity in TARGET_ENTITIES:
        return role in (GOVERNOR_STAFF, ADMIN)
    if entity in FEED_ENTITIES:
        if role in (DATA_STEWARD, ADMIN):
            return True
        return role == AGENCY_LEAD and bool(agency_id) and agency_id == viewer.agency_id
    return False


def require_edit(viewer: Viewer, entity: str, agency_id: str = "") -> None:
    """Raise :class:`AccessDenied` (saying who may) unless ``viewer`` may change ``entity``.

    Every function of the library that writes calls this with the acting user, so that
    neither a page, nor a command, nor a script can change what the role does not allow.
    """
    if not isinstance(viewer, Viewer):
        raise AccessDenied("say who is making this change: pass the acting user "
                           "(a metrics.access.Viewer); nothing was changed.")
    if can_edit(viewer, entity, agency_id):
        return
    what, who = next(((w, m) for ents, w, m in _WHO_MAY if entity in ents), (entity, "no one"))
    whom = viewer.name or viewer.email or "This user"
    role = ROLE_LABELS.get(viewer.role, viewer.role)
    own = f" of agency {viewer.agency_id}" if viewer.agency_id else ""
    target = f" (this one belongs to agency {agency_id})" if agency_id else ""
    raise AccessDenied(f"{whom} ({role}{own}) may not change {what}{target}; only {who} may. "
                       "Nothing was changed.")


__all__ = ["ROLES", "ROLE_LABELS", "AREAS", "AccessError", "AccessDenied", "Viewer",
           "local_viewer", "operator", "require_edit",
           "visible_kpis", "visible_kpi_ids", "can_see_kpi", "filter_observations",
           "filter_kpi_ids", "visible_feeds", "can_see_feed", "can_open", "can_edit"]
