"""Load and validate the definitions folder into a :class:`Register`.

``validate(folder)`` returns every issue found, across all files at once;
``load_register(folder)`` returns the register or raises one
:class:`~metrics.errors.ValidationFailed` carrying them all.  Nothing loads
half-valid.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from metrics.errors import Issue, ValidationFailed, errors_only, issue
from metrics.groups import GROUP_CODES
from metrics.periods import grain_covers, parse_period
from metrics.targets import InterimTarget, Target

from .fields import check_refs, check_unique, parse_rows
from .models import (
    DEFAULT_MULTIPLIER,
    Agency,
    Agreement,
    Feed,
    FeedColumn,
    Goal,
    Kpi,
    Link,
    Priority,
    Region,
    Register,
)
from .shapes import SOME_OTHER_RACE, build_shapes, check_kpi_shapes
from .specs import OPTIONAL_FILES, POLARS_TYPES, REQUIRED_FILES, SPECS
from .tables import find_table, read_table


def _read_all(folder: Path, issues: list[Issue]) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    tables: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    for stem in (*REQUIRED_FILES, *OPTIONAL_FILES):
        path = find_table(folder, stem)
        if path is None:
            if stem in REQUIRED_FILES:
                issues.append(issue("definitions.missing_file", file=f"{stem}.csv"))
            tables[stem] = (f"{stem}.csv", [])
            continue
        rows, header, read_issues = read_table(path)
        issues.extend(read_issues)
        tables[stem] = (path.name, parse_rows(path.name, rows, header, SPECS[stem], issues))
    return tables


def check_expression(text: str, schema: dict[str, pl.DataType], *, file: str, row: int,
                      column: str, feed: str, issues: list[Issue],
                      allowed: dict[str, tuple[str, ...]] | None = None) -> None:
    """Parse ``text`` as a SQL expression and check it against the feed's columns and types."""
    if not text:
        return
    try:
        expr = pl.sql_expr(text)
    except Exception as exc:  # noqa: BLE001
        issues.append(issue("definitions.bad_expression", file=file, row=row, column=column,
                            value=text, detail=str(exc).splitlines()[0][:160]))
        return
    try:
        roots = expr.meta.root_names()
    except Exception:  # noqa: BLE001
        roots = []
    unknown = [r for r in roots if r not in schema]
    if unknown:
        issues.append(issue("definitions.unknown_column", file=file, row=row, column=column,
                            value=text, detail=unknown[0], feed=feed,
                            valid=", ".join(schema)))
        return
    try:
        pl.DataFrame(schema=schema).lazy().select(expr.alias("_x")).collect()
    except Exception as exc:  # noqa: BLE001
        issues.append(issue("definitions.bad_expression", file=file, row=row, column=column,
                            value=text, detail="it does not fit the column types ("
                            + str(exc).splitlines()[0][:140] + ")"))
        return
    try:  # an empty frame runs no cast: try values every row of the feed may carry
        _sample_frame(schema, allowed or {}).select(expr.alias("_x"))
    except Exception as exc:  # noqa: BLE001
        issues.append(issue("definitions.bad_expression", file=file, row=row, column=column,
                            value=text, detail="it fails on values the feed may send, such as "
                            "text in a text column or an empty cell; use TRY_CAST to convert "
                            "text that may not be a number ("
                            + str(exc).splitlines()[0][:120] + ")"))


def _sample_frame(schema: dict[str, pl.DataType], allowed: dict[str, tuple[str, ...]]
                  ) -> pl.DataFrame:
    """Two rows of values the contract allows: typical values, then every cell empty."""
    typical: dict[str, object] = {"string": "x", "int": 1, "float": 1.5,
                                  "date": date(2020, 1, 1), "bool": True}
    data: dict[str, list[object]] = {}
    for name, dtype in schema.items():
        kind = next((k for k, v in POLARS_TYPES.items() if v == dtype), "string")
        first = allowed[name][0] if allowed.get(name) else typical[kind]
        data[name] = [first, None]
    return pl.DataFrame(data, schema=schema)


def _feed_schema(feed: Feed) -> dict[str, pl.DataType]:
    return {c.name: POLARS_TYPES[c.type] for c in feed.columns}


