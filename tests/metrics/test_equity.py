"""Tests for metrics.equity: pairwise disparities, summary measures, decompositions, gaps."""

from __future__ import annotations

import math
import random
from datetime import date
from statistics import NormalDist
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.equity import (
    compare_gaps,
    disparities,
    disparities_by_period,
    gap_over_time,
    mld_decomposition,
    previous_year,
    summary_by_period,
    theil_decomposition,
)

Z95 = NormalDist().inv_cdf(0.975)

# --- WHO healthequal reference values ---------------------------------------------------
# Source: WHOequity/healthequal (WHO R package), tests/testthat/test-bgv.R, test-idisu.R,
# test-idisw.R, test-ti.R, test-mld.R at commit 3e7e040; expected values copied verbatim.
# The inputs are generated in those tests by R's RNG (set.seed(123);
# pop <- round(rnorm(25, 1000, 300)); est <- rbinom(25, 1000, .065)) and were regenerated
# with R 4.2.2, as transcribed in reference/healthequal_summary_measures.json.
# healthequal conventions: popsh = pop / sum(pop), mu = sum(popsh * est); est is on the
# scale of the call (scaleval = 100, favourable_indicator = 1); TI and MLD are x 1000.
HEALTHEQUAL_POP = [
    832, 931, 1468, 1021, 1039, 1515, 1138, 620, 794, 866, 1367, 1108, 1120,
    1033, 833, 1536, 1149, 410, 1210, 858, 680, 935, 692, 781, 812,
]  # fmt: skip
HEALTHEQUAL_EST = [
    61, 74, 58, 59, 72, 75, 74, 68, 75, 67, 73, 63, 66,
    62, 60, 66, 71, 73, 71, 61, 74, 84, 55, 69, 60,
]  # fmt: skip
HEALTHEQUAL_SCALE = 100.0
# (published estimate, tolerance used by the package's own test: testthat's
# expect_equal, a relative tolerance)
HEALTHEQUAL_EXPECTED = {
    "bgv": (46.198326, 1e-6),
    "idisu": (8.7018175, 1e-4),
    "idisw": (8.6178417, 1e-4),
    "ti_x1000": (5.0359201, 1e-4),
    "mld_x1000": (5.0524006, 1e-3),
}


def _healthequal_frame() -> pl.DataFrame:
    # numerator = est * pop / scale and denominator = pop, so r_j = est_j / scale and
    # mu = sum(num) / sum(pop) = sum(popsh * est) / scale, as in healthequal.
    return pl.DataFrame(
        {
            "group": [f"subgroup{i:02d}" for i in range(25)],
            "numerator": [
                e * p / HEALTHEQUAL_SCALE
                for e, p in zip(HEALTHEQUAL_EST, HEALTHEQUAL_POP, strict=True)
            ],
            "denominator": HEALTHEQUAL_POP,
        }
    )


def test_healthequal_nonordered_summary_measures() -> None:
    res = disparities(_healthequal_frame(), favourable=True)
    s = HEALTHEQUAL_SCALE
    got = {
        "bgv": res["between_group_variance"] * s**2,  # variance: on the est scale
        "idisu": res["index_of_disparity"],  # already x 100, scale-free
        "idisw": res["index_of_disparity_weighted"],
        "ti_x1000": res["theil"] * 1000,
        "mld_x1000": res["mean_log_deviation"] * 1000,
    }
    for name, (expected, tol) in HEALTHEQUAL_EXPECTED.items():
        assert got[name] == pytest.approx(expected, rel=tol), name
    # favourable_indicator = 1: the best group is the highest estimate (84)
    assert res["reference_rate"] == pytest.approx(0.84)
    assert res["overall_rate"] == pytest.approx(
        sum(e * p for e, p in zip(HEALTHEQUAL_EST, HEALTHEQUAL_POP, strict=True))
        / sum(HEALTHEQUAL_POP)
        / s
    )


# --- Worked example -----------------------------------------------------------------------


def _three() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "group": ["white", "black", "hispanic"],
            "numerator": [50, 90, 30],
            "denominator": [1000, 1000, 500],
            "reliable": [True, True, True],
        }
    )


