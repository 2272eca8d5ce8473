"""KPIs computed where the records live: the fine aggregation pushed down as SQL.

For a feed whose ``location`` names an outside engine (PostgreSQL, DuckDB, Spark), the
engine runs what needs the records:

- one ``GROUP BY`` month x region x group with every additive KPI's sums, counts and
  sums of squares (the same numbers :func:`metrics.engine.compute.fine_table` makes from
  the workspace store);
- for a linked KPI, the records kept and those found in the linked feed (``EXISTS``
  within the window; both feeds must live in the same engine);
- for a median KPI, exact medians per period at the four levels (``GROUPING SETS``):
  DuckDB ``median``, PostgreSQL ``percentile_cont(0.5)``, Spark ``median``; all three
  interpolate between the two middle values, as Polars does.

Only these small tables come back; rollups, intervals and statuses stay in Polars.

KPI expressions are written once (the SQL-expression syntax of the register), parsed by
SQLGlot, and rendered in each engine's dialect.  Region and group codes are recoded in
the query from the feed's code maps, and records whose month, region or group is not
valid are left out (ingest would have refused them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl

from metrics.definitions import Feed, Kpi, Register
from metrics.definitions.specs import POLARS_TYPES
from metrics.groups import GROUP_CODES
from metrics.periods import months_of, parse_period, period_expr

from . import backends
from .location import Location, parse_location

READ = "duckdb"  # the register's expressions and the queries below are written in this dialect


def location_of(feed: Feed) -> Location | None:
    if not getattr(feed, "location", ""):
        return None
    return parse_location(feed.location, feed.location_table)


def months_needed(kpis: Sequence[Kpi], periods: Mapping[str, set[str]] | None
                  ) -> tuple[date, date] | None:
    """The months the engine must read for ``periods`` (None: all), for incremental refresh."""
    if periods is None or any(k.kpi_id not in periods for k in kpis):
        return None
    months = [m for k in kpis for lb in periods[k.kpi_id]
              for m in months_of(parse_period(lb, fiscal_start=k.fiscal_start))]
    if not months:
        return None
    return min(months), max(months)


def _sqlglot() -> Any:
    return backends._need("sqlglot", "spark")


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _id(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table(loc: Location) -> str:
    return ".".join(_id(p) for p in loc.table.split("."))


def expression(text: str) -> str:
    """A KPI expression, parsed and written back in the queries' dialect (checks syntax)."""
    sg = _sqlglot()
    return "(" + sg.parse_one(text, read=READ).sql(dialect=READ) + ")"


def to_dialect(sql: str, loc: Location) -> str:
    sg = _sqlglot()
    return sg.transpile(sql, read=READ, write=loc.dialect)[0]


def _contract_schema(feed: Feed) -> dict[str, pl.DataType]:
    return {c.name: POLARS_TYPES[c.type] for c in feed.columns}


def _is_bool(text: str, feed: Feed) -> bool:
    frame = pl.DataFrame(schema=_contract_schema(feed)).lazy()
    return frame.select(pl.sql_expr(text).alias("_x")).collect_schema()["_x"] == pl.Boolean


def _number(text: str, feed: Feed) -> str:
    """An expression as a DOUBLE (a condition counts 1 where true, 0 where false)."""
    e = expression(text)
    if _is_bool(text, feed):
        return f"CASE WHEN {e} THEN 1.0 WHEN NOT {e} THEN 0.0 END"
    return f"CAST({e} AS DOUBLE)"


def _recode(column: str, mapping: dict[str, str]) -> str:
    raw = f"TRIM(CAST({_id(column)} AS VARCHAR))"
    if not mapping:
        return raw
    whens = " ".join(f"WHEN {_lit(f)} THEN {_lit(t)}" for f, t in sorted(mapping.items()))
    return f"CASE {raw} {whens} ELSE {raw} END"