def _allowed(feed: Feed) -> dict[str, tuple[str, ...]]:
    return {c.name: tuple(c.allowed) for c in feed.columns if c.allowed}


#: Ids name files, folders and links: letters, digits, '_', '-', '.'; never a path.
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
ID_FIELDS = {"agencies": "agency_id", "regions": "region_id", "priorities": "priority_id",
             "goals": "goal_id", "feeds": "feed_id", "kpis": "kpi_id",
             "agreements": "agreement_id"}
#: Column names StatDesk adds to a checked feed (see metrics.ingest.validate).
RESERVED_COLUMNS = frozenset({"_row_number", "_month", "_region", "_group", "_raw_num",
                              "_raw_den"})


def _check_ids(t: dict[str, tuple[str, list[dict[str, Any]]]], issues: list[Issue]) -> None:
    """Every id must be a plain name: no path separators, no '..', nothing hidden."""
    for stem, field_name in ID_FIELDS.items():
        file, rows = t[stem]
        for r in rows:
            value = r.get(field_name) or ""
            if not value:
                continue
            if ".." in value or not ID_PATTERN.match(value):
                why = ("it looks like a file path" if any(ch in value for ch in "/\\:") or ".." in value
                       else "it has characters an id cannot have")
                issues.append(issue("definitions.bad_id", file=file, row=r["_row"],
                                    column=field_name, value=value, detail=why))


#: Name-like cells shown as titles and labels: no Markdown links or images, HTML or addresses.
NAME_FIELDS = {"agencies": ("name",), "regions": ("name",), "priorities": ("name",),
               "goals": ("name",), "feeds": ("name",), "kpis": ("name", "unit", "noun", "name_es", "unit_es"),
               "agreements": ("name",)}
_MARKUP = [(re.compile(r"!?\[[^\]]*\]\s*[(\[]"), "a Markdown link or image"),
           (re.compile(r"<\s*/?\s*[A-Za-z!]"), "an HTML tag"),
           (re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://|\bwww\.|\b(?:javascript|data):", re.I),
            "a web address")]


def _check_names(t: dict[str, tuple[str, list[dict[str, Any]]]], issues: list[Issue]) -> None:
    for stem, fields in NAME_FIELDS.items():
        file, rows = t[stem]
        for r in rows:
            for field_name in fields:
                value = r.get(field_name) or ""
                if not isinstance(value, str):
                    continue
                found = next((what for pat, what in _MARKUP if pat.search(value)), None)
                if found:
                    issues.append(issue("definitions.markup_in_name", file=file, row=r["_row"],
                                        column=field_name, value=value, detail=found))


def _check_feed_columns(feed: Feed, file: str, issues: list[Issue]) -> None:
    """Columns the checked feed would produce twice, or that clash with StatDesk's own."""
    for c in feed.columns:
        if c.name in RESERVED_COLUMNS or c.name.startswith("_"):
            issues.append(issue("definitions.bad_column", file=file, column="column", value=c.name,
                                feed=feed.feed_id, detail="names starting with '_' are "
                                "StatDesk's own; rename the column"))
    period = next((c for c in feed.columns if c.name == feed.period_column), None)
    if period is not None and period.type not in ("string", "date"):
        issues.append(issue("definitions.bad_column", file=file, column="type", value=period.name,
                            feed=feed.feed_id, detail=f"it is the period column, so its type must "
                            f"be 'string' or 'date', not '{period.type}'"))
    roles = [("period_column", feed.period_column), ("region_column", feed.region_column),
             ("group_column", feed.group_column)]
    if feed.kind == "aggregate":
        roles += [("numerator_column", feed.numerator_column),
                  ("denominator_column", feed.denominator_column)]
    seen: dict[str, str] = {}
    for role, name in roles:
        if name in seen:
            issues.append(issue("definitions.bad_column", file=file, column=role, value=name,
                                feed=feed.feed_id, detail=f"it is already the {seen[name]}; "
                                "each role needs its own column"))
        seen.setdefault(name, role.replace("_", " "))


