"""Applying a checked feed file as one atomic, idempotent batch.

1. The file is read and checked (nothing written).  A refused file records a
   ``refused`` batch and changes nothing else.
2. The accepted rows are written as new Parquet files (one per month) under a
   fresh folder; nothing points at them yet.
3. One database transaction records the batch, its quarantined rows, points the
   months it covers at the new files, and replaces the observations of the
   KPIs and periods it touches.  Until that commit, readers see the old state;
   a process killed at any point leaves the database as it was.

The same file twice (same feed, same content hash) changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import insert
from sqlmodel import Session, col, select

from metrics import audit
from metrics.access import Viewer, operator, require_edit
from metrics.definitions import Kpi
from metrics.engine.compute import compute
from metrics.engine.store import current_sources, replace_observations
from metrics.errors import Issue, issue
from metrics.periods import periods_touching
from metrics.store.tables import Batch, FeedMonth, QuarantineRow
from metrics.workspace import Workspace

from .shape import check_shaped
from .validate import FeedRefused, aggregate_key, check_feed, read_feed_file


def file_hash(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class BatchReport:
    feed_id: str
    file_name: str
    status: str  # applied | refused | duplicate
    batch_id: int | None = None
    rows_total: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    period_min: str | None = None
    period_max: str | None = None
    errors: pl.DataFrame = field(default_factory=pl.DataFrame)
    issues: list[Issue] = field(default_factory=list)
    observations_written: int = 0
    message: str = ""
    notes: list[str] = field(default_factory=list)
    rows_kept: int = 0  # earlier accepted rows of the months touched that this file did not replace

    def error_counts(self) -> dict[str, int]:
        if self.errors.height == 0:
            return {}
        c = self.errors.group_by("code").len().sort("len", descending=True)
        return dict(zip(c["code"].to_list(), c["len"].to_list(), strict=True))

    def summary(self) -> str:
        if self.status == "duplicate":
            return self.message
        if self.status == "refused":
            lines = ["Refused, nothing applied:", *(f"  - {i}" for i in self.issues)]
            lines += [f"  {code}: {n}" for code, n in self.error_counts().items()]
            return "\n".join(lines)
        periods = (f"periods {self.period_min} to {self.period_max}" if self.period_min
                   else "no period changed")
        lines = [f"Batch {self.batch_id} applied to feed '{self.feed_id}': {self.rows_accepted} of "
                 f"{self.rows_total} rows accepted, {self.rows_rejected} quarantined ({periods})."]
        if self.rows_kept:
            lines.append(f"  {self.rows_kept} earlier accepted row(s) of these months were not "
                         "in this file (or were quarantined in it) and keep their earlier values.")
        for code, n in self.error_counts().items():
            lines.append(f"  {code}: {n}")
        lines += self.notes
        return "\n".join(lines)


@dataclass
class Preview:
    """The result of checking a file, before anything is applied."""

    feed_id: str
    file_name: str
    file_hash: str
    accepted: pl.DataFrame
    errors: pl.DataFrame
    rows_total: int
    duplicate_of: int | None = None
    raw: pl.DataFrame | None = None
    notes: list[str] = field(default_factory=list)  # what the shape stage did


def preview(ws: Workspace, feed_id: str, path: str | Path, *, received_on: date | None = None
            ) -> Preview:
    """Check a file against its contract without writing anything. Raises FeedRefused."""
    register = ws.register
    if feed_id not in register.feeds:
        raise FeedRefused([issue("feed.unknown_feed", value=feed_id,
                                 valid=", ".join(sorted(register.feeds)))])
    p = Path(path)
    feed = register.feeds[feed_id]
    notes: list[str] = []
    if feed.shape is not None:  # the agency's layout, declared in feed_shapes.csv
        accepted, errors, total, raw, notes = check_shaped(
            p, feed, register, received_on=received_on or date.today(), file_name=p.name)
    else:
        raw = read_feed_file(p, date_format=feed.date_format)
        accepted, errors = check_feed(raw, feed, register,
                                      received_on=received_on or date.today(), file_name=p.name)
        total = raw.height
    digest = file_hash(p)
    with ws.session() as s:
        dup = s.exec(select(Batch).where(Batch.feed_id == feed_id, Batch.file_hash == digest,
                                         Batch.status == "applied")).first()
    return Preview(feed_id, p.name, digest, accepted, errors, total,
                   dup.id if dup else None, raw, notes)


def ingest(ws: Workspace, feed_id: str, path: str | Path, *, received_by: str = "",
           received_on: date | None = None, file_name: str | None = None,
           acting: Viewer | None = None) -> BatchReport:
    """Check ``path`` against the contract of ``feed_id`` and apply it atomically.

    ``acting`` is who loads the file (default: the operator on the workspace's computer,
    named ``received_by``); they must be allowed to load this feed's files.
    """
    acting = acting if acting is not None else operator(received_by)
    if feed_id in ws.register.feeds:
        require_edit(acting, "feed_upload", ws.register.feeds[feed_id].agency_id)
    received_by = received_by or acting.email
    p = Path(path)
    name = file_name or p.name
    now = datetime.now(UTC)
    try:
        pv = preview(ws, feed_id, p, received_on=received_on)
    except FeedRefused as exc:
        report = BatchReport(feed_id, name, "refused", issues=exc.issues)
        if feed_id in ws.register.feeds and p.exists():
            report.batch_id = _record_refused(ws, feed_id, name, file_hash(p), exc.issues,
                                              received_by=received_by, at=now)
        return report
    if pv.duplicate_of is not None:
        return BatchReport(feed_id, name, "duplicate", batch_id=pv.duplicate_of,
                           rows_total=pv.rows_total,
                           message=f"This file was already applied as batch {pv.duplicate_of}; "
                           "nothing changed.")
    return apply_preview(ws, pv, acting=acting, received_by=received_by, received_at=now,
                         file_name=name)


def _record_refused(ws: Workspace, feed_id: str, name: str, digest: str, issues: list[Issue], *,
                    received_by: str, at: datetime, pv: Preview | None = None) -> int | None:
    """Record a refused batch (and, for a file checked row by row, its quarantined rows).

    Nothing else changes; a refused batch never blocks the same file later.
    """
    with ws.session() as s:
        b = Batch(feed_id=feed_id, file_name=name, file_hash=digest, received_at=at,
                  received_by=received_by, status="refused",
                  rows_total=pv.rows_total if pv else 0,
                  rows_rejected=pv.errors.get_column("row_number").n_unique()
                  if pv is not None and pv.errors.height else 0,
                  message="\n".join(str(i) for i in issues))
        s.add(b)
        s.flush()
        if pv is not None and pv.errors.height:
            _insert_quarantine(s, pv, int(b.id or 0))
        audit.record(s, actor=received_by, action="ingest", entity="batch",
                     entity_id=b.id or "", detail=f"refused {feed_id} {name}: "
                     f"{len(issues)} problem(s), nothing applied", at=at)
        s.commit()
        return b.id


def _insert_quarantine(s: Session, pv: Preview, batch_id: int) -> None:
    raw_rows = _raw_records(pv)
    q = pv.errors.with_columns(
        pl.lit(batch_id).alias("batch_id"), pl.lit(pv.feed_id).alias("feed_id"),
        pl.col("column").fill_null(""), pl.col("value").fill_null(""),
    ).join(raw_rows, on="row_number", how="left").with_columns(pl.col("record").fill_null(""))
    s.execute(insert(QuarantineRow.__table__), q.to_dicts())  # type: ignore[attr-defined]


def _inside(root: Path, rel: str) -> Path:
    """``root / rel``, refusing any path that leaves ``root`` (ids are checked at load too)."""
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise FeedRefused([issue("feed.bad_contract", feed=rel.split("/")[0], detail=(
            f"the path '{rel}' would leave the feed store"))])
    return target


def _merge_earlier(ws: Workspace, feed_id: str, month: date, part: pl.DataFrame,
                   key: list[str]) -> tuple[pl.DataFrame, int]:
    """The month's rows in force after this batch: its rows, plus earlier rows it does not carry.

    A resubmission replaces exactly the rows (keys) it carries; a key it does not carry,
    or whose new row was quarantined, keeps its earlier accepted value.
    """
    with ws.session() as s:
        fm = s.exec(select(FeedMonth).where(FeedMonth.feed_id == feed_id,
                                            FeedMonth.month == month)).first()
    if fm is None:
        return part, 0
    old_path = _inside(ws.feed_store, fm.path)
    if not old_path.exists():
        return part, 0
    old = pl.read_parquet(old_path)
    if not all(k in old.columns for k in key):
        return part, 0
    old = old.select([pl.col(c).cast(part.schema[c], strict=False) if c in part.schema
                      else pl.col(c) for c in old.columns])
    kept = old.join(part.select(key), on=key, how="anti", nulls_equal=True)
    if kept.height == 0:
        return part, 0
    return pl.concat([part, kept.select([c for c in part.columns if c in kept.columns])],
                     how="diagonal_relaxed"), kept.height


def apply_preview(ws: Workspace, pv: Preview, *, acting: Viewer, received_by: str = "",
                  received_at: datetime | None = None, file_name: str | None = None) -> BatchReport:
    """Apply a checked file; ``acting`` must be allowed to load this feed's files."""
    register = ws.register
    require_edit(acting, "feed_upload", register.feeds[pv.feed_id].agency_id
                 if pv.feed_id in register.feeds else "")
    received_by = received_by or acting.email
    now = received_at or datetime.now(UTC)
    accepted = pv.accepted
    if accepted.height == 0:  # nothing to apply: refused, and the same file may come again
        issues = [issue("feed.nothing_accepted", file=file_name or pv.file_name,
                        value=pv.rows_total)]
        rep = BatchReport(pv.feed_id, file_name or pv.file_name, "refused",
                          rows_total=pv.rows_total,
                          rows_rejected=pv.errors.get_column("row_number").n_unique()
                          if pv.errors.height else 0, errors=pv.errors, issues=issues)
        rep.batch_id = _record_refused(ws, pv.feed_id, rep.file_name, pv.file_hash, issues,
                                       received_by=received_by, at=now, pv=pv)
        return rep
    months = sorted(accepted.get_column("_month").unique().to_list()) if accepted.height else []
    rel_dir = f"{pv.feed_id}/{now:%Y%m%dT%H%M%S}-{pv.file_hash[:12]}-{uuid.uuid4().hex[:8]}"
    root = ws.feed_store
    staging = _inside(root, rel_dir)
    feed = register.feeds[pv.feed_id]
    key = aggregate_key(feed, accepted.columns) if feed.kind == "aggregate" else []
    new_files: dict[date, tuple[str, int]] = {}
    kept_rows = 0
    try:
        staging.mkdir(parents=True, exist_ok=True)
        for part in accepted.partition_by("_month", as_dict=False, maintain_order=True):
            m = part.get_column("_month")[0]
            rel = f"{rel_dir}/{m:%Y-%m}.parquet"
            if key:
                part, kept = _merge_earlier(ws, pv.feed_id, m, part, key)
                kept_rows += kept
            _write_parquet(part, root / rel)
            new_files[m] = (rel, part.height)
    except BaseException:  # e.g. the disk is full: leave no partial files behind
        shutil.rmtree(staging, ignore_errors=True)
        raise
    kpis = register.kpis_of_feed(pv.feed_id)
    scope = {k.kpi_id: periods_touching(months_affected(k, pv.feed_id, months), k.grain,
                                        fiscal_start=k.fiscal_start) for k in kpis}
    report = BatchReport(pv.feed_id, file_name or pv.file_name, "applied", rows_total=pv.rows_total,
                         rows_accepted=accepted.height,
                         rows_rejected=pv.errors.get_column("row_number").n_unique()
                         if pv.errors.height else 0,
                         period_min=f"{months[0]:%Y-%m}" if months else None,
                         period_max=f"{months[-1]:%Y-%m}" if months else None,
                         errors=pv.errors, notes=pv.notes, rows_kept=kept_rows)
    try:
        with ws.session() as s:
            batch = Batch(feed_id=pv.feed_id, file_name=report.file_name, file_hash=pv.file_hash,
                          received_at=now, received_by=received_by,
                          period_min=report.period_min, period_max=report.period_max,
                          rows_total=pv.rows_total, rows_accepted=report.rows_accepted,
                          rows_rejected=report.rows_rejected, status="applied",
                          storage=rel_dir, message="\n".join(pv.notes))
            s.add(batch)
            s.flush()
            report.batch_id = batch.id
            if pv.errors.height:
                _insert_quarantine(s, pv, int(batch.id or 0))
            for m, (rel, n) in new_files.items():
                fm = s.exec(select(FeedMonth).where(FeedMonth.feed_id == pv.feed_id,
                                                    FeedMonth.month == m)).first()
                if fm is None:
                    fm = FeedMonth(feed_id=pv.feed_id, month=m, batch_id=int(batch.id or 0), rows=n,
                                   path=rel)
                else:
                    fm.batch_id, fm.rows, fm.path = batch.id, n, rel  # type: ignore[assignment]
                s.add(fm)
            s.flush()
            audit.record(s, actor=received_by, action="ingest", entity="batch",
                         entity_id=batch.id or "", detail=(
                             f"applied {pv.feed_id} {report.file_name}: {report.rows_accepted} "
                             f"of {pv.rows_total} rows accepted, {report.rows_rejected} "
                             "quarantined"), at=now)
            if kpis and months:
                sources = current_sources(s, str(root))
                obs = compute(register, sources, kpis, periods=scope)
                report.observations_written = replace_observations(s, obs, scope)
            s.commit()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


