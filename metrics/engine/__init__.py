"""The KPI engine: feeds to observations (Polars, lazy, streaming)."""

from .compute import ALL, OBS_SCHEMA, compute, empty_observations
from .store import (
    current_sources,
    load_observations,
    recompute_all,
    replace_observations,
)

__all__ = ["ALL", "OBS_SCHEMA", "compute", "empty_observations", "current_sources",
           "load_observations", "recompute_all", "replace_observations"]