def _build_feeds(t: dict[str, tuple[str, list[dict[str, Any]]]], issues: list[Issue],
                 regions: set[str]) -> dict[str, Feed]:
    ffile, frows = t["feeds"]
    cfile, crows = t["feed_columns"]
    mfile, mrows = t["code_maps"]
    check_unique(ffile, frows, "feed_id", issues)
    feed_ids = {r["feed_id"] for r in frows if r["feed_id"]}
    check_refs(cfile, crows, "feed_id", feed_ids, "feed", issues)
    check_refs(mfile, mrows, "feed_id", feed_ids, "feed", issues)
    cols: dict[str, list[FeedColumn]] = {}
    seen_cols: set[tuple[str, str]] = set()
    for r in crows:
        key = (r["feed_id"], r["column"])
        if key in seen_cols:
            issues.append(issue("definitions.duplicate_id", file=cfile, row=r["_row"],
                                column="column", value=f"{key[0]}.{key[1]}", first_row="earlier"))
        seen_cols.add(key)
        cols.setdefault(r["feed_id"], []).append(FeedColumn(
            name=r["column"], type=r["type"] or "string", required=bool(r["required"]),
            allowed=r["allowed"] or (), min=r["min"], max=r["max"],
            description=r["description"] or ""))
    shapes = build_shapes(t, issues, {r["feed_id"]: r for r in frows if r["feed_id"]}, cols)
    maps: dict[str, list[tuple[str, str, str]]] = {}
    for r in mrows:
        maps.setdefault(r["feed_id"], []).append((r["column"], r["from_value"], r["to_value"]))
    feeds: dict[str, Feed] = {}
    for r in frows:
        if r["feed_id"] and r["feed_id"] in feeds:
            continue  # a duplicate id, already reported
        if not r["feed_id"]:
            continue
        fc = tuple(cols.get(r["feed_id"], []))
        names = {c.name for c in fc}
        kind = r["kind"] or "aggregate"
        needed = [("period_column", r["period_column"]), ("region_column", r["region_column"]),
                  ("group_column", r["group_column"])]
        if kind == "aggregate":
            needed += [("numerator_column", r["numerator_column"]),
                       ("denominator_column", r["denominator_column"])]
        elif r["person_key"]:
            needed.append(("person_key", r["person_key"]))
        for field_name, col in needed:
            if col and col not in names:
                issues.append(issue("definitions.unknown_column", file=ffile, row=r["_row"],
                                    column=field_name, value=col, detail=col, feed=r["feed_id"],
                                    valid=", ".join(sorted(names)) or "(no columns in feed_columns)"))
        if r["period_pattern"]:
            try:
                if re.compile(r["period_pattern"]).groups != 1:
                    raise re.error("it needs exactly one (group)")
            except re.error as exc:
                issues.append(issue("definitions.bad_expression", file=ffile, row=r["_row"],
                                    column="period_pattern", value=r["period_pattern"],
                                    detail=str(exc)))
        for col, _f, to in maps.get(r["feed_id"], []):
            if col == r["region_column"] and to not in regions:
                issues.append(issue("definitions.unknown_reference", file=mfile, column="to_value",
                                    value=to, kind="region", valid=", ".join(sorted(regions))))
            if col == r["group_column"] and to not in GROUP_CODES and not (
                    to == SOME_OTHER_RACE and r["feed_id"] in shapes):
                issues.append(issue("definitions.unknown_reference", file=mfile, column="to_value",
                                    value=to, kind="race and ethnicity code",
                                    valid=", ".join(GROUP_CODES) + (
                                        f", {SOME_OTHER_RACE} (a shaped feed only)"
                                        if r["feed_id"] in shapes else "")))
        feeds[r["feed_id"]] = Feed(
            feed_id=r["feed_id"], name=r["name"], agency_id=r["agency_id"] or "", kind=kind,
            period_column=r["period_column"] or "", period_grain=r["period_grain"] or "month",
            date_format=r["date_format"] or "%Y-%m-%d", period_pattern=r["period_pattern"] or "",
            region_column=r["region_column"] or "region", group_column=r["group_column"] or "group",
            numerator_column=r["numerator_column"] or "numerator",
            denominator_column=r["denominator_column"] or "denominator",
            person_key=r["person_key"] or "", cadence=r["cadence"] or "monthly",
            lag_days=r["lag_days"] if r["lag_days"] is not None else 30,
            steward=r["steward"] or "", classification=r["classification"] or "internal",
            legal_basis=r["legal_basis"] or "", agreement_id=r["agreement_id"] or "",
            na_values=r["na_values"] or (), thousands=r["thousands"] or "",
            race_standard=r["race_standard"] or "2024",
            description=r["description"] or "", columns=fc,
            code_maps=tuple(maps.get(r["feed_id"], [])), shape=shapes.get(r["feed_id"]),
            location=r["location"] or "", location_table=r["location_table"] or "")
        _check_location(feeds[r["feed_id"]], ffile, r["_row"], issues)
        _check_feed_columns(feeds[r["feed_id"]], cfile, issues)
    return feeds


