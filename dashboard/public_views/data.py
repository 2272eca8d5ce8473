"""The published snapshot, read from files only.

The public site knows one folder, ``STATDESK_SNAPSHOT``: a snapshot (with its
``manifest.json``) or a folder of versions, of which it shows the latest. It holds no
database URL and imports nothing that opens one.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from metrics.periods import display_label

ENV = "STATDESK_SNAPSHOT"
_VERSION = re.compile(r"^(\d{4}-\d{2})-v(\d+)$")
SCHEMA = {"kpi_id": pl.String, "period": pl.String, "region": pl.String, "group": pl.String,
          "numerator": pl.Float64, "denominator": pl.Float64, "value": pl.Float64,
          "ci_low": pl.Float64, "ci_high": pl.Float64, "reliable": pl.Boolean,
          "period_start": pl.Date, "period_end": pl.Date, "suppressed": pl.Boolean,
          "suppression_reason": pl.String, "grain": pl.String}
#: Grain of the twelve-month region x group tables (metrics.publish.release.COARSE).
TWELVE_MONTHS = "12 months"


class SnapshotMissing(Exception):
    pass


def snapshot_dir() -> Path:
    raw = os.environ.get(ENV, "")
    if not raw:
        raise SnapshotMissing(f"No snapshot is configured: set {ENV} to a published snapshot folder.")
    path = Path(raw)
    if (path / "manifest.json").exists():
        return path
    found = sorted(((m[1], int(m[2]), p) for p in (path.iterdir() if path.is_dir() else [])
                    if p.is_dir() and (m := _VERSION.match(p.name)) and (p / "manifest.json").exists()),
                   key=lambda t: (t[0], t[1]))
    if not found:
        raise SnapshotMissing(f"There is no published snapshot in {path}.")
    return found[-1][2]


@dataclass(frozen=True)
class Snapshot:
    path: Path
    manifest: dict[str, Any]
    observations: pl.DataFrame
    windows: pl.DataFrame
    kpis: dict[str, dict[str, Any]]
    targets: dict[str, dict[str, Any]]
    status: dict[str, dict[str, Any]]
    summaries: dict[str, dict[str, Any]]
    regions: dict[str, str]
    groups: dict[str, str]
    geojson: dict[str, Any] | None
    rules: dict[str, Any]

    @property
    def month(self) -> str:
        return str(self.manifest.get("settings", {}).get("month", ""))

    @property
    def threshold(self) -> int:
        return int(self.manifest.get("settings", {}).get("threshold", 11))

    def file(self, name: str) -> bytes:
        """Bytes of a file listed in the manifest (no other path is ever read)."""
        if name not in self.manifest.get("files", {}) and name != "manifest.json":
            raise KeyError(f"{name} is not part of this snapshot")
        return (self.path / name).read_bytes()


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@st.cache_data(show_spinner=False)
def _load(path: str, _stamp: float) -> Snapshot:
    p = Path(path)
    obs = pl.read_csv(p / "observations.csv", schema_overrides=SCHEMA)
    if "grain" not in obs.columns:  # snapshots published before grains were declared
        obs = obs.with_columns(grain=pl.lit(None, pl.String))
    windows = obs.filter(pl.col("grain") == TWELVE_MONTHS)
    obs = obs.filter(pl.col("grain").is_null() | (pl.col("grain") != TWELVE_MONTHS))
    geo = p / "regions.geojson"
    return Snapshot(
        path=p, manifest=_json(p / "manifest.json"), observations=obs, windows=windows,
        kpis={k["kpi_id"]: k for k in _json(p / "kpis.json")},
        targets={t["kpi_id"]: t for t in _json(p / "targets.json")
                 if t.get("region") == "all" and t.get("group") == "all"},
        status={s["kpi_id"]: s for s in _json(p / "status.json")["kpis"]},
        summaries=_json(p / "summaries.json"),
        regions={r["region_id"]: r["name"] for r in _json(p / "regions.json")},
        groups=_json(p / "groups.json"),
        geojson=_json(geo) if geo.exists() else None,
        rules=_json(p / "status_rules.json"))


def snapshot() -> Snapshot:
    path = snapshot_dir()
    return _load(str(path), (path / "manifest.json").stat().st_mtime)


def period_labels(periods: list[str]) -> dict[str, str]:
    return {p: display_label(p) for p in periods}


def month_text(month: str) -> str:
    return display_label(month) if month else "unknown"


def show_missing(exc: Exception) -> None:
    st.title("Equity snapshot")
    st.error(f"{exc} Nothing can be shown until a snapshot is published.")
    st.stop()
