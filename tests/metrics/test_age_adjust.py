"""Age-adjusted KPIs: directly standardised rates with Fay-Feuer intervals, computed by
the engine from a feed with an age column, checked against an independent computation and
a published directly standardised rate; the register's checks of the new kpis.csv columns."""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from scipy import stats

from metrics import age_adjust
from metrics.definitions import load_register, validate
from metrics.engine import load_observations
from metrics.errors import Issue
from metrics.ingest import ingest
from metrics.intervals import US2000_STANDARD_11
from metrics.workspace import Workspace
from tests.metrics.test_intervals import DSR_EXPECTED, DSR_INPUTS, ESP2013
from tests.workspace_factory import (
    AS_OF,
    GROUPS,
    REGIONS,
    base_tables,
    geojson,
    make_workspace,
    months,
    write_definitions,
    write_feed,
)

AGES = list(US2000_STANDARD_11)
MONTHS = months("2026-01", 3)
AGE_COLUMNS = [
    dict(feed_id="ages", column="period", type="string", required="yes"),
    dict(feed_id="ages", column="region", type="string", required="yes"),
    dict(feed_id="ages", column="group", type="string", required="yes"),
    dict(feed_id="ages", column="age_group", type="string", required="yes", allowed=";".join(AGES)),
    dict(feed_id="ages", column="numerator", type="int", required="yes", min="0"),
    dict(feed_id="ages", column="denominator", type="int", required="yes", min="0"),
]


def _tables() -> dict[str, list[dict[str, Any]]]:
    t = base_tables()
    t["feeds"].append(dict(feed_id="ages", name="Deaths by age", agency_id="ag1",
                           kind="aggregate", period_column="period", period_grain="month",
                           region_column="region", group_column="group",
                           numerator_column="numerator", denominator_column="denominator",
                           cadence="monthly", lag_days=30))
    t["feed_columns"] += AGE_COLUMNS
    common = dict(goal_id="g1", agency_id="ag1", measure="rate", direction="lower",
                  grain="month", feed_id="ages", unit="per 100,000", multiplier=100000,
                  disaggregations="region;group")
    t["kpis"] += [dict(common, kpi_id="deaths_adj", name="Deaths, age-adjusted",
                       age_column="age_group", standard_population="us2000"),
                  dict(common, kpi_id="deaths_crude", name="Deaths, crude")]
    return t


def _num(t: int, i: int, j: int, a: int) -> int:
    """Events: the same age-specific rates in every group, rising steeply with age."""
    return _den(t, i, j, a) * (a * a + 1) // 400 + (t + i + a) % 3


def _den(t: int, i: int, j: int, a: int) -> int:
    """Population: group 0 young, group 2 old (so crude and adjusted rates differ)."""
    young = 10 - a
    return 500 + 100 * (young * young if j == 0 else a * a if j == 2 else 25) + 150 * i + 10 * t


def _rows() -> list[dict[str, Any]]:
    return [dict(period=m, region=r, group=g, age_group=age, numerator=_num(t, i, j, a),
                 denominator=_den(t, i, j, a))
            for t, m in enumerate(MONTHS) for i, r in enumerate(REGIONS)
            for j, g in enumerate(GROUPS) for a, age in enumerate(AGES)]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("ages") / "ws"
    ws = make_workspace(root, _tables())
    rep = ingest(ws, "ages", write_feed(root / "in" / "ages.csv", _rows()), received_on=AS_OF)
    assert rep.status == "applied" and rep.rows_rejected == 0, rep.summary()
    return ws


@pytest.fixture(scope="module")
def obs(ws: Workspace) -> pl.DataFrame:
    return load_observations(ws.engine, ["deaths_adj", "deaths_crude"])


def _by_age(t: int, region: str, group: str) -> tuple[list[float], list[float]]:
    ii = range(3) if region == "all" else [REGIONS.index(region)]
    jj = range(3) if group == "all" else [GROUPS.index(group)]
    xs = [float(sum(_num(t, i, j, a) for i in ii for j in jj)) for a in range(len(AGES))]
    ns = [float(sum(_den(t, i, j, a) for i in ii for j in jj)) for a in range(len(AGES))]
    return xs, ns


def _fay_feuer(xs: list[float], ns: list[float], std: list[float]) -> tuple[float, float, float]:
    """Fay & Feuer (1997), Statistics in Medicine 16:791-801, written out independently:
    gamma limits with shape y^2/v and scale v/y (lower), and y+w_M, v+w_M^2 (upper)."""
    total = sum(std)
    w = [s / total for s in std]
    y = sum(wi * x / n for wi, x, n in zip(w, xs, ns, strict=True))
    v = sum(wi * wi * x / (n * n) for wi, x, n in zip(w, xs, ns, strict=True))
    wm = max(wi / n for wi, n in zip(w, ns, strict=True))
    low = stats.gamma.ppf(0.025, y * y / v, scale=v / y)
    high = stats.gamma.ppf(0.975, (y + wm) ** 2 / (v + wm * wm), scale=(v + wm * wm) / (y + wm))
    return y * 1e5, low * 1e5, high * 1e5