def _check_location(feed: Feed, file: str, row: int, issues: list[Issue]) -> None:
    """A feed in an outside engine: a readable location, record-level, 2024 race codes."""
    if not feed.location and not feed.location_table:
        return
    from metrics.engine.location import parse_location

    try:
        parse_location(feed.location, feed.location_table)
    except ValueError as exc:
        issues.append(issue("definitions.bad_location", file=file, row=row, column="location",
                            value=feed.location, detail=str(exc)))
        return
    if feed.kind != "record":
        issues.append(issue("definitions.bad_location", file=file, row=row, column="location",
                            value=feed.location, detail="only record-level feeds can be read "
                            "where they live; send aggregate feeds as files"))
    elif feed.collected_under_1997:
        issues.append(issue("definitions.bad_location", file=file, row=row, column="location",
                            value=feed.location, detail="records under the 1997 race standard "
                            "must be ingested (they are recoded on the way in); leave the "
                            "location empty"))


def _build_kpis(t: dict[str, tuple[str, list[dict[str, Any]]]], issues: list[Issue],
                feeds: dict[str, Feed], goals: set[str], agencies: set[str]) -> dict[str, Kpi]:
    file, rows = t["kpis"]
    check_unique(file, rows, "kpi_id", issues)
    check_refs(file, rows, "goal_id", goals, "goal", issues)
    check_refs(file, rows, "agency_id", agencies, "agency", issues)
    check_refs(file, rows, "feed_id", set(feeds), "feed", issues)
    check_refs(file, rows, "link_feed", set(feeds), "feed", issues)
    check_refs(file, rows, "disaggregations", {"region", "group"}, "disaggregation", issues)
    kpis: dict[str, Kpi] = {}
    for r in rows:
        if not r["kpi_id"] or not r["measure"]:
            continue
        feed = feeds.get(r["feed_id"] or "")
        measure = r["measure"]
        row = r["_row"]
        link = None
        if feed is not None:
            schema = _feed_schema(feed)
            for col in ("filter", "numerator", "denominator", "value"):
                check_expression(r[col] or "", schema, file=file, row=row, column=col,
                                  feed=feed.feed_id, issues=issues, allowed=_allowed(feed))
            if feed.kind == "record" and measure in ("mean", "median", "sum") and not r["value"]:
                issues.append(issue("definitions.measure_mismatch", file=file, row=row,
                                    column="value", detail=f"a {measure} over a record-level feed "
                                    "needs a 'value' expression (the column to average or add)."))
            if feed.kind == "aggregate" and measure in ("mean", "median"):
                issues.append(issue("definitions.measure_mismatch", file=file, row=row,
                                    column="measure", detail=f"a {measure} needs a record-level "
                                    f"feed; '{feed.feed_id}' is aggregate."))
            if feed.kind == "aggregate" and not grain_covers(r["grain"] or "month", feed.period_grain):
                issues.append(issue("definitions.measure_mismatch", file=file, row=row,
                                    column="grain", detail=f"the feed '{feed.feed_id}' is "
                                    f"{feed.period_grain}ly; a {r['grain']} KPI cannot be computed from it."))
            if r["link_feed"]:
                lf = feeds.get(r["link_feed"])
                if measure != "proportion":
                    issues.append(issue("definitions.measure_mismatch", file=file, row=row,
                                        column="link_feed", detail="a linked KPI must be a proportion "
                                        "(share of records found in the linked feed)."))
                if lf is not None:
                    lschema = _feed_schema(lf)
                    for col, where, label in ((r["link_key"], schema, feed.feed_id),
                                              (r["link_key"], lschema, lf.feed_id),
                                              (r["link_date"], lschema, lf.feed_id)):
                        if not col or col not in where:
                            issues.append(issue("definitions.unknown_column", file=file, row=row,
                                                column="link_key" if col == r["link_key"] else "link_date",
                                                value=col or "(empty)", detail=col or "(empty)",
                                                feed=label, valid=", ".join(where)))
                    check_expression(r["link_filter"] or "", lschema, file=file, row=row,
                                      column="link_filter", feed=lf.feed_id, issues=issues,
                                      allowed=_allowed(lf))
                    if feed.location != lf.location:  # the link is followed inside one engine
                        issues.append(issue("definitions.bad_location", file=file, row=row,
                                            column="link_feed", value=feed.location or "(store)",
                                            detail=f"KPI '{r['kpi_id']}' follows records of "
                                            f"'{feed.feed_id}' into '{lf.feed_id}', which lives "
                                            f"at '{lf.location or 'the workspace store'}'; give "
                                            "both feeds the same location"))
                    link = Link(feed_id=lf.feed_id, key=r["link_key"] or "",
                                date_column=r["link_date"] or "",
                                window_days=r["link_window_days"] or 0,
                                filter=r["link_filter"] or "")
        mult = r["multiplier"] if r["multiplier"] is not None else DEFAULT_MULTIPLIER[measure]
        thr = r["at_risk_threshold"] if r["at_risk_threshold"] is not None else 0.9
        if not 0 < thr <= 1:
            issues.append(issue("definitions.bad_choice", file=file, row=row,
                                column="at_risk_threshold", value=thr, valid="a share above 0 and at most 1, e.g. 0.9"))
        fs = r["fiscal_start"] if r["fiscal_start"] is not None else 7
        if not 1 <= fs <= 12:
            issues.append(issue("definitions.bad_choice", file=file, row=row, column="fiscal_start",
                                value=fs, valid="a month number 1 to 12"))
        basis = r["status_basis"] or "latest"
        if basis == "same_month_last_year" and (r["grain"] or "month") != "month":
            issues.append(issue("definitions.bad_choice", file=file, row=row, column="status_basis",
                                value=basis, valid="'latest' (comparing with the same month a "
                                "year earlier needs a monthly KPI)"))
        elif basis not in ("latest", "same_month_last_year") and (
                (r["grain"] or "month") != "month" or measure not in ("proportion", "rate", "count")):
            issues.append(issue("definitions.bad_choice", file=file, row=row, column="status_basis",
                                value=basis, valid="'latest' (a pooled basis needs a monthly KPI "
                                "of a proportion, rate or count)"))
        age_col, std_pop = _check_age_adjustment(r, feed, basis, file, issues)
        kpis[r["kpi_id"]] = Kpi(
            kpi_id=r["kpi_id"], name=r["name"], goal_id=r["goal_id"] or "",
            agency_id=r["agency_id"] or "", measure=measure,
            unit=r["unit"] or ("%" if measure == "proportion" else ""),
            direction=r["direction"] or "higher", grain=r["grain"] or "month",
            feed_id=r["feed_id"] or "", owner=r["owner"] or "", multiplier=mult,
            decimals=r["decimals"] if r["decimals"] is not None else 1, fiscal_start=fs,
            filter=r["filter"] or "", numerator=r["numerator"] or "",
            denominator=r["denominator"] or "", value=r["value"] or "", link=link,
            disaggregations=r["disaggregations"] or ("region", "group"),
            public=r["public"] if r["public"] is not None else True, at_risk_threshold=thr,
            equity_rule=bool(r["equity_rule"]), description=r["description"] or "",
            methodology=r["methodology"] or "", noun=r["noun"] or "people",
            total_from=r["total_from"] or "groups", plausible_min=r["plausible_min"],
            plausible_max=r["plausible_max"], status_basis=basis,
            age_column=age_col, standard_population=std_pop,
            name_es=r["name_es"] or "", unit_es=r["unit_es"] or "")
        k = kpis[r["kpi_id"]]
        if k.name_es and k.unit_in_words and not k.unit_es:
            issues.append(issue("definitions.no_spanish_unit", file=file, row=row,
                                column="unit_es", value=k.unit, level="warning"))
    check_kpi_shapes(t, issues)
    return kpis


