"""Tiny workspaces built from dicts: definitions tables and feed files.

``base_tables()`` is a small valid register (one agency, three regions, two
priorities, an aggregate monthly feed, a record-level feed and a linked record
feed, a KPI of each measure).  Tests change it (``tables["kpis"][0]["grain"] =
"quarter"``), write it with :func:`write_definitions` or :func:`make_workspace`,
and write feed files with :func:`write_feed` (CSV, XLSX or Parquet by extension).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from metrics.workspace import Workspace

REGIONS = ("R1", "R2", "R3")
GROUPS = ("black", "hispanic", "white")

AGG_COLUMNS = [
    dict(feed_id="agg", column="period", type="string", required="yes"),
    dict(feed_id="agg", column="region", type="string", required="yes"),
    dict(feed_id="agg", column="group", type="string", required="yes"),
    dict(feed_id="agg", column="indicator", type="string", required="yes", allowed="a;b"),
    dict(feed_id="agg", column="numerator", type="int", required="yes", min="0"),
    dict(feed_id="agg", column="denominator", type="float", required="yes", min="0"),
    dict(feed_id="agg", column="score", type="float", required="no", min="0", max="100"),
]
REC_COLUMNS = [
    dict(feed_id="rec", column="case_id", type="string", required="yes"),
    dict(feed_id="rec", column="person_id", type="string", required="yes"),
    dict(feed_id="rec", column="event_date", type="date", required="yes"),
    dict(feed_id="rec", column="region", type="string", required="yes"),
    dict(feed_id="rec", column="group", type="string", required="yes"),
    dict(feed_id="rec", column="paid", type="bool", required="yes"),
    dict(feed_id="rec", column="days", type="int", required="no", min="0"),
    dict(feed_id="rec", column="amount", type="float", required="no", min="0"),
    dict(feed_id="rec", column="decided_date", type="date", required="no"),
    dict(feed_id="rec", column="channel", type="string", required="no", allowed="web;phone"),
]
LINK_COLUMNS = [
    dict(feed_id="wages", column="person_id", type="string", required="yes"),
    dict(feed_id="wages", column="wage_date", type="date", required="yes"),
    dict(feed_id="wages", column="wages", type="float", required="yes", min="0"),
    dict(feed_id="wages", column="region", type="string", required="yes"),
    dict(feed_id="wages", column="group", type="string", required="yes"),
]


def _kpi(kpi_id: str, measure: str, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict(kpi_id=kpi_id, name=kpi_id.replace("_", " ").title(), goal_id="g1",
                               agency_id="ag1", measure=measure, direction="higher",
                               grain="month", feed_id="agg", disaggregations="region;group")
    row.update(kw)
    return row


def base_tables() -> dict[str, list[dict[str, Any]]]:
    """A small valid register, as rows per definitions file."""
    return copy.deepcopy({
        "agencies": [dict(agency_id="ag1", name="Agency One", lead="A. Lead",
                          lead_email="lead@ag1.gov")],
        "regions": [dict(region_id=r, name=f"Region {r}", parent="") for r in REGIONS],
        "priorities": [dict(priority_id="p1", name="Priority one", description="", order=1),
                       dict(priority_id="p2", name="Priority two", description="", order=2)],
        "goals": [dict(goal_id="g1", priority_id="p1", name="Goal one"),
                  dict(goal_id="g2", priority_id="p2", name="Goal two")],
        "feeds": [
            dict(feed_id="agg", name="Aggregate feed", agency_id="ag1", kind="aggregate",
                 period_column="period", period_grain="month", region_column="region",
                 group_column="group", numerator_column="numerator",
                 denominator_column="denominator", cadence="monthly", lag_days=30,
                 na_values="n/a;NA", agreement_id="dsa1"),
            dict(feed_id="rec", name="Record feed", agency_id="ag1", kind="record",
                 period_column="event_date", region_column="region", group_column="group",
                 person_key="person_id", cadence="monthly", lag_days=30),
            dict(feed_id="wages", name="Wage records", agency_id="ag1", kind="record",
                 period_column="wage_date", region_column="region", group_column="group",
                 person_key="person_id", cadence="monthly", lag_days=30),
        ],
        "feed_columns": AGG_COLUMNS + REC_COLUMNS + LINK_COLUMNS,
        "kpis": [
            _kpi("share_a", "proportion", filter="indicator = 'a'", unit="%"),
            _kpi("rate_b", "rate", filter="indicator = 'b'", unit="per 100,000", goal_id="g2"),
            _kpi("count_a", "count", filter="indicator = 'a'", unit="people"),
            _kpi("paid_share", "proportion", feed_id="rec", filter="paid",
                 numerator="days <= 21", unit="%"),
            _kpi("amount_sum", "sum", feed_id="rec", filter="paid", value="amount", unit="$"),
            _kpi("amount_mean", "mean", feed_id="rec", filter="paid", value="amount", unit="$"),
            _kpi("days_median", "median", feed_id="rec", filter="paid", value="days",
                 unit="days", direction="lower"),
            _kpi("employed", "proportion", feed_id="rec", filter="paid", link_feed="wages",
                 link_key="person_id", link_date="wage_date", link_window_days=90,
                 link_filter="wages > 0", unit="%"),
        ],
        "targets": [dict(kpi_id="share_a", region="all", group="all", baseline_value=50,
                         baseline_period="2024-01", target_value=60, target_date="2026-06-30")],
        "agreements": [dict(agreement_id="dsa1", name="Sharing agreement", parties="ag1;office",
                            effective="2023-01-01", expires="2028-01-01", status="active")],
    })


def geojson(regions: Iterable[str] = REGIONS) -> dict[str, Any]:
    feats = []
    for i, rid in enumerate(regions):
        ring = [[i, 0], [i + 1, 0], [i + 1, 1], [i, 1], [i, 0]]
        feats.append({"type": "Feature", "properties": {"region_id": rid},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return {"type": "FeatureCollection", "features": feats}


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    return pl.DataFrame([{c: ("" if r.get(c) is None else str(r[c])) for c in cols} for r in rows],
                        schema={c: pl.String for c in cols})


def write_definitions(folder: Path, tables: dict[str, list[dict[str, Any]]], *,
                      fmt: str = "csv", geo: dict[str, Any] | None = None) -> Path:
    """Write each table as ``<name>.csv`` (or ``.xlsx``); an empty list writes no file."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        if not rows:
            continue
        df = _frame(rows)
        if fmt == "xlsx":
            df.write_excel(folder / f"{name}.xlsx")
        else:
            df.write_csv(folder / f"{name}.csv")
    if geo is not None:
        (folder / "regions.geojson").write_text(json.dumps(geo))
    return folder