def test_pairwise_against_best_by_hand() -> None:
    res = disparities(_three())  # lower is better: best = white (0.05)
    assert res["reference_group"] == "white"
    assert res["rates"] == pytest.approx({"black": 0.09, "hispanic": 0.06, "white": 0.05})
    assert res["groups"] == ["black", "hispanic", "white"]  # canonical order
    assert res["rate_difference"]["black"] == pytest.approx(0.04)
    assert res["rate_ratio"]["black"] == pytest.approx(1.8)
    assert res["rate_difference"]["white"] == 0.0 and res["rate_ratio"]["white"] == 1.0
    assert res["rate_difference_ci"]["white"] == [0.0, 0.0]
    assert res["variance"] == "binomial"
    vb, vw = 0.09 * 0.91 / 1000, 0.05 * 0.95 / 1000
    half = Z95 * math.sqrt(vb + vw)
    assert res["rate_difference_ci"]["black"] == pytest.approx([0.04 - half, 0.04 + half])
    sl = Z95 * math.sqrt(vb / 0.09**2 + vw / 0.05**2)
    assert res["rate_ratio_ci"]["black"] == pytest.approx([1.8 * math.exp(-sl), 1.8 * math.exp(sl)])
    mu = 170 / 2500
    assert res["overall_rate"] == pytest.approx(mu)
    rates, shares = [0.05, 0.09, 0.06], [0.4, 0.4, 0.2]
    assert res["index_of_disparity"] == pytest.approx(
        100 * sum(abs(r - mu) for r in rates) / 3 / mu
    )
    assert res["index_of_disparity_weighted"] == pytest.approx(
        100 * sum(p * abs(r - mu) for r, p in zip(rates, shares, strict=True)) / mu
    )
    assert res["between_group_variance"] == pytest.approx(
        sum(p * (r - mu) ** 2 for r, p in zip(rates, shares, strict=True))
    )
    assert res["theil"] == pytest.approx(
        sum(p * r / mu * math.log(r / mu) for r, p in zip(rates, shares, strict=True))
    )
    assert res["mean_log_deviation"] == pytest.approx(
        sum(-p * math.log(r / mu) for r, p in zip(rates, shares, strict=True))
    )
    assert "lowest rate" in res["reference_note"] and "White" in res["reference_note"]


def test_poisson_variance_when_numerator_exceeds_denominator() -> None:
    df = pl.DataFrame({"group": ["a", "b"], "numerator": [30, 5], "denominator": [10, 10]})
    res = disparities(df)
    assert res["variance"] == "poisson"
    half = Z95 * math.sqrt(3.0 / 10 + 0.5 / 10)
    assert res["rate_difference_ci"]["a"] == pytest.approx([2.5 - half, 2.5 + half])
    sl = Z95 * math.sqrt(1 / 30 + 1 / 5)
    assert res["rate_ratio_ci"]["a"] == pytest.approx([6 * math.exp(-sl), 6 * math.exp(sl)])
    assert disparities(_three(), variance="poisson")["variance"] == "poisson"


def test_total_reference_accounts_for_overlap() -> None:
    res = disparities(_three(), reference="total")
    assert res["reference_group"] == "total"
    mu = 170 / 2500
    assert res["reference_rate"] == pytest.approx(mu)
    assert res["rate_difference"]["black"] == pytest.approx(0.09 - mu)
    v = {"white": 0.05 * 0.95 / 1000, "black": 0.09 * 0.91 / 1000, "hispanic": 0.06 * 0.94 / 500}
    p = {"white": 0.4, "black": 0.4, "hispanic": 0.2}
    v_mu = sum(p[g] ** 2 * v[g] for g in v)
    half = Z95 * math.sqrt(v["black"] + v_mu - 2 * p["black"] * v["black"])
    d = 0.09 - mu
    assert res["rate_difference_ci"]["black"] == pytest.approx([d - half, d + half])
    assert "all groups combined" in res["reference_note"]


def test_named_reference_and_errors() -> None:
    res = disparities(_three(), reference="hispanic")
    assert res["reference_group"] == "hispanic"
    assert res["rate_ratio"]["white"] == pytest.approx(0.05 / 0.06)
    with pytest.raises(ValueError, match="'asian'"):
        disparities(_three(), reference="asian")
    with pytest.raises(ValueError, match="not a group that is compared"):
        disparities(_three(), reference="unknown")
    with pytest.raises(ValueError, match="more than one row"):
        disparities(pl.concat([_three(), _three()]))
    with pytest.raises(ValueError, match="missing column"):
        disparities(_three().drop("denominator"))
    with pytest.raises(ValueError, match="confidence"):
        disparities(_three(), confidence=95)