def _check_age_adjustment(r: dict[str, Any], feed: Feed | None, basis: str, file: str,
                          issues: list[Issue]) -> tuple[str, str]:
    """``age_column`` and ``standard_population`` of one kpis.csv row (see metrics.age_adjust)."""
    from metrics.standard_populations import STANDARDS

    row = r["_row"]
    col = (r["age_column"] or "").strip()
    std = (r["standard_population"] or "").strip()
    if not col:
        if std:
            issues.append(issue("definitions.measure_mismatch", file=file, row=row,
                                column="standard_population", detail="a standard population "
                                "needs an 'age_column' (the feed column of age groups); "
                                "fill it in or leave 'standard_population' empty"))
        return "", ""
    std = std or "us2000"
    problems: list[tuple[str, str]] = []
    if std not in STANDARDS:
        issues.append(issue("definitions.bad_choice", file=file, row=row,
                            column="standard_population", value=std, valid=", ".join(STANDARDS)))
    if r["measure"] != "rate":
        problems.append(("measure", f"an age-adjusted KPI must be a rate; '{r['kpi_id']}' is a "
                         f"{r['measure']}. Remove 'age_column' or make the measure 'rate'"))
    if basis in ("rolling12", "latest_quarter"):
        problems.append(("status_basis", "an age-adjusted KPI is judged on single periods "
                         "('latest' or 'same_month_last_year'): pooled months would be crude "
                         "rates. Set the KPI's grain (e.g. rolling12) instead"))
    if r["link_feed"]:
        problems.append(("link_feed", "an age-adjusted KPI cannot follow a linked feed"))
    if feed is not None:
        if feed.location:
            problems.append(("age_column", f"feed '{feed.feed_id}' lives at '{feed.location}'; "
                             "age adjustment is computed from feeds in the workspace store"))
        if feed.shape is not None:
            problems.append(("age_column", f"feed '{feed.feed_id}' has a declared file shape "
                             "(feed_shapes.csv); age adjustment needs a plain long feed"))
        fc = feed.column(col)
        if fc is None:
            issues.append(issue("definitions.unknown_column", file=file, row=row,
                                column="age_column", value=col, detail=col, feed=feed.feed_id,
                                valid=", ".join(feed.column_names)))
        elif std in STANDARDS and not fc.allowed:
            problems.append(("age_column", f"column '{col}' of feed '{feed.feed_id}' must list "
                             "its age groups as allowed values in feed_columns.csv (so that "
                             "rows with other ages are quarantined, not left out): "
                             f"{';'.join(STANDARDS[std])}"))
        elif std in STANDARDS:
            wrong = [a for a in fc.allowed if a not in STANDARDS[std]]
            if wrong:
                problems.append(("age_column", f"the age groups allowed in column '{col}' of "
                                 f"feed '{feed.feed_id}' must be those of the standard "
                                 f"'{std}'; not among them: {', '.join(wrong)}. Its groups: "
                                 f"{'; '.join(STANDARDS[std])}"))
    for column, detail in problems:
        issues.append(issue("definitions.measure_mismatch", file=file, row=row, column=column,
                            detail=detail))
    return col, std


