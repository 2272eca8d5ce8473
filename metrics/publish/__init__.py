"""Public equity snapshots: disclosure control, files, DCAT-US metadata, the record.

* :mod:`.disclosure`: suppression of every published count and its audit (one function).
* :mod:`.documents`: KPI definitions, targets, status rules, data dictionary (the DCAT-US
  catalog is :func:`metrics.governance.dcat.snapshot_catalog`).
* :mod:`.snapshot`: :func:`build_snapshot`, immutable and versioned (``2026-10-v1``).
"""

from __future__ import annotations

from metrics.governance.dcat import CONFORMS_TO as DCAT_US_SCHEMA
from metrics.governance.dcat import CatalogInfo

from .disclosure import PUBLISHED_COLUMNS, Protected, protect, protect_cached, public_observations
from .documents import approved
from .snapshot import (
    PublicationResult,
    SnapshotError,
    build_snapshot,
    latest_version,
    next_version,
    public_register,
    versions,
)

__all__ = [
    "DCAT_US_SCHEMA",
    "PUBLISHED_COLUMNS",
    "CatalogInfo",
    "Protected",
    "PublicationResult",
    "SnapshotError",
    "approved",
    "build_snapshot",
    "latest_version",
    "next_version",
    "protect",
    "protect_cached",
    "public_observations",
    "public_register",
    "versions",
]
