"""Feed shapes (``feed_shapes.csv``): how an agency's file is laid out, checked.

A shape tells StatDesk how to read a file that is not already one row per period,
region and group: notes above or below the table, dates in the agency's own format,
several (possibly cumulative) reports per period, groups carried in column names,
the file's own all-groups figure and the markers of values the agency suppressed.
Every problem names ``feed_shapes.csv`` (or ``kpis.csv``), the row, the column and
what to write instead.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from metrics.errors import Issue, issue

from .fields import check_refs, check_unique
from .models import FeedColumn, FeedShape

NUMERIC = ("int", "float")
#: code_maps to_value for "Some other race": no SPD 15 category, so never shown as a group,
#: but counted in the all-groups figure (feeds with a shape only).
SOME_OTHER_RACE = "other"


def _format_ok(fmt: str) -> bool:
    """Whether ``fmt`` writes and reads back a date (e.g. ``%Y%m%d``, ``%m/%d/%Y``)."""
    if "%" not in fmt:
        return False
    try:
        probe = date(2021, 3, 7)
        text = probe.strftime(fmt)
        back = pl.Series([text]).str.to_date(fmt, strict=True)
        return back[0] is not None and back[0].year == 2021
    except Exception:  # noqa: BLE001 - any failure means the format cannot be used
        return False


def build_shapes(t: dict[str, tuple[str, list[dict[str, Any]]]], issues: list[Issue],
                 feed_rows: dict[str, dict[str, Any]],
                 columns: dict[str, list[FeedColumn]]) -> dict[str, FeedShape]:
    """feed_id -> shape, for every valid row of ``feed_shapes``; problems go to ``issues``."""
    file, rows = t["feed_shapes"]
    cfile, crows = t["feed_columns"]
    crow = {(r["feed_id"], r["column"]): r["_row"] for r in crows}
    check_unique(file, rows, "feed_id", issues)
    check_refs(file, rows, "feed_id", set(feed_rows), "feed", issues)
    out: dict[str, FeedShape] = {}
    for r in rows:
        fid = r["feed_id"]
        if not fid or fid not in feed_rows:
            continue
        feed = feed_rows[fid]
        cols = {c.name: c for c in columns.get(fid, [])}
        row = r["_row"]
        n_before = len(issues)

        def bad(column: str, value: object, detail: str, *, where: str = file,
                at: int | None = row) -> None:
            issues.append(issue("definitions.bad_shape", file=where, row=at, column=column,
                                value=value, detail=detail))

        header_row = r["header_row"] if r["header_row"] is not None else 1
        if header_row < 1:
            bad("header_row", header_row, f"header_row must be the spreadsheet row of the "
                f"column names (1 or more), not {header_row}; write e.g. 1 when the names are "
                "on the first line, 4 when three lines of notes come first.")
        fmt = r["period_format"] or ""
        if fmt and not _format_ok(fmt):
            bad("period_format", fmt, f"'{fmt}' is not a date format StatDesk can read. Write "
                "it with % codes: %Y%m%d for 20210307, %m/%d/%Y for 03/07/2021, %Y-%m-%d for "
                "2021-03-07.")
        reports = r["reports"] or "single"
        if reports != "single" and not fmt:
            bad("period_format", "", f"reports is '{reports}', so StatDesk must know the date "
                "of each report to find the last (or add up the reports) of each period: "
                f"declare period_format for the column '{feed['period_column']}', e.g. %Y%m%d.")
        measures = tuple(r["wide_measures"] or ())
        into = r["wide_into"] or ""
        if measures and not into:
            bad("wide_into", "", "wide_measures is declared, so StatDesk needs the column that "
                "receives the rest of each column name (e.g. 'race' for Cases_White): write it "
                "in wide_into and declare that column in feed_columns.csv.")
        if into and not measures:
            bad("wide_measures", "", f"wide_into is '{into}', but no wide_measures are "
                "declared: write the column-name prefixes, e.g. Cases;Deaths.")
        if into and into not in cols:
            bad("wide_into", into, f"'{into}' is not a column of feed '{fid}' in "
                f"{cfile}; add a row for it there (type string), or correct wide_into.")
        for m in measures:
            c = cols.get(m)
            if c is None or c.type not in NUMERIC:
                bad("wide_measures", m, f"the measure '{m}' must be a column of feed '{fid}' "
                    f"in {cfile} with type int or float (it receives the values of the "
                    f"columns {m}{r['wide_separator'] or '_'}…); add or correct that row.")
        total = r["total_code"] or ""
        target = into or feed["group_column"] or "group"
        if total and target not in cols:
            bad("total_code", total, f"the file's total is found in the column '{target}', "
                f"which feed '{fid}' does not declare in {cfile}.")
        markers = tuple(r["suppressed"] or ())
        counts = measures or ((feed["numerator_column"] or "numerator",
                               feed["denominator_column"] or "denominator")
                              if (feed["kind"] or "aggregate") == "aggregate" else ())
        empty_able = [m for m in counts if m in cols and cols[m].required]
        if markers or measures:
            for m in empty_able:
                bad("required", "yes", f"'{m}' of feed '{fid}' is required, but values "
                    "suppressed by the agency (or groups a report leaves out) leave it empty: "
                    f"set required to no for '{m}' in {cfile}; such values are carried as "
                    "suppressed, never as zero.", where=cfile, at=crow.get((fid, m)))
        rtotal = r["region_total_code"] or ""
        rcol = feed["region_column"] or "region"
        if rtotal and rcol not in cols:
            bad("region_total_code", rtotal, f"the file's all-regions total is found in the "
                f"column '{rcol}', which feed '{fid}' does not declare in {cfile}.")
        if rtotal and cols.get(rcol) is not None and cols[rcol].required:
            bad("required", "yes", f"'{rcol}' of feed '{fid}' is required, but the rows of the "
                f"file's all-regions total ('{rtotal}') have no region: set required to no "
                f"for '{rcol}' in {cfile}.", where=cfile, at=crow.get((fid, rcol)))
        if total and cols.get(target) is not None and cols[target].required:
            bad("required", "yes", f"'{target}' of feed '{fid}' is required, but the rows of "
                f"the file's own total ('{total}') have no group: set required to no for "
                f"'{target}' in {cfile}.", where=cfile, at=crow.get((fid, target)))
        rate, per = r["rate_column"] or "", r["rate_per"]
        if rate:
            den = feed["denominator_column"] or "denominator"
            if (feed["kind"] or "aggregate") != "aggregate":
                bad("rate_column", rate, "a denominator can be derived from a published rate "
                    "only for an aggregate feed; remove rate_column.")
            if rate not in cols or cols[rate].type not in NUMERIC:
                bad("rate_column", rate, f"the rate '{rate}' must be a column of feed '{fid}' in "
                    f"{cfile} with type float; add or correct that row.")
            if den not in cols or cols[den].required:
                bad("rate_column", rate, f"the denominator '{den}' (denominator_column of feed "
                    f"'{fid}') is derived from the rate: declare it in {cfile} with type float "
                    "and required no.")
            if per is None or per <= 0:
                bad("rate_per", "" if per is None else per, "rate_per must be what the published "
                    "rate is per, e.g. 100000 for a rate per 100,000.")
        if len(issues) > n_before:
            continue
        out[fid] = FeedShape(header_row=header_row, notes_below=bool(r["notes_below"]),
                             period_format=fmt, reports=reports, wide_measures=measures,
                             wide_separator=r["wide_separator"] or "_", wide_into=into,
                             total_code=total, region_total_code=rtotal,
                             suppressed=markers, rate_column=rate,
                             rate_per=per)
    return out


def check_kpi_shapes(t: dict[str, tuple[str, list[dict[str, Any]]]], issues: list[Issue]) -> None:
    """KPIs that take their all-groups figure from the file need a feed that has one."""
    file, rows = t["kpis"]
    shape_file, shape_rows = t["feed_shapes"]
    with_total = {r["feed_id"] for r in shape_rows if r["total_code"] or r["region_total_code"]}
    for r in rows:
        lo, hi = r.get("plausible_min"), r.get("plausible_max")
        if lo is not None and hi is not None and lo > hi:
            issues.append(issue("definitions.bad_shape", file=file, row=r["_row"],
                                column="plausible_max", value=hi, detail=(
                                    f"plausible_max {hi:g} is below plausible_min {lo:g}; "
                                    "swap them.")))
        if (r.get("total_from") or "groups") != "file":
            continue
        if r["feed_id"] not in with_total:
            issues.append(issue("definitions.bad_shape", file=file, row=r["_row"],
                                column="total_from", value="file", detail=(
                                    f"total_from is 'file', but feed '{r['feed_id']}' declares no "
                                    f"total of its own: add total_code (e.g. Total) for it in "
                                    f"{shape_file}, or write total_from = groups.")))