def _build_targets(t: dict[str, tuple[str, list[dict[str, Any]]]], issues: list[Issue],
                   kpis: dict[str, Kpi], regions: set[str]) -> tuple[Target, ...]:
    file, rows = t["targets"]
    ifile, irows = t["interim_targets"]
    groups_ok = {*GROUP_CODES, "all"}
    regions_ok = {*regions, "all"}
    for f, rs in ((file, rows), (ifile, irows)):
        check_refs(f, rs, "kpi_id", set(kpis), "KPI", issues)
        check_refs(f, rs, "region", regions_ok, "region", issues)
        check_refs(f, rs, "group", groups_ok, "race and ethnicity group", issues)
    interim: dict[tuple[str, str, str], list[InterimTarget]] = {}
    for r in irows:
        if r["date"] is not None and r["value"] is not None:
            interim.setdefault((r["kpi_id"], r["region"] or "all", r["group"] or "all"), []).append(
                InterimTarget(r["date"], r["value"]))
    out: list[Target] = []
    seen: dict[tuple[str, str, str], int] = {}
    for r in rows:
        key = (r["kpi_id"], r["region"] or "all", r["group"] or "all")
        if key in seen:
            issues.append(issue("definitions.duplicate_id", file=file, row=r["_row"],
                                column="kpi_id", value="/".join(key), first_row=seen[key]))
        seen[key] = r["_row"]
        agreed = r["agreed"] if r["agreed"] is not None else True
        base_date = None
        kpi = kpis.get(r["kpi_id"])
        # a cell already reported as badly written is not reported again as missing
        reported = {i.column for i in issues if i.file == file and i.row == r["_row"]}
        if agreed:
            if (r["baseline_value"] is None or r["baseline_period"] is None) and not (
                    reported & {"baseline_value", "baseline_period"}):
                issues.append(issue("definitions.target_without_baseline", file=file,
                                    row=r["_row"], column="baseline_value"))
            for col in ("target_value", "target_date"):
                if r[col] is None and col not in reported:
                    issues.append(issue("definitions.required", file=file, row=r["_row"],
                                        column=col))
        if r["baseline_period"]:
            base_date = parse_period(r["baseline_period"],
                                     fiscal_start=kpi.fiscal_start if kpi else 7).end
            if r["target_date"] is not None and r["target_date"] <= base_date:
                issues.append(issue("definitions.target_before_baseline", file=file, row=r["_row"],
                                    column="target_date", value=r["target_date"].isoformat()))
        out.append(Target(
            kpi_id=key[0], region=key[1], group=key[2], baseline_value=r["baseline_value"],
            baseline_date=base_date, target_value=r["target_value"], target_date=r["target_date"],
            interim=tuple(sorted(interim.get(key, []), key=lambda it: it.date)),
            set_by=r["set_by"] or "", approved_by=r["approved_by"] or "",
            approved_on=r["approved_on"], source=r["source"] or "", agreed=agreed))
    return tuple(out)