def test_unknown_all_and_unusable_rows_are_not_compared() -> None:
    df = pl.concat(
        [
            _three(),
            pl.DataFrame(
                {
                    "group": ["unknown", "all", "asian", "nhpi"],
                    "numerator": [40, 210, 3, None],
                    "denominator": [100, 2600, 0, 50],
                    "reliable": [True, True, True, True],
                }
            ),
        ]
    )
    res = disparities(df)
    assert set(res["groups"]) == {"white", "black", "hispanic"}
    assert res["excluded"] == ["asian", "nhpi"]
    assert res["not_compared"] == ["unknown", "all"]
    assert res["overall_rate"] == pytest.approx(170 / 2500)
    assert res["unknown_share"] == pytest.approx(100 / 2650)
    empty = disparities(_three().head(0))
    assert empty["reference_group"] is None and empty["groups"] == []
    assert empty["theil"] is None and empty["excluded"] == []
    none_usable = disparities(_three().with_columns(denominator=pl.lit(0)))
    assert none_usable["excluded"] == ["black", "hispanic", "white"]
    assert none_usable["index_of_disparity"] is None
    base = disparities(_three())
    assert res["theil"] == pytest.approx(base["theil"])


def test_unreliable_best_is_skipped_and_listed() -> None:
    df = _three().with_columns(reliable=pl.Series([False, True, True]))
    res = disparities(df)
    assert res["reference_group"] == "hispanic"
    assert res["unreliable_groups"] == ["white"]
    assert res["rates"]["white"] == pytest.approx(0.05)  # still measured
    everyone = disparities(df, reliable_col=None)
    assert everyone["reference_group"] == "white" and everyone["unreliable_groups"] == []
    none = disparities(df.with_columns(reliable=pl.lit(False)))
    assert none["reference_group"] == "total"
    assert any("No group has a reliable rate" in n for n in none["notes"])


def test_zero_rate_theil_defined_mld_none() -> None:
    df = pl.DataFrame({"group": ["a", "b"], "numerator": [0, 10], "denominator": [100, 100]})
    res = disparities(df)
    mu = 0.05
    assert res["theil"] == pytest.approx(0.5 * (0.1 / mu) * math.log(0.1 / mu))
    assert res["mean_log_deviation"] is None
    assert any("Mean log deviation" in n for n in res["notes"])
    assert res["rate_ratio"]["b"] is None  # the best group has rate 0
    assert res["rate_ratio_ci"]["b"] is None
    zero = disparities(df.with_columns(numerator=pl.lit(0)))
    assert zero["between_group_variance"] == 0.0
    assert zero["index_of_disparity"] is None and zero["theil"] is None


# --- Hypothesis properties ------------------------------------------------------------------

CODES = ["aian", "asian", "black", "hispanic", "mena", "nhpi", "white", "multiracial"]


@st.composite
def group_tables(draw: st.DrawFn, min_groups: int = 2) -> pl.DataFrame:
    codes = draw(st.lists(st.sampled_from(CODES), min_size=min_groups, unique=True))
    dens = draw(st.lists(st.integers(1, 100_000), min_size=len(codes), max_size=len(codes)))
    nums = [draw(st.integers(0, d)) for d in dens]
    rel = draw(st.lists(st.booleans(), min_size=len(codes), max_size=len(codes)))
    return pl.DataFrame({"group": codes, "numerator": nums, "denominator": dens, "reliable": rel})


MEASURES = [
    "overall_rate",
    "index_of_disparity",
    "index_of_disparity_weighted",
    "between_group_variance",
    "theil",
    "mean_log_deviation",
    "reference_rate",
]


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@given(group_tables(), st.randoms(use_true_random=False), st.booleans())
def test_invariant_to_group_order(df: pl.DataFrame, rnd: random.Random, fav: bool) -> None:
    idx = list(range(df.height))
    rnd.shuffle(idx)
    a, b = disparities(df, favourable=fav), disparities(df[idx], favourable=fav)
    assert a["reference_group"] == b["reference_group"]
    assert a["groups"] == b["groups"]
    for m in MEASURES:
        assert _close(a[m], b[m]), m
    for g in a["groups"]:
        assert _close(a["rate_difference"][g], b["rate_difference"][g])
        assert _close(a["rate_ratio"][g], b["rate_ratio"][g])