def _base(feed: Feed, loc: Location, register: Register,
          months: tuple[date, date] | None) -> str:
    """The feed's valid records with canonical ``_month``, ``_region`` and ``_group``."""
    month = f"CAST(DATE_TRUNC('month', {_id(feed.period_column)}) AS DATE)"
    inner = (f"SELECT *, {month} AS \"_month\", "
             f"{_recode(feed.region_column, feed.code_map(feed.region_column))} AS \"_region\", "
             f"{_recode(feed.group_column, feed.code_map(feed.group_column))} AS \"_group\" "
             f"FROM {_table(loc)}")
    where = [
        "\"_month\" IS NOT NULL",
        f"\"_region\" IN ({', '.join(_lit(r) for r in sorted(register.regions))})",
        f"\"_group\" IN ({', '.join(_lit(g) for g in GROUP_CODES)})",
    ]
    if months is not None:  # on the stored column, so that the engine can skip partitions
        y, m = months[1].year + months[1].month // 12, months[1].month % 12 + 1
        where.append(f"{_id(feed.period_column)} >= DATE {_lit(months[0].isoformat())} "
                     f"AND {_id(feed.period_column)} < DATE {_lit(date(y, m, 1).isoformat())}")
    return f"(SELECT * FROM ({inner}) AS r WHERE {' AND '.join(where)})"


def _additive(kpi: Kpi, feed: Feed) -> list[str]:
    """The sums and counts of one KPI at month x region x group (as in compute._fine_aggs)."""
    k = kpi.kpi_id
    keep = f"COALESCE({expression(kpi.filter)}, FALSE)" if kpi.filter else None
    one = (f"SUM(CASE WHEN {keep} THEN 1.0 ELSE 0.0 END)" if keep
           else "CAST(COUNT(*) AS DOUBLE)")

    def kept(e: str) -> str:
        return f"CASE WHEN {keep} THEN {e} END" if keep else e

    out = [f"CAST({one} AS DOUBLE) AS {_id(k + '|rows')}"]
    if kpi.measure in ("sum", "mean"):
        v = kept(_number(kpi.value or kpi.numerator, feed))
        return [f"CAST(COALESCE(SUM({v}), 0) AS DOUBLE) AS {_id(k + '|num')}",
                f"CAST(COUNT({v}) AS DOUBLE) AS {_id(k + '|den')}",
                f"CAST(COALESCE(SUM(({v}) * ({v})), 0) AS DOUBLE) AS {_id(k + '|sq')}", *out]

    def total(text: str) -> str:
        if text:
            return f"CAST(COALESCE(SUM({kept(_number(text, feed))}), 0) AS DOUBLE)"
        return f"CAST({one} AS DOUBLE)"

    out.append(f"{total(kpi.numerator)} AS {_id(k + '|num')}")
    if kpi.measure == "count":
        out.append(f"CAST(NULL AS DOUBLE) AS {_id(k + '|den')}")
    else:
        out.append(f"{total(kpi.denominator)} AS {_id(k + '|den')}")
    return out


KEYS = ("_month", "_region", "_group")


def _grouped(select: list[str], source: str, where: str = "") -> str:
    keys = ", ".join(_id(c) for c in KEYS)
    return (f"SELECT {keys}, {', '.join(select)} FROM {source} AS b"
            + (f" WHERE {where}" if where else "") + f" GROUP BY {keys}")


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("_month").cast(pl.Date), pl.col("_region").cast(pl.String),
                              pl.col("_group").cast(pl.String))


def fine_table(register: Register, feed: Feed, kpis: Sequence[Kpi],
               months: tuple[date, date] | None = None) -> pl.DataFrame | None:
    """Every additive KPI of ``feed`` at month x region x group, computed in the engine."""
    loc = location_of(feed)
    assert loc is not None
    base = _base(feed, loc, register, months)
    plain = [k for k in kpis if k.link is None and k.measure != "median"]
    frames: list[pl.DataFrame] = []
    if plain:
        select = [a for k in plain for a in _additive(k, feed)]
        frames.append(_typed(backends.run(loc, to_dialect(_grouped(select, base), loc))))
    for k in kpis:
        if k.link is not None:
            frames.append(_linked(register, feed, loc, k, base))
    if not frames:
        return None
    out = frames[0]
    for extra in frames[1:]:
        out = out.join(extra, on=list(KEYS), how="full", coalesce=True)
    return out