def _load_geojson(folder: Path, regions: set[str], issues: list[Issue]) -> dict | None:
    path = folder / "regions.geojson"
    if not path.exists():
        return None
    try:
        gj = json.loads(path.read_text(encoding="utf8"))
        feats = gj["features"]
    except (ValueError, KeyError, TypeError) as exc:
        issues.append(issue("definitions.bad_geojson", file=path.name,
                            detail=f"not a GeoJSON FeatureCollection ({exc}); export it again as GeoJSON."))
        return None
    for i, f in enumerate(feats):
        rid = (f.get("properties") or {}).get("region_id")
        if rid not in regions:
            issues.append(issue("definitions.bad_geojson", file=path.name, row=i + 1,
                                column="properties.region_id", value=rid,
                                detail=f"feature {i + 1} has region_id {rid!r}, which is not in regions; "
                                f"valid: {', '.join(sorted(regions))}."))
        f["id"] = rid
    return gj


FEDERAL_CODES = {"bureau_code": ("bureau code", "NNN:NN", re.compile(r"\d{3}:\d{2}")),
                 "program_code": ("program code", "NNN:NNN", re.compile(r"\d{3}:\d{3}"))}


def _check_federal_codes(file: str, rows: list[dict[str, Any]], issues: list[Issue]) -> None:
    """Bureau and program codes (DCAT-US) are well formed and never a placeholder of zeros;
    a warning says which agencies' datasets will be catalogued without them."""
    for i, r in enumerate(rows, start=1):
        for column, (kind, valid, pattern) in FEDERAL_CODES.items():
            code = r.get(column) or ""
            if code and (not pattern.fullmatch(code) or not code.strip("0:")):
                issues.append(issue("definitions.bad_federal_code", file=file, row=i, column=column,
                                    value=code, kind=kind, valid=f"{valid}, not all zeros"))
    lacking = [r["agency_id"] for r in rows if r.get("agency_id") and not r.get("bureau_code")]
    if lacking:
        issues.append(issue(
            "definitions.no_federal_codes", file=file, column="bureau_code", level="warning",
            detail=f"{len(lacking)} of {len(rows)} agencies have no bureau_code "
                   f"({', '.join(lacking)}): their DCAT-US datasets leave out bureauCode and "
                   "programCode, which only federal agencies must give."))


