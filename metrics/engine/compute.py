"""From feeds to observations: KPI x period x region x group, with intervals.

The engine reads each feed's current Parquet files lazily, aggregates every KPI
of that feed in *one* pass at the finest grain (month x region x group, grouped
on small integer codes), then rolls coarser levels up from that small result:
statewide, all groups, and the KPI's period grain.  Ratios are recomputed at each
level from rolled-up numerators and denominators, never averaged.  Medians,
which cannot be rolled up, are computed per level from one narrow frame.

The interface is narrow — ``compute(register, sources, kpis)`` returns a Polars
frame in :data:`OBS_SCHEMA` — so that a second backend (SQL pushed down to a
warehouse) can sit beside this one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import polars as pl

from metrics import intervals
from metrics.definitions import Feed, Kpi, Register
from metrics.groups import ALL, GROUP_CODES, statewide
from metrics.intervals import MAX_RSE, MIN_EVENTS
from metrics.periods import parse_period

from . import file_totals, plausible
from .grain import expected_months as _expected_months
from .grain import month_periods as _month_periods
from .grain import periods as _periods
from .medians import GRID, median_levels, median_levels_of

OBS_SCHEMA: dict[str, pl.DataType] = {
    "kpi_id": pl.String(), "period": pl.String(), "period_start": pl.Date(),
    "period_end": pl.Date(), "region": pl.String(), "group": pl.String(),
    "numerator": pl.Float64(), "denominator": pl.Float64(), "value": pl.Float64(),
    "ci_low": pl.Float64(), "ci_high": pl.Float64(), "events": pl.Float64(),
    "rse": pl.Float64(), "reliable": pl.Boolean(),
}

Sources = Mapping[str, Sequence[str]]  # feed_id -> Parquet paths currently in force


def empty_observations() -> pl.DataFrame:
    return pl.DataFrame(schema=OBS_SCHEMA)


def _scan(paths: Sequence[str]) -> pl.LazyFrame | None:
    """The feed's current files as one lazy frame.

    Canonical ``_region``/``_group`` are stored as enums of the register's codes; files
    written before the register's code lists changed are read as text and recoded.
    """
    if not paths:
        return None
    kinds = {tuple(str(pl.read_parquet_schema(p).get(c)) for c in ("_region", "_group"))
             for p in paths}
    if len(kinds) == 1:
        return pl.scan_parquet(list(paths))
    return pl.concat([pl.scan_parquet(p).with_columns(pl.col("_region").cast(pl.String),
                                                      pl.col("_group").cast(pl.String))
                      for p in paths], how="vertical_relaxed")


def _expr(text: str, default: pl.Expr) -> pl.Expr:
    return pl.sql_expr(text) if text else default


def _codes(register: Register) -> tuple[pl.Enum, pl.Enum]:
    return pl.Enum(sorted(register.regions)), pl.Enum(list(GROUP_CODES))


def _fine_aggs(kpi: Kpi, feed: Feed) -> list[pl.Expr]:
    """Aggregations at month x region x group for one KPI (all additive).

    Record-level defaults count rows: the numerator and denominator of a
    proportion default to "1 per record" among the records the filter keeps.
    """
    keep = pl.sql_expr(kpi.filter).fill_null(False) if kpi.filter else None
    keep = file_totals.present(kpi, feed, keep)  # empty (suppressed) figures are not zero
    k = kpi.kpi_id

    def total(text: str, column: str | None) -> pl.Expr:
        if text or column:
            e = (pl.sql_expr(text) if text else pl.col(column)).cast(pl.Float64)  # type: ignore[arg-type]
            return (pl.when(keep).then(e) if keep is not None else e).sum()
        # one per record kept
        return keep.cast(pl.Float64).sum() if keep is not None else pl.len().cast(pl.Float64)

    agg = feed.kind == "aggregate"
    rows = (keep.cast(pl.Float64).sum() if keep is not None else pl.len().cast(pl.Float64)
            ).alias(f"{k}|rows")  # records the KPI uses: none means no data, not zero
    if kpi.measure in ("sum", "mean"):
        if kpi.value:
            val = pl.sql_expr(kpi.value).cast(pl.Float64)
        else:
            val = (pl.sql_expr(kpi.numerator) if kpi.numerator else pl.col(feed.numerator_column)
                   ).cast(pl.Float64)
        v = pl.when(keep).then(val) if keep is not None else val
        return [v.sum().alias(f"{k}|num"), v.count().cast(pl.Float64).alias(f"{k}|den"),
                (v * v).sum().alias(f"{k}|sq"), rows]
    num = total(kpi.numerator, feed.numerator_column if agg else None).alias(f"{k}|num")
    if kpi.measure == "count":
        return [num, pl.lit(None, dtype=pl.Float64).alias(f"{k}|den"), rows]
    den = total(kpi.denominator, feed.denominator_column if agg else None).alias(f"{k}|den")
    return [num, den, rows]


def _prepared(lf: pl.LazyFrame, register: Register) -> pl.LazyFrame:
    renum, genum = _codes(register)
    return lf.with_columns(pl.col("_region").cast(renum), pl.col("_group").cast(genum))


def _linked_numerator(kpi: Kpi, feed: Feed, a: pl.LazyFrame, sources: Sources,
                      register: Register) -> pl.LazyFrame:
    """Records of ``a`` (already filtered) with ``_matched`` = found in the linked feed."""
    assert kpi.link is not None
    link = kpi.link
    b = _scan(sources.get(link.feed_id, ()))
    a = a.with_row_index("_rid")
    if b is None:
        return a.with_columns(pl.lit(0.0).alias("_matched"))
    if link.filter:
        b = b.filter(pl.sql_expr(link.filter).fill_null(False))
    b = b.select(pl.col(link.key).alias("_key"), pl.col(link.date_column).alias("_bdate"))
    pairs = (a.select("_rid", pl.col(link.key).alias("_key"),
                      pl.col(feed.period_column).alias("_adate"))
             .join(b, on="_key", how="inner")
             .filter((pl.col("_bdate") >= pl.col("_adate"))
                     & (pl.col("_bdate") <= pl.col("_adate") + pl.duration(days=link.window_days)))
             .select("_rid").unique()
             .with_columns(pl.lit(1.0).alias("_matched")))
    return (a.join(pairs, on="_rid", how="left")
            .with_columns(pl.col("_matched").fill_null(0.0)))


def fine_table(register: Register, feed: Feed, kpis: Sequence[Kpi], sources: Sources
               ) -> pl.DataFrame | None:
    """One pass over a feed: every additive KPI at month x region x group."""
    lf = _scan(sources.get(feed.feed_id, ()))
    if lf is None:
        return None
    lf = _prepared(lf, register)
    plain = [k for k in kpis if k.link is None and k.measure != "median"]
    keys = ["_month", "_region", "_group", *file_totals.keys(feed)]
    frames: list[pl.LazyFrame] = []
    if plain:
        aggs = [a for k in plain for a in _fine_aggs(k, feed)]
        frames.append(lf.group_by(keys).agg(aggs))
    for k in kpis:
        if k.link is None:
            continue
        a = lf.filter(_expr(k.filter, pl.lit(True)).fill_null(False))
        matched = _linked_numerator(k, feed, a, sources, register)
        frames.append(matched.group_by(keys).agg(
            pl.col("_matched").sum().alias(f"{k.kpi_id}|num"),
            pl.len().cast(pl.Float64).alias(f"{k.kpi_id}|den"),
            pl.len().cast(pl.Float64).alias(f"{k.kpi_id}|rows")))
    if not frames:
        return None
    collected = pl.collect_all(frames, engine="streaming")
    out = collected[0]
    for extra in collected[1:]:
        out = out.join(extra, on=keys, how="full", coalesce=True)
    return out


def _rollup(cols: pl.DataFrame, kpi: Kpi, feed: Feed, *, has_sq: bool) -> pl.DataFrame:
    """Four grouping levels from the period x region x group table."""
    sums = [pl.col("num").sum(), pl.col("den").sum()]
    if has_sq:
        sums.append(pl.col("sq").sum())
    sums.append(pl.col("_month").n_unique().alias("_months"))
    levels = [
        cols.group_by("period", "region", "group").agg(sums),
        cols.group_by("period", "region").agg(sums).with_columns(pl.lit(ALL).alias("group")),
        cols.group_by("period", "group").agg(sums).with_columns(pl.lit(ALL).alias("region")),
        cols.group_by("period").agg(sums).with_columns(pl.lit(ALL).alias("region"),
                                                       pl.lit(ALL).alias("group")),
    ]
    cols_order = ["period", "region", "group", "num", "den", *(["sq"] if has_sq else []), "_months"]
    out = pl.concat([lv.select(cols_order) for lv in levels], how="vertical")
    # keep only complete periods (statewide months present = months the period spans)
    full = out.filter(statewide()).select("period", "_months")
    labels = full.get_column("period").to_list()
    exp = pl.DataFrame({"period": labels,
                        "_expected": [_expected_months(lb, kpi, feed) for lb in labels]},
                       schema={"period": pl.String, "_expected": pl.Int64})
    complete = full.join(exp, on="period").filter(pl.col("_months") >= pl.col("_expected"))
    return out.join(complete.select("period"), on="period", how="semi").drop("_months")


def finish_observations(t: pl.DataFrame, kpi: Kpi) -> pl.DataFrame:
    """Value, confidence interval and reliability, vectorised with numpy."""
    num = t.get_column("num").to_numpy().astype(float)
    den = t.get_column("den").to_numpy().astype(float) if "den" in t.columns else np.full(len(t), np.nan)
    m = kpi.multiplier
    with np.errstate(divide="ignore", invalid="ignore"):
        if kpi.measure == "proportion":
            value = num / den * m
            lo, hi = intervals.wilson(num, den)
            lo, hi = lo * m, hi * m
            events = num
            p = num / den
            rse = np.sqrt((1 - p) / (den * p))
        elif kpi.measure == "rate":
            value = num / den * m
            lo, hi = intervals.poisson_rate(num, den, multiplier=m)
            events = num
            rse = 1 / np.sqrt(num)
        elif kpi.measure == "count":
            value = num * m
            lo, hi = intervals.poisson_rate(num, np.ones_like(num), multiplier=m)
            events = num
            rse = 1 / np.sqrt(num)
            den = np.full(len(t), np.nan)
        elif kpi.measure == "sum":
            value = num * m
            lo = hi = np.full(len(t), np.nan)
            events = den
            rse = np.full(len(t), np.nan)
            den = np.full(len(t), np.nan)
        elif kpi.measure == "mean":
            sq = t.get_column("sq").to_numpy().astype(float)
            mean = num / den
            var = (sq - den * mean * mean) / (den - 1)
            sd = np.sqrt(np.clip(var, 0, None))
            lo, hi = intervals.t_mean(mean, sd, den)
            value, lo, hi = mean * m, lo * m, hi * m
            events = den
            rse = (sd / np.sqrt(den)) / np.abs(mean)
        else:  # median: distribution-free interval; implied RSE = half-width / z / median
            value = t.get_column("med").to_numpy().astype(float) * m
            if "lo" in t.columns:
                lo = t.get_column("lo").cast(pl.Float64).fill_null(np.nan).to_numpy() * m
                hi = t.get_column("hi").cast(pl.Float64).fill_null(np.nan).to_numpy() * m
            else:
                lo = hi = np.full(len(t), np.nan)
            events = den
            rse = (hi - lo) / (2 * intervals.z_value(0.95)) / np.abs(value)
            num = np.full(len(t), np.nan)
    bad_rse = np.where(np.isnan(rse), False, rse > MAX_RSE)
    reliable = (np.nan_to_num(events, nan=0.0) >= MIN_EVENTS) & ~bad_rse
    reliable &= plausible.within(np.asarray(value, dtype=float), kpi)  # impossible: unreliable
    return t.select("period", "region", "group").with_columns(
        pl.lit(kpi.kpi_id).alias("kpi_id"),
        pl.Series("numerator", num).fill_nan(None),
        pl.Series("denominator", den).fill_nan(None),
        pl.Series("value", np.where(np.isfinite(value), value, np.nan)).fill_nan(None),
        pl.Series("ci_low", lo).fill_nan(None), pl.Series("ci_high", hi).fill_nan(None),
        pl.Series("events", events).fill_nan(None),
        pl.Series("rse", np.where(np.isfinite(rse), rse, np.nan)).fill_nan(None),
        pl.Series("reliable", reliable),
    )


HISTOGRAM_MIN_REPEATS = 64  # medians from value counts when each value recurs this often
HISTOGRAM_SAMPLE = 200_000  # ... in the first records read


def _median_tables(register: Register, feed: Feed, kpis: Sequence[Kpi], sources: Sources,
                   periods: Mapping[str, set[str]] | None) -> dict[str, pl.DataFrame | None]:
    """Medians per level of the median KPIs of one feed (``periods``: only these, per KPI).

    Medians cannot be rolled up from finer medians.  The engine reads the values of every
    median KPI of the feed (month, region, group, one value column a KPI, empty where the
    KPI's filter leaves a record out) in one streaming pass; where a KPI's values recur
    often it counts each value per month x region x group first.  Every level's order
    statistics then come from bucket counts (:mod:`metrics.engine.medians`), exactly.
    """
    lf = _scan(sources.get(feed.feed_id, ()))
    if lf is None or not kpis:
        return {k.kpi_id: None for k in kpis}
    lf = _prepared(lf, register)
    values = {}
    for i, k in enumerate(kpis):
        v = pl.sql_expr(k.value).cast(pl.Float64)
        values[f"_v{i}"] = pl.when(pl.sql_expr(k.filter).fill_null(False)).then(v) if k.filter else v
    frame = (lf.select("_month", "_region", "_group", **values)
             .filter(pl.any_horizontal(pl.col(list(values)).is_not_null()))
             .collect(engine="streaming"))
    months = frame.get_column("_month").unique().to_list()
    out: dict[str, pl.DataFrame | None] = {}
    plain: dict[str, Kpi] = {}
    spans: dict[str, pl.DataFrame | None] = {}
    for col, k in zip(values, kpis, strict=True):
        sample = frame.get_column(col).drop_nulls().head(HISTOGRAM_SAMPLE)
        if sample.is_empty():
            out[k.kpi_id] = None
            continue
        spans[col] = None
        if k.grain != "month":  # each period the union of its months (12 for rolling windows)
            mp = _month_periods(months, k)
            wanted = periods.get(k.kpi_id) if periods is not None else None
            spans[col] = mp.filter(pl.col("period").is_in(sorted(wanted))) if wanted else mp
        # whole numbers in a small range are read off one bucket per value, from the
        # records; other values that recur often (amounts in round steps) are counted first
        low, high = sample.min(), sample.max()
        whole = (bool((sample == sample.floor()).all())
                 and float(high) - float(low) < GRID)  # type: ignore[arg-type]
        if not whole and sample.n_unique() * HISTOGRAM_MIN_REPEATS <= sample.len():
            counted = (frame.select("_month", "_region", "_group", pl.col(col).alias("v"))
                       .drop_nulls("v").group_by("_month", "_region", "_group", "v")
                       .agg(pl.len().alias("c")))
            out[k.kpi_id] = _finish_median(
                median_levels(counted, True, periods=spans[col]), k, feed)
        else:
            plain[col] = k
    levels = median_levels_of(frame, list(plain), periods={c: spans[c] for c in plain})
    for col, k in plain.items():
        t = levels[col]
        out[k.kpi_id] = _finish_median(t, k, feed) if t is not None else None
    return out


def _finish_median(out: pl.DataFrame, kpi: Kpi, feed: Feed) -> pl.DataFrame:
    """Period labels, "all" for the rollups, complete periods only."""
    if "_month" in out.columns:
        mp = _month_periods(out.get_column("_month").unique().to_list(), kpi)
        out = out.join(mp, on="_month", how="left").drop("_month")
    out = out.rename({"_region": "region", "_group": "group"}).with_columns(
        pl.col("region").fill_null(ALL), pl.col("group").fill_null(ALL))
    full = out.filter(statewide())
    ok = [lb for lb, n in zip(full["period"].to_list(), full["_months"].to_list(), strict=True)
          if n >= _expected_months(lb, kpi, feed)]
    return out.filter(pl.col("period").is_in(ok)).drop("_months").with_columns(
        pl.lit(None, dtype=pl.Float64).alias("num"))


def _age_adjusted_table(register: Register, feed: Feed, kpi: Kpi, sources: Sources
                        ) -> pl.DataFrame | None:
    """Events and population per period x region x group x age group, rolled up to the four
    levels, then directly standardised (:mod:`metrics.age_adjust`): ``num``/``den`` are the
    crude totals, ``dsr``/``lo``/``hi`` the age-adjusted rate and its Fay-Feuer interval."""
    from metrics import age_adjust

    lf = _scan(sources.get(feed.feed_id, ()))
    if lf is None:
        return None
    lf = _prepared(lf, register)
    keep = pl.sql_expr(kpi.filter).fill_null(False) if kpi.filter else pl.lit(True)
    num = (pl.sql_expr(kpi.numerator) if kpi.numerator else pl.col(feed.numerator_column)
           ).cast(pl.Float64)
    den = (pl.sql_expr(kpi.denominator) if kpi.denominator else pl.col(feed.denominator_column)
           ).cast(pl.Float64)
    fine = (lf.filter(keep)
            .group_by("_month", "_region", "_group", pl.col(kpi.age_column).cast(pl.String).alias("age"))
            .agg(num.sum().alias("num"), den.sum().alias("den"))
            .collect(engine="streaming"))
    if fine.height == 0:
        return None
    cols = _periods(fine.select(pl.col("_month"), pl.col("_region").cast(pl.String).alias("region"),
                                pl.col("_group").cast(pl.String).alias("group"), "age", "num", "den"),
                    kpi)
    sums = [pl.col("num").sum(), pl.col("den").sum(), pl.col("_month").n_unique().alias("_months")]
    order = ["period", "region", "group", "age", "num", "den", "_months"]
    levels = pl.concat([
        cols.group_by("period", "region", "group", "age").agg(sums).select(order),
        cols.group_by("period", "region", "age").agg(sums)
        .with_columns(pl.lit(ALL).alias("group")).select(order),
        cols.group_by("period", "group", "age").agg(sums)
        .with_columns(pl.lit(ALL).alias("region")).select(order),
        cols.group_by("period", "age").agg(sums)
        .with_columns(pl.lit(ALL).alias("region"), pl.lit(ALL).alias("group")).select(order),
    ])
    months = (cols.group_by("period").agg(pl.col("_month").n_unique().alias("_months")))
    ok = [lb for lb, n in zip(months["period"].to_list(), months["_months"].to_list(), strict=True)
          if n >= _expected_months(lb, kpi, feed)]
    levels = levels.filter(pl.col("period").is_in(ok)).drop("_months")
    out = age_adjust.standardise(levels, kpi.standard_population or "us2000",
                                 multiplier=kpi.multiplier)
    return out.sort("period", "region", "group")


def _period_bounds(labels: Iterable[str], kpi: Kpi) -> pl.DataFrame:
    uniq = sorted(set(labels))
    parsed = [parse_period(lb, fiscal_start=kpi.fiscal_start) for lb in uniq]
    return pl.DataFrame({"period": uniq, "period_start": [p.start for p in parsed],
                         "period_end": [p.end for p in parsed]},
                        schema={"period": pl.String, "period_start": pl.Date, "period_end": pl.Date})


def compute(register: Register, sources: Sources, kpis: Sequence[Kpi] | None = None,
            periods: Mapping[str, set[str]] | None = None) -> pl.DataFrame:
    """Observations for ``kpis`` (default: all), optionally only the given periods per KPI."""
    kpis = list(kpis if kpis is not None else register.kpis.values())
    out: list[pl.DataFrame] = []
    by_feed: dict[str, list[Kpi]] = {}
    for k in kpis:
        by_feed.setdefault(k.feed_id, []).append(k)
    for feed_id, ks in by_feed.items():
        feed = register.feeds[feed_id]
        local_medians: dict[str, pl.DataFrame | None] = {}
        if feed.location:  # records in an outside engine: the fine aggregation runs there
            from . import pushdown
            months = pushdown.months_needed(ks, periods)
            fine = pushdown.fine_table(register, feed, ks, months)
        else:
            fine = fine_table(register, feed, ks, sources)
            local_medians |= _median_tables(
                register, feed, [k for k in ks if k.measure == "median" and not k.age_adjusted],
                sources, periods)
        for k in ks:
            if k.age_adjusted:
                t = _age_adjusted_table(register, feed, k, sources)
            elif k.measure == "median" and feed.location:
                t = pushdown.median_table(register, feed, k, months)
            elif k.measure == "median":
                t = local_medians[k.kpi_id]
            else:
                if fine is None or f"{k.kpi_id}|num" not in fine.columns:
                    continue
                has_sq = f"{k.kpi_id}|sq" in fine.columns
                sel = [pl.col("_month"), pl.col("_region").cast(pl.String).alias("region"),
                       pl.col("_group").cast(pl.String).alias("group"),
                       pl.col(f"{k.kpi_id}|num").alias("num"), pl.col(f"{k.kpi_id}|den").alias("den")]
                if has_sq:
                    sel.append(pl.col(f"{k.kpi_id}|sq").alias("sq"))
                rows = pl.col(f"{k.kpi_id}|rows").fill_null(0) > 0
                if feed.shape is not None:  # totals, other race (metrics.engine.file_totals)
                    t = file_totals.rollup(fine.filter(rows), sel, k, feed, has_sq=has_sq,
                                           periods=_periods, roll=_rollup)
                else:
                    cols = _periods(fine.filter(rows).select(sel), k)
                    t = _rollup(cols, k, feed, has_sq=has_sq)
            if t is None or t.height == 0:
                continue
            if periods is not None and k.kpi_id in periods:
                t = t.filter(pl.col("period").is_in(sorted(periods[k.kpi_id])))
            if "region" not in k.disaggregations:
                t = t.filter(pl.col("region") == ALL)
            if "group" not in k.disaggregations:
                t = t.filter(pl.col("group") == ALL)
            obs = finish_observations(t, k)
            if k.age_adjusted:  # value and interval: the standardised rate (crude stays n/d)
                obs = obs.with_columns(
                    pl.Series("value", t.get_column("dsr")).fill_nan(None),
                    pl.Series("ci_low", t.get_column("lo")).fill_nan(None),
                    pl.Series("ci_high", t.get_column("hi")).fill_nan(None))
            obs = obs.join(_period_bounds(obs["period"].to_list(), k), on="period", how="left")
            out.append(obs.select(list(OBS_SCHEMA)))
    if not out:
        return empty_observations()
    return pl.concat(out).sort("kpi_id", "period", "region", "group")
