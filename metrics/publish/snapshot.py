"""Build an immutable, versioned public snapshot.

``build_snapshot(ws, out_dir, as_of=..., published_by=...)`` keeps the public KPIs and
their approved targets, suppresses every published count (:func:`.disclosure.protect`, one
function, before anything is written), refuses the snapshot if the audit fails, writes
every file into a temporary folder and renames it to ``out_dir/<version>/`` at the end
(``2026-10-v1``: the month of the data, then a number). An existing version is never
overwritten. With a workspace, the publication is recorded in the ``Publication`` table.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from metrics.access import Viewer, require_edit
from metrics.definitions import Register
from metrics.governance.dcat import CatalogInfo, snapshot_catalog
from metrics.groups import GROUP_CODES, GROUP_LABELS, is_combined, label
from metrics.ingest import file_hash
from metrics.safe_output import write_csv
from metrics.scorecard import KpiStatus, latest_month, scorecard
from metrics.summaries import LANGUAGES, summarise, untranslated
from metrics.suppression import COMPLEMENTARY_REASON, PUBLIC, SuppressionPolicy

from .disclosure import PUBLISHED_COLUMNS
from .documents import (
    approved,
    data_dictionary,
    kpi_document,
    status_rules,
    target_document,
)
from .release import COARSE

__all__ = ["PublicationResult", "SnapshotError", "build_snapshot", "latest_version",
           "next_version", "public_register", "versions"]

_VERSION = re.compile(r"^(\d{4}-\d{2})-v(\d+)$")


class SnapshotError(ValueError):
    """A snapshot cannot be built as asked (nothing was written)."""


@dataclass(frozen=True)
class PublicationResult:
    version: str
    path: Path
    manifest: dict[str, Any]
    manifest_hash: str
    primary: int
    complementary: int
    kpi_ids: tuple[str, ...]
    publication_id: int | None = None
    loss: tuple[dict[str, Any], ...] = ()


#: Columns of a snapshot's observation files: the published columns and the grain.
SNAPSHOT_COLUMNS = [*PUBLISHED_COLUMNS, "grain"]


def versions(out_dir: Path) -> list[Path]:
    """Snapshot folders in ``out_dir``, oldest first (by month, then number)."""
    if not Path(out_dir).is_dir():
        return []
    found = [(m[1], int(m[2]), p) for p in Path(out_dir).iterdir()
             if p.is_dir() and (m := _VERSION.match(p.name)) and (p / "manifest.json").exists()]
    return [p for *_k, p in sorted(found, key=lambda t: (t[0], t[1]))]


def latest_version(path: Path) -> Path:
    """``path`` itself when it is a snapshot, else its latest version."""
    path = Path(path)
    if (path / "manifest.json").exists():
        return path
    found = versions(path)
    if not found:
        raise SnapshotError(f"no snapshot in {path}: it holds no manifest.json and no "
                            "version folder. Run 'statdesk publish' first.")
    return found[-1]


def next_version(out_dir: Path, month: str) -> str:
    taken = [int(m[2]) for p in (Path(out_dir).iterdir() if Path(out_dir).is_dir() else [])
             if (m := _VERSION.match(p.name)) and m[1] == month]
    return f"{month}-v{max(taken, default=0) + 1}"


def public_register(register: Register, kpi_ids: list[str] | None = None) -> Register:
    """The register as the public sees it: public KPIs, approved targets only."""
    if kpi_ids is not None:
        unknown = [k for k in kpi_ids if k not in register.kpis]
        if unknown:
            raise SnapshotError(f"unknown KPI(s) {', '.join(unknown)}; "
                                f"KPIs: {', '.join(sorted(register.kpis))}.")
        private = [k for k in kpi_ids if not register.kpis[k].public]
        if private:
            raise SnapshotError(f"KPI(s) {', '.join(private)} are not public and cannot be published.")
    kpis = {k: v for k, v in register.kpis.items() if v.public and (kpi_ids is None or k in kpi_ids)}
    targets = tuple(t for t in register.targets if t.kpi_id in kpis and approved(t))
    return replace(register, kpis=kpis, targets=targets)


def _source(source: Any) -> tuple[Register, pl.DataFrame, Any]:
    if isinstance(source, tuple):
        register, obs = source
        return register, obs, None
    from metrics.engine import load_observations

    return source.register, load_observations(source.engine), source


def feed_sources(ws: Any) -> Any:
    """The feed files in force (for twelve-month medians and means), or None."""
    if ws is None:
        return None
    from metrics.engine import current_sources

    with ws.session() as s:
        return current_sources(s, str(ws.feed_store))


def public_statuses(reg: Register, pub: pl.DataFrame, *, month: str, as_of: date,
                    feed_through: dict[str, date] | None) -> list[KpiStatus]:
    """The statuses of the public pages: the internal scorecard's rule, for its month.

    The one call of the status rule for a snapshot. Statewide figures at each KPI's own
    grain are published whole (never hidden unless their own count is small), so this is
    the internal status; hidden rows count as absent.
    """
    shown = pub.filter(~pl.col("suppressed") & (pl.col("grain") != COARSE))
    return scorecard(reg, shown.drop("grain"), month=month, as_of=as_of, detail=True,
                     feed_through=feed_through)


def _status_doc(s: KpiStatus) -> dict[str, Any]:
    row = s.as_row()
    row["data_through"] = s.data_through.isoformat() if s.data_through else None
    row["period_display"] = s.period_display
    row["reliable"] = s.reliable
    row["group_status"] = {g: {"status": r.status, "explanation": r.explanation,
                               "figures": dict(r.figures)}
                           for g, r in s.group_status.items()}
    row["region_status"] = {g: {"status": r.status, "explanation": r.explanation,
                                "figures": dict(r.figures)}
                            for g, r in s.region_status.items()}
    return row


def public_summaries(reg: Register, pub: pl.DataFrame, statuses: list[KpiStatus]
                     ) -> dict[str, dict[str, dict[str, Any]]]:
    """The summary of every KPI in every language, written from the published rows.

    A KPI whose definitions lack its name (or unit) in a language has no entry in it.
    """
    by_id = {s.kpi_id: s for s in statuses}
    parts = pub.partition_by("kpi_id", as_dict=True)
    summaries: dict[str, dict[str, dict[str, Any]]] = {}
    for lang in LANGUAGES:
        summaries[lang] = {}
        for k in reg.kpis.values():
            if untranslated(k, lang):
                continue
            s = by_id[k.kpi_id]
            sm = summarise(k, parts.get((k.kpi_id,), pub.clear()), period=s.period,
                           target=reg.target_for(k.kpi_id), status=s.status, language=lang)
            summaries[lang][k.kpi_id] = {"text": sm.text, "sentences": list(sm.sentences)}
    return summaries


def _write_json(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")


def _write_files(tmp: Path, reg: Register, pub: pl.DataFrame, statuses: list[KpiStatus], *,
                 version: str, month: str, as_of: date, catalog: CatalogInfo,
                 threshold: int = 11) -> None:
    kpis = list(reg.kpis.values())
    (tmp / "kpis").mkdir()
    files = pub.select(SNAPSHOT_COLUMNS)
    write_csv(files, tmp / "observations.csv")
    for k in kpis:
        part = files.filter(pl.col("kpi_id") == k.kpi_id)
        write_csv(part, tmp / "kpis" / f"{k.kpi_id}.csv")
        part.write_parquet(tmp / "kpis" / f"{k.kpi_id}.parquet")
        part.write_json(tmp / "kpis" / f"{k.kpi_id}.json")
    frame, doc = data_dictionary()
    write_csv(frame, tmp / "data_dictionary.csv")
    _write_json(tmp / "data_dictionary.json", doc)
    _write_json(tmp / "kpis.json", [kpi_document(reg, k) for k in kpis])
    _write_json(tmp / "targets.json", [target_document(t) for t in reg.targets])
    _write_json(tmp / "status_rules.json", status_rules(kpis))
    _write_json(tmp / "status.json", {"month": month, "as_of": as_of.isoformat(),
                                      "kpis": [_status_doc(s) for s in statuses]})
    parts = pub.partition_by("kpi_id", as_dict=True)
    summaries = public_summaries(reg, pub, statuses)
    _write_json(tmp / "summaries.json", summaries)
    from .site import write_site

    y, m = (int(x) for x in month.split("-"))
    write_site(tmp, reg, pub, {s.kpi_id: _status_doc(s) for s in statuses}, summaries,
               month_text=f"{date(y, m, 1):%B %Y}", version=version, threshold=threshold)
    _write_json(tmp / "regions.json", [{"region_id": r.region_id, "name": r.name}
                                       for r in reg.regions.values()])
    combined = sorted(g for g in pub.get_column("group").unique().to_list() if is_combined(g))
    _write_json(tmp / "groups.json", {c: GROUP_LABELS[c] for c in GROUP_CODES}
                | {c: label(c) for c in combined})
    if reg.geojson:
        feats = [{"type": "Feature", "id": f.get("properties", {}).get("region_id"),
                  "properties": {"region_id": f.get("properties", {}).get("region_id"),
                                 "name": f.get("properties", {}).get("name", "")},
                  "geometry": f.get("geometry")} for f in reg.geojson.get("features", [])]
        _write_json(tmp / "regions.geojson", {"type": "FeatureCollection", "features": feats})
    temporal: dict[str, tuple[date, date]] = {
        str(k): (g.get_column("period_start").min(), g.get_column("period_end").max())  # type: ignore[misc]
        for (k,), g in parts.items()}
    _write_json(tmp / "data.json", snapshot_catalog(reg, kpis, version=version, modified=as_of,
                                                    temporal=temporal, info=catalog))


def build_snapshot(source: Any, out_dir: Path | str, *, acting: Viewer,
                   policy: SuppressionPolicy = PUBLIC,
                   as_of: date, published_by: str, version: str | None = None,
                   kpi_ids: list[str] | None = None, catalog: CatalogInfo | None = None,
                   published_at: datetime | None = None) -> PublicationResult:
    """Write the public snapshot of ``source`` (a Workspace, or ``(register, observations)``).

    Raises:
        DisclosureError: the audit failed; nothing was written.
        SnapshotError: the version exists, a KPI is unknown or not public, or there is no data.
        AccessDenied: ``acting`` may not publish (only the governor's staff and administrators).
    """
    require_edit(acting, "publication")
    register, obs, ws = _source(source)
    reg = public_register(register, kpi_ids)
    if not reg.kpis:
        raise SnapshotError("there is no public KPI to publish.")
    obs = obs.filter(pl.col("kpi_id").is_in(list(reg.kpis)) & (pl.col("period_end") <= as_of))
    if obs.height == 0:
        raise SnapshotError(f"there are no observations of the public KPIs up to {as_of}.")
    from .linked import information_loss, protect_linked_cached

    # raises DisclosureError: nothing is written unless the linked audit passes
    pub, truth, audit = protect_linked_cached(reg, obs, policy, sources=feed_sources(ws))
    reasons = pub.get_column("suppression_reason")
    complementary = int((reasons == COMPLEMENTARY_REASON).sum())
    primary = int(reasons.is_not_null().sum()) - complementary
    loss = information_loss(truth, pub)
    # the month of the internal scorecard: statewide totals are published whole
    month = latest_month(obs) or f"{as_of:%Y-%m}"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    version = version or next_version(out, month)
    if not _VERSION.match(version):
        raise SnapshotError(f"version '{version}' must look like 2026-10-v1.")
    final = out / version
    if final.exists():
        raise SnapshotError(f"snapshot {final} already exists; a published version is never "
                            "overwritten. Publish a new version instead.")
    through = None
    if ws is not None:
        from metrics.feedstate import feed_through

        with ws.session() as s:
            through = feed_through(s, register)
    statuses = public_statuses(reg, pub, month=month, as_of=as_of, feed_through=through)
    catalog = catalog or CatalogInfo()
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=out))
    try:
        _write_files(tmp, reg, pub, statuses, version=version, month=month, as_of=as_of,
                     catalog=catalog, threshold=policy.threshold)
        settings = {"threshold": policy.threshold, "protection_band": policy.band,
                    "suppress_complement": policy.suppress_complement, "as_of": as_of.isoformat(),
                    "month": month, "kpis": sorted(reg.kpis), "languages": list(LANGUAGES),
                    "grains": "statewide by group at each KPI's own grain; region x group by "
                              "twelve months", "loss": loss,
                    "audit": {"hidden_counts_audited": audit.intervals.height,
                              "narrowed_below_band": audit.narrowed}}
        when = published_at or datetime.now(UTC)
        manifest = {
            "version": version, "published_at": when.isoformat(timespec="seconds"),
            "published_by": published_by, "settings": settings,
            "cells_suppressed": {"primary": primary, "complementary": complementary},
            "catalog": asdict(catalog.resolved(register)),
            "files": {p.relative_to(tmp).as_posix(): {"sha256": file_hash(p), "bytes": p.stat().st_size}
                      for p in sorted(tmp.rglob("*")) if p.is_file()},
        }
        _write_json(tmp / "manifest.json", manifest)
        digest = file_hash(tmp / "manifest.json")
        for p in tmp.rglob("*"):
            if p.is_file():
                p.chmod(0o444)
        tmp.chmod(0o755)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    pid = None
    if ws is not None:
        try:
            pid = _record(ws, version, final, settings, digest, primary, complementary,
                          published_by, when)
        except BaseException:
            _remove(final)
            raise
    return PublicationResult(version, final, manifest, digest, primary, complementary,
                             tuple(sorted(reg.kpis)), pid, tuple(loss))


def _remove(path: Path) -> None:
    for p in path.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    shutil.rmtree(path, ignore_errors=True)


def _record(ws: Any, version: str, path: Path, settings: dict[str, Any], digest: str,
            primary: int, complementary: int, who: str, when: datetime) -> int | None:
    from metrics import audit
    from metrics.store.tables import Publication

    with ws.session() as s:
        row = Publication(published_at=when, published_by=who, version=version, path=str(path),
                          settings=json.dumps(settings), manifest_hash=digest,
                          cells_suppressed_primary=primary,
                          cells_suppressed_complementary=complementary)
        s.add(row)
        audit.record(s, actor=who, action="publish", entity="publication", entity_id=version,
                     detail=f"{path} sha256={digest}", at=when)
        s.commit()
        s.refresh(row)
        return row.id