def validate(folder: str | Path) -> tuple[Register | None, list[Issue]]:
    """Read and check every file; the register only if there is no error."""
    folder = Path(folder)
    issues: list[Issue] = []
    if not folder.is_dir():
        issues.append(issue("definitions.missing_file", file=str(folder)))
        return None, issues
    t = _read_all(folder, issues)
    _check_ids(t, issues)
    _check_names(t, issues)
    agencies_f, ag_rows = t["agencies"]
    check_unique(agencies_f, ag_rows, "agency_id", issues)
    agencies = {r["agency_id"]: Agency(r["agency_id"], r["name"] or "", r["lead"] or "",
                                       r["lead_email"] or "", r["bureau_code"] or "",
                                       r["program_code"] or "") for r in ag_rows if r["agency_id"]}
    _check_federal_codes(agencies_f, ag_rows, issues)
    rf, rrows = t["regions"]
    check_unique(rf, rrows, "region_id", issues)
    regions = {r["region_id"]: Region(r["region_id"], r["name"] or "", r["parent"] or "")
               for r in rrows if r["region_id"]}
    check_refs(rf, rrows, "parent", set(regions), "region", issues)
    for rid in regions:
        seen, cur = {rid}, regions[rid].parent
        while cur and cur in regions:
            if cur in seen:
                issues.append(issue("definitions.parent_cycle", file=rf, column="parent", value=rid))
                break
            seen.add(cur)
            cur = regions[cur].parent
    pf, prows = t["priorities"]
    check_unique(pf, prows, "priority_id", issues)
    priorities = {r["priority_id"]: Priority(r["priority_id"], r["name"] or "",
                                             r["description"] or "", r["order"] or 0)
                  for r in prows if r["priority_id"]}
    gf, grows = t["goals"]
    check_unique(gf, grows, "goal_id", issues)
    check_refs(gf, grows, "priority_id", set(priorities), "priority", issues)
    goals = {r["goal_id"]: Goal(r["goal_id"], r["priority_id"] or "", r["name"] or "")
             for r in grows if r["goal_id"]}
    feeds = _build_feeds(t, issues, set(regions))
    check_refs(t["feeds"][0], t["feeds"][1], "agency_id", set(agencies), "agency", issues)
    af, arows = t["agreements"]
    check_unique(af, arows, "agreement_id", issues)
    agreements = {r["agreement_id"]: Agreement(
        r["agreement_id"], r["name"] or "", r["parties"] or (), r["purpose"] or "",
        r["datasets"] or (), r["legal_basis"] or "", r["effective"], r["expires"],
        r["status"] or "active") for r in arows if r["agreement_id"]}
    check_refs(t["feeds"][0], t["feeds"][1], "agreement_id", set(agreements), "agreement", issues)
    kpis = _build_kpis(t, issues, feeds, set(goals), set(agencies))
    targets = _build_targets(t, issues, kpis, set(regions))
    geojson = _load_geojson(folder, set(regions), issues)
    if errors_only(issues):
        return None, issues
    return Register(agencies=agencies, regions=regions, priorities=priorities, goals=goals,
                    kpis=kpis, feeds=feeds, targets=targets, agreements=agreements,
                    geojson=geojson, source_dir=str(folder)), issues


def load_register(folder: str | Path) -> Register:
    register, issues = validate(folder)
    if register is None:
        raise ValidationFailed(issues=errors_only(issues), what=f"definitions in {folder}")
    return register
