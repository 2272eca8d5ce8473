"""``statdesk validate`` for feeds that live in an outside engine: the real table, checked.

For every feed with a ``location`` this asks the engine for the table's columns and
types, then checks the feed's period, region and group columns and every KPI expression
on that feed against them (Polars types, as the workspace store is checked), and that
each expression translates to the engine's SQL dialect.  A linked KPI needs both feeds
in the same engine.
"""

from __future__ import annotations

import dataclasses

import polars as pl

from metrics.definitions import Feed, Register
from metrics.errors import Issue, issue

from .location import parse_location

FILE = "feeds.csv"


def check_expression(text: str, schema: dict[str, pl.DataType], *, feed: Feed, kpi_id: str,
                      column: str, dialect: str, issues: list[Issue]) -> None:
    from metrics.definitions.loader import check_expression as check_polars

    before = len(issues)
    check_polars(text, schema, file="kpis.csv", row=0, column=column, feed=feed.feed_id,
                 issues=issues)
    if len(issues) > before:
        issues[before:] = [dataclasses.replace(
            i, row=None, message=f"KPI '{kpi_id}', in the table {feed.location_table}: {i.message}")
            for i in issues[before:]]
        return
    from . import pushdown

    try:
        pushdown._sqlglot().transpile(text, read=pushdown.READ, write=dialect, unsupported_level="raise")
    except Exception as exc:  # noqa: BLE001 - SQLGlot's parse and unsupported errors
        issues.append(issue("definitions.bad_expression", file="kpis.csv", column=column,
                            value=text, detail=f"KPI '{kpi_id}' cannot be written in the "
                            f"{dialect} dialect ({str(exc).splitlines()[0][:140]})"))


def check_locations(register: Register) -> list[Issue]:
    """Every problem with the feeds that live in outside engines (empty: none, or no such feed)."""
    from . import backends

    issues: list[Issue] = []
    for feed in register.feeds.values():
        if not feed.location:
            continue
        loc = parse_location(feed.location, feed.location_table)
        try:
            schema = backends.table_schema(loc)
        except backends.BackendUnavailable as exc:
            issues.append(issue("definitions.bad_location", file=FILE, column="location",
                                value=feed.location, detail=str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - the engine's own error: no such table, …
            issues.append(issue("definitions.bad_location", file=FILE, column="location_table",
                                value=feed.location, detail=f"the table '{feed.location_table}' "
                                f"cannot be read there ({str(exc).strip().splitlines()[0][:200]})"))
            continue
        valid = ", ".join(schema)
        for field_name in ("period_column", "region_column", "group_column"):
            col = getattr(feed, field_name)
            if col not in schema:
                issues.append(issue("definitions.unknown_column", file=FILE, column=field_name,
                                    value=col, detail=col, feed=f"{feed.feed_id}' (table "
                                    f"{feed.location_table}", valid=valid))
        period = schema.get(feed.period_column)
        if period is not None and not (period == pl.Date or isinstance(period, pl.Datetime)):
            issues.append(issue("definitions.bad_location", file=FILE, column="period_column",
                                value=feed.location, detail=f"the period column "
                                f"'{feed.period_column}' of {feed.location_table} is {period}, "
                                "not a date; point the feed at a date or timestamp column"))
        for kpi in register.kpis.values():
            if kpi.feed_id != feed.feed_id:
                continue
            for column in ("filter", "numerator", "denominator", "value"):
                text = getattr(kpi, column)
                if text:
                    check_expression(text, schema, feed=feed, kpi_id=kpi.kpi_id, column=column,
                                      dialect=loc.dialect, issues=issues)
            if kpi.link is not None:
                other = register.feeds[kpi.link.feed_id]
                oloc = (parse_location(other.location, other.location_table)
                        if other.location else None)
                if oloc is None or oloc.same_engine != loc.same_engine:
                    issues.append(issue("definitions.bad_location", file=FILE, column="location",
                                        value=feed.location, detail=f"KPI '{kpi.kpi_id}' follows "
                                        f"records of '{feed.feed_id}' into '{other.feed_id}', "
                                        "which is not in the same engine; give both feeds the "
                                        "same location"))
    return issues
