"""The engine on a tiny workspace, against values computed by hand."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from scipy import stats

from metrics.engine import load_observations
from metrics.ingest import ingest
from metrics.workspace import Workspace
from tests.workspace_factory import (
    AS_OF,
    GROUPS,
    REGIONS,
    agg_rows,
    base_tables,
    make_workspace,
    months,
    write_feed,
)

Z = stats.norm.ppf(0.975)
MONTHS = months("2024-07", 18)  # July 2024 to December 2025


def num_a(t: int, i: int, j: int) -> int:
    return 10 + t + 5 * i + 7 * j


def den_a(t: int, i: int, j: int) -> int:
    return 100 + 10 * i + 40 * j + t


def num_b(t: int, i: int, j: int) -> int:
    return 1 + (t + i + 2 * j) % 4


def den_b(t: int, i: int, j: int) -> int:
    return 50_000 + 1000 * i + 5000 * j


GRAIN_KPIS = {"share_q": ("quarter", 7), "share_y": ("year", 7), "share_fy": ("fiscal", 7),
              "share_r12": ("rolling12", 7)}


def _tables() -> dict[str, list[dict[str, Any]]]:
    t = base_tables()
    share = next(k for k in t["kpis"] if k["kpi_id"] == "share_a")
    for kid, (grain, fs) in GRAIN_KPIS.items():
        t["kpis"].append(dict(share, kpi_id=kid, grain=grain, fiscal_start=fs))
    t["kpis"].append(dict(share, kpi_id="share_regions", disaggregations="region"))
    return t


# --- record-level data: (person, event date, region, group, paid, days, amount)
RECORDS = [
    ("p1", "2026-01-03", "R1", "white", "yes", 10, 300.0),
    ("p2", "2026-01-05", "R1", "white", "yes", 25, 410.0),
    ("p3", "2026-01-09", "R1", "black", "yes", 18, 350.0),
    ("p4", "2026-01-12", "R2", "black", "no", None, None),
    ("p5", "2026-01-15", "R2", "hispanic", "yes", 30, 500.0),
    ("p6", "2026-01-20", "R2", "white", "yes", 14, 275.5),
    ("p7", "2026-01-28", "R3", "hispanic", "yes", 21, 430.0),
    ("p8", "2026-01-31", "R3", "white", "no", None, None),
    ("p9", "2026-01-31", "R3", "black", "yes", 40, 390.0),
]
# wage records: person, days after the event, wages
WAGES = [("p1", 30, 1200.0), ("p2", 120, 900.0), ("p3", -5, 800.0), ("p5", 60, 0.0),
         ("p6", 90, 700.0), ("p7", 91, 650.0), ("p9", 0, 100.0), ("p4", 10, 500.0)]
LINKED = {"p1", "p6", "p9"}  # paid, with positive wages 0 to 90 days after the event


def _record_rows() -> list[dict[str, Any]]:
    return [dict(case_id=f"c{n}", person_id=p, event_date=d, region=r, group=g, paid=pd,
                 days=dy, amount=a) for n, (p, d, r, g, pd, dy, a) in enumerate(RECORDS)]


def _wage_rows() -> list[dict[str, Any]]:
    when = {p: date.fromisoformat(d) for p, d, *_ in RECORDS}
    rows = []
    for p, days, w in WAGES:
        region, group = next((r, g) for q, _d, r, g, *_ in RECORDS if q == p)
        rows.append(dict(person_id=p, wage_date=(when[p] + timedelta(days=days)).isoformat(),
                         wages=w, region=region, group=group))
    return rows


def _build(root: Path, *, wages_first: bool = True) -> Workspace:
    ws = make_workspace(root, _tables())
    agg = agg_rows(MONTHS, num=num_a, den=den_a) + agg_rows(MONTHS, indicator="b", num=num_b,
                                                            den=den_b)
    files = [("agg", write_feed(root / "in" / "agg.csv", agg)),
             ("wages", write_feed(root / "in" / "wages.parquet", _wage_rows())),
             ("rec", write_feed(root / "in" / "rec.csv", _record_rows()))]
    if not wages_first:
        files = [files[0], files[2], files[1]]
    for feed_id, path in files:
        rep = ingest(ws, feed_id, path, received_on=AS_OF)
        assert rep.status == "applied" and rep.rows_rejected == 0, rep.summary()
    return ws


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return _build(tmp_path_factory.mktemp("engine") / "ws")


@pytest.fixture(scope="module")
def obs(ws: Workspace) -> pl.DataFrame:
    return load_observations(ws.engine)


def _cells(region: str, group: str) -> list[tuple[int, int]]:
    ii = range(3) if region == "all" else [REGIONS.index(region)]
    jj = range(3) if group == "all" else [GROUPS.index(group)]
    return [(i, j) for i in ii for j in jj]


def _sum(f: Callable[[int, int, int], int], ts: list[int], region: str, group: str) -> float:
    return float(sum(f(t, i, j) for t in ts for i, j in _cells(region, group)))


def _row(obs: pl.DataFrame, kpi: str, period: str, region: str = "all",
         group: str = "all") -> dict[str, Any]:
    r = obs.filter((pl.col("kpi_id") == kpi) & (pl.col("period") == period)
                   & (pl.col("region") == region) & (pl.col("group") == group))
    assert r.height == 1, f"{kpi} {period} {region} {group}: {r.height} rows"
    return r.row(0, named=True)


def _wilson(x: float, n: float) -> tuple[float, float]:
    p = x / n
    centre = (x + Z * Z / 2) / (n + Z * Z)
    half = Z * math.sqrt(n * p * (1 - p) + Z * Z / 4) / (n + Z * Z)
    return centre - half, centre + half


def _poisson_limits(x: float) -> tuple[float, float]:
    if x < 10:  # exact (Garwood)
        return stats.chi2.ppf(0.025, 2 * x) / 2, stats.chi2.ppf(0.975, 2 * x + 2) / 2
    lo = x * (1 - 1 / (9 * x) - Z / (3 * math.sqrt(x))) ** 3
    x1 = x + 1
    return lo, x1 * (1 - 1 / (9 * x1) + Z / (3 * math.sqrt(x1))) ** 3


ALL_CELLS = [(r, g) for r in ("all", *REGIONS) for g in ("all", *GROUPS)]


@pytest.mark.parametrize(("region", "group"), ALL_CELLS)
def test_proportion_month_with_wilson_interval(obs: pl.DataFrame, region: str, group: str) -> None:
    t = MONTHS.index("2025-03")
    x, n = _sum(num_a, [t], region, group), _sum(den_a, [t], region, group)
    r = _row(obs, "share_a", "2025-03", region, group)
    assert (r["numerator"], r["denominator"]) == (x, n)
    assert r["value"] == pytest.approx(100 * x / n, rel=1e-12)
    lo, hi = _wilson(x, n)
    assert (r["ci_low"], r["ci_high"]) == (pytest.approx(100 * lo, rel=1e-9),
                                           pytest.approx(100 * hi, rel=1e-9))
    assert r["period_start"] == date(2025, 3, 1) and r["period_end"] == date(2025, 3, 31)
    assert r["reliable"] == (x >= 20)


def test_statewide_ratio_is_not_an_average(obs: pl.DataFrame) -> None:
    t = MONTHS.index("2025-03")
    regions = [_row(obs, "share_a", "2025-03", rg)["value"] for rg in REGIONS]
    statewide = _row(obs, "share_a", "2025-03")["value"]
    expected = 100 * _sum(num_a, [t], "all", "all") / _sum(den_a, [t], "all", "all")
    assert statewide == pytest.approx(expected, rel=1e-12)
    assert abs(statewide - float(np.mean(regions))) > 0.01  # the mean of rates is different


def test_filter_keeps_only_matching_rows(obs: pl.DataFrame) -> None:
    """share_a counts indicator 'a' rows only; the 'b' rows of the same file are left out."""
    t = MONTHS.index("2025-12")
    assert _row(obs, "count_a", "2025-12")["value"] == _sum(num_a, [t], "all", "all")
    assert _row(obs, "share_a", "2025-12")["denominator"] == _sum(den_a, [t], "all", "all")


@pytest.mark.parametrize(("region", "group"), [("all", "all"), ("R1", "black"), ("R3", "all"),
                                              ("all", "white"), ("R2", "hispanic")])
def test_rate_per_100000_with_exact_or_byars_interval(obs: pl.DataFrame, region: str,
                                                      group: str) -> None:
    t = MONTHS.index("2025-06")
    x, n = _sum(num_b, [t], region, group), _sum(den_b, [t], region, group)
    r = _row(obs, "rate_b", "2025-06", region, group)
    assert r["value"] == pytest.approx(x / n * 100_000, rel=1e-12)
    lo, hi = _poisson_limits(x)
    assert r["ci_low"] == pytest.approx(lo / n * 100_000, rel=1e-7)
    assert r["ci_high"] == pytest.approx(hi / n * 100_000, rel=1e-7)
    assert r["events"] == x
    assert r["reliable"] is (x >= 20 and 1 / math.sqrt(x) <= 0.3)


def test_rate_small_cells_unreliable(obs: pl.DataFrame) -> None:
    cells = obs.filter((pl.col("kpi_id") == "rate_b") & (pl.col("region") != "all")
                       & (pl.col("group") != "all"))
    assert cells.height == 18 * 9
    assert not cells["reliable"].any()  # 1 to 4 events a cell
    assert cells["numerator"].max() < 20  # type: ignore[operator]
    statewide = obs.filter((pl.col("kpi_id") == "rate_b") & (pl.col("region") == "all")
                           & (pl.col("group") == "all"))
    assert statewide["reliable"].all() and statewide["numerator"].min() >= 20  # type: ignore[operator]


def test_count(obs: pl.DataFrame) -> None:
    t = MONTHS.index("2025-01")
    for region, group in [("all", "all"), ("R2", "all"), ("R1", "hispanic")]:
        x = _sum(num_a, [t], region, group)
        r = _row(obs, "count_a", "2025-01", region, group)
        assert (r["value"], r["numerator"], r["denominator"]) == (x, x, None)
        lo, hi = _poisson_limits(x)
        assert (r["ci_low"], r["ci_high"]) == (pytest.approx(lo, rel=1e-7), pytest.approx(hi, rel=1e-7))


def _periods(obs: pl.DataFrame, kpi: str) -> list[str]:
    return sorted(obs.filter(pl.col("kpi_id") == kpi)["period"].unique().to_list())


@pytest.mark.parametrize(("kpi", "expected"), [
    ("share_a", MONTHS),
    ("share_q", ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]),
    ("share_y", ["2025"]),  # 2024 has only July to December
    ("share_fy", ["FY2025"]),  # FY2026 (July 2025 to June 2026) is not complete
    ("share_r12", [f"R12-{m}" for m in months("2025-06", 7)]),
])
def test_only_complete_periods_are_emitted(obs: pl.DataFrame, kpi: str, expected: list[str]) -> None:
    assert _periods(obs, kpi) == expected


@pytest.mark.parametrize(("kpi", "period", "first", "n", "start", "end"), [
    ("share_q", "2025-Q2", "2025-04", 3, date(2025, 4, 1), date(2025, 6, 30)),
    ("share_y", "2025", "2025-01", 12, date(2025, 1, 1), date(2025, 12, 31)),
    ("share_fy", "FY2025", "2024-07", 12, date(2024, 7, 1), date(2025, 6, 30)),
    ("share_r12", "R12-2025-09", "2024-10", 12, date(2024, 10, 1), date(2025, 9, 30)),
])
@pytest.mark.parametrize(("region", "group"), [("all", "all"), ("R3", "all"), ("all", "black"),
                                              ("R2", "white")])
def test_coarser_grains_sum_their_months(obs: pl.DataFrame, kpi: str, period: str, first: str,
                                         n: int, start: date, end: date, region: str,
                                         group: str) -> None:
    t0 = MONTHS.index(first)
    ts = list(range(t0, t0 + n))
    x, d = _sum(num_a, ts, region, group), _sum(den_a, ts, region, group)
    r = _row(obs, kpi, period, region, group)
    assert (r["numerator"], r["denominator"]) == (x, d)
    assert r["value"] == pytest.approx(100 * x / d, rel=1e-12)
    assert (r["period_start"], r["period_end"]) == (start, end)


def test_disaggregations_limit_the_breakdowns(obs: pl.DataFrame) -> None:
    o = obs.filter(pl.col("kpi_id") == "share_regions")
    assert set(o["group"].unique()) == {"all"}
    assert set(o["region"].unique()) == {"all", *REGIONS}


# --- record-level KPIs --------------------------------------------------------------------

def _records(region: str = "all", group: str = "all", paid: bool = True) -> list[tuple[Any, ...]]:
    return [r for r in RECORDS if (region == "all" or r[2] == region)
            and (group == "all" or r[3] == group) and (not paid or r[4] == "yes")]


REC_CELLS = [("all", "all"), ("R1", "all"), ("all", "white"), ("R2", "white"), ("R3", "all")]


@pytest.mark.parametrize(("region", "group"), REC_CELLS)
def test_record_level_proportion(obs: pl.DataFrame, region: str, group: str) -> None:
    rs = _records(region, group)
    x, n = sum(1 for r in rs if r[5] <= 21), len(rs)
    r = _row(obs, "paid_share", "2026-01", region, group)
    assert (r["numerator"], r["denominator"]) == (x, n)
    assert r["value"] == pytest.approx(100 * x / n)
    assert r["reliable"] is False  # fewer than 20 events


@pytest.mark.parametrize(("region", "group"), REC_CELLS)
def test_record_level_sum_mean_median(obs: pl.DataFrame, region: str, group: str) -> None:
    amounts = [r[6] for r in _records(region, group)]
    days = [r[5] for r in _records(region, group)]
    s = _row(obs, "amount_sum", "2026-01", region, group)
    assert s["value"] == pytest.approx(sum(amounts))
    m = _row(obs, "amount_mean", "2026-01", region, group)
    mean = float(np.mean(amounts))
    assert m["value"] == pytest.approx(mean)
    if len(amounts) >= 2:
        half = stats.t.ppf(0.975, len(amounts) - 1) * np.std(amounts, ddof=1) / math.sqrt(len(amounts))
        assert m["ci_low"] == pytest.approx(mean - half, rel=1e-9)
        assert m["ci_high"] == pytest.approx(mean + half, rel=1e-9)
    else:
        assert m["ci_low"] is None and m["ci_high"] is None
    md = _row(obs, "days_median", "2026-01", region, group)
    assert md["value"] == pytest.approx(float(np.median(days)))
    assert md["denominator"] == len(days)


def test_statewide_median_is_the_median_of_all_records(obs: pl.DataFrame) -> None:
    regional = [_row(obs, "days_median", "2026-01", rg)["value"] for rg in REGIONS]
    statewide = _row(obs, "days_median", "2026-01")["value"]
    assert statewide == float(np.median([r[5] for r in _records()]))
    assert statewide != float(np.median(regional))


@pytest.mark.parametrize(("region", "group"), [("all", "all"), ("R1", "all"), ("R2", "all"),
                                              ("R3", "black"), ("all", "hispanic")])
def test_linked_kpi_counts_matches_inside_the_window(obs: pl.DataFrame, region: str,
                                                     group: str) -> None:
    rs = _records(region, group)
    x = sum(1 for r in rs if r[0] in LINKED)
    r = _row(obs, "employed", "2026-01", region, group)
    assert (r["numerator"], r["denominator"]) == (x, len(rs))


def test_linked_kpi_when_the_linked_feed_arrives_later(tmp_path: Path) -> None:
    """Wage records sent after the events (in later months only) still count for the events' month."""
    ws = make_workspace(tmp_path / "ws", _tables())
    ingest(ws, "rec", write_feed(tmp_path / "rec.csv", _record_rows()), received_on=AS_OF)
    before = _row(load_observations(ws.engine, ["employed"]), "employed", "2026-01")
    assert before["numerator"] == 0
    later = [w for w in _wage_rows() if w["wage_date"] >= "2026-02-01"]
    assert {w["wage_date"][:7] for w in later} == {"2026-02", "2026-03", "2026-04", "2026-05"}
    rep = ingest(ws, "wages", write_feed(tmp_path / "wages.csv", later), received_on=AS_OF)
    assert rep.status == "applied"
    r = _row(load_observations(ws.engine, ["employed"]), "employed", "2026-01")
    assert (r["numerator"], r["denominator"]) == (2, len(_records()))  # p1 and p6


