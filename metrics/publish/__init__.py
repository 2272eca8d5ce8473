"""Public equity snapshots: disclosure control, files, DCAT-US metadata, the record.

* :mod:`.disclosure`: suppression of every published count and its audit (one function).
* :mod:`.documents`: KPI definitions, targets, status rules, data dictionary, DCAT-US.
* :mod:`.snapshot`: :func:`build_snapshot`, immutable and versioned (``2026-10-v1``).
"""

from __future__ import annotations

from .disclosure import PUBLISHED_COLUMNS, Protected, protect, protect_cached, public_observations
from .documents import DCAT_US_SCHEMA, CatalogInfo, approved
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