@given(
    st.lists(st.sampled_from(CODES), min_size=1, unique=True),
    st.integers(1, 50),
    st.integers(0, 50),
    st.data(),
)
def test_equal_rates_give_zero_summary(
    codes: list[str], m: int, k: int, data: st.DataObject
) -> None:
    k = min(k, m)
    scale = data.draw(st.lists(st.integers(1, 1000), min_size=len(codes), max_size=len(codes)))
    df = pl.DataFrame(
        {
            "group": codes,
            "numerator": [k * c for c in scale],
            "denominator": [m * c for c in scale],
        }
    )
    res = disparities(df)
    assert res["between_group_variance"] == pytest.approx(0.0, abs=1e-15)
    if k == 0:  # mu = 0: relative measures undefined
        assert res["index_of_disparity"] is None
        return
    for name in ("index_of_disparity", "index_of_disparity_weighted", "theil"):
        assert res[name] == pytest.approx(0.0, abs=1e-12), name
    assert res["mean_log_deviation"] == pytest.approx(0.0, abs=1e-12)
    assert all(d == pytest.approx(0.0, abs=1e-15) for d in res["rate_difference"].values())


@given(group_tables(), st.booleans())
def test_best_reference_is_extreme_reliable_rate(df: pl.DataFrame, fav: bool) -> None:
    res = disparities(df, favourable=fav)
    reliable = df.filter(pl.col("reliable"))
    if reliable.height == 0:
        assert res["reference_group"] == "total"
        return
    rates = (reliable["numerator"] / reliable["denominator"]).to_list()
    best = max(rates) if fav else min(rates)
    assert res["reference_rate"] == pytest.approx(best)
    assert res["reference_group"] in reliable["group"].to_list()
    unreliable = set(df.filter(~pl.col("reliable"))["group"].to_list())
    assert set(res["unreliable_groups"]) == unreliable
    assert res["reference_group"] not in unreliable
    for g, d in res["rate_difference"].items():
        if g in reliable["group"].to_list():
            assert (d <= 1e-15) if fav else (d >= -1e-15)


@given(group_tables(), st.data())
def test_named_and_total_reference(df: pl.DataFrame, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(df["group"].to_list()))
    res = disparities(df, reference=name)
    assert res["reference_group"] == name
    assert res["rate_difference"][name] == 0.0
    assert res["reference_rate"] == pytest.approx(res["rates"][name])
    tot = disparities(df, reference="total")
    assert tot["reference_group"] == "total"
    assert tot["reference_rate"] == pytest.approx(tot["overall_rate"])
    # the population-weighted mean difference from the total is zero
    weighted = sum(tot["population_shares"][g] * d for g, d in tot["rate_difference"].items())
    assert weighted == pytest.approx(0.0, abs=1e-12)


@st.composite
def region_tables(draw: st.DrawFn) -> pl.DataFrame:
    regions = draw(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=4, unique=True))
    rows = []
    for region in regions:
        for code in draw(st.lists(st.sampled_from(CODES), min_size=1, unique=True)):
            den = draw(st.integers(1, 100_000))
            rows.append((region, code, draw(st.integers(1, den)), den))
    return pl.DataFrame(rows, schema=["region", "group", "numerator", "denominator"], orient="row")


@given(region_tables())
def test_decompositions_add_up(df: pl.DataFrame) -> None:
    for fn in (theil_decomposition, mld_decomposition):
        res = fn(df)
        assert res["between_region"] + res["within_region"] == pytest.approx(
            res["total"], rel=1e-9, abs=1e-12
        )
        assert res["between_region"] >= -1e-12 and res["within_region"] >= -1e-12
    # the total over all cells equals the measure over region x group "groups"
    cells = df.with_columns(group=pl.col("region") + ":" + pl.col("group"))
    flat = disparities(cells.drop("region"), reliable_col=None)
    assert theil_decomposition(df)["total"] == pytest.approx(flat["theil"], abs=1e-12)
    assert mld_decomposition(df)["total"] == pytest.approx(flat["mean_log_deviation"], abs=1e-12)