def _linked(register: Register, feed: Feed, loc: Location, kpi: Kpi, base: str) -> pl.DataFrame:
    """Records kept, and those found in the linked feed within the window."""
    assert kpi.link is not None
    link = kpi.link
    other = register.feeds[link.feed_id]
    oloc = location_of(other)
    if oloc is None or oloc.same_engine != loc.same_engine:
        raise ValueError(f"KPI '{kpi.kpi_id}' links '{feed.feed_id}' to '{link.feed_id}', which "
                         "is not in the same engine; put both feeds in one location")
    keep = f"COALESCE({expression(kpi.filter)}, FALSE)" if kpi.filter else "TRUE"
    cond = [f"o.{_id(link.key)} = b.{_id(link.key)}",
            f"o.{_id(link.date_column)} >= b.{_id(feed.period_column)}",
            f"o.{_id(link.date_column)} <= b.{_id(feed.period_column)} "
            f"+ INTERVAL '{int(link.window_days)}' DAY"]
    if link.filter:
        cond.append(f"COALESCE({expression(link.filter)}, FALSE)")
    exists = f"EXISTS (SELECT 1 FROM {_table(oloc)} AS o WHERE {' AND '.join(cond)})"
    k = kpi.kpi_id
    den = _typed(backends.run(loc, to_dialect(_grouped(
        [f"CAST(COUNT(*) AS DOUBLE) AS {_id(k + '|den')}"], base, keep), loc)))
    num = _typed(backends.run(loc, to_dialect(_grouped(
        [f"CAST(COUNT(*) AS DOUBLE) AS {_id(k + '|num')}"], base, f"{keep} AND {exists}"), loc)))
    return (den.join(num, on=list(KEYS), how="left")
            .with_columns(pl.col(f"{k}|num").fill_null(0.0),
                          pl.col(f"{k}|den").alias(f"{k}|rows")))


def _period_key(kpi: Kpi) -> str:
    """An integer month index (year * 12 + month - 1) of the first month of the KPI's period
    (rolling12: of the window's last month, one row per window through ``_k``)."""
    y, m = "CAST(YEAR(\"_month\") AS INTEGER)", "CAST(MONTH(\"_month\") AS INTEGER)"
    idx = f"({y} * 12 + {m} - 1)"
    if kpi.grain == "month":
        return idx
    if kpi.grain == "quarter":
        return f"({idx} - (({m} - 1) % 3))"
    if kpi.grain == "year":
        return f"({idx} - ({m} - 1))"
    if kpi.grain == "fiscal":
        fs = int(kpi.fiscal_start)
        return f"(CASE WHEN {m} >= {fs} THEN {y} * 12 + {fs - 1} ELSE ({y} - 1) * 12 + {fs - 1} END)"
    return f"({idx} + \"_k\")"


