"""The shape stage: an agency's file, as it was exported, into the contract's long table.

Runs before the contract's checks (:func:`metrics.ingest.validate.check_feed`) for feeds
that declare a shape in ``feed_shapes.csv`` (:class:`~metrics.definitions.FeedShape`):

1. read the table from its header row (notes above it are skipped) and drop note lines
   below it;
2. read the period column in the declared date format (``%Y%m%d``, ``%m/%d/%Y``, …) and
   write it as the feed's period (``2021-03`` for a monthly feed);
3. several reports in a period: keep the last one (``cumulative``; a count that falls
   between reports is a data-quality finding), the increase since the period before
   (``increments``), or add them up (``additive``);
4. wide files: columns ``<measure><separator><suffix>`` (``Deaths_Black``) become one row
   per suffix, the suffix in the declared column; suffixes with no code in
   ``code_maps.csv`` are left out and said so; a group no report filled in is skipped;
5. values the agency suppressed (``.``, ``*``, ``<5``, ``NA``) become empty and are
   carried as suppressed (``_shape_suppressed`` names the columns): never zero, never
   a rejected row;
6. counts with a published rate and no denominator: the denominator is derived
   (``rate_column``, ``rate_per``);
7. the file's own totals (``total_code``, e.g. ``Total``; ``region_total_code``, e.g.
   ``Statewide``) are carried as such (``_shape_total``, ``_shape_region_total``), never
   as a group or a region; "Some other race" (mapped to ``other``) is carried with no
   group (``_shape_other``), to count in the all-groups figures only.

Errors found by the contract's checks are then put back in the file's terms: the row of
the file, and the column as the agency named it (``Deaths_Black``, not ``Deaths``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from metrics.definitions import Feed, FeedShape, Register
from metrics.definitions.shapes import SOME_OTHER_RACE
from metrics.errors import issue
from metrics.groups import GROUP_CODES

from .validate import ERROR_SCHEMA, FeedRefused, check_feed, read_feed_file

ID = "_shape_id"  # position of a long row (what the contract's checks number)
SRC = "_shape_row"  # the row of the file it came from
SUFFIX = "_shape_suffix"  # for wide files: the rest of the column name
TOTAL = "_shape_total"
RTOTAL = "_shape_region_total"  # the file's own all-regions figure
OTHER = "_shape_other"  # "Some other race": in the all-groups figures, never a group
SUPPRESSED = "_shape_suppressed"
DATE = "_shape_date"
SHAPE_FILE = "feed_shapes.csv"


@dataclass
class Shaped:
    """A file after the shape stage: the long table, the file as read, and what was done."""

    frame: pl.DataFrame  # text columns of the contract + _shape_* columns
    source: pl.DataFrame  # the file's table as read (text)
    notes: list[str] = field(default_factory=list)
    findings: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ERROR_SCHEMA))
    suppressed_cells: int = 0
    errors: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ERROR_SCHEMA))


def _read(path: Path, feed: Feed, shape: FeedShape) -> pl.DataFrame:
    if shape.header_row == 1:
        return read_feed_file(path, date_format=feed.date_format)
    skip = shape.header_row - 1
    suffix = path.suffix.lower()
    if not path.exists():
        raise FeedRefused([issue("feed.unreadable", file=path.name, kind="a file",
                                 detail="no such file")])
    try:
        if suffix == ".csv":
            df = pl.read_csv(path, infer_schema=False, skip_rows=skip, truncate_ragged_lines=True,
                             encoding="utf8")
        elif suffix in (".xlsx", ".xlsm"):
            df = pl.read_excel(path, infer_schema_length=0, read_options={"header_row": skip})
        else:
            raise FeedRefused([issue("feed.shape", file=path.name, detail=(
                f"header_row {shape.header_row} is declared in {SHAPE_FILE}, which only CSV and "
                "XLSX files can have; send CSV or XLSX, or set header_row to 1."))])
    except FeedRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - report any reader failure
        raise FeedRefused([issue("feed.unreadable", file=path.name, kind=suffix.lstrip(".").upper(),
                                 detail=str(exc).splitlines()[0][:200])]) from None
    df = df.rename({c: c.strip().lstrip("\ufeff") for c in df.columns})
    df = df.select([pl.col(c).cast(pl.String) for c in df.columns])
    if df.height == 0:
        raise FeedRefused([issue("feed.empty", file=path.name)])
    return df


def _blank(e: pl.Expr) -> pl.Expr:
    return e.is_null() | (e.str.strip_chars() == "")


def _period_label(d: pl.Expr, feed: Feed) -> pl.Expr:
    if feed.kind == "record":
        return d.dt.strftime(feed.date_format)
    if feed.period_grain == "quarter":
        return pl.format("{}-Q{}", d.dt.year(), d.dt.quarter())
    if feed.period_grain == "year":
        return d.dt.strftime("%Y")
    return d.dt.strftime("%Y-%m")


def _key_columns(df: pl.DataFrame, feed: Feed, shape: FeedShape) -> list[str]:
    """Columns naming what a report is about (region, group, indicator …), not the figures."""
    numeric = {c.name for c in feed.columns if c.type in ("int", "float")}
    skip = {feed.period_column, *numeric, shape.wide_into}
    return [c.name for c in feed.columns if c.name in df.columns and c.name not in skip]


def _measure_columns(df: pl.DataFrame, feed: Feed, shape: FeedShape, *,
                     used_only: bool = False) -> list[str]:
    if shape.is_wide:
        out = []
        for c in df.columns:
            for m in shape.wide_measures:
                if c.startswith(m + shape.wide_separator) and (
                        not used_only or _used(c[len(m + shape.wide_separator):], feed, shape)):
                    out.append(c)
                    break
        return out
    return [c.name for c in feed.columns if c.type in ("int", "float") and c.name in df.columns]


def _used(suffix: str, feed: Feed, shape: FeedShape) -> bool:
    """Whether a wide column's suffix has a code (or is the file's total)."""
    if shape.wide_into != feed.group_column:
        return True
    return suffix in {*feed.code_map(shape.wide_into), *GROUP_CODES, shape.total_code}


def _number(e: pl.Expr, feed: Feed) -> pl.Expr:
    s = e.str.strip_chars()
    if feed.thousands:
        s = s.str.replace_all(feed.thousands, "", literal=True)
    return s.cast(pl.Float64, strict=False)


def _decreases(df: pl.DataFrame, keys: list[str], measures: list[str], feed: Feed,
               file_name: str) -> pl.DataFrame:
    """Cumulative counts that fall from one report to the next: data-quality findings.

    One sort by series and date; each figure is compared with the one before it in the
    same series (the previous row, when its keys are the same).
    """
    if not measures:
        return pl.DataFrame(schema=ERROR_SCHEMA)
    ordered = (df.select(SRC, *keys, DATE, *measures).filter(pl.col(DATE).is_not_null())
               .sort([*keys, DATE]))
    same = pl.all_horizontal([pl.col(k).eq_missing(pl.col(k).shift(1)) for k in keys]) \
        if keys else pl.int_range(pl.len()) > 0
    v = [_number(pl.col(m), feed).alias(f"_v{i}") for i, m in enumerate(measures)]
    ordered = ordered.with_columns(*v, same.alias("_same"), pl.col(DATE).shift(1).alias("_pdate"))
    ordered = ordered.with_columns(
        [pl.when(pl.col("_same")).then(pl.col(f"_v{i}").shift(1)).alias(f"_p{i}")
         for i in range(len(measures))])
    fell = [(pl.col(f"_v{i}") < pl.col(f"_p{i}")).fill_null(False) for i in range(len(measures))]
    hits = ordered.filter(pl.any_horizontal(fell))
    if hits.height == 0:
        return pl.DataFrame(schema=ERROR_SCHEMA)
    where = pl.concat_str([pl.col(k) for k in keys], separator=" / ") if keys else pl.lit("")
    hits = hits.with_columns(where.alias("_where"))
    parts = []
    for i, m in enumerate(measures):
        part = hits.filter(fell[i])
        if part.height == 0:
            continue
        parts.append(part.select(
            pl.col(SRC).alias("row_number"), pl.lit(m).alias("column"),
            pl.col(m).str.strip_chars().alias("value"),
            pl.lit("quality.cumulative_decrease").alias("code"),
            pl.concat_str([
                pl.lit(f"{m} fell from "), pl.col(f"_p{i}").cast(pl.Int64).cast(pl.String),
                pl.lit(" (report of "), pl.col("_pdate").cast(pl.String), pl.lit(") to "),
                pl.col(m).str.strip_chars(), pl.lit(" (report of "),
                pl.col(DATE).cast(pl.String), pl.lit(") for "), pl.col("_where"),
                pl.lit("; a cumulative count cannot fall, so the agency revised it. StatDesk "
                       "keeps the last report of each period as sent.")]).alias("message")))
    return pl.concat(parts).select(list(ERROR_SCHEMA)).sort("row_number", "column")


def _increments(df: pl.DataFrame, keys: list[str], measures: list[str], feed: Feed,
                notes: list[str]) -> pl.DataFrame:
    """Cumulative counts (last report of each period) -> what was added in each period.

    The first period of each series has no earlier report, so its increment is unknown
    (empty, not zero); after a period with no report the increment spans both periods.
    A fall gives a negative increment, which the contract's checks quarantine.
    """
    ordered = df.sort([*keys, DATE])
    prev = (lambda e: e.shift(1).over(keys)) if keys else (lambda e: e.shift(1))
    out = ordered.with_columns([
        (_number(pl.col(m), feed) - prev(_number(pl.col(m), feed))).cast(pl.String).alias(m)
        for m in measures])
    notes.append("Counts are cumulative: each period's figure is the increase since the last "
                 "report of the period before; the first period of each series has no earlier "
                 "report and is left empty.")
    return out


def _melt(df: pl.DataFrame, feed: Feed, shape: FeedShape, notes: list[str],
          file_name: str = "") -> pl.DataFrame:
    """Wide -> long: one row per suffix, measures as columns."""
    sep = shape.wide_separator
    suffixes: dict[str, None] = {}
    for c in df.columns:
        for m in shape.wide_measures:
            if c.startswith(m + sep) and len(c) > len(m + sep):
                suffixes.setdefault(c[len(m + sep):], None)
    if not suffixes:
        raise FeedRefused([issue("feed.shape", file=file_name, detail=(
            f"no column of the file is named {' or '.join(m + sep + '…' for m in shape.wide_measures)}"
            f" (columns found: {', '.join(df.columns)}). Correct wide_measures or wide_separator "
            f"for feed '{feed.feed_id}' in {SHAPE_FILE}."))])
    used = [s for s in suffixes if _used(s, feed, shape)]
    unused = [s for s in suffixes if s not in used]
    if unused:
        cols = [shape.wide_column(m, s) for s in unused for m in shape.wide_measures
                if shape.wide_column(m, s) in df.columns]
        notes.append(
            f"{len(cols)} columns not used, because code_maps.csv has no code for "
            f"{', '.join(repr(s) for s in unused)} in column '{shape.wide_into}': "
            f"{', '.join(cols[:8])}{' …' if len(cols) > 8 else ''}. To use them, add rows "
            f"'{feed.feed_id},{shape.wide_into},<suffix>,<code>' to code_maps.csv.")
    ids = [c for c in df.columns if c not in _measure_columns(df, feed, shape)]
    parts = []
    for s in used:
        measures = [(pl.col(shape.wide_column(m, s)) if shape.wide_column(m, s) in df.columns
                     else pl.lit(None, dtype=pl.String)).alias(m) for m in shape.wide_measures]
        parts.append(df.select(*ids, pl.lit(s).alias(shape.wide_into), *measures))
    return pl.concat(parts, how="vertical").sort(SRC, maintain_order=True)


def _derived_denominator(df: pl.DataFrame, feed: Feed, shape: FeedShape,
                         notes: list[str]) -> pl.DataFrame:
    """Count and published rate, no denominator: denominator = count / rate x per.

    Published rates are rounded, so the derived denominator is approximate; where the
    rate is zero or missing it cannot be derived and stays empty (the row is then left out
    of ratio KPIs, never counted as zero).
    """
    num = _number(pl.col(feed.numerator_column), feed)
    rate = _number(pl.col(shape.rate_column), feed)
    derived: pl.Expr = (pl.when(rate > 0).then(num / rate * (shape.rate_per or 1.0))
                        .round(0).cast(pl.Int64).cast(pl.String))
    if feed.denominator_column in df.columns:  # a denominator the file gives is kept
        given = pl.col(feed.denominator_column)
        derived = pl.when(_blank(given)).then(derived).otherwise(given)
    out = df.with_columns(derived.alias(feed.denominator_column))
    n = out.filter(pl.col(feed.denominator_column).is_not_null()).height
    notes.append(f"{n} denominator(s) derived from the published rate '{shape.rate_column}' "
                 f"(per {shape.rate_per:g}): count / rate x {shape.rate_per:g}; approximate, as "
                 "the rates are rounded.")
    return out


def shape_frame(raw: pl.DataFrame, feed: Feed, *, file_name: str = "", header_row: int = 1
                ) -> Shaped:
    """Apply the feed's shape to a file's table read as text (see the module docstring)."""
    shape = feed.shape or FeedShape()
    notes: list[str] = []
    df = raw.with_row_index(SRC, offset=header_row + 1).with_columns(pl.col(SRC).cast(pl.Int64))
    data_cols = [c for c in raw.columns]
    # blank lines, and notes below the table (only a first cell)
    empty = pl.all_horizontal([_blank(pl.col(c)) for c in data_cols])
    df = df.filter(~empty)
    if shape.notes_below and len(data_cols) > 1:
        rest = pl.all_horizontal([_blank(pl.col(c)) for c in data_cols[1:]])
        n = df.filter(rest).height
        if n:
            notes.append(f"{n} note line(s) without figures were skipped (notes_below).")
        df = df.filter(~rest)
    if df.height == 0:
        raise FeedRefused([issue("feed.empty", file=file_name)])
    pcol = feed.period_column
    if pcol not in df.columns:
        raise FeedRefused([issue("feed.missing_column", file=file_name, column=pcol,
                                 found=", ".join(raw.columns))])
    findings = pl.DataFrame(schema=ERROR_SCHEMA)
    errors = pl.DataFrame(schema=ERROR_SCHEMA)
    if shape.period_format:
        d = pl.col(pcol).str.strip_chars().str.to_date(shape.period_format, strict=False)
        df = df.with_columns(d.alias(DATE))
        bad = pl.col(DATE).is_null() & ~_blank(pl.col(pcol))
        errors = df.filter(bad).select(
            pl.col(SRC).alias("row_number"), pl.lit(pcol).alias("column"),
            pl.col(pcol).alias("value"), pl.lit("feed.bad_period").alias("code"),
            pl.concat_str([pl.lit("'"), pl.col(pcol), pl.lit(
                f"' in '{pcol}' is not a date in the format {shape.period_format} declared for "
                f"feed '{feed.feed_id}' in {SHAPE_FILE} (period_format); correct the file, or "
                "the declared format.")]).alias("message"))
        df = df.filter(~bad).with_columns(_period_label(pl.col(DATE), feed).alias(pcol))
    keys = _key_columns(df, feed, shape)
    if shape.reports in ("cumulative", "increments") and DATE in df.columns:
        findings = _decreases(df, keys, _measure_columns(df, feed, shape, used_only=True), feed,
                              file_name)
        if findings.height:
            notes.append(f"{findings.height} cumulative figure(s) fell from one report to the next "
                         "(data-quality findings; the last report of each period is used).")
        before = df.height
        last = pl.col(DATE) == pl.col(DATE).max().over([*keys, pcol])
        df = df.filter(last | pl.col(DATE).is_null())
        if before > df.height:
            notes.append(f"{before - df.height} earlier report(s) within a period left out: "
                         "the counts are cumulative, so the last report of each period is used.")
        if shape.reports == "increments":
            df = _increments(df, keys, _measure_columns(df, feed, shape, used_only=True), feed,
                             notes)
    if shape.is_wide:
        df = _melt(df, feed, shape, notes, file_name)
        df = df.with_columns(pl.col(shape.wide_into).alias(SUFFIX))  # names the file's columns
    measures = list(shape.wide_measures) if shape.is_wide else _measure_columns(df, feed, shape)
    # values suppressed by the agency: empty, and named in _shape_suppressed
    suppressed = 0
    if shape.suppressed and measures:
        marks = list(shape.suppressed)
        flags = [pl.when(pl.col(m).str.strip_chars().is_in(marks)).then(pl.lit(m)) for m in measures]
        df = df.with_columns(pl.concat_str(flags, separator=";", ignore_nulls=True).alias(SUPPRESSED))
        suppressed = int(df.select(pl.sum_horizontal(
            [pl.col(m).str.strip_chars().is_in(marks).fill_null(False) for m in measures])).sum().item())
        df = df.with_columns([pl.when(pl.col(m).str.strip_chars().is_in(marks)).then(None)
                              .otherwise(pl.col(m)).alias(m) for m in measures])
        if suppressed:
            notes.append(f"{suppressed} value(s) marked as suppressed by the agency "
                         f"({', '.join(marks)}) are carried as suppressed: not zero, not counted.")
    else:
        df = df.with_columns(pl.lit(None, dtype=pl.String).alias(SUPPRESSED))
    df = df.with_columns(pl.col(SUPPRESSED).replace("", None))
    if shape.is_wide:  # a group no report filled in is not reported, not a row to check
        unreported = pl.all_horizontal([_blank(pl.col(m)) for m in measures]) & pl.col(SUPPRESSED).is_null()
        n = df.filter(unreported).height
        if n:
            notes.append(f"{n} group figure(s) left empty in the file (not reported) were skipped.")
        df = df.filter(~unreported)
    if shape.reports == "additive":
        group_keys = [*keys, pcol, *([shape.wide_into] if shape.is_wide else [])]
        df = df.group_by(group_keys, maintain_order=True).agg(
            pl.col(SRC).min(), pl.col(SUPPRESSED).drop_nulls().unique().str.join(";"),
            *[pl.when(_number(pl.col(m), feed).is_null().any()).then(None)  # one unknown report:
              .otherwise(_number(pl.col(m), feed).sum()).cast(pl.String).alias(m)  # sum unknown
              for m in measures],
            *[pl.col(c).first() for c in df.columns
              if c not in {*group_keys, *measures, SRC, SUPPRESSED}])
        df = df.with_columns(pl.col(SUPPRESSED).replace("", None))
    if shape.rate_column and shape.rate_per and shape.rate_column in df.columns:
        df = _derived_denominator(df, feed, shape, notes)
    gcol = shape.wide_into or feed.group_column
    if shape.total_code and gcol in df.columns:
        is_total = (pl.col(gcol).str.strip_chars() == shape.total_code).fill_null(False)
        df = df.with_columns(is_total.alias(TOTAL)).with_columns(
            pl.when(pl.col(TOTAL)).then(None).otherwise(pl.col(gcol)).alias(gcol))
    else:
        df = df.with_columns(pl.lit(False).alias(TOTAL))
    others = [f for f, t in feed.code_map(gcol).items() if t == SOME_OTHER_RACE]
    if others and gcol in df.columns:  # no SPD 15 category: in the total, never a group
        is_other = pl.col(gcol).str.strip_chars().is_in(others).fill_null(False)
        n = df.filter(is_other).height
        if n:
            notes.append(f"{n} row(s) of {', '.join(repr(o) for o in others)} (mapped to "
                         f"'{SOME_OTHER_RACE}': no SPD 15 category) count in the all-groups "
                         "figures, not as a group.")
        df = df.with_columns(is_other.alias(OTHER),
                             pl.when(is_other).then(None).otherwise(pl.col(gcol)).alias(gcol))
    rcol = feed.region_column
    if shape.region_total_code and rcol in df.columns:
        is_rtotal = (pl.col(rcol).str.strip_chars() == shape.region_total_code).fill_null(False)
        df = df.with_columns(is_rtotal.alias(RTOTAL)).with_columns(
            pl.when(pl.col(RTOTAL)).then(None).otherwise(pl.col(rcol)).alias(rcol))
    if DATE in df.columns:
        df = df.drop(DATE)
    df = df.with_row_index(ID, offset=2).with_columns(pl.col(ID).cast(pl.Int64))
    return Shaped(df, raw, notes, findings, suppressed, errors)


def shape_file(path: str | Path, feed: Feed) -> Shaped:
    """Read ``path`` and apply the feed's shape. Raises FeedRefused."""
    p = Path(path)
    shape = feed.shape or FeedShape()
    raw = _read(p, feed, shape)
    return shape_frame(raw, feed, file_name=p.name, header_row=shape.header_row)