def _reference_file() -> Path | None:
    """../shared/reference/us2000_standard_population_11groups.csv (beside $STATDESK_REALDATA
    when set); never shipped with the project."""
    name = "us2000_standard_population_11groups.csv"
    roots = [Path(__file__).resolve().parents[2].parent / "shared"]
    if os.environ.get("STATDESK_REALDATA"):
        roots.insert(0, Path(os.environ["STATDESK_REALDATA"]).parent)
    return next((r / "reference" / name for r in roots if (r / "reference" / name).exists()),
                None)


def _reference_us2000() -> list[float]:
    """The standard's populations from the shared reference file when present, else the
    figures shipped in metrics (whose agreement with the file is tested below)."""
    path = _reference_file()
    if path is None:
        return [float(v) for v in US2000_STANDARD_11.values()]
    with path.open() as f:
        return [float(r["population"]) for r in csv.DictReader(f)]


@pytest.mark.parametrize("region", ["all", *REGIONS])
@pytest.mark.parametrize("group", ["all", *GROUPS])
def test_engine_dsr_equals_independent_computation(obs: pl.DataFrame, region: str,
                                                   group: str) -> None:
    std = _reference_us2000()
    for t, m in enumerate(MONTHS):
        row = obs.filter((pl.col("kpi_id") == "deaths_adj") & (pl.col("period") == m)
                         & (pl.col("region") == region) & (pl.col("group") == group)).row(0, named=True)
        xs, ns = _by_age(t, region, group)
        value, low, high = _fay_feuer(xs, ns, std)
        assert row["value"] == pytest.approx(value, rel=1e-9)
        assert row["ci_low"] == pytest.approx(low, rel=1e-7)
        assert row["ci_high"] == pytest.approx(high, rel=1e-7)
        # the crude totals stay beside it: numerator and denominator are all ages together
        assert row["numerator"] == sum(xs) and row["denominator"] == sum(ns)
        assert row["events"] == sum(xs) and row["reliable"] is True


def test_crude_rate_stands_beside_the_adjusted_one(obs: pl.DataFrame) -> None:
    adj = obs.filter(pl.col("kpi_id") == "deaths_adj").sort("period", "region", "group")
    crude = obs.filter(pl.col("kpi_id") == "deaths_crude").sort("period", "region", "group")
    assert adj.select("period", "region", "group").equals(crude.select("period", "region", "group"))
    beside = age_adjust.crude_values(adj, 100000)
    assert beside.to_list() == pytest.approx(crude.get_column("value").to_list(), rel=1e-12)
    # the young group's adjusted rate is above its crude rate, the old group's below
    sel = (pl.col("period") == MONTHS[0]) & (pl.col("region") == "all")
    a = dict(adj.filter(sel).select("group", "value").iter_rows())
    c = dict(crude.filter(sel).select("group", "value").iter_rows())
    assert a[GROUPS[0]] > c[GROUPS[0]] * 1.2
    assert a[GROUPS[2]] < c[GROUPS[2]] / 1.2


def test_shipped_standard_matches_the_reference_file() -> None:
    if _reference_file() is None:
        pytest.skip("../shared/reference/us2000_standard_population_11groups.csv not found "
                    "(set STATDESK_REALDATA to ../shared/realdata); it is never committed")
    assert [float(v) for v in US2000_STANDARD_11.values()] == _reference_us2000()


@pytest.mark.parametrize(("area", "mult", "value"),
                         [(a, m, v) for a, _n, m, v, *_ in DSR_EXPECTED
                          if a in DSR_INPUTS and v is not None])
def test_standardise_reproduces_published_dsr(area: str, mult: int, value: float) -> None:
    """PHE testdata_DSR_ISR.xlsx (testresults_DSR): the directly standardised rate with the
    2013 European standard population, e.g. 1043.0248 per 10,000 for testdata_big."""
    counts, pops = DSR_INPUTS[area]
    bands = [f"b{i}" for i in range(len(ESP2013))]
    t = pl.DataFrame({"period": ["2026-01"] * len(bands), "region": ["all"] * len(bands),
                      "group": ["all"] * len(bands), "age": bands,
                      "num": [float(c) if c is not None else None for c in counts],
                      "den": [float(p) for p in pops]})
    out = age_adjust.standardise(t, dict(zip(bands, ESP2013, strict=True)), multiplier=mult)
    assert out.height == 1
    assert out["dsr"][0] == pytest.approx(value, rel=1e-10)
    assert out["lo"][0] < value < out["hi"][0]


def test_missing_age_group_population_gives_no_rate() -> None:
    t = pl.DataFrame({"period": ["p"] * 10, "region": ["all"] * 10, "group": ["all"] * 10,
                      "age": AGES[:10], "num": [5.0] * 10, "den": [1000.0] * 10})
    out = age_adjust.standardise(t, "us2000", multiplier=100000)
    assert out["num"][0] == 50 and math.isnan(out["dsr"][0])


