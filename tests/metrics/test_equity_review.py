"""The equity review on the demo workspace: gaps, disparities, heatmap cells, unknown share."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from metrics import equity
from metrics.equity import review as er
from metrics.groups import UNKNOWN_SHARE_WARNING, unknown_share

STATUS_WORDS = {"widening", "narrowing", "stable", "too small to tell", "no comparison"}


@pytest.fixture(scope="module")
def demo(demo_workspace: Path) -> dict[str, Any]:
    from metrics.engine import load_observations
    from metrics.workspace import Workspace

    ws = Workspace.open(demo_workspace)
    obs = load_observations(ws.engine)
    return {"ws": ws, "reg": ws.register, "obs": obs, "review": er.review(ws.register, obs)}


def _observations_csv(workspace: Path, kpi_id: str, period: str) -> list[dict[str, str]]:
    """Rows printed by ``statdesk observations KPI --period P --format csv``."""
    from metrics.cli import app

    res = CliRunner().invoke(app, ["observations", kpi_id, "--period", period, "--format", "csv",
                                   "--workspace", str(workspace)])
    assert res.exit_code == 0, res.output
    return list(csv.DictReader(io.StringIO(res.stdout)))


def _hand_gap(rows: list[dict[str, str]], higher_is_better: bool) -> dict[str, Any]:
    """Best reliable group, worst reliable group and the gap, computed from the CSV by hand."""
    rates = {}
    for r in rows:
        if r["region"] != "all" or r["group"] in ("all", "unknown"):
            continue
        den = float(r["denominator"] or 0)
        if den > 0 and r["reliable"] == "true":
            rates[r["group"]] = float(r["numerator"]) / den
    pick = max if higher_is_better else min
    best = pick(rates, key=rates.__getitem__)
    worst = (min if higher_is_better else max)(rates, key=rates.__getitem__)
    statewide = next(float(r["value"]) for r in rows if r["region"] == "all" and r["group"] == "all")
    return {"best": best, "worst": worst, "rates": rates, "gap": abs(rates[best] - rates[worst]),
            "statewide": statewide}


def test_review_has_every_kpi_with_group_rates_sorted_by_size(demo: dict[str, Any]) -> None:
    review, reg = demo["review"], demo["reg"]
    expected = {k.kpi_id for k in reg.kpis.values() if k.measure in ("proportion", "rate")}
    assert set(review["kpi_id"]) == expected
    assert "job_placements" not in set(review["kpi_id"])  # a count has no rate
    sizes = review["relative_change_year"].abs().to_list()
    known = [s for s in sizes if s is not None]
    assert known == sorted(known, reverse=True)
    assert sizes[: len(known)] == known  # KPIs without a comparison come last
    assert set(review["status_year"]) <= STATUS_WORDS
    assert set(review["status_baseline"]) <= STATUS_WORDS
    assert (review["gap_now"].drop_nulls() >= 0).all()
    # Levels stand beside the gaps.
    assert review.filter(pl.col("gap_now").is_not_null())["statewide_rate"].null_count() == 0


@pytest.mark.parametrize("kpi_id", ["prenatal_care", "chronic_absenteeism"])
def test_review_row_matches_rates_computed_by_hand(demo: dict[str, Any], demo_workspace: Path,
                                                   kpi_id: str) -> None:
    kpi = demo["reg"].kpis[kpi_id]
    row = demo["review"].filter(pl.col("kpi_id") == kpi_id).row(0, named=True)
    now = _hand_gap(_observations_csv(demo_workspace, kpi_id, row["period"]), kpi.direction == "higher")
    assert row["worst_group"] == now["worst"]
    assert row["reference_group"] == now["best"]
    assert row["gap_now"] == pytest.approx(now["gap"] * 100)
    assert row["worst_rate"] == pytest.approx(now["rates"][now["worst"]] * 100)
    assert row["reference_rate"] == pytest.approx(now["rates"][now["best"]] * 100)
    assert row["statewide_rate"] == pytest.approx(now["statewide"])
    # A year earlier: the same group against that period's best reliable group.
    before_rows = _observations_csv(demo_workspace, kpi_id, row["period_last_year"])
    before = _hand_gap(before_rows, kpi.direction == "higher")
    then = abs(before["rates"][before["best"]] - before["rates"][now["worst"]]) * 100
    assert row["period_last_year"] == f"{int(row['period'][:4]) - 1}{row['period'][4:]}"
    assert row["gap_last_year"] == pytest.approx(then)
    assert row["change_year"] == pytest.approx(row["gap_now"] - then)
    assert row["relative_change_year"] == pytest.approx((row["gap_now"] - then) / then)


@pytest.mark.parametrize("kpi_id", ["homelessness", "chronic_absenteeism", "prenatal_care"])
def test_review_status_agrees_with_gap_over_time(demo: dict[str, Any], kpi_id: str) -> None:
    row = demo["review"].filter(pl.col("kpi_id") == kpi_id).row(0, named=True)
    kpi = demo["reg"].kpis[kpi_id]
    # Baseline is the period that ends on the target's baseline date.
    target = demo["reg"].target_for(kpi_id)
    ends = demo["obs"].filter((pl.col("kpi_id") == kpi_id) & (pl.col("period") == row["period_baseline"]))
    assert ends["period_end"][0] == target.baseline_date
    g = equity.gap_over_time(demo["obs"], kpi_id=kpi_id, group=row["worst_group"],
                             favourable=kpi.direction == "higher",
                             baseline_period=row["period_baseline"])
    words = {"widened": "widening", "narrowed": "narrowing", "stayed the same": "stable",
             "too small to tell": "too small to tell"}
    assert row["status_year"] == words[g["change_since_last_year"]["direction"]]
    assert row["status_baseline"] == words[g["change_since_baseline"]["direction"]]


def test_kpi_disparities_is_the_library_on_the_group_rows(demo: dict[str, Any]) -> None:
    obs = demo["obs"]
    frame = obs.filter((pl.col("kpi_id") == "infant_mortality") & (pl.col("period") == "R12-2026-10")
                       & (pl.col("region") == "R02") & (pl.col("group") != "all"))
    d = er.kpi_disparities(demo["reg"], obs, "infant_mortality", region="R02", reference="total")
    lib = equity.disparities(frame, reference="total", favourable=False)
    assert d["period"] == "R12-2026-10" and d["region"] == "R02"
    assert {k: v for k, v in d.items() if k not in ("kpi_id", "period", "region")} == lib
    assert d["reference_group"] == "total"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kpi_id": "no_such_kpi"}, "there is no KPI 'no_such_kpi'"),
    ({"kpi_id": "job_placements"}, "no rate to compare"),
    ({"kpi_id": "ui_median_days"}, "is a median: the measure has no rate"),
    ({"kpi_id": "ui_weekly_benefit"}, "is a mean"),
    ({"kpi_id": "prenatal_care", "period": "1999-01"}, "has no period '1999-01'"),
    ({"kpi_id": "prenatal_care", "period": "2026-Q3"}, "Latest periods: "),
    ({"kpi_id": "prenatal_care", "region": "R99"}, "there is no region 'R99'"),
    ({"kpi_id": "prenatal_care", "reference": "martian"}, "'martian' cannot be the reference"),
    ({"kpi_id": "prenatal_care", "reference": "unknown"}, "not a population group"),
    ({"kpi_id": "prenatal_care", "reference": "nhpi"}, "unreliable rate"),
])
def test_bad_requests_say_what_is_wrong(demo: dict[str, Any], kwargs: dict[str, str],
                                        message: str) -> None:
    kpi_id = kwargs.pop("kpi_id")
    with pytest.raises(er.EquityRequestError, match=message.replace("(", r"\(")):
        er.kpi_disparities(demo["reg"], demo["obs"], kpi_id, **kwargs)


def test_disparity_rows_flatten_the_dict(demo: dict[str, Any]) -> None:
    d = er.kpi_disparities(demo["reg"], demo["obs"], "prenatal_care", reference="white")
    rows = er.disparity_rows(d)
    assert rows["group"].to_list() == d["groups"]
    assert rows.filter(pl.col("is_reference"))["group"].to_list() == ["white"]
    black = rows.filter(pl.col("group") == "black").row(0, named=True)
    assert black["rate_difference"] == d["rate_difference"]["black"]
    assert [black["rate_ratio_ci_low"], black["rate_ratio_ci_high"]] == d["rate_ratio_ci"]["black"]
    assert rows.filter(~pl.col("reliable"))["group"].to_list() == d["unreliable_groups"]


def test_heatmap_cells_are_never_blank_and_say_why(demo: dict[str, Any]) -> None:
    kpi = demo["reg"].kpis["prenatal_care"]
    cells = er.heatmap_cells(demo["reg"], demo["obs"], kpi, "2026-10")
    assert cells.height == 11 * 9  # statewide + 10 regions, 8 groups + all groups
    assert cells["text"].str.len_chars().min() > 0
    small = cells.filter(pl.col("events") < 20)
    assert small.height > 0
    assert set(small["text"]) <= {"fewer than 20 events", "no data"}
    assert small["value"].null_count() == small.height  # a small cell shows no number
    unreliable = cells.filter((pl.col("events") >= 20) & ~pl.col("reliable"))
    assert all(t.endswith("(unreliable)") for t in unreliable["text"])
    shown = cells.filter(pl.col("value").is_not_null()).row(0, named=True)
    assert shown["text"].startswith(kpi.format_value(shown["value"]))


def test_unknown_share_by_region_and_the_warning(demo: dict[str, Any]) -> None:
    reg, obs = demo["reg"], demo["obs"]
    kpi = reg.kpis["prenatal_care"]
    shares = er.unknown_shares(reg, obs, kpi, "2026-10")
    assert shares["region"].to_list() == ["all", *reg.regions]
    statewide = obs.filter((pl.col("kpi_id") == "prenatal_care") & (pl.col("period") == "2026-10")
                           & (pl.col("region") == "all"))
    assert shares["share"][0] == pytest.approx(unknown_share(statewide))
    # A region where a fifth of the births have no race recorded is flagged.
    bumped = obs.with_columns(
        pl.when((pl.col("kpi_id") == "prenatal_care") & (pl.col("region") == "R01")
                & (pl.col("group") == "unknown"))
        .then(pl.col("denominator") * 20).otherwise(pl.col("denominator")).alias("denominator"))
    flagged = er.unknown_shares(reg, bumped, kpi, "2026-10")
    r01 = flagged.filter(pl.col("region") == "R01").row(0, named=True)
    assert r01["share"] > UNKNOWN_SHARE_WARNING and r01["above_warning"]
    assert not shares["above_warning"].any()


def test_theil_parts_add_up(demo: dict[str, Any]) -> None:
    dec = er.decomposition(demo["obs"], demo["reg"].kpis["violent_crime"], "2026-Q3")
    t = dec["theil"]
    assert t["total"] > 0
    assert t["between_region"] + t["within_region"] == pytest.approx(t["total"])
    assert set(t["regions"]) == set(demo["reg"].regions)


def test_what_it_would_take_for_the_worst_off_groups(demo: dict[str, Any]) -> None:
    reg, obs = demo["reg"], demo["obs"]
    kpi = reg.kpis["prenatal_care"]
    d = er.kpi_disparities(reg, obs, "prenatal_care")
    table = er.group_table(obs, "prenatal_care", d["period"])
    takes = er.what_it_would_take(d, kpi, table)
    assert [t["group"] for t in takes] == er.worst_off(d, True)[:3]
    first = takes[0]
    den = table.filter(pl.col("group") == first["group"])["denominator"][0]
    needed = math.ceil((d["reference_rate"] - d["rates"][first["group"]]) * den - 1e-9)
    assert first["people_needed"] == needed
    assert first["sentence"].startswith(f"{needed:,} more births a month in {first['label']}")
    assert first["sentence"].endswith(f"to {d['reference_rate'] * 100:.1f}%.")


def test_group_trends_beside_statewide_and_target(demo: dict[str, Any]) -> None:
    reg, obs = demo["reg"], demo["obs"]
    kpi = reg.kpis["prenatal_care"]
    trends = er.group_trends(reg, obs, kpi)
    assert "unknown" not in set(trends["group"])
    last = trends.filter(pl.col("period") == "2026-10")
    state = obs.filter((pl.col("kpi_id") == "prenatal_care") & (pl.col("period") == "2026-10")
                       & (pl.col("region") == "all") & (pl.col("group") == "all"))["value"][0]
    assert set(last["statewide"]) == {state}
    assert last["target"].null_count() == 0

