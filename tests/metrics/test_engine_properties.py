"""Properties of the engine that hold for any feed: order, ratios of totals, additivity."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from metrics.definitions import Register, load_register
from metrics.engine import compute
from metrics.ingest import check_feed
from tests.workspace_factory import AS_OF, GROUPS, REGIONS, base_tables, geojson, write_definitions

MONTHS = ("2025-01", "2025-02", "2025-03")
SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Register:
    tables = base_tables()
    share = next(k for k in tables["kpis"] if k["kpi_id"] == "share_a")
    tables["kpis"].append(dict(share, kpi_id="share_q", grain="quarter"))
    tables["kpis"].append(dict(share, kpi_id="share_r12", grain="rolling12"))
    return load_register(write_definitions(tmp_path_factory.mktemp("defs"), tables, geo=geojson()))


@st.composite
def agg_feed(draw: st.DrawFn) -> pl.DataFrame:
    """Some cells of month x region x group x indicator, numerators within denominators."""
    rows: list[dict[str, Any]] = []
    for m in MONTHS:
        for r in REGIONS:
            for g in GROUPS:
                for ind in ("a", "b"):
                    if not draw(st.booleans()) and rows:
                        continue
                    den = draw(st.integers(1, 400))
                    num = draw(st.integers(0, den))
                    rows.append(dict(period=m, region=r, group=g, indicator=ind,
                                     numerator=str(num), denominator=str(den)))
    return pl.DataFrame(rows)


@st.composite
def rec_feed(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(1, 40))
    rows = []
    for i in range(n):
        paid = draw(st.booleans())
        rows.append(dict(
            case_id=f"c{i}", person_id=f"p{i}",
            event_date=f"{draw(st.sampled_from(MONTHS))}-{draw(st.integers(1, 28)):02d}",
            region=draw(st.sampled_from(REGIONS)), group=draw(st.sampled_from(GROUPS)),
            paid="yes" if paid else "no",
            days=str(draw(st.integers(0, 60))) if paid else "",
            amount=str(draw(st.integers(50, 900))) if paid else ""))
    return pl.DataFrame(rows)


def _observe(register: Register, feeds: dict[str, pl.DataFrame]) -> pl.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        sources = {}
        for fid, raw in feeds.items():
            accepted, errors = check_feed(raw, register.feeds[fid], register, received_on=AS_OF)
            assert errors.height == 0, errors
            path = Path(tmp) / f"{fid}.parquet"
            accepted.write_parquet(path)
            sources[fid] = [str(path)]
        return compute(register, sources)


@SETTINGS
@given(feed=agg_feed(), rec=rec_feed(), seed=st.integers(0, 2**31))
def test_row_order_does_not_change_results(register: Register, feed: pl.DataFrame,
                                           rec: pl.DataFrame, seed: int) -> None:
    base = _observe(register, {"agg": feed, "rec": rec})
    shuffled = _observe(register, {"agg": feed.sample(fraction=1.0, shuffle=True, seed=seed),
                                   "rec": rec.sample(fraction=1.0, shuffle=True, seed=seed + 1)})
    assert base.height > 0
    assert_frame_equal(base, shuffled, rel_tol=1e-9)


def _totals(feed: pl.DataFrame, indicator: str) -> pl.DataFrame:
    return (feed.filter(pl.col("indicator") == indicator)
            .group_by(pl.col("period"))
            .agg(pl.col("numerator").cast(pl.Float64).sum().alias("numerator"),
                 pl.col("denominator").cast(pl.Float64).sum().alias("denominator"))
            .sort("period"))


@SETTINGS
@given(feed=agg_feed())
def test_statewide_ratio_is_total_numerator_over_total_denominator(register: Register,
                                                                   feed: pl.DataFrame) -> None:
    obs = _observe(register, {"agg": feed})
    for kpi, ind, mult in (("share_a", "a", 100.0), ("rate_b", "b", 100000.0)):
        expected = _totals(feed, ind).with_columns(
            (pl.col("numerator") / pl.col("denominator") * mult).alias("value"))
        statewide = obs.filter((pl.col("kpi_id") == kpi) & (pl.col("region") == "all")
                               & (pl.col("group") == "all"))
        # a month without rows for this KPI has nothing to divide: no value, never zero
        assert statewide.filter(pl.col("denominator") == 0)["value"].null_count() == \
            statewide.filter(pl.col("denominator") == 0).height
        got = (statewide.filter(pl.col("denominator") > 0)
               .select("period", "numerator", "denominator", "value").sort("period"))
        assert_frame_equal(got, expected.filter(pl.col("denominator") > 0), rel_tol=1e-12)
    q = obs.filter((pl.col("kpi_id") == "share_q") & (pl.col("region") == "all")
                   & (pl.col("group") == "all"))
    a = _totals(feed, "a")
    # a month without any row of indicator a has no data for it: the quarter is incomplete
    if set(feed.filter(pl.col("indicator") == "a")["period"]) != set(MONTHS):
        assert q.height == 0
        return
    assert q["period"].to_list() == ["2025-Q1"]
    if a["denominator"].sum() > 0:
        assert q["value"][0] == pytest.approx(a["numerator"].sum() / a["denominator"].sum() * 100)
    assert obs.filter(pl.col("kpi_id") == "share_r12").height == 0  # three months: incomplete


@SETTINGS
@given(feed=agg_feed(), rec=rec_feed())
def test_group_and_region_totals_add_up(register: Register, feed: pl.DataFrame,
                                        rec: pl.DataFrame) -> None:
    obs = _observe(register, {"agg": feed, "rec": rec}).filter(
        pl.col("kpi_id").is_in(["share_a", "rate_b", "count_a", "paid_share", "amount_sum",
                                "employed", "share_q"]))
    for by, other in (("group", "region"), ("region", "group")):
        parts = (obs.filter(pl.col(by) != "all")
                 .group_by("kpi_id", "period", other)
                 .agg(pl.col("numerator").sum(), pl.col("denominator").sum(),
                      pl.col("denominator").is_null().all().alias("_noden")))
        whole = obs.filter(pl.col(by) == "all").select(
            "kpi_id", "period", other, "numerator", "denominator")
        joined = whole.join(parts, on=["kpi_id", "period", other], how="left", suffix="_parts")
        assert joined.height > 0
        assert_frame_equal(joined.select(pl.col("numerator_parts").alias("n")),
                           joined.select(pl.col("numerator").alias("n")), rel_tol=1e-12)
        dens = joined.filter(~pl.col("_noden"))
        assert_frame_equal(dens.select(pl.col("denominator_parts").alias("d")),
                           dens.select(pl.col("denominator").alias("d")), rel_tol=1e-12)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.integers(0, 1),
                                 st.integers(0, 30)), min_size=1, max_size=200))
def test_medians_from_value_counts_equal_medians_of_the_values(values: list) -> None:
    """The engine reads medians off cumulative value counts; they must be the exact medians."""
    from datetime import date as _date

    from metrics.engine.medians import median_levels as _median_levels

    raw = pl.DataFrame(
        {"_month": [_date(2025, 1 + m, 1) for m, _, _, _ in values],
         "_region": [f"R{r}" for _, r, _, _ in values],
         "_group": [f"g{g}" for _, _, g, _ in values],
         "v": [float(v) for *_, v in values]})
    counts = raw.group_by("_month", "_region", "_group", "v").agg(pl.len().alias("c"))
    keys = ["_month", "_region", "_group"]
    direct = _median_levels(raw, weighted=False).sort(keys, nulls_last=True)
    from_counts = _median_levels(counts, weighted=True).sort(keys, nulls_last=True)
    assert_frame_equal(direct, from_counts, check_dtypes=False)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.integers(0, 1),
                                 st.one_of(st.integers(-5, 5).map(float),
                                           st.floats(-1e6, 1e6, allow_nan=False,
                                                     allow_infinity=False))),
                       min_size=1, max_size=300),
       buckets=st.one_of(st.none(), st.integers(1, 40)), weighted=st.booleans(),
       windows=st.booleans())
def test_medians_and_their_bounds_are_the_order_statistics_of_each_level(
        values: list, buckets: int | None, weighted: bool, windows: bool) -> None:
    """Every level's median and interval bounds equal the order statistics of its own
    values, sorted directly (the engine reads them from bucket counts, with any number of
    buckets, from the values or from value counts)."""
    from datetime import date as _date

    from metrics import intervals
    from metrics.engine.medians import median_levels

    raw = pl.DataFrame(
        {"_month": [_date(2025, 1 + m, 1) for m, _, _, _ in values],
         "_region": [f"R{r}" for _, r, _, _ in values],
         "_group": [f"g{g}" for _, _, g, _ in values],
         "v": [v for *_, v in values]})
    frame = (raw.group_by("_month", "_region", "_group", "v").agg(pl.len().alias("c"))
             if weighted else raw)
    # windows: overlapping two-month periods, each month in two of them
    periods = pl.DataFrame(
        [(_date(2025, 1 + m, 1), f"W{m + j}") for m in range(3) for j in (0, 1)],
        schema={"_month": pl.Date, "period": pl.String}, orient="row") if windows else None
    got = median_levels(frame, weighted=weighted, buckets=buckets, periods=periods)
    assert got.height > 0
    for row in got.iter_rows(named=True):
        if periods is None:
            sel = raw.filter(pl.col("_month") == row["_month"])
        else:
            months = periods.filter(pl.col("period") == row["period"]).get_column("_month")
            sel = raw.filter(pl.col("_month").is_in(months.to_list()))
        for dim in ("_region", "_group"):
            if row[dim] is not None:
                sel = sel.filter(pl.col(dim) == row[dim])
        vals = np.sort(sel.get_column("v").to_numpy())
        assert row["den"] == len(vals)
        assert row["_months"] == sel.get_column("_month").n_unique()
        assert row["med"] == (vals[(len(vals) - 1) // 2] + vals[len(vals) // 2]) / 2
        k, u = intervals.median_ranks(np.array([float(len(vals))]))
        if np.isfinite(k[0]):
            assert (row["lo"], row["hi"]) == (vals[int(k[0]) - 1], vals[int(u[0]) - 1])
        else:
            assert row["lo"] is None and row["hi"] is None


def test_whole_numbers_too_many_for_a_bucket_each_are_bucketed_and_still_exact(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole numbers over a wide range in many cells would need cells x values counts at
    once; past the limit they are cut into buckets, and the medians stay exact."""
    from datetime import date as _date

    from metrics.engine import medians

    rng = np.random.default_rng(3)
    n = 5_000
    raw = pl.DataFrame({"_month": [_date(2025, 1 + int(m), 1) for m in rng.integers(0, 3, n)],
                        "_region": [f"R{r}" for r in rng.integers(0, 4, n)],
                        "_group": [f"g{g}" for g in rng.integers(0, 3, n)],
                        "v": rng.integers(0, 50_000, n).astype(float)})
    monkeypatch.setattr(medians, "MAX_COUNTS", 1_000)
    cut = []
    bucketed = medians._buckets
    monkeypatch.setattr(medians, "_buckets", lambda v, k: cut.append(k) or bucketed(v, k))
    got = medians.median_levels(raw, weighted=False)
    assert cut, "the values were not cut into buckets"
    assert got.height > 0
    for row in got.iter_rows(named=True):
        sel = raw.filter(pl.col("_month") == row["_month"])
        for dim in ("_region", "_group"):
            if row[dim] is not None:
                sel = sel.filter(pl.col(dim) == row[dim])
        assert row["med"] == sel.get_column("v").median()
        assert row["den"] == sel.height
