"""``statdesk equity``: disparity measures of one KPI as JSON or CSV, clear errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from metrics.cli import app
from metrics.equity import disparities


def _run(workspace: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["equity", *args, "--workspace", str(workspace)])


def _frame(workspace: Path, kpi_id: str, period: str, region: str = "all") -> pl.DataFrame:
    from metrics.engine import load_observations
    from metrics.workspace import Workspace

    obs = load_observations(Workspace.open(workspace).engine, [kpi_id])
    return obs.filter((pl.col("period") == period) & (pl.col("region") == region)
                      & (pl.col("group") != "all"))


def test_json_is_the_disparities_dict_for_the_latest_period(demo_workspace: Path) -> None:
    res = _run(demo_workspace, "prenatal_care", "--format", "json")
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    assert (got["kpi_id"], got["period"], got["region"]) == ("prenatal_care", "2026-10", "all")
    expected = disparities(_frame(demo_workspace, "prenatal_care", "2026-10"),
                           reference="best", favourable=True)
    assert set(got) == set(expected) | {"kpi_id", "period", "region"}
    for key, value in expected.items():
        assert got[key] == pytest.approx(value) if isinstance(value, float) else got[key] == value
    assert got["reference_group"] == "asian"  # highest reliable rate in Oct 2026
    assert "nhpi" in got["unreliable_groups"]


def test_region_period_and_named_reference(demo_workspace: Path) -> None:
    res = _run(demo_workspace, "overdose_deaths", "--period", "R12-2025-10", "--region", "R01",
               "--reference", "white")
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    expected = disparities(_frame(demo_workspace, "overdose_deaths", "R12-2025-10", "R01"),
                           reference="white", favourable=False)
    assert got["region"] == "R01" and got["period"] == "R12-2025-10"
    assert got["reference_group"] == "white"
    assert got["rate_ratio"] == pytest.approx(expected["rate_ratio"])
    assert got["rate_difference"]["white"] == 0


def test_csv_has_one_row_per_group(demo_workspace: Path) -> None:
    res = _run(demo_workspace, "prenatal_care", "--format", "csv", "--reference", "total")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    for col in ("group", "rate", "rate_difference", "rate_ratio", "rate_difference_ci_low",
                "rate_difference_ci_high", "rate_ratio_ci_low", "rate_ratio_ci_high",
                "reliable", "is_reference"):
        assert col in rows[0]
    expected = disparities(_frame(demo_workspace, "prenatal_care", "2026-10"),
                           reference="total", favourable=True)
    assert [r["group"] for r in rows] == expected["groups"]
    black = next(r for r in rows if r["group"] == "black")
    assert float(black["rate"]) == pytest.approx(expected["rates"]["black"])
    assert float(black["rate_ratio"]) == pytest.approx(expected["rate_ratio"]["black"])
    assert float(black["rate_difference_ci_low"]) == pytest.approx(
        expected["rate_difference_ci"]["black"][0])
    assert {r["is_reference"] for r in rows} == {"false"}  # the reference is the total
    assert next(r for r in rows if r["group"] == "nhpi")["reliable"] == "false"


@pytest.mark.parametrize(("args", "message"), [
    (["no_such_kpi"], "there is no KPI 'no_such_kpi'"),
    (["job_placements"], "is a count: the measure has no rate to compare"),
    (["ui_median_days"], "is a median: the measure has no rate to compare"),
    (["prenatal_care", "--period", "2031-01"], "has no period '2031-01'"),
    (["prenatal_care", "--region", "R77"], "there is no region 'R77'"),
    (["prenatal_care", "--reference", "purple"], "'purple' cannot be the reference"),
    (["prenatal_care", "--reference", "nhpi"], "unreliable rate"),
    (["prenatal_care", "--format", "xml"], "unknown format 'xml'"),
])
def test_bad_input_exits_non_zero_with_a_message(demo_workspace: Path, args: list[str],
                                                 message: str) -> None:
    res = _run(demo_workspace, *args)
    assert res.exit_code != 0
    assert message in res.stderr
    assert res.stdout == ""
    assert "Traceback" not in res.output
