"""Checking a feed file against its contract, in Polars (no Python loops over rows).

:func:`read_feed_file` reads CSV, XLSX or Parquet as text; :func:`check_feed`
returns the accepted rows, typed and with canonical ``_month``, ``_region`` and
``_group`` columns, and one row per problem found (row number, column, value,
stable code, message).  A file that cannot be read or lacks required columns
is refused whole (:class:`FeedRefused`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from metrics.definitions import Feed, Register
from metrics.errors import CATALOGUE, Issue, issue
from metrics.groups import GROUP_CODES
from metrics.periods import parse_feed_period
from metrics.textio import UnknownEncoding, decode_text

ERROR_SCHEMA = {"row_number": pl.Int64, "column": pl.String, "value": pl.String,
                "code": pl.String, "message": pl.String}
ROW = "_row_number"
#: Figures above this (in absolute value) are refused unless a column declares its own bounds:
#: no count, population or amount a state reports comes near it; 1e308 or inf never passes.
DEFAULT_MAX_ABS = 1e12
#: Whole numbers beyond 2**53 cannot be held exactly as a float (every figure is checked as one).
MAX_EXACT_INT = 2**53
#: Periods more than this many years before the file was received are refused as implausible.
PLAUSIBLE_YEARS = 50
#: Names StatDesk adds to a checked feed: a contract column must not take one of them.
RESERVED_COLUMNS = frozenset({ROW, "_month", "_region", "_group", "_raw_num", "_raw_den"})


def _bounds_text(lo: float | None, hi: float | None) -> str:
    def fmt(v: float) -> str:
        return f"{v:g}"
    low = fmt(lo) if lo is not None else f"{-DEFAULT_MAX_ABS:g} (default)"
    high = fmt(hi) if hi is not None else f"{DEFAULT_MAX_ABS:g} (default)"
    return f"[{low}, {high}]"


_SHAPES = {"%Y": r"\d{4}", "%m": r"\d{1,2}", "%d": r"\d{1,2}", "%y": r"\d{2}",
           "%H": r"\d{1,2}", "%M": r"\d{1,2}", "%S": r"\d{1,2}"}


def _date_shape(values: pl.Expr, fmt: str) -> pl.Expr:
    """True where the text has the shape of ``fmt`` (digits in place), whatever the numbers.

    A value of the right shape that does not parse names a day that does not exist
    (2026-11-31, 2026-02-29): an impossible date, not a badly written one.
    """
    import re

    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            part = _SHAPES.get(fmt[i:i + 2])
            if part is None:  # month names and the like: no shape check
                return pl.lit(False)
            out.append(part)
            i += 2
        else:
            out.append(re.escape(fmt[i]))
            i += 1
    return values.str.contains("^" + "".join(out) + "$").fill_null(False)


@dataclass
class FeedRefused(Exception):
    """The whole file is refused; nothing is applied."""

    issues: list[Issue]

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self.issues)


def _excel_dates(p: Path, text: pl.DataFrame) -> dict[str, pl.Series]:
    """Columns that Excel stores as dates (read typed), so they are not read as '... 00:00:00'."""
    try:
        typed = pl.read_excel(p)
    except Exception:  # noqa: BLE001 - mixed columns: keep the text reading
        return {}
    if typed.height != text.height or typed.columns != text.columns:
        return {}
    return {c: typed.get_column(c) for c in typed.columns
            if typed.schema[c] in (pl.Date, pl.Datetime)}


def read_feed_file(path: str | Path, *, date_format: str = "%Y-%m-%d") -> pl.DataFrame:
    """Every column as text, header names stripped; raises FeedRefused.

    Cells stored as dates (Parquet date columns, Excel date cells) are written out
    in ``date_format``, the format the feed's contract reads dates in.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if not p.exists():
        raise FeedRefused([issue("feed.unreadable", file=p.name, kind="a file",
                                 detail="no such file")])
    if suffix in (".csv", ".xlsx", ".xlsm", ".parquet") and p.stat().st_size == 0:
        raise FeedRefused([issue("feed.empty", file=p.name)])
    try:
        if suffix == ".csv":
            try:
                text, _encoding = decode_text(p.read_bytes())
            except UnknownEncoding as exc:
                raise FeedRefused([issue("feed.bad_encoding", file=p.name, detail=str(exc))]) from None
            df = pl.read_csv(io.BytesIO(text.encode("utf-8")), infer_schema=False, encoding="utf8")
        elif suffix in (".xlsx", ".xlsm"):
            df = pl.read_excel(p, infer_schema_length=0)
            df = df.with_columns(_excel_dates(p, df).values())
        elif suffix == ".parquet":
            df = pl.read_parquet(p)
        else:
            raise FeedRefused([issue("feed.unsupported_format", file=p.name, value=suffix or p.name)])
    except FeedRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - report any reader failure
        kind = {".csv": "CSV", ".xlsx": "XLSX", ".parquet": "Parquet"}.get(suffix, suffix)
        raise FeedRefused([issue("feed.unreadable", file=p.name, kind=kind,
                                 detail=str(exc).splitlines()[0][:200])]) from None
    df = df.rename({c: c.strip().lstrip("\ufeff") for c in df.columns})
    df = df.select([(pl.col(c).dt.strftime(date_format) if df.schema[c] in (pl.Date, pl.Datetime)
                     else pl.col(c).cast(pl.String)) for c in df.columns])
    if df.height == 0:
        raise FeedRefused([issue("feed.empty", file=p.name)])
    return df