def test_decomposition_by_hand_and_exclusions() -> None:
    df = pl.DataFrame(
        {
            "region": ["a", "a", "b", "b", "all", "b"],
            "group": ["white", "black", "white", "black", "white", "unknown"],
            "numerator": [10, 20, 30, 5, 40, 99],
            "denominator": [100, 100, 200, 50, 300, 10],
        }
    )
    res = theil_decomposition(df)
    mu = 65 / 450
    mu_a, mu_b, pa, pb = 30 / 200, 35 / 250, 200 / 450, 250 / 450
    between = pa * (mu_a / mu) * math.log(mu_a / mu) + pb * (mu_b / mu) * math.log(mu_b / mu)
    assert res["between_region"] == pytest.approx(between)
    t_a = 0.5 * (0.1 / mu_a) * math.log(0.1 / mu_a) + 0.5 * (0.2 / mu_a) * math.log(0.2 / mu_a)
    assert res["regions"]["a"]["index"] == pytest.approx(t_a)
    assert res["regions"]["a"]["population_share"] == pytest.approx(pa)
    one_region = theil_decomposition(df.filter(pl.col("region") == "a"))
    assert one_region["between_region"] == pytest.approx(0.0, abs=1e-15)
    zero = mld_decomposition(
        df.with_columns(
            numerator=pl.when(pl.col("group") == "black").then(0).otherwise("numerator")
        )
    )
    assert zero["total"] is None and zero["between_region"] is not None


# --- Observations frames --------------------------------------------------------------------


def _observations() -> pl.DataFrame:
    rows: list[tuple[object, ...]] = []
    data = {
        "2020": {"white": 740, "black": 610, "hispanic": 700, "unknown": 10},
        "2023": {"white": 750, "black": 640, "hispanic": 710, "unknown": 12},
        "2024": {"white": 760, "black": 680, "hispanic": 720, "unknown": 9},
    }
    for period, groups in data.items():
        for region, factor in (("all", 4), ("north", 1)):
            for group, num in groups.items():
                den = 1000 * factor
                rows.append(("grad", period, region, group, num * factor, den, num / 1000, True))
            total_num = sum(groups.values()) * factor
            rows.append(("grad", period, region, "all", total_num, 4000 * factor, None, True))
    return pl.DataFrame(
        rows,
        schema=[
            "kpi_id",
            "period",
            "region",
            "group",
            "numerator",
            "denominator",
            "value",
            "reliable",
        ],
        orient="row",
    ).with_columns(ci_low=pl.col("value") - 0.01, ci_high=pl.col("value") + 0.01)


def test_disparities_by_period_matches_disparities() -> None:
    obs = _observations()
    pw = disparities_by_period(obs, favourable=True)
    sm = summary_by_period(obs, favourable=True)
    assert pw.height == obs.height
    assert sm.height == 6
    for (period, region), part in obs.group_by(["period", "region"]):
        res = disparities(
            part.select("group", "numerator", "denominator", "reliable"), favourable=True
        )
        rows = pw.filter((pl.col("period") == period) & (pl.col("region") == region))
        got = dict(zip(rows["group"], rows["rate_difference"], strict=True))
        for g, d in res["rate_difference"].items():
            assert got[g] == pytest.approx(d)
        assert got["unknown"] is None and got["all"] is None
        assert set(rows["reference_group"]) == {res["reference_group"]}
        srow = sm.filter((pl.col("period") == period) & (pl.col("region") == region)).row(
            0, named=True
        )
        for m in ("theil", "index_of_disparity", "mean_log_deviation", "between_group_variance"):
            assert srow[m] == pytest.approx(res[m]), m
        assert srow["unknown_share"] == pytest.approx(res["unknown_share"])


def test_by_period_named_reference_missing_in_one_table() -> None:
    obs = _observations().filter(~((pl.col("period") == "2020") & (pl.col("group") == "hispanic")))
    pw = disparities_by_period(obs, reference="hispanic")
    in_2020 = pw.filter(pl.col("period") == "2020")["rate_difference"]
    assert in_2020.len() == 8 and in_2020.null_count() == 8
    assert pw.filter(pl.col("period") == "2024")["rate_difference"].drop_nulls().len() == 6
    with pytest.raises(ValueError, match="asian"):
        disparities_by_period(obs, reference="asian")


