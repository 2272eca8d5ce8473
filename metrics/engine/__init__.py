"""The KPI engine: feeds to observations (Polars, lazy, streaming).

``compute`` needs only Polars and NumPy; the storage helpers (which load SQLAlchemy)
are imported on first use.
"""

from typing import Any

from .compute import ALL, OBS_SCHEMA, compute, empty_observations

_STORE = ("current_sources", "load_observations", "recompute_all", "replace_observations")


def __getattr__(name: str) -> Any:
    if name in _STORE:
        from . import store

        return getattr(store, name)
    raise AttributeError(f"module 'metrics.engine' has no attribute {name!r}")


__all__ = ["ALL", "OBS_SCHEMA", "compute", "empty_observations", *_STORE]