def test_new_batch_recomputes_only_what_it_touches(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", _tables())
    first = months("2024-07", 17)  # to November 2025
    ingest(ws, "agg", write_feed(tmp_path / "a.csv", agg_rows(first, num=num_a, den=den_a)),
           received_on=AS_OF)
    ingest(ws, "rec", write_feed(tmp_path / "r.csv", _record_rows()), received_on=AS_OF)

    def ids() -> dict[tuple[str, str, str, str], tuple[Any, ...]]:
        with ws.engine.connect() as c:
            return {(k, p, r, g): (i, v) for i, k, p, r, g, v in c.exec_driver_sql(
                'SELECT id, kpi_id, period, region, "group", value FROM observation')}

    before = ids()
    assert not any(k[1] == "2025-Q4" for k in before)  # December missing: quarter incomplete
    dec = agg_rows(["2025-12"], num=lambda t, i, j: num_a(17, i, j),
                   den=lambda t, i, j: den_a(17, i, j))
    ingest(ws, "agg", write_feed(tmp_path / "dec.csv", dec), received_on=AS_OF)
    after = ids()
    touched = {"2025-12", "2025-Q4", "2025", "FY2026", *(f"R12-{m}" for m in months("2025-12", 12))}
    changed = {k for k in after if k not in before or after[k] != before[k]}
    assert {k[1] for k in changed} <= touched
    assert {k[1] for k in changed} >= {"2025-12", "2025-Q4", "2025", "R12-2025-12"}
    kept = {k: v for k, v in before.items() if k[1] not in touched}
    assert kept and all(after[k] == v for k, v in kept.items())  # same row ids, same values
    assert any(k[0] == "days_median" for k in kept)  # other feeds' KPIs untouched
    assert _row(load_observations(ws.engine), "share_q", "2025-Q4")["numerator"] == \
        _sum(num_a, [15, 16, 17], "all", "all")


def test_no_matching_rows_is_missing_not_zero(tmp_path: Path) -> None:
    """February's file has only indicator 'b' rows: the 'a' KPIs have no figure for February."""
    ws = make_workspace(tmp_path / "ws", _tables())
    rows = agg_rows(["2026-01"]) + agg_rows(["2026-02"], indicator="b")
    ingest(ws, "agg", write_feed(tmp_path / "f.csv", rows), received_on=AS_OF)
    obs = load_observations(ws.engine, ["count_a", "share_a"])
    assert obs.filter(pl.col("period") == "2026-01").height > 0
    assert obs.filter(pl.col("period") == "2026-02").height == 0


def test_feed_files_written_under_different_code_lists_are_read_together(tmp_path: Path) -> None:
    """A region added to the register later: older files carry the older enum of codes."""
    from metrics.engine.compute import _scan

    old = pl.DataFrame({"_region": ["R1"], "_group": ["white"], "x": [1]}).with_columns(
        pl.col("_region").cast(pl.Enum(["R1", "R2"])),
        pl.col("_group").cast(pl.Enum(["white", "black"])))
    new = pl.DataFrame({"_region": ["R3"], "_group": ["black"], "x": [2]}).with_columns(
        pl.col("_region").cast(pl.Enum(["R1", "R2", "R3"])),
        pl.col("_group").cast(pl.Enum(["white", "black"])))
    old.write_parquet(tmp_path / "a.parquet")
    new.write_parquet(tmp_path / "b.parquet")
    lf = _scan([str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet")])
    assert lf is not None
    got = lf.collect().with_columns(pl.col("_region").cast(pl.String)).sort("x")
    assert got["_region"].to_list() == ["R1", "R3"] and got["x"].to_list() == [1, 2]