def test_gap_over_time_and_what_it_takes() -> None:
    res = gap_over_time(_observations(), kpi_id="grad", group="black", favourable=True)
    assert res["periods"] == {"current": "2024", "baseline": "2020", "last_year": "2023"}
    assert res["current"]["gap"] == pytest.approx(-0.08)
    assert res["baseline"]["gap"] == pytest.approx(-0.13)
    assert res["last_year"]["gap"] == pytest.approx(-0.11)
    # statewide denominators of 4000: the 5-point narrowing since 2020 is significant
    assert res["change_since_baseline"]["method"] == "significance"
    assert res["direction"] == "narrowed"
    assert res["change_since_last_year"]["direction"] == "narrowed"
    north = gap_over_time(
        _observations(), kpi_id="grad", group="black", region="north", favourable=True
    )
    # same rates, a quarter of the people: not significant, and too few people to say the
    # gap stayed the same
    assert north["direction"] == "too small to tell"
    assert "too small to tell" in north["change_since_baseline"]["sentence"]
    took = res["what_it_takes"]
    assert took["extra_numerator"] == pytest.approx(320.0)
    assert took["people_needed"] == 320
    assert took["sentence"] == (
        "320 more people a year in Black or African American, "
        "or the group's rate rising from 68.0% to 76.0%"
    )


def test_what_it_takes_example_sentence_and_lower_is_better() -> None:
    obs = pl.DataFrame(
        {
            "kpi_id": ["k"] * 2,
            "period": ["2025"] * 2,
            "region": ["all"] * 2,
            "group": ["black", "white"],
            "numerator": [0.61 * 3200, 0.74 * 3200],
            "denominator": [3200, 3200],
        }
    )
    res = gap_over_time(obs, kpi_id="k", group="black", favourable=True)
    assert res["what_it_takes"]["sentence"] == (
        "416 more people a year in Black or African American, "
        "or the group's rate rising from 61.0% to 74.0%"
    )
    assert res["baseline"] is None and res["direction"] is None
    low = gap_over_time(
        obs, kpi_id="k", group="white", multiplier=1000, unit=" per 1,000", noun="admissions"
    )
    assert low["what_it_takes"]["sentence"] == (
        "416 fewer admissions a year in White, or the group's rate falling "
        "from 740.0 per 1,000 to 610.0 per 1,000"
    )
    best = gap_over_time(obs, kpi_id="k", group="black")
    assert best["what_it_takes"]["people_needed"] == 0
    assert "already at or better" in best["what_it_takes"]["sentence"]
    with pytest.raises(ValueError, match="not in the data"):
        gap_over_time(obs, kpi_id="k", group="black", current_period="2030")
    with pytest.raises(ValueError, match="no observations"):
        gap_over_time(obs, kpi_id="other", group="black")


def _pt(period: str, gap: float, se: float | None) -> dict[str, object]:
    return {"period": period, "gap": gap, "gap_se": se, "reference_group": "white"}


def _cmp(now: tuple[float, float | None], then: tuple[float, float | None]) -> dict[str, Any]:
    out = compare_gaps(_pt("b", *now), _pt("a", *then), z=Z95)
    assert out is not None
    return out


def test_compare_gaps_significance_and_ten_percent_rule() -> None:
    assert _cmp((-0.20, 0.01), (-0.10, 0.01))["direction"] == "widened"
    assert _cmp((-0.10, 0.01), (-0.20, 0.01))["direction"] == "narrowed"
    wide = _cmp((-0.11, 0.05), (-0.10, 0.05))  # not significant, but could be +/-14 points
    assert wide["direction"] == "too small to tell" and wide["method"] == "significance"
    assert "-12.9 percentage points to +14.9 percentage points" in wide["sentence"]
    same = _cmp((-0.101, 0.001), (-0.10, 0.001))  # the interval lies within 10% of the gap
    assert same["direction"] == "stayed the same" and same["method"] == "significance"
    # no standard errors: 10% of the earlier gap is the threshold (exactly 10% counts)
    rule = _cmp((-0.11, None), (-0.10, None))
    assert rule["method"] == "10% rule" and rule["direction"] == "widened"
    assert _cmp((-0.109, None), (-0.10, None))["direction"] == "stayed the same"
    assert _cmp((-0.09, 0.0), (-0.10, 0.0))["direction"] == "narrowed"  # zero SEs: 10% rule
    assert _cmp((0.0, 0.0), (0.0, 0.0))["direction"] == "stayed the same"
    assert compare_gaps(None, _pt("a", -0.1, None), z=Z95) is None
    assert "percentage points" in rule["sentence"]