def _write_parquet(part: pl.DataFrame, path: Path) -> None:
    """Write one month's rows; a failed write (disk full, file too large) is an ``OSError``."""
    try:
        part.write_parquet(path, statistics=True)
    except pl.exceptions.PolarsError as exc:
        found = re.search(r"os error (\d+)", str(exc))
        if found is None:
            raise
        code = int(found.group(1))
        raise OSError(code, os.strerror(code), str(path)) from exc


def months_affected(kpi: Kpi, feed_id: str, months: list[date]) -> list[date]:
    """Months of ``kpi`` that new data for ``months`` of ``feed_id`` can change.

    A record of a linked feed dated in month M counts for the KPI's records up to
    ``window_days`` before it, so the months back to M - window_days change too.
    """
    if not months or kpi.link is None or kpi.link.feed_id != feed_id:
        return months
    first = months[0] - timedelta(days=kpi.link.window_days)
    out = {*months}
    y, m = first.year, first.month
    while date(y, m, 1) <= months[-1]:
        out.add(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return sorted(out)


def _raw_records(pv: Preview) -> pl.DataFrame:
    """The rejected rows as JSON text, kept with the quarantine so nothing is lost."""
    bad = pv.errors.get_column("row_number").unique().implode()
    if pv.raw is None:
        return pl.DataFrame(schema={"row_number": pl.Int64, "record": pl.String})
    return (pv.raw.with_row_index("row_number", offset=2)
            .with_columns(pl.col("row_number").cast(pl.Int64))
            .filter(pl.col("row_number").is_in(bad))
            .select("row_number", pl.struct(pl.exclude("row_number")).struct.json_encode()
                    .alias("record")))


def quarantine_report(ws: Workspace, feed_id: str | None = None, batch_id: int | None = None
                      ) -> pl.DataFrame:
    """CSV-ready error report for an agency: file, row number, column, value, code, message."""
    with ws.session() as s:
        q = select(QuarantineRow, Batch.file_name).join(Batch, col(Batch.id) == col(QuarantineRow.batch_id))
        if feed_id:
            q = q.where(QuarantineRow.feed_id == feed_id)
        if batch_id:
            q = q.where(QuarantineRow.batch_id == batch_id)
        rows = [{"batch_id": r.batch_id, "feed_id": r.feed_id, "file": fname,
                 "row_number": r.row_number, "column": r.column, "value": r.value, "code": r.code,
                 "message": r.message} for r, fname in s.exec(q)]
    schema = {"batch_id": pl.Int64, "feed_id": pl.String, "file": pl.String,
              "row_number": pl.Int64, "column": pl.String, "value": pl.String, "code": pl.String,
              "message": pl.String}
    return pl.DataFrame(rows, schema=schema)


def dumps_issues(issues: list[Issue]) -> str:
    return json.dumps([i.__dict__ for i in issues], indent=2, default=str)