def source_errors(errors: pl.DataFrame, shaped: Shaped, feed: Feed) -> pl.DataFrame:
    """The contract's errors in the file's terms: its row, and its column names."""
    if errors.height == 0:
        return errors
    shape = feed.shape or FeedShape()
    cols = [ID, SRC] + ([SUFFIX] if SUFFIX in shaped.frame.columns else [])
    where = shaped.frame.select(cols)
    out = errors.join(where, left_on="row_number", right_on=ID, how="left")
    column = pl.col("column")
    if shape.is_wide:
        column = (pl.when(pl.col("column").is_in(list(shape.wide_measures)))
                  .then(pl.concat_str([pl.col("column"), pl.lit(shape.wide_separator),
                                       pl.col(SUFFIX)]))
                  .when(pl.col("column") == shape.wide_into)
                  .then(pl.concat_str([pl.lit(f"columns …{shape.wide_separator}"), pl.col(SUFFIX)]))
                  .otherwise(pl.col("column")))
    return (out.with_columns(pl.col(SRC).alias("row_number"), column.alias("column"))
            .select(list(ERROR_SCHEMA)).unique(maintain_order=True).sort("row_number", "column"))


def records_frame(shaped: Shaped, header_row: int) -> pl.DataFrame:
    """The file's table, padded so that row ``i`` of it (counted from 2) is the file's row ``i``."""
    pad = header_row - 1
    if pad <= 0:
        return shaped.source
    blank = pl.DataFrame({c: [None] * pad for c in shaped.source.columns},
                         schema={c: pl.String for c in shaped.source.columns})
    return pl.concat([blank, shaped.source], how="vertical")


def check_shaped(path: str | Path, feed: Feed, register: Register, *, received_on: date,
                 file_name: str = "") -> tuple[pl.DataFrame, pl.DataFrame, int, pl.DataFrame, list[str]]:
    """(accepted rows, errors in the file's terms, rows checked, file table, notes)."""
    shaped = shape_file(path, feed)
    frame = shaped.frame
    accepted, errors = check_feed(frame.drop(ID, SRC, *([SUFFIX] if SUFFIX in frame.columns else [])),
                                  feed, register, received_on=received_on, file_name=file_name)
    notes = list(shaped.notes)
    if shaped.findings.height:
        notes += [f"  row {r['row_number']}, {r['column']}: {r['message']}"
                  for r in shaped.findings.head(5).iter_rows(named=True)]
    errors = pl.concat([shaped.errors, source_errors(errors, shaped, feed)], how="vertical")
    return (accepted, errors.sort("row_number", "column"), frame.height + shaped.errors.height,
            records_frame(shaped, (feed.shape or FeedShape()).header_row), notes)