# --- the register's checks -------------------------------------------------------------

def _issues(tmp_path: Path, change: dict[str, Any], kpi_id: str = "deaths_adj",
            columns: list[dict[str, Any]] | None = None) -> list[Issue]:
    t = _tables()
    next(k for k in t["kpis"] if k["kpi_id"] == kpi_id).update(change)
    if columns is not None:
        t["feed_columns"] = [c for c in t["feed_columns"] if c["feed_id"] != "ages"] + columns
    folder = write_definitions(tmp_path / "definitions", t, geo=geojson())
    register, issues = validate(folder)
    assert register is None, "a broken register must not load"
    return [i for i in issues if i.level == "error"]


def _hit(issues: list[Issue], code: str, column: str) -> Issue:
    hits = [i for i in issues if i.code == code and i.file == "kpis.csv" and i.column == column]
    assert hits, "; ".join(str(i) for i in issues)
    return hits[0]


def test_register_loads_age_adjusted_kpi(tmp_path: Path) -> None:
    reg = load_register(write_definitions(tmp_path / "d", _tables(), geo=geojson()))
    k = reg.kpis["deaths_adj"]
    assert k.age_adjusted and k.age_column == "age_group" and k.standard_population == "us2000"
    assert not reg.kpis["deaths_crude"].age_adjusted


def test_age_column_needs_a_rate(tmp_path: Path) -> None:
    i = _hit(_issues(tmp_path, dict(measure="count")), "definitions.measure_mismatch", "measure")
    assert "must be a rate" in i.message and "deaths_adj" in i.message


def test_age_column_must_be_in_the_feed(tmp_path: Path) -> None:
    i = _hit(_issues(tmp_path, dict(age_column="age")), "definitions.unknown_column", "age_column")
    assert "'age'" in i.message and "age_group" in i.message


def test_unknown_standard(tmp_path: Path) -> None:
    i = _hit(_issues(tmp_path, dict(standard_population="esp2013")), "definitions.bad_choice",
             "standard_population")
    assert "esp2013" in i.message and "us2000" in i.message


def test_standard_without_age_column(tmp_path: Path) -> None:
    i = _hit(_issues(tmp_path, dict(standard_population="us2000"), kpi_id="deaths_crude"),
             "definitions.measure_mismatch", "standard_population")
    assert "age_column" in i.message


def test_pooled_status_basis_is_refused(tmp_path: Path) -> None:
    i = _hit(_issues(tmp_path, dict(status_basis="rolling12")), "definitions.measure_mismatch",
             "status_basis")
    assert "crude" in i.message


def test_age_groups_must_be_the_standards(tmp_path: Path) -> None:
    cols = [dict(c, allowed="0-17;18-64;65+") if c["column"] == "age_group" else c
            for c in AGE_COLUMNS]
    i = _hit(_issues(tmp_path, {}, columns=cols), "definitions.measure_mismatch", "age_column")
    assert "0-17" in i.message and "85 years and over" in i.message


# --- the demo and the CDC example ------------------------------------------------------

def test_demo_overdose_rate_is_age_adjusted(pristine_demo: Path) -> None:
    ws = Workspace.open(pristine_demo)
    k = ws.register.kpis["overdose_deaths"]
    assert k.age_adjusted and k.standard_population == "us2000"
    assert "Age-adjusted" in k.methodology and "crude rate" in k.methodology
    obs = load_observations(ws.engine, ["overdose_deaths"])
    last = obs.filter(pl.col("region") == "all").get_column("period").max()
    rows = obs.filter((pl.col("period") == last) & (pl.col("region") == "all"))
    adj = dict(rows.select("group", "value").iter_rows())
    crude = dict(zip(rows["group"], age_adjust.crude_values(rows, k.multiplier), strict=True))
    # statewide the demo's age structure is close to the standard; groups differ from it
    assert adj["all"] == pytest.approx(crude["all"], rel=0.03)
    for younger in ("hispanic", "multiracial"):
        assert adj[younger] > crude[younger], younger
    assert adj["white"] < crude["white"]
    # the equity gap is measured on crude rates and its words say so
    from metrics.scorecard import equity_gap
    _s, text, _w = equity_gap(k, obs, last)
    assert "crude rates (not age-adjusted)" in text


def test_cdc_example_stays_crude_and_says_so() -> None:
    folder = Path(__file__).resolve().parents[2] / "examples" / "cdc-hiv" / "definitions"
    k = load_register(folder).kpis["hiv_diagnoses"]
    assert not k.age_adjusted
    assert "not age-adjusted" in k.description


def test_age_column_must_list_its_age_groups(tmp_path: Path) -> None:
    cols = [dict(c, allowed="") if c["column"] == "age_group" else c for c in AGE_COLUMNS]
    i = _hit(_issues(tmp_path, {}, columns=cols), "definitions.measure_mismatch", "age_column")
    assert "allowed values in feed_columns.csv" in i.message and "Under 1 year;1-4 years" in i.message
