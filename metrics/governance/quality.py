"""Data-quality checks per feed and per KPI, in Polars expressions (no loops over rows).

Checks (each gives a status ``ok`` / ``warning`` / ``problem`` / ``not applicable``, a
finding in words and the rows behind it):

* completeness: the share of expected cells (region x group, for each period) present;
* unknown race and ethnicity: the share in the ``unknown`` group, flagged above 10%
  (``metrics.groups.UNKNOWN_SHARE_WARNING``);
* numerator above denominator (proportions), and rows quarantined for it;
* duplicates: rows quarantined with ``feed.duplicate_key``;
* jumps: a change from one period to the next that the series' own history makes
  implausible.  Robust z-score of the period-to-period changes,
  ``z = 0.6745 (d - median d) / MAD``; ``|z| > 4`` is a jump.  When the MAD is zero the
  mean absolute deviation (times 1.2533) stands in for it;
* stale: the KPI's feed is late or missing.

The KPI detail page calls :func:`kpi_quality`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import polars as pl
from sqlmodel import Session, col, select

from metrics.definitions import Feed, Kpi, Register
from metrics.groups import ALL, GROUP_CODES, UNKNOWN, UNKNOWN_SHARE_WARNING, unknown_share_expr
from metrics.plausibility import plausibility_checks
from metrics.store.tables import FeedMonth

from .check import NA, OK, PROBLEM, WARNING, Check
from .feedhealth import LATE, MISSING, STATUS_WORDS, feed_status

JUMP_Z = 4.0
MIN_CHANGES = 8  # a series needs this many period-to-period changes to judge a jump
CONSISTENCY = 0.6745  # MAD -> standard deviation for a normal distribution
MEAN_AD = 1.2533  # mean absolute deviation -> standard deviation for a normal distribution
COUNT_FROM_DENOMINATOR = ("proportion", "mean", "median")


@dataclass(frozen=True)
class KpiQuality:
    kpi_id: str
    checks: list[Check] = field(default_factory=list)

    @property
    def stale(self) -> bool:
        return any(c.check == "Freshness" and c.status != OK for c in self.checks)

    @property
    def flags(self) -> list[Check]:
        return [c for c in self.checks if c.status in (WARNING, PROBLEM)]

    def frame(self) -> pl.DataFrame:
        return checks_frame(self.checks)


def checks_frame(checks: list[Check]) -> pl.DataFrame:
    return pl.DataFrame([{"check": c.check, "status": c.status, "finding": c.finding}
                         for c in checks],
                        schema={"check": pl.String, "status": pl.String, "finding": pl.String})


def _n(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# --- jumps ------------------------------------------------------------------------------

def jumps(series: pl.DataFrame, *, value: str = "value", order: str = "period_start",
          by: list[str] | None = None, threshold: float = JUMP_Z) -> pl.DataFrame:
    """Each period's change from the one before, its robust z-score and a ``jump`` flag.

    ``series`` has one row per period (per ``by`` key); the first period of each series
    has no change and is never a jump.
    """
    keys = by or []
    over = keys or None
    d = pl.col(value).diff()
    if over:
        d = d.over(over)
    med = pl.col("change").median()
    mad = (pl.col("change") - med).abs().median()
    mean_ad = (pl.col("change") - pl.col("change").mean()).abs().mean()
    if over:
        med, mad, mean_ad = med.over(over), mad.over(over), mean_ad.over(over)
    scale = (pl.when(mad > 0).then(mad / CONSISTENCY)
             .when(mean_ad > 0).then(mean_ad * MEAN_AD).otherwise(None))
    dev = pl.col("change") - med
    z = (pl.when(scale.is_not_null()).then(dev / scale)
         .when(dev.abs() > 1e-12).then(pl.lit(float("inf")) * dev.sign())
         .otherwise(0.0))
    return (series.sort([*keys, order]).with_columns(d.alias("change"))
            .with_columns(z.alias("robust_z"))
            .with_columns((pl.col("robust_z").abs() > threshold).fill_null(False).alias("jump")))


# --- KPI checks -------------------------------------------------------------------------

def _expected_cells(register: Register, kpi: Kpi) -> int:
    regions = len(register.regions) + 1 if "region" in kpi.disaggregations else 1
    groups = len(GROUP_CODES) + 1 if "group" in kpi.disaggregations else 1
    return regions * groups


def completeness(register: Register, obs_kpi: pl.DataFrame, kpi: Kpi) -> pl.DataFrame:
    """Per period: cells with a value, cells expected, their share, regions and groups absent."""
    expected = _expected_cells(register, kpi)
    regions = sorted(register.regions) if "region" in kpi.disaggregations else []
    groups = list(GROUP_CODES) if "group" in kpi.disaggregations else []
    present = obs_kpi.filter(pl.col("value").is_not_null() | pl.col("numerator").is_not_null())
    if present.height == 0:
        return pl.DataFrame(schema={"period": pl.String, "period_start": pl.Date,
                                    "cells_present": pl.UInt32, "cells_expected": pl.Int32,
                                    "share": pl.Float64, "regions_absent": pl.String,
                                    "groups_absent": pl.String})
    out = (present.group_by("period", "period_start").agg(
        pl.len().alias("cells_present"),
        pl.col("region").filter(pl.col("region") != ALL).unique().alias("_r"),
        pl.col("group").filter(pl.col("group") != ALL).unique().alias("_g"))
        .with_columns(
            pl.lit(expected).alias("cells_expected"),
            (pl.col("cells_present") / expected).alias("share"),
            pl.lit(regions, dtype=pl.List(pl.String)).list.set_difference("_r").list.sort()
            .list.join(", ").alias("regions_absent"),
            pl.lit(groups, dtype=pl.List(pl.String)).list.set_difference("_g").list.sort()
            .list.join(", ").alias("groups_absent"))
        .drop("_r", "_g").sort("period_start"))
    return out


def _count_column(kpi: Kpi) -> str:
    return "denominator" if kpi.measure in COUNT_FROM_DENOMINATOR else "numerator"


def unknown_shares(obs_kpi: pl.DataFrame, kpi: Kpi) -> pl.DataFrame:
    """Per period, the statewide share of people (or events) whose race or ethnicity is unknown."""
    col = _count_column(kpi)
    return (obs_kpi.filter(pl.col("region") == ALL)
            .group_by("period", "period_start").agg(unknown_share_expr("group", col))
            .sort("period_start")
            .with_columns((pl.col("unknown_share") > UNKNOWN_SHARE_WARNING).fill_null(False)
                          .alias("flag")))


def _check_completeness(register: Register, obs_kpi: pl.DataFrame, kpi: Kpi) -> Check:
    comp = completeness(register, obs_kpi, kpi)
    if comp.height == 0:
        return Check("Completeness", PROBLEM, "No observations yet.", comp)
    if register.feeds[kpi.feed_id].kind == "record":
        # record-level: a cell without records is a true zero; only a whole region or
        # group absent from a period is a gap
        short = comp.filter((pl.col("regions_absent") != "") | (pl.col("groups_absent") != ""))
        if short.height == 0:
            return Check("Completeness", OK, f"Every region and group has records in each of "
                         f"{comp.height} periods (record-level feed: a cell without records "
                         "is a true zero).", comp)
    else:
        short = comp.filter(pl.col("share") < 1.0)
    if short.height == 0:
        return Check("Completeness", OK, f"All {comp['cells_expected'][0]} expected cells "
                     f"(region x group) are present in each of {comp.height} periods.", comp)
    worst = short.sort("share").row(0, named=True)
    return Check("Completeness", WARNING,
                 f"{short.height} of {comp.height} periods lack some cells; the least complete "
                 f"is {worst['period']} ({worst['share']:.0%} of cells present"
                 + (f"; regions absent: {worst['regions_absent']}" if worst["regions_absent"] else "")
                 + (f"; groups absent: {worst['groups_absent']}" if worst["groups_absent"] else "")
                 + ").", short)


def _check_unknown(obs_kpi: pl.DataFrame, kpi: Kpi) -> Check:
    if "group" not in kpi.disaggregations:
        return Check("Unknown race and ethnicity", NA, "The KPI is not broken down by group.")
    u = unknown_shares(obs_kpi, kpi).drop_nulls("unknown_share")
    if u.height == 0:
        return Check("Unknown race and ethnicity", NA, "Nothing to count yet.", u)
    last = u.row(-1, named=True)
    flagged = u.filter("flag")
    text = (f"{last['unknown_share']:.1%} unknown in {last['period']}; "
            f"{flagged.height} of {u.height} periods above {UNKNOWN_SHARE_WARNING:.0%}.")
    return Check("Unknown race and ethnicity", WARNING if last["flag"] else OK, text, u)


def _check_ratio(obs_kpi: pl.DataFrame, kpi: Kpi, quarantine: Mapping[str, int]) -> Check:
    n_q = quarantine.get("feed.numerator_exceeds_denominator", 0)
    if kpi.measure != "proportion":
        return Check("Numerator above denominator", NA if not n_q else WARNING,
                     "Not a proportion." + (f" {n_q} feed rows were quarantined for it." if n_q else ""))
    bad = obs_kpi.filter(pl.col("numerator") > pl.col("denominator"))
    if bad.height:
        return Check("Numerator above denominator", PROBLEM,
                     f"{bad.height} cells have a numerator above their denominator.",
                     bad.select("period", "region", "group", "numerator", "denominator"))
    return Check("Numerator above denominator", WARNING if n_q else OK,
                 "No stored cell has a numerator above its denominator"
                 + (f"; {n_q} feed rows were quarantined for it." if n_q else "."))


def _check_duplicates(quarantine: Mapping[str, int]) -> Check:
    n = quarantine.get("feed.duplicate_key", 0)
    return Check("Duplicates", WARNING if n else OK,
                 f"{_n(n, 'duplicate row')} quarantined." if n else "No duplicate rows received.")


def _check_jumps(obs_kpi: pl.DataFrame, threshold: float) -> Check:
    series = (obs_kpi.filter(((pl.col("region") == ALL) | (pl.col("group") == ALL))
                             & pl.col("reliable") & pl.col("value").is_not_null())
              .filter(pl.len().over("region", "group") > MIN_CHANGES))
    if series.height == 0:
        return Check("Jumps", NA, f"No reliable series with more than {MIN_CHANGES} periods yet.")
    j = jumps(series.select("period", "period_start", "region", "group", "value"),
              by=["region", "group"], threshold=threshold)
    hits = j.filter("jump").sort("period_start")
    if hits.height == 0:
        return Check("Jumps", OK, f"No change beyond |z| > {threshold:g} against the series' "
                     "own history (robust z-score, median and MAD of period-to-period changes).")
    first = hits.row(-1, named=True)
    where = "statewide" if first["region"] == ALL and first["group"] == ALL else \
        (first["region"] if first["group"] == ALL else first["group"])
    return Check("Jumps", WARNING, f"{_n(hits.height, 'implausible jump')}; latest in {first['period']} "
                 f"({where}, change {first['change']:+.3g}, z = {first['robust_z']:.1f}). "
                 "Check with the agency before reading them as real change.", hits)


def _check_fresh(register: Register, kpi: Kpi, as_of: date | None,
                 feed_through: Mapping[str, date] | None) -> Check:
    if as_of is None or feed_through is None:
        return Check("Freshness", NA, "No date given to judge freshness.")
    feed = register.feeds[kpi.feed_id]
    st = feed_status(feed_through.get(kpi.feed_id), feed.cadence, feed.lag_days, as_of)
    through = feed_through.get(kpi.feed_id)
    if st in (LATE, MISSING):
        return Check("Freshness", PROBLEM, f"Stale: feed '{feed.feed_id}' is "
                     f"{STATUS_WORDS[st].lower()}" + (f" (data through {through:%d %b %Y})."
                                                      if through else "."))
    return Check("Freshness", OK, f"Feed '{feed.feed_id}' is on time (data through "
                 f"{through:%d %b %Y}).")


def kpi_quality(register: Register, obs: pl.DataFrame, kpi_id: str, *,
                as_of: date | None = None, feed_through: Mapping[str, date] | None = None,
                quarantine: Mapping[str, int] | None = None,
                threshold: float = JUMP_Z) -> KpiQuality:
    """Data-quality checks of one KPI from its stored observations.

    ``obs``: observations (all KPIs or this one), as ``metrics.engine.load_observations``
    returns them.  ``as_of`` and ``feed_through`` (``metrics.feedstate.feed_through``)
    judge freshness; ``quarantine`` (error code -> rows of the KPI's feed, see
    ``feedhealth.quarantine_by_code``) adds duplicates and quarantined ratio errors.
    """
    kpi = register.kpi(kpi_id)
    o = obs.filter(pl.col("kpi_id") == kpi_id)
    q = quarantine or {}
    return KpiQuality(kpi_id, [
        _check_fresh(register, kpi, as_of, feed_through),
        _check_completeness(register, o, kpi),
        _check_unknown(o, kpi),
        _check_ratio(o, kpi, q),
        _check_duplicates(q),
        _check_jumps(o, threshold),
        *_plausibility(register, o, kpi),
    ])


def _plausibility(register: Register, o: pl.DataFrame, kpi: Kpi) -> list[Check]:
    return plausibility_checks(register, o, kpi)


# --- feed checks (from the stored feed files) -------------------------------------------

def feed_frame(session: Session, store_root: str, feed_id: str) -> pl.LazyFrame | None:
    """The feed's rows in force (the Parquet file of each month), scanned lazily."""
    paths = [f"{store_root}/{p}" for p in session.exec(
        select(FeedMonth.path).where(FeedMonth.feed_id == feed_id).order_by(col(FeedMonth.month)))]
    if not paths:
        return None
    return pl.concat([pl.scan_parquet(p) for p in paths], how="diagonal_relaxed")