def make_workspace(root: Path, tables: dict[str, list[dict[str, Any]]] | None = None, *,
                   fmt: str = "csv") -> Workspace:
    """A workspace folder with definitions and a migrated SQLite database."""
    write_definitions(root / "definitions", tables if tables is not None else base_tables(),
                      fmt=fmt, geo=geojson())
    ws = Workspace.open(root, database_url=f"sqlite:///{root / 'statdesk.db'}")
    ws.init_db()
    return ws


def write_feed(path: Path, rows: list[dict[str, Any]] | pl.DataFrame) -> Path:
    """Write feed rows as CSV, XLSX or Parquet (by the file's extension)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df = rows if isinstance(rows, pl.DataFrame) else _frame(rows)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        df.write_csv(path)
    elif suffix == ".xlsx":
        df.write_excel(path)
    elif suffix == ".parquet":
        df.write_parquet(path)
    else:
        path.write_text(df.write_csv())
    return path


def months(first: str, n: int) -> list[str]:
    """``n`` month labels from ``first`` (YYYY-MM)."""
    y, m = int(first[:4]), int(first[5:7])
    out = []
    for i in range(n):
        idx = y * 12 + m - 1 + i
        out.append(f"{idx // 12:04d}-{idx % 12 + 1:02d}")
    return out


def agg_rows(month_labels: Iterable[str], *, indicator: str = "a",
             num: Any = None, den: Any = None) -> list[dict[str, Any]]:
    """Aggregate feed rows for every month x region x group, numbers from simple formulas."""
    rows = []
    for t, m in enumerate(month_labels):
        for i, r in enumerate(REGIONS):
            for j, g in enumerate(GROUPS):
                n = num(t, i, j) if num else 10 + 3 * t + 5 * i + 7 * j
                d = den(t, i, j) if den else 100 + 10 * i + 20 * j
                rows.append(dict(period=m, region=r, group=g, indicator=indicator,
                                 numerator=n, denominator=d))
    return rows


AS_OF = date(2026, 11, 25)