def test_previous_year() -> None:
    assert previous_year("2026") == "2025"
    assert previous_year("2026-Q3") == "2025-Q3"
    assert previous_year("2026-10") == "2025-10"
    assert previous_year("FY2027") == "FY2026"
    assert previous_year("R12-2026-10") == "R12-2025-10"
    assert previous_year(2026) == 2025
    assert previous_year(202610) == 202510
    assert previous_year(date(2024, 2, 29)) == date(2023, 2, 28)
    assert previous_year("latest") is None


@settings(max_examples=40)
@given(st.lists(group_tables(), min_size=1, max_size=3), st.booleans())
def test_by_period_vectorised_equals_per_table(tables: list[pl.DataFrame], fav: bool) -> None:
    obs = pl.concat(
        [
            t.with_columns(kpi_id=pl.lit("k"), period=pl.lit(str(2020 + i)), region=pl.lit("all"))
            for i, t in enumerate(tables)
        ],
        how="diagonal",
    )
    sm = summary_by_period(obs, favourable=fav).sort("period")
    for i, t in enumerate(tables):
        res = disparities(t, favourable=fav)
        row = sm.row(i, named=True)
        assert row["reference_group"] == res["reference_group"]
        for m in MEASURES:
            assert _close(row[m], res[m]), m


# --- Gini coefficient ----------------------------------------------------------------------


def _gini_pairs(rates: list[float], weights: list[float]) -> float:
    """Independent computation: mean absolute difference over twice the mean (all pairs)."""
    total = sum(weights)
    p = [w / total for w in weights]
    mu = sum(pi * r for pi, r in zip(p, rates, strict=True))
    pairs = sum(pi * pj * abs(ri - rj) for pi, ri in zip(p, rates, strict=True)
                for pj, rj in zip(p, rates, strict=True))
    return pairs / (2 * mu)


def test_gini_textbook_value_and_pairwise_definition() -> None:
    # Equal populations with rates 1, 2, 3, 4, 5: the Gini coefficient of 1..5 is
    # Σ|x_i − x_j| / (2 n² μ) = 40 / (2·25·3) = 0.2667 (e.g. Cowell, Measuring Inequality).
    df = pl.DataFrame({"group": ["aian", "asian", "black", "hispanic", "white"],
                       "numerator": [10.0, 20.0, 30.0, 40.0, 50.0],
                       "denominator": [1000.0] * 5})
    res = disparities(df)
    assert res["gini"] == pytest.approx(40 / 150, abs=1e-12)
    # unequal populations: the Lorenz-curve computation equals the pairwise definition
    df = pl.DataFrame({"group": ["aian", "asian", "black", "white"],
                       "numerator": [30.0, 5.0, 80.0, 200.0],
                       "denominator": [500.0, 800.0, 2000.0, 9000.0]})
    rates = [30 / 500, 5 / 800, 80 / 2000, 200 / 9000]
    assert disparities(df)["gini"] == pytest.approx(
        _gini_pairs(rates, [500.0, 800.0, 2000.0, 9000.0]), rel=1e-12)
    # every group at the same rate: 0
    same = df.with_columns((pl.col("denominator") * 0.01).alias("numerator"))
    assert disparities(same)["gini"] == pytest.approx(0.0, abs=1e-12)


@given(st.lists(st.tuples(st.integers(0, 500), st.integers(1, 5000)), min_size=2, max_size=8))
def test_gini_matches_pairs_and_lies_in_0_1(cells: list[tuple[int, int]]) -> None:
    groups = ["aian", "asian", "black", "hispanic", "mena", "nhpi", "white", "multiracial"]
    df = pl.DataFrame({"group": groups[:len(cells)],
                       "numerator": [float(x) for x, n in cells],
                       "denominator": [float(max(x, n)) for x, n in cells]})
    res = disparities(df)
    if sum(x for x, _ in cells) == 0:
        assert res["gini"] is None
        return
    rates = [x / max(x, n) for x, n in cells]
    expected = _gini_pairs(rates, [float(max(x, n)) for x, n in cells])
    assert res["gini"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert -1e-12 <= res["gini"] < 1