def _msg(code: str, **fields: object) -> str:
    data = {"file": "", "column": "", "value": "", "detail": "", "valid": "", "found": "",
            "kind": "", "feed": "", "first_row": ""}
    data.update({k: str(v) for k, v in fields.items()})
    return CATALOGUE[code][1].format(**data)


@dataclass(frozen=True)
class _Check:
    mask: pl.Expr
    column: str
    code: str
    value: pl.Expr
    message: pl.Expr


def _err(mask: pl.Expr, column: str, code: str, value: pl.Expr, message: pl.Expr | str) -> _Check:
    """A check: where ``mask`` holds, the row has this error."""
    msg = pl.lit(message) if isinstance(message, str) else message
    return _Check(mask.fill_null(False), column, code, value.cast(pl.String), msg)


def _run_checks(df: pl.DataFrame, checks: list[_Check]) -> list[pl.DataFrame]:
    """Evaluate every mask in one pass; build error rows only for checks that fired."""
    if not checks:
        return []
    # lazily, so that a value parsed for several checks (a number, a date) is parsed once
    masks = df.lazy().select([c.mask.alias(f"_c{i}") for i, c in enumerate(checks)]).collect()
    fired = masks.select(pl.all().any()).row(0)
    out = []
    for i, (c, hit) in enumerate(zip(checks, fired, strict=True)):
        if not hit:
            continue
        out.append(df.filter(masks.get_column(f"_c{i}")).select(
            pl.col(ROW).alias("row_number"), pl.lit(c.column).alias("column"),
            c.value.alias("value"), pl.lit(c.code).alias("code"), c.message.alias("message")))
    return out


def _template_expr(code: str, value: pl.Expr, column: str, **fields: object) -> pl.Expr:
    """Message with the cell value substituted, built by Polars."""
    marker = "\x00VALUE\x00"
    text = _msg(code, value=marker, column=column, **fields)
    before, _, after = text.partition(marker)
    return pl.concat_str([pl.lit(before), value.cast(pl.String).fill_null(""), pl.lit(after)])


def aggregate_key(feed: Feed, present: Sequence[str] = ()) -> list[str]:
    """Columns that identify one row of an aggregate feed once checked (one figure per key);
    the shape stage's total and "other" markers among ``present`` columns count too (those
    rows have no group of their own, see ``metrics.ingest.shape``)."""
    return ["_month", "_region", "_group"] + [
        c.name for c in feed.columns if c.type == "string" and c.allowed
        and c.name not in (feed.region_column, feed.group_column)] + [
        c for c in ("_shape_total", "_shape_region_total", "_shape_other") if c in present]