def median_table(register: Register, feed: Feed, kpi: Kpi,
                 months: tuple[date, date] | None = None) -> pl.DataFrame | None:
    """Exact medians at the four levels per period, computed in the engine.

    Columns as :func:`metrics.engine.compute._median_table`: period, region, group, den,
    med, num (empty), complete periods only.
    """
    from metrics.groups import ALL

    from .grain import expected_months as _expected_months
    from .grain import month_periods as _month_periods

    loc = location_of(feed)
    assert loc is not None
    base = _base(feed, loc, register, months)
    where = [f"{_number(kpi.value, feed)} IS NOT NULL"]
    if kpi.filter:
        where.append(f"COALESCE({expression(kpi.filter)}, FALSE)")
    # the months with values, to keep complete periods only (a separate, cheap query:
    # a distinct count inside GROUPING SETS makes Spark expand every row again)
    present = backends.run(loc, to_dialect(
        f"SELECT DISTINCT \"_month\" FROM {base} AS b WHERE {' AND '.join(where)}", loc))
    source = base
    if kpi.grain == "rolling12":
        ks = ", ".join(f"({i})" for i in range(12))
        source = f"(SELECT * FROM {base} AS b0 CROSS JOIN (VALUES {ks}) AS w(\"_k\"))"
    narrow = (f"(SELECT {_period_key(kpi)} AS \"_p\", \"_region\", \"_group\", "
              f"{_number(kpi.value, feed)} AS \"_v\" FROM {source} AS b "
              f"WHERE {' AND '.join(where)})")
    sql = ("SELECT \"_p\", \"_region\", \"_group\", CAST(COUNT(*) AS DOUBLE) AS den, "
           "MEDIAN(\"_v\") AS med "
           f"FROM {narrow} AS n GROUP BY GROUPING SETS ((\"_p\", \"_region\", \"_group\"), "
           "(\"_p\", \"_region\"), (\"_p\", \"_group\"), (\"_p\"))")
    t = backends.run(loc, to_dialect(sql, loc))
    if t.height == 0:
        return None
    t = t.with_columns(pl.col("_p").cast(pl.Int64), pl.col("_region").cast(pl.String),
                       pl.col("_group").cast(pl.String), pl.col("den").cast(pl.Float64),
                       pl.col("med").cast(pl.Float64))
    first = pl.date(pl.col("_p") // 12, pl.col("_p") % 12 + 1, 1)
    t = t.with_columns(period_expr(first, kpi.grain, fiscal_start=kpi.fiscal_start).alias("period"))
    out = t.rename({"_region": "region", "_group": "group"}).with_columns(
        pl.col("region").fill_null(ALL), pl.col("group").fill_null(ALL))
    counts = (_month_periods(present.get_column("_month").cast(pl.Date).to_list(), kpi)
              .group_by("period").agg(pl.col("_month").n_unique().alias("_months")))
    ok = [lb for lb, n in counts.iter_rows() if n >= _expected_months(lb, kpi, feed)]
    bounds = _median_bounds(loc, narrow, kpi)
    out = out.join(bounds, on=["_p", "region", "group"], how="left")
    return out.filter(pl.col("period").is_in(ok)).select(
        "period", "region", "group", "den", "med", "lo", "hi").with_columns(
        pl.lit(None, dtype=pl.Float64).alias("num"))


def _median_bounds(loc: Location, narrow: str, kpi: Kpi) -> pl.DataFrame:
    """The order statistics bounding each median (``lo``, ``hi``: ranks of
    :func:`metrics.intervals.median_ranks`), exact, at the four levels.

    The engine numbers the values of each level in order and sends back only those near the
    middle (within 1.2·√n + 3 ranks of n/2, which holds both ranks: they lie within about
    0.98·√n + 1 of it), so the transfer grows with √n, not n.
    """
    from metrics import intervals
    from metrics.groups import ALL

    parts = []
    for keys in (("_p", "_region", "_group"), ("_p", "_region"), ("_p", "_group"), ("_p",)):
        part = ", ".join(f'"{k}"' for k in keys)
        sql = (f'SELECT {part}, "_v", "_rn", "_n" FROM (SELECT {part}, "_v", '
               f'ROW_NUMBER() OVER (PARTITION BY {part} ORDER BY "_v") AS "_rn", '
               f'COUNT(*) OVER (PARTITION BY {part}) AS "_n" FROM {narrow} AS n) AS w '
               'WHERE ABS("_rn" - "_n" / 2.0) <= 1.2 * SQRT("_n") + 3')
        t = backends.run(loc, to_dialect(sql, loc))
        t = t.with_columns(pl.col("_p").cast(pl.Int64), pl.col("_v").cast(pl.Float64),
                           pl.col("_rn").cast(pl.Int64), pl.col("_n").cast(pl.Int64),
                           *(pl.lit(ALL).alias(k) for k in ("_region", "_group") if k not in keys),
                           *(pl.col(k).cast(pl.String) for k in ("_region", "_group") if k in keys))
        parts.append(t.select("_p", "_region", "_group", "_v", "_rn", "_n"))
    rows = pl.concat(parts)
    if rows.height == 0:
        return pl.DataFrame(schema={"_p": pl.Int64, "region": pl.String, "group": pl.String,
                                    "lo": pl.Float64, "hi": pl.Float64})
    sizes = rows.select("_p", "_region", "_group", "_n").unique()
    k, u = intervals.median_ranks(sizes.get_column("_n").to_numpy())
    ranks = sizes.with_columns(pl.Series("_k", k).fill_nan(None).cast(pl.Int64),
                               pl.Series("_u", u).fill_nan(None).cast(pl.Int64))
    picked = rows.join(ranks, on=["_p", "_region", "_group", "_n"]).group_by(
        "_p", "_region", "_group").agg(
        pl.col("_v").filter(pl.col("_rn") == pl.col("_k")).first().alias("lo"),
        pl.col("_v").filter(pl.col("_rn") == pl.col("_u")).first().alias("hi"))
    return picked.rename({"_region": "region", "_group": "group"})
