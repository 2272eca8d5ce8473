"""Tests for metrics.suppression: primary and complementary suppression and the LP audit."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.suppression import (
    COMPLEMENTARY_REASON,
    PUBLIC,
    STAFF,
    AuditResult,
    DisclosureError,
    SuppressionPolicy,
    assemble,
    audit_frame,
    audit_table,
    build_model,
    check,
    complementary,
    label,
    primary_mask,
    suppress,
)
from metrics.suppression.lp import lp_intervals
from metrics.suppression.network import Network

# ---------------------------------------------------------------------------------------
# The sdcTable case. Source: sdcTools/sdcTable (R package),
# tests/testthat/test-simpleheuristic.R at commit 6393dfb (via the project's
# reference/sdctable_complementary_suppression_case.json). Published there: 9 primary
# suppressions, one secondary suppression by SIMPLEHEURISTIC, and the attack on w|b
# giving freq 47, low 0, up 78. The margins are sums of the inner cells (makeProblem is
# built from inner cells only). The per-cell primary-only bounds and "x|d is the single
# extra cell giving [0, 78]" were computed by LP (not published).
# ---------------------------------------------------------------------------------------
SDC_ROWS = ["w", "x", "y", "z"]
SDC_COLS = ["a", "b", "c", "d"]
SDC_VALUES = np.array(
    [
        [30, 47, 64, 89],
        [90, 124, 5, 31],
        [92, 100, 59, 85],
        [800, 991, 651, 685],
    ],
    dtype=float,
)
SDC_PRIMARY = [("w", "a"), ("w", "b"), ("w", "c"), ("x", "a"), ("x", "c"), ("y", "b"), ("y", "d"), ("z", "b"), ("z", "d")]
SDC_PRIMARY_ONLY_BOUNDS = {
    "w|a": (25, 94), "w|b": (47, 47), "w|c": (0, 69), "x|a": (26, 95), "x|c": (0, 69),
    "y|b": (0, 185), "y|d": (0, 185), "z|b": (906, 1091), "z|d": (585, 770),
}


def _sdc_primary() -> np.ndarray:
    mask = np.zeros((4, 4), dtype=bool)
    for r, c in SDC_PRIMARY:
        mask[SDC_ROWS.index(r), SDC_COLS.index(c)] = True
    return mask


def _sdc_name(cell: tuple[int, int]) -> str:
    i, j = cell
    return f"{SDC_ROWS[i] if i < 4 else 'tot'}|{SDC_COLS[j] if j < 4 else 'tot'}"


def test_sdctable_margins_are_sums() -> None:
    full = assemble(SDC_VALUES)
    assert full[:4, 4].tolist() == [230, 250, 336, 3127]
    assert full[4, :4].tolist() == [1012, 1262, 779, 890]
    assert full[4, 4] == 3943


def test_sdctable_primary_only_w_b_is_recoverable() -> None:
    results = audit_table(SDC_VALUES, None, None, None, _sdc_primary(), band=11)
    assert len(results) == 9
    bounds = {_sdc_name(r.cell): (r.low, r.high) for r in results}
    assert bounds == {k: (float(lo), float(hi)) for k, (lo, hi) in SDC_PRIMARY_ONLY_BOUNDS.items()}
    wb = next(r for r in results if _sdc_name(r.cell) == "w|b")
    assert (wb.value, wb.low, wb.high, wb.width, wb.ok) == (47, 47, 47, 0, False)
    assert [_sdc_name(r.cell) for r in results if not r.ok] == ["w|b"]
    # every row and column has at least two suppressed cells, yet w|b is exposed
    prim = _sdc_primary()
    assert (prim.sum(axis=0) >= 2).all() and (prim.sum(axis=1) >= 2).all()


def test_sdctable_one_complementary_suppression_x_d() -> None:
    primary = _sdc_primary()
    mask = complementary(SDC_VALUES, primary, band=11)
    assert mask.shape == (5, 5)
    extra = [_sdc_name((int(i), int(j))) for i, j in zip(*np.nonzero(mask), strict=True) if not (i < 4 and j < 4 and primary[i, j])]
    assert extra == ["x|d"]
    assert SDC_VALUES[1, 3] == 31
    results = audit_table(SDC_VALUES, None, None, None, mask, band=11)
    wb = next(r for r in results if _sdc_name(r.cell) == "w|b")
    assert (wb.low, wb.high, wb.width) == (0, 78, 78)
    assert all(r.ok for r in results)


def test_sdctable_flow_intervals_equal_lp() -> None:
    model = build_model(assemble(SDC_VALUES))
    mask = complementary(SDC_VALUES, _sdc_primary(), band=11)
    _assert_flow_equals_lp(model, mask)


def _assert_flow_equals_lp(model, mask: np.ndarray) -> None:
    net = Network.of(model)
    fin, ninf = net.capacities(mask & model.present)
    for cell, low, high in lp_intervals(model, mask):
        f_low, f_high = net.interval(fin, ninf, cell)
        assert f_low == pytest.approx(low, abs=1e-6), cell
        if math.isinf(high):
            assert math.isinf(f_high), cell
        else:
            assert f_high == pytest.approx(high, abs=1e-6), cell


# ---------------------------------------------------------------------------------------
# Observation frames
# ---------------------------------------------------------------------------------------
COLUMNS = ["kpi_id", "period", "region", "group", "numerator", "denominator", "value", "ci_low", "ci_high", "reliable"]


def make_obs(
    inner: np.ndarray,
    *,
    denominators: np.ndarray | None = None,
    kpi: str = "k1",
    period: str = "2025-01",
    mult: float = 100_000.0,
    extra_rows: np.ndarray | None = None,
    extra_cols: np.ndarray | None = None,
) -> pl.DataFrame:
    """An observation frame for one table; NaN inner cells are left out (missing).

    Margins are the sums of the present inner cells plus ``extra_rows``/``extra_cols``
    (records a margin holds but no inner cell does); the grand total adds both.
    """
    inner = np.asarray(inner, dtype=float)
    n_r, n_c = inner.shape
    xr = np.zeros(n_r) if extra_rows is None else np.asarray(extra_rows, float)
    xc = np.zeros(n_c) if extra_cols is None else np.asarray(extra_cols, float)
    full = assemble(inner)
    full[:n_r, n_c] += xr
    full[n_r, :n_c] += xc
    full[n_r, n_c] += xr.sum() + xc.sum()
    if denominators is not None:
        dfull = assemble(np.where(np.isnan(inner), np.nan, denominators))
        dfull[:n_r, n_c] += xr
        dfull[n_r, :n_c] += xc
        dfull[n_r, n_c] += xr.sum() + xc.sum()
    rows = []
    for i in range(n_r + 1):
        for j in range(n_c + 1):
            n = full[i, j]
            if np.isnan(n):
                continue
            d = None if denominators is None else float(dfull[i, j])
            v = None if d is None else (mult * n / d if d > 0 else None)
            rows.append((
                kpi, period, f"r{i}" if i < n_r else "all", f"g{j}" if j < n_c else "all",
                float(n), d, v, None if v is None else v * 0.9, None if v is None else v * 1.1, True,
            ))
    schema = {
        "kpi_id": pl.String, "period": pl.String, "region": pl.String, "group": pl.String,
        "numerator": pl.Float64, "denominator": pl.Float64, "value": pl.Float64,
        "ci_low": pl.Float64, "ci_high": pl.Float64, "reliable": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def cell(df: pl.DataFrame, region: str, group: str) -> dict:
    return df.filter((pl.col("region") == region) & (pl.col("group") == group)).row(0, named=True)


BIG = np.array([[120, 150, 130], [140, 160, 170], [110, 190, 180]], dtype=float)


def test_zero_is_not_suppressed() -> None:
    inner = BIG.copy()
    inner[0, 0] = 0
    out = suppress(make_obs(inner), PUBLIC)
    assert not out.get_column("suppressed").any()
    assert cell(out, "r0", "g0")["numerator"] == 0
    assert cell(out, "r0", "g0")["suppression_reason"] is None


@pytest.mark.parametrize("n", range(1, 11))
def test_one_to_ten_suppressed_at_threshold_11(n: int) -> None:
    inner = BIG.copy()
    inner[1, 2] = n
    out = suppress(make_obs(inner), PUBLIC)
    row = cell(out, "r1", "g2")
    assert row["suppressed"] and row["numerator"] is None
    assert row["suppression_reason"] == "suppressed: fewer than 11"
    check(make_obs(inner), out, PUBLIC)


def test_eleven_is_published() -> None:
    inner = BIG.copy()
    inner[1, 2] = 11
    out = suppress(make_obs(inner), PUBLIC)
    assert not out.get_column("suppressed").any()


def test_staff_threshold_5() -> None:
    inner = BIG.copy()
    inner[0, 1], inner[2, 2] = 4, 5
    obs = make_obs(inner)
    staff = suppress(obs, STAFF)
    assert cell(staff, "r0", "g1")["suppression_reason"] == "suppressed: fewer than 5"
    assert cell(staff, "r2", "g2")["suppression_reason"] != "suppressed: fewer than 5"
    public = suppress(obs, PUBLIC)
    assert cell(public, "r2", "g2")["suppression_reason"] == "suppressed: fewer than 11"
    check(obs, staff, STAFF)
    assert primary_mask([0, 1, 4, 5, 10, 11, np.nan], 5).tolist() == [False, True, True, False, False, False, False]


def test_rates_of_suppressed_numerators_are_null_with_reason() -> None:
    inner = BIG.copy()
    inner[2, 0] = 3
    dens = np.full(BIG.shape, 50_000.0)
    obs = make_obs(inner, denominators=dens)
    out = suppress(obs, PUBLIC)
    row = cell(out, "r2", "g0")
    assert row["numerator"] is None and row["value"] is None
    assert row["ci_low"] is None and row["ci_high"] is None
    assert row["denominator"] == 50_000.0  # a denominator is kept
    assert row["suppression_reason"] == "suppressed: fewer than 11"
    assert label(row["value"], row["suppression_reason"]) == "suppressed: fewer than 11"
    for r in out.filter(pl.col("suppressed")).iter_rows(named=True):
        assert r["value"] is None and r["suppression_reason"].startswith("suppressed: ")
    published = out.filter(~pl.col("suppressed"))
    original = obs.join(published.select("region", "group"), on=["region", "group"])
    assert published.sort("region", "group").select(obs.columns).equals(original.sort("region", "group"))


def test_single_small_cell_gets_complement_in_its_row_and_column() -> None:
    inner = BIG.copy()
    inner[1, 1] = 4
    obs = make_obs(inner)
    out = suppress(obs, PUBLIC)
    hidden = out.filter(pl.col("suppressed"))
    comp = hidden.filter(pl.col("suppression_reason") == COMPLEMENTARY_REASON)
    assert comp.height >= 1
    assert hidden.filter((pl.col("region") == "r1") & (pl.col("group") != "g1")).height >= 1
    assert hidden.filter((pl.col("group") == "g1") & (pl.col("region") != "r1")).height >= 1
    # the cheapest protection is a rectangle of inner cells; margins stay published
    assert hidden.filter((pl.col("region") == "all") | (pl.col("group") == "all")).height == 0
    assert hidden.height == 4
    check(obs, out, PUBLIC)


def test_primary_only_is_refused_by_check() -> None:
    inner = BIG.copy()
    inner[1, 1] = 4
    obs = make_obs(inner)
    naive = obs.with_columns(
        suppressed=(pl.col("numerator") == 4),
        suppression_reason=pl.when(pl.col("numerator") == 4).then(pl.lit("suppressed: fewer than 11")),
    ).with_columns(pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("numerator")).alias("numerator"))
    with pytest.raises(DisclosureError) as err:
        check(obs, naive, PUBLIC)
    assert len(err.value.problems) == 1
    assert "region=r1 group=g1" in err.value.problems[0] and "[4, 4]" in err.value.problems[0]
    audit = audit_frame(naive, obs, PUBLIC)
    assert audit.select("region", "group", "value", "low", "high", "ok").rows() == [("r1", "g1", 4.0, 4.0, 4.0, False)]


def test_check_refuses_published_small_count() -> None:
    inner = BIG.copy()
    inner[0, 0] = 7
    obs = make_obs(inner)
    with pytest.raises(DisclosureError, match="count 7 is published"):
        check(obs, obs, PUBLIC)
    leaky = suppress(obs, PUBLIC).with_columns(
        pl.when(pl.col("suppressed")).then(1.0).otherwise(pl.col("value")).alias("value")
    )
    with pytest.raises(DisclosureError, match="value or interval is published"):
        check(obs, leaky, PUBLIC)


def test_margin_cells_are_suppressed_when_needed() -> None:
    # one row of small counts: protecting them needs the row total (and a partner row)
    inner = np.array([[3, 2, 4], [100, 120, 90], [80, 70, 60]], dtype=float)
    obs = make_obs(inner)
    out = suppress(obs, PUBLIC)
    assert cell(out, "r0", "all")["suppressed"]  # the row total 9 is itself small
    check(obs, out, PUBLIC)
    # a statewide column total of 1..10 is a primary suppression too
    inner2 = np.array([[3, 200], [4, 300]], dtype=float)
    out2 = suppress(make_obs(inner2), PUBLIC)
    assert cell(out2, "all", "g0")["suppression_reason"] == "suppressed: fewer than 11"
    check(make_obs(inner2), out2, PUBLIC)


def test_remainder_rule_for_proportions() -> None:
    inner = np.array([[95, 40, 60], [50, 55, 45], [70, 65, 75]], dtype=float)
    dens = np.array([[100, 90, 120], [110, 100, 90], [140, 130, 150]], dtype=float)
    obs = make_obs(inner, denominators=dens, mult=100.0)
    out = suppress(obs, PUBLIC)
    assert cell(out, "r0", "g0")["suppression_reason"] == "suppressed: remainder fewer than 11"
    check(obs, out, PUBLIC)
    no_rule = suppress(obs, SuppressionPolicy(11, suppress_complement=False))
    assert not no_rule.get_column("suppressed").any()
    # a rate per 100,000 is not a proportion: no remainder rule
    rate = make_obs(inner, denominators=dens, mult=100_000.0)
    assert not suppress(rate, PUBLIC).get_column("suppressed").any()


def test_denominator_bounds_the_attacker() -> None:
    # a proportion with a denominator of 6: the interval can never be wider than [0, 6]
    inner = np.array([[4, 60, 70], [50, 55, 45], [70, 65, 75]], dtype=float)
    dens = np.array([[6, 90, 120], [110, 100, 90], [140, 130, 150]], dtype=float)
    obs = make_obs(inner, denominators=dens, mult=100.0)
    out = suppress(obs, PUBLIC)
    check(obs, out, PUBLIC)
    audit = audit_frame(out, obs, PUBLIC)
    small = audit.filter((pl.col("region") == "r0") & (pl.col("group") == "g0")).row(0, named=True)
    assert (small["low"], small["high"], small["required"]) == (0.0, 6.0, 6.0)


def test_missing_inner_cells() -> None:
    inner = np.array([[3, 50, np.nan, 40], [60, 45, 70, 35], [55, 65, 80, 75]], dtype=float)
    obs = make_obs(inner)
    assert obs.height == 19
    out = suppress(obs, PUBLIC)
    check(obs, out, PUBLIC)
    assert cell(out, "r0", "g0")["suppressed"]
    # row r0 lacks g2 but its total still adds up: the line is an equation
    model = build_model(assemble(inner))
    assert model.row_kind[0] == "eq" and model.col_kind[2] == "eq"


def test_line_kinds_unallocated_and_non_additive() -> None:
    full = assemble(np.array([[3, 50], [60, 45]], dtype=float), row_totals=[60, 100], col_totals=[63, 120], grand_total=160)
    model = build_model(full)
    # rows: 53 < 60 (slack 7); 105 > 100 (not a sum); 63 + 120 > 160 (not a sum)
    assert model.row_kind == ("le", "none", "none")
    # columns: 63 == 63; 95 < 120 (slack 25); 60 + 100 == 160
    assert model.col_kind == ("eq", "le", "eq")
    assert model.row_slack.tolist() == [7, 0, 0] and model.col_slack.tolist() == [0, 25, 0]


def test_unallocated_records_still_protect() -> None:
    inner = np.array([[4, 50, 40], [60, 45, 70], [55, 65, 80]], dtype=float)
    obs = make_obs(inner, extra_rows=np.array([6, 0, 0]), extra_cols=np.array([0, 3, 0]))
    out = suppress(obs, PUBLIC)
    check(obs, out, PUBLIC)


def test_determinism_and_row_order() -> None:
    rng = np.random.default_rng(7)
    frames = [make_obs(rng.integers(0, 40, size=(6, 5)).astype(float), period=f"2025-0{p}") for p in range(1, 5)]
    obs = pl.concat(frames)
    a = suppress(obs, PUBLIC)
    b = suppress(obs, PUBLIC)
    assert a.equals(b)
    shuffled = obs.sample(fraction=1.0, shuffle=True, seed=3)
    c = suppress(shuffled, PUBLIC)
    key = ["kpi_id", "period", "region", "group"]
    assert c.sort(key).equals(a.sort(key))
    assert a.select(obs.columns).drop("numerator", "value", "ci_low", "ci_high").equals(obs.drop("numerator", "value", "ci_low", "ci_high"))
    assert suppress(obs, PUBLIC, verify=True).equals(a)


def test_suppress_is_repeatable_on_its_output_columns() -> None:
    obs = make_obs(np.array([[4, 50], [60, 45]], dtype=float))
    once = suppress(obs, PUBLIC)
    assert set(once.columns) == set(obs.columns) | {"suppressed", "suppression_reason"}
    assert once.schema["suppressed"] == pl.Boolean and once.schema["suppression_reason"] == pl.String


def test_invalid_input() -> None:
    obs = make_obs(np.array([[4, 50], [60, 45]], dtype=float))
    with pytest.raises(ValueError, match="more than one row"):
        suppress(pl.concat([obs, obs.head(1)]), PUBLIC)
    with pytest.raises(ValueError, match="lacks column"):
        suppress(obs.drop("ci_low"), PUBLIC)
    with pytest.raises(ValueError, match="non-negative"):
        suppress(obs.with_columns(numerator=pl.lit(-1.0)), PUBLIC)
    with pytest.raises(ValueError):
        SuppressionPolicy(0)


def test_policy_and_label() -> None:
    assert PUBLIC.threshold == 11 and PUBLIC.band == 11.0 and STAFF.band == 5.0
    assert SuppressionPolicy(11, protection_band=20).band == 20.0
    assert PUBLIC.primary_reason == "suppressed: fewer than 11"
    assert label(12.345, None) == "12.3"
    assert label(1234, None) == "1,234"
    assert label(None, None) == "no data"
    assert label(float("nan"), None) == "no data"
    assert label(None, "suppressed: fewer than 11") == "suppressed: fewer than 11"


def test_wider_band_hides_more() -> None:
    inner = np.array([[4, 15, 40], [12, 45, 70], [55, 65, 80]], dtype=float)
    obs = make_obs(inner)
    narrow = suppress(obs, PUBLIC)
    wide_policy = SuppressionPolicy(11, protection_band=30)
    wide = suppress(obs, wide_policy)
    check(obs, wide, wide_policy)
    assert wide.get_column("suppressed").sum() >= narrow.get_column("suppressed").sum()
    audit = audit_frame(wide, obs, wide_policy)
    assert audit.get_column("width").min() >= 30


def test_audit_table_array_api() -> None:
    values = np.array([[4, 20], [30, 40]], dtype=float)
    res = audit_table(values, None, None, None, np.array([[True, False], [False, False]]), band=11)
    assert res == [AuditResult(cell=(0, 0), value=4.0, low=4.0, high=4.0, width=0.0, ok=False, required=11.0)]
    # hide the whole inner table: bounded by the margins only
    res = audit_table(values, None, None, None, np.ones((2, 2), dtype=bool), band=11)
    assert [(r.low, r.high) for r in res] == [(0, 24), (0, 24), (10, 34), (36, 60)]
    # hide a margin as well: nothing bounds the cells from above
    mask = np.zeros((3, 3), dtype=bool)
    mask[:2, :2] = True
    mask[:, 2] = True
    mask[2, :] = True
    assert all(math.isinf(r.high) for r in audit_table(values, None, None, None, mask))
    with pytest.raises(ValueError):
        audit_table(values, None, None, None, np.ones((4, 4), dtype=bool))


# ---------------------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------------------
@st.composite
def tables(draw: st.DrawFn, proportions: bool = False) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    n_r = draw(st.integers(2, 6))
    n_c = draw(st.integers(2, 6))
    inner = np.array(draw(st.lists(st.integers(0, 60), min_size=n_r * n_c, max_size=n_r * n_c)), dtype=float)
    inner = inner.reshape(n_r, n_c)
    if draw(st.booleans()):
        k = draw(st.integers(0, n_r * n_c - 1))
        inner[k // n_c, k % n_c] = np.nan
    dens = None
    if proportions:
        extra = np.array(draw(st.lists(st.integers(0, 40), min_size=n_r * n_c, max_size=n_r * n_c)), dtype=float)
        dens = inner + extra.reshape(n_r, n_c)
    xr = np.zeros(n_r)
    xc = np.zeros(n_c)
    if draw(st.booleans()):
        xr[draw(st.integers(0, n_r - 1))] = draw(st.integers(1, 8))
        xc[draw(st.integers(0, n_c - 1))] = draw(st.integers(1, 8))
    return inner, dens, xr, xc


def _derivable_by_one_line(out: pl.DataFrame, obs: pl.DataFrame) -> list[str]:
    """Cells a reader can work out from one complete line with only one number hidden."""
    found = []
    pub = {(r["region"], r["group"]): r["numerator"] for r in out.iter_rows(named=True)}
    orig = {(r["region"], r["group"]): r["numerator"] for r in obs.iter_rows(named=True)}
    regions = sorted({k[0] for k in orig if k[0] != "all"})
    groups = sorted({k[1] for k in orig if k[1] != "all"})
    lines = [([(r, g) for g in groups], (r, "all")) for r in [*regions, "all"]]
    lines += [([(r, g) for r in regions], ("all", g)) for g in [*groups, "all"]]
    for members, total in lines:
        present = [m for m in members if m in orig]
        if total not in orig or len(present) != len(members):
            continue
        if abs(sum(orig[m] for m in present) - orig[total]) > 1e-9:
            continue
        hidden = [c for c in [*present, total] if pub[c] is None]
        if len(hidden) == 1:
            found.append(f"{hidden[0]} = {orig[hidden[0]]}")
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=tables(), policy=st.sampled_from([PUBLIC, STAFF]))
def test_property_counts(data, policy: SuppressionPolicy) -> None:
    inner, _, xr, xc = data
    obs = make_obs(inner, extra_rows=xr, extra_cols=xc)
    out = suppress(obs, policy)
    check(obs, out, policy)  # every suppressed interval is at least the band wide
    audit = audit_frame(out, obs, policy)
    assert (audit.get_column("width") >= audit.get_column("required") - 1e-6).all()
    assert (audit.get_column("required") == policy.band).all()
    # every small count is hidden; nothing hidden can be read off a single line
    small = obs.filter((pl.col("numerator") > 0) & (pl.col("numerator") < policy.threshold))
    hidden = out.filter(pl.col("suppressed")).select("region", "group")
    assert small.join(hidden, on=["region", "group"], how="anti").height == 0
    assert _derivable_by_one_line(out, obs) == []
    # no published number equals a small count an attacker could pin down
    for r in audit.iter_rows(named=True):
        assert r["high"] - r["low"] >= policy.band - 1e-6
    assert out.select(obs.columns).filter(~out.get_column("suppressed")).equals(obs.filter(~out.get_column("suppressed")))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=tables(proportions=True))
def test_property_proportions(data) -> None:
    inner, dens, xr, xc = data
    obs = make_obs(inner, denominators=dens, mult=100.0, extra_rows=xr, extra_cols=xc)
    out = suppress(obs, PUBLIC)
    check(obs, out, PUBLIC)
    assert _derivable_by_one_line(out, obs) == []
    hidden = out.filter(pl.col("suppressed"))
    assert hidden.get_column("value").null_count() == hidden.height


@settings(max_examples=80, deadline=None)
@given(
    data=tables(proportions=True),
    seed=st.integers(0, 2**32 - 1),
    use_upper=st.booleans(),
)
def test_property_flow_equals_lp(data, seed: int, use_upper: bool) -> None:
    inner, dens, xr, xc = data
    full = assemble(inner)
    full[:-1, -1] += xr
    full[-1, :-1] += xc
    full[-1, -1] += xr.sum() + xc.sum()
    upper = None
    if use_upper:
        upper = np.full(full.shape, np.inf)
        upper[:-1, :-1] = dens
    model = build_model(full, upper)
    rng = np.random.default_rng(seed)
    mask = (rng.random(full.shape) < rng.uniform(0.1, 0.9)) & model.present
    _assert_flow_equals_lp(model, mask)


@settings(max_examples=60, deadline=None)
@given(data=tables(), band=st.sampled_from([5.0, 11.0, 25.0]))
def test_property_complementary_array_api(data, band: float) -> None:
    inner, _, _, _ = data
    primary = primary_mask(inner, 11)
    mask = complementary(inner, primary, band=band, verify=False)
    assert (mask[:-1, :-1] | ~primary).all()
    assert all(r.ok for r in audit_table(inner, None, None, None, mask, band=band))
    assert np.array_equal(mask, complementary(inner, primary, band=band, verify=False))


def test_one_way_and_statewide_only_tables() -> None:
    # a KPI reported by region only (group "all"), and one reported statewide only
    rows = [("by_region", "2025", f"r{i}", "all", float(n), None, float(n), None, None, True)
            for i, n in enumerate([4, 120, 95, 60])]
    rows.append(("by_region", "2025", "all", "all", 279.0, None, 279.0, None, None, True))
    rows.append(("state", "2025", "all", "all", 6.0, None, 6.0, None, None, True))
    obs = pl.DataFrame(rows, schema=COLUMNS, orient="row")
    out = suppress(obs, PUBLIC)
    check(obs, out, PUBLIC)
    hidden = out.filter(pl.col("suppressed")).select("kpi_id", "region", "suppression_reason").rows()
    assert hidden == [
        ("by_region", "r0", "suppressed: fewer than 11"),
        ("by_region", "r3", COMPLEMENTARY_REASON),  # the smallest partner: 60
        ("state", "all", "suppressed: fewer than 11"),
    ]


def test_complementary_suppression_prefers_inner_cells_to_the_statewide_total() -> None:
    """Margins, and above all the statewide figure, are hidden only when nothing else will do."""
    from metrics.suppression.frame import margin_cost
    from metrics.suppression.model import build_model
    from metrics.suppression.table import assemble

    values = np.array([[3.0, 40.0, 50.0], [30.0, 60.0, 70.0], [45.0, 80.0, 90.0]])
    model = build_model(assemble(values))
    cost = margin_cost(model)
    assert cost[-1, -1] > cost[-1, 0] > cost[0, 1]
    rows = [{"kpi_id": "k", "period": "2026-10", "region": r, "group": g,
             "numerator": v, "denominator": v * 10, "value": 10.0, "ci_low": None,
             "ci_high": None, "reliable": True}
            for r, row in zip(["R1", "R2", "R3"], values, strict=True)
            for g, v in zip(["a", "b", "c"], row, strict=True)]
    tot_r = values.sum(axis=1)
    tot_g = values.sum(axis=0)
    rows += [{"kpi_id": "k", "period": "2026-10", "region": r, "group": "all",
              "numerator": v, "denominator": v * 10, "value": 10.0, "ci_low": None,
              "ci_high": None, "reliable": True} for r, v in zip(["R1", "R2", "R3"], tot_r, strict=True)]
    rows += [{"kpi_id": "k", "period": "2026-10", "region": "all", "group": g,
              "numerator": v, "denominator": v * 10, "value": 10.0, "ci_low": None,
              "ci_high": None, "reliable": True} for g, v in zip(["a", "b", "c"], tot_g, strict=True)]
    rows.append({"kpi_id": "k", "period": "2026-10", "region": "all", "group": "all",
                 "numerator": values.sum(), "denominator": values.sum() * 10, "value": 10.0,
                 "ci_low": None, "ci_high": None, "reliable": True})
    obs = pl.DataFrame(rows)
    out = suppress(obs, PUBLIC)
    hidden = out.filter(pl.col("suppressed"))
    assert hidden.filter((pl.col("region") == "all") | (pl.col("group") == "all")).height == 0
    check(obs, out, PUBLIC)