def check_feed(raw: pl.DataFrame, feed: Feed, register: Register, *, received_on: date,
               file_name: str = "") -> tuple[pl.DataFrame, pl.DataFrame]:
    """(accepted rows, errors). Raises FeedRefused for whole-file problems."""
    missing = [c.name for c in feed.columns if c.required and c.name not in raw.columns]
    if missing:
        found = ", ".join(raw.columns)
        raise FeedRefused([issue("feed.missing_column", file=file_name, column=m, found=found)
                           for m in missing])
    df = raw.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    for c in feed.columns:  # optional columns absent from the file
        if c.name not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.String).alias(c.name))
    checks: list[_Check] = []
    typed: list[pl.Expr] = []
    parsed: list[pl.Expr] = []  # parsed once into helper columns, then read by every check

    def once(expr: pl.Expr) -> pl.Expr:
        name = f"__parsed{len(parsed)}"
        parsed.append(expr.alias(name))
        return pl.col(name)
    na = list(feed.na_values)
    counts = {feed.numerator_column, feed.denominator_column} if feed.kind == "aggregate" else set()
    for c in feed.columns:
        s = pl.col(c.name).str.strip_chars()
        empty = s.is_null() | (s == "")
        is_na = s.is_in(na) if na else pl.lit(False)
        if c.required:
            checks.append(_err(empty, c.name, "feed.missing_value", s,
                               _msg("feed.missing_value", column=c.name)))
        if c.type in ("int", "float"):
            if c.required or c.name in counts:  # an optional figure marked N/A is just missing
                checks.append(_err(is_na, c.name, "feed.not_available", s,
                                   _template_expr("feed.not_available", s, c.name)))
            clean = s.str.replace_all(feed.thousands, "", literal=True) if feed.thousands else s
            num = once(clean.cast(pl.Float64, strict=False))
            bad = ~empty & ~is_na & num.is_null()
            checks.append(_err(bad, c.name, "feed.bad_number", s,
                               _template_expr("feed.bad_number", s, c.name)))
            checks.append(_err(num.is_not_null() & ~num.is_finite(), c.name, "feed.not_finite", s,
                               _template_expr("feed.not_finite", s, c.name)))
            ok = num.is_not_null() & num.is_finite()
            whole = c.type == "int" or c.name in counts
            too_big = (ok & (num.abs() > MAX_EXACT_INT)) if whole else pl.lit(False)
            if whole:
                checks.append(_err(too_big, c.name, "feed.integer_too_large", s,
                                   _template_expr("feed.integer_too_large", s, c.name,
                                                  detail=f"{MAX_EXACT_INT:,}")))
                checks.append(_err(ok & ~too_big & (num != num.round(0)), c.name,
                                   "feed.not_integer", s, _template_expr("feed.not_integer", s, c.name)))
            if c.name in counts or (c.min is not None and c.min >= 0):
                checks.append(_err(ok & (num < 0), c.name, "feed.negative_value", s,
                                   _template_expr("feed.negative_value", s, c.name)))
            lo = c.min if c.min is not None else -DEFAULT_MAX_ABS
            hi = c.max if c.max is not None else DEFAULT_MAX_ABS
            out = (num < lo) | (num > hi)
            if c.name in counts or (c.min is not None and c.min >= 0):
                out = num > hi  # below zero is reported as a negative value
            checks.append(_err(ok & ~too_big & out, c.name, "feed.value_out_of_range", s,
                               _template_expr("feed.value_out_of_range", s, c.name,
                                              detail=_bounds_text(c.min, c.max))))
            keep = pl.when(ok & ~too_big).then(num)
            typed.append((keep.cast(pl.Int64, strict=False) if c.type == "int" else keep)
                         .alias(c.name))
        elif c.type == "date" and c.name != feed.period_column:
            d = once(s.str.to_date(feed.date_format, strict=False))
            shaped = _date_shape(s, feed.date_format)
            checks.append(_err(~empty & d.is_null() & ~shaped, c.name, "feed.bad_date", s,
                               _template_expr("feed.bad_date", s, c.name, detail=feed.date_format)))
            checks.append(_err(~empty & d.is_null() & shaped, c.name, "feed.impossible_date", s,
                               _template_expr("feed.impossible_date", s, c.name)))
            typed.append(d.alias(c.name))
        elif c.type == "bool":
            low = s.str.to_lowercase()
            b = (pl.when(low.is_in(["true", "1", "yes", "y", "t"])).then(True)
                 .when(low.is_in(["false", "0", "no", "n", "f"])).then(False).otherwise(None))
            checks.append(_err(~empty & b.is_null(), c.name, "feed.bad_type", s,
                               _template_expr("feed.bad_type", s, c.name, detail="yes/no value")))
            typed.append(b.alias(c.name))
        elif c.name != feed.period_column:
            typed.append(s.alias(c.name))
        if c.allowed and c.name not in (feed.region_column, feed.group_column):
            checks.append(_err(~empty & ~s.is_in(list(c.allowed)), c.name, "feed.bad_value", s,
                               _template_expr("feed.bad_value", s, c.name, valid=", ".join(c.allowed))))
    # period -> first day of month
    ps = pl.col(feed.period_column).str.strip_chars()
    if feed.period_pattern:
        ps = ps.str.extract(feed.period_pattern, 1)
    if feed.kind == "record":
        d = once(ps.str.to_date(feed.date_format, strict=False))
        month = d.dt.truncate("1mo")
        typed.append(d.alias(feed.period_column))
        what = f"date ({feed.date_format})"
    else:
        month = once(parse_feed_period(ps, feed.period_grain))
        typed.append(pl.col(feed.period_column).str.strip_chars().alias(feed.period_column))
        what = {"month": "month (YYYY-MM)", "quarter": "quarter (YYYY-Qn)",
                "year": "year (YYYY)"}[feed.period_grain]
    praw = pl.col(feed.period_column).str.strip_chars()
    pempty = praw.is_null() | (praw == "")
    if feed.kind == "record":
        impossible = ~pempty & month.is_null() & _date_shape(ps, feed.date_format)
    elif feed.period_grain == "month":  # YYYY-MM-DD is read as its month: the day must exist
        impossible = (ps.str.contains(r"^\d{4}-\d{2}-\d{2}$")
                      & ps.str.to_date("%Y-%m-%d", strict=False).is_null())
    else:
        impossible = pl.lit(False)
    checks.append(_err(impossible, feed.period_column, "feed.impossible_date", praw,
                       _template_expr("feed.impossible_date", praw, feed.period_column)))
    checks.append(_err(~pempty & month.is_null() & ~impossible, feed.period_column,
                       "feed.bad_period", praw,
                       _template_expr("feed.bad_period", praw, feed.period_column, detail=what)))
    earliest = date(received_on.year - PLAUSIBLE_YEARS, 1, 1)
    checks.append(_err(month < pl.lit(earliest), feed.period_column, "feed.implausible_period",
                       praw, _template_expr("feed.implausible_period", praw, feed.period_column,
                                            detail=earliest.isoformat())))
    month = pl.when(impossible).then(None).otherwise(month)
    checks.append(_err(month > pl.lit(received_on), feed.period_column, "feed.period_in_future",
                       praw, _template_expr("feed.period_in_future", praw, feed.period_column)))
    # code lists
    regions = sorted(register.regions)
    rmap = feed.code_map(feed.region_column)
    rraw = pl.col(feed.region_column).str.strip_chars()
    region = rraw.replace(rmap) if rmap else rraw
    rempty = rraw.is_null() | (rraw == "")
    checks.append(_err(~rempty & ~region.is_in(regions), feed.region_column, "feed.unknown_region",
                       rraw, _template_expr("feed.unknown_region", rraw, feed.region_column,
                                            valid=", ".join(regions[:15]) + (" …" if len(regions) > 15 else ""))))
    gmap = feed.code_map(feed.group_column)
    graw = pl.col(feed.group_column).str.strip_chars()
    group = graw.replace(gmap) if gmap else graw
    gempty = graw.is_null() | (graw == "")
    valid_groups = list(GROUP_CODES)
    shown = ", ".join(sorted(gmap) or valid_groups)
    checks.append(_err(~gempty & ~group.is_in(valid_groups), feed.group_column, "feed.unknown_group",
                       graw, _template_expr("feed.unknown_group", graw, feed.group_column, valid=shown)))
    typed += [month.alias("_month"), region.alias("_region"), group.alias("_group")]
    typed += [pl.col(c) for c in df.columns if c.startswith("_shape_")]  # from ingest.shape
    raw_cols: list[str] = []
    if feed.kind == "aggregate":  # cross checks quote the cells as the agency wrote them
        raw_cols = ["_raw_num", "_raw_den"]
        typed += [pl.col(feed.numerator_column).str.strip_chars().alias("_raw_num"),
                  pl.col(feed.denominator_column).str.strip_chars().alias("_raw_den")]
    df = df.with_columns(parsed)
    names = [ROW, *(e.meta.output_name() for e in typed)]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:  # a contract the loader should have refused: say so, never crash
        raise FeedRefused([issue("feed.bad_contract", file=file_name, feed=feed.feed_id,
                                 detail=f"the column '{clash[0]}' would be produced twice "
                                 "(a period, region or group column also declared as a figure, "
                                 "or a column named like one StatDesk adds)")])
    typed_df = df.lazy().select(pl.col(ROW), *typed).collect()
    # cross-column checks on typed values
    cross: list[_Check] = []
    if feed.kind == "aggregate":
        n, d = pl.col(feed.numerator_column), pl.col(feed.denominator_column)
        rn, rd = pl.col("_raw_num"), pl.col("_raw_den")
        cross.append(_err((d == 0) & (n > 0), feed.denominator_column, "feed.zero_denominator", rd,
                          _msg("feed.zero_denominator", column=feed.denominator_column)))
        if any(k.measure == "proportion" for k in register.kpis.values() if k.feed_id == feed.feed_id):
            cross.append(_err((d > 0) & (n > d), feed.numerator_column,
                              "feed.numerator_exceeds_denominator", rn,
                              pl.concat_str([pl.lit("The numerator "), rn,
                                             pl.lit(" is larger than the denominator "), rd,
                                             pl.lit("; for a proportion it cannot be.")])))
        key = aggregate_key(feed, df.columns)
        dup = pl.len().over(key) > 1
        keytext = pl.concat_str([pl.col(feed.period_column), pl.col("_region"), pl.col("_group")],
                                separator=" / ")
        cross.append(_err(dup & pl.col("_month").is_not_null(), feed.period_column,
                          "feed.duplicate_key", keytext,
                          _template_expr("feed.duplicate_key", keytext, "period, region and group")))
    else:
        cols = [c.name for c in feed.columns]
        dup = ~pl.struct(cols).is_first_distinct()
        cross.append(_err(dup, feed.person_key or cols[0], "feed.duplicate_key",
                          pl.col(feed.person_key or cols[0]),
                          _msg("feed.duplicate_key", column="values in every column",
                               value="an identical row")))
    first = _run_checks(df, checks)
    if first:  # cross-column checks only on rows whose cells are valid on their own
        bad_first = pl.concat(first).get_column("row_number").unique().implode()
        typed_df = typed_df.filter(~pl.col(ROW).is_in(bad_first))
    parts = first + _run_checks(typed_df, cross)
    errors = (pl.concat(parts, how="vertical") if parts else pl.DataFrame(schema=ERROR_SCHEMA)
              ).select(list(ERROR_SCHEMA)).sort("row_number", "column")
    # a row with a bad value in one column may show knock-on errors in cross checks; keep all
    bad_rows = errors.get_column("row_number").unique()
    accepted = typed_df.filter(~pl.col(ROW).is_in(bad_rows.implode())).drop(ROW, *raw_cols)
    # canonical codes are stored as enums: small, dictionary-encoded, fast to group on
    accepted = accepted.with_columns(pl.col("_region").cast(pl.Enum(regions)),
                                     pl.col("_group").cast(pl.Enum(list(GROUP_CODES))))
    return accepted, errors