def feed_completeness(rows: pl.LazyFrame, register: Register) -> pl.DataFrame:
    """Per month: region x group cells with at least one row, against all cells."""
    expected = len(register.regions) * len(GROUP_CODES)
    return (rows.group_by("_month").agg(pl.struct("_region", "_group").n_unique()
                                        .alias("cells_present"))
            .with_columns(pl.lit(expected).alias("cells_expected"),
                          (pl.col("cells_present") / expected).alias("share"))
            .sort("_month").rename({"_month": "month"}).collect())


def feed_quality(session: Session, store_root: str, register: Register, feed_id: str, *,
                 as_of: date, quarantine: Mapping[str, int] | None = None) -> list[Check]:
    """Checks of a feed's data in force: freshness, completeness, unknown group, duplicates."""
    from metrics.feedstate import feed_through as through_of

    feed: Feed = register.feeds[feed_id]
    q = quarantine or {}
    through = through_of(session, register).get(feed_id)
    st = feed_status(through, feed.cadence, feed.lag_days, as_of)
    checks = [Check("Freshness", OK if st not in (LATE, MISSING) else PROBLEM,
                    f"{STATUS_WORDS[st]}" + (f"; data through {through:%d %b %Y}." if through
                                             else "; no data received."))]
    rows = feed_frame(session, store_root, feed_id)
    if rows is None:
        return [*checks, Check("Completeness", NA, "No data in force.")]
    comp = feed_completeness(rows, register)
    short = comp.filter(pl.col("share") < 1.0)
    zero_ok = " (record-level: a cell with no records may be a true zero)" \
        if feed.kind == "record" else ""
    if short.height:
        worst = short.sort("share").row(0, named=True)
        checks.append(Check("Completeness", WARNING,
                            f"{short.height} of {comp.height} months lack some region x group "
                            f"cells; least complete {worst['month']:%b %Y} "
                            f"({worst['share']:.0%}){zero_ok}.", short))
    else:
        checks.append(Check("Completeness", OK, f"Every region x group cell present in all "
                            f"{comp.height} months.", comp))
    if feed.kind == "aggregate":
        weight = pl.col(feed.denominator_column).cast(pl.Float64, strict=False)
    else:
        weight = pl.lit(1.0)
    share = rows.select(pl.col("_group"), weight.alias("_w")).select(
        unknown_share_expr("_group", "_w")).collect().item()
    if share is None:
        checks.append(Check("Unknown race and ethnicity", NA, "Nothing to count."))
    else:
        checks.append(Check("Unknown race and ethnicity",
                            WARNING if share > UNKNOWN_SHARE_WARNING else OK,
                            f"{share:.1%} of {'people counted' if feed.kind == 'aggregate' else 'records'} "
                            f"have race or ethnicity '{UNKNOWN}' (warning above "
                            f"{UNKNOWN_SHARE_WARNING:.0%})."))
    checks.append(_check_duplicates(q))
    if "_shape_suppressed" in rows.collect_schema().names():
        n = rows.select(pl.col("_shape_suppressed").is_not_null().sum()).collect().item()
        checks.append(Check("Suppressed by the agency", OK if n == 0 else WARNING,
                            f"{_n(n, 'row')} in force with a value the agency suppressed: kept "
                            "and labelled, never counted as zero, and left out of the KPIs that "
                            "need the value." if n else
                            "No value suppressed by the agency in the rows in force."))
    n_ratio = q.get("feed.numerator_exceeds_denominator", 0)
    checks.append(Check("Numerator above denominator", WARNING if n_ratio else OK,
                        f"{_n(n_ratio, 'row')} quarantined with a numerator above the denominator."
                        if n_ratio else "No row quarantined for it."))
    return checks
