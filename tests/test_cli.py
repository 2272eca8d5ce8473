"""The ``statdesk`` command line on the demo state and on broken workspaces."""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from metrics.cli import app
from tests.conftest import AS_OF
from tests.workspace_factory import (
    agg_rows,
    base_tables,
    make_workspace,
    write_definitions,
    write_feed,
)

OBS_COLUMNS = ["kpi_id", "period", "region", "group", "numerator", "denominator", "value",
               "ci_low", "ci_high", "reliable"]
runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STATDESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("STATDESK_WORKSPACE", raising=False)


def _obs(ws: Path, kpi: str, period: str, fmt: str) -> pl.DataFrame:
    result = runner.invoke(app, ["observations", kpi, "--period", period, "--format", fmt,
                                 "--workspace", str(ws)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    if fmt == "csv":
        return pl.read_csv(io.StringIO(result.stdout), infer_schema_length=None)
    if fmt == "json":
        return pl.DataFrame(json.loads(result.stdout), infer_schema_length=None)
    return pl.read_parquet(io.BytesIO(result.stdout_bytes))


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_observations_rate_per_100000(demo_workspace: Path, fmt: str) -> None:
    df = _obs(demo_workspace, "overdose_deaths", "R12-2026-10", fmt)
    assert df.columns[:len(OBS_COLUMNS)] == OBS_COLUMNS
    assert set(df["kpi_id"]) == {"overdose_deaths"} and set(df["period"]) == {"R12-2026-10"}
    assert df.height == 11 * 10  # (10 regions + statewide) x (9 groups + all groups)
    statewide = df.filter((pl.col("region") == "all") & (pl.col("group") == "all"))
    assert statewide.height == 1
    row = statewide.row(0, named=True)
    # age-adjusted (tests/metrics/test_age_adjust.py); the crude totals stand beside it and,
    # the demo's statewide age structure being close to the standard, give a close rate
    assert row["value"] == pytest.approx(row["numerator"] / row["denominator"] * 100_000,
                                         rel=0.03)
    assert 10 < row["value"] < 100  # printed per 100,000, not per person
    assert row["ci_low"] < row["value"] < row["ci_high"]
    regions = df.filter((pl.col("region") != "all") & (pl.col("group") == "all"))
    assert regions["numerator"].sum() == row["numerator"]
    assert sorted(regions["region"].to_list()) == [f"R{i:02d}" for i in range(1, 11)]
    groups = df.filter((pl.col("region") == "all") & (pl.col("group") != "all"))
    assert "unknown" in groups["group"].to_list() and "multiracial" in groups["group"].to_list()


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_missing_values_are_empty_not_zero(demo_workspace: Path, fmt: str) -> None:
    result = runner.invoke(app, ["observations", "ui_median_days", "--period", "2026-10",
                                 "--format", fmt, "--workspace", str(demo_workspace)])
    assert result.exit_code == 0
    if fmt == "csv":
        lines = result.stdout.splitlines()
        header = lines[0].split(",")
        assert header[:len(OBS_COLUMNS)] == OBS_COLUMNS
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:]]
        # a median has no numerator; its interval is missing below 6 records: empty, never 0
        assert all(r["numerator"] == "" for r in rows)
        tiny = [r for r in rows if float(r["denominator"]) < 6]
        assert tiny and all(r["ci_low"] == "" and r["ci_high"] == "" for r in tiny)
    else:
        rows = json.loads(result.stdout)
        assert all(r["numerator"] is None for r in rows)
        assert all((r["ci_low"] is None) == (r["denominator"] < 6) for r in rows)
        assert all(r["value"] is not None for r in rows if r["region"] == "all")


def test_observations_proportion_in_percent(demo_workspace: Path) -> None:
    df = _obs(demo_workspace, "prenatal_care", "2026-10", "csv")
    row = df.filter((pl.col("region") == "all") & (pl.col("group") == "all")).row(0, named=True)
    assert row["value"] == pytest.approx(100 * row["numerator"] / row["denominator"])
    assert df.filter(pl.col("region") == "R07")["reliable"].to_list().count(False) > 0


def test_observations_whole_kpi_to_file(demo_workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "obs.parquet"
    code, _out, err = _run("observations", "graduation_rate", "--format", "parquet",
                           "--output", str(out), "--workspace", str(demo_workspace))
    assert code == 0, err
    df = pl.read_parquet(out)
    assert set(df["period"]) == {"2024", "2025"}


@pytest.mark.parametrize(("args", "message"), [
    (["observations", "no_such_kpi"], "there is no KPI 'no_such_kpi'"),
    (["observations", "prenatal_care", "--period", "2031-01"], "has no period '2031-01'"),
    (["observations", "prenatal_care", "--format", "xml"], "unknown format 'xml'"),
    (["status", "--period", "2031-01"], "no data for 2031-01"),
    (["status", "--period", "2019-01"], "no data for 2019-01"),
    (["status", "--period", "2026-Q3"], "takes a month"),
    (["status", "--period", "October"], "'October' is not a period"),
    (["status", "--as-of", "yesterday"], "--as-of 'yesterday' is not a date"),
])
def test_bad_arguments_fail_clearly(demo_workspace: Path, args: list[str], message: str) -> None:
    code, out, err = _run(*args, "--workspace", str(demo_workspace))
    assert code != 0
    assert message in err and err.startswith("Error: ")
    assert "Traceback" not in err + out


def test_status_json_lists_every_kpi(demo_workspace: Path) -> None:
    code, out, err = _run("status", "--format", "json", "--as-of", AS_OF.isoformat(),
                          "--workspace", str(demo_workspace))
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 20 and len({r["kpi_id"] for r in rows}) == 20
    for r in rows:
        for key in ("kpi_id", "period", "status", "explanation", "pace", "gap_status"):
            assert key in r
        assert r["status"] and r["explanation"]
    by = {r["kpi_id"]: r for r in rows}
    assert by["eviction_filings"]["stale"] is True
    assert by["prenatal_care"]["period"] == "2026-10"
    assert by["violent_crime"]["period"] == "2026-Q3"


def test_status_levels_judge_regions_and_groups_on_their_own_baseline(
        demo_workspace: Path) -> None:
    code, out, err = _run("status", "--format", "json", "--levels", "--as-of", AS_OF.isoformat(),
                          "--workspace", str(demo_workspace))
    assert code == 0, err
    rows = json.loads(out)
    for r in rows:
        for key in ("kpi_id", "period", "status", "explanation", "pace", "gap_status", "change",
                    "region", "group", "baseline_value", "target_scope"):
            assert key in r, key
        assert r["target_scope"] in ("own", "statewide")
    state = [r for r in rows if (r["region"], r["group"]) == ("all", "all")]
    assert len(state) == 20
    obs = pl.DataFrame(json.loads(_run("observations", "infant_mortality", "--format", "json",
                                       "--workspace", str(demo_workspace))[1]))
    im = {(r["region"], r["group"]): r for r in rows if r["kpi_id"] == "infant_mortality"}
    assert {"R01", "R05", "R10"} <= {reg for reg, g in im if g == "all"}
    black, r05 = im[("all", "black")], im[("R05", "all")]
    assert black["target_scope"] == "own" and "its own target" in black["explanation"]
    assert r05["target_scope"] == "statewide"
    assert "against the statewide target" in r05["explanation"]
    # the baseline used is the region's own value at the statewide baseline period
    b = obs.filter((pl.col("period") == "R12-2025-03") & (pl.col("region") == "R05")
                   & (pl.col("group") == "all"))["value"][0]
    assert r05["baseline_value"] == pytest.approx(b)
    assert r05["baseline_value"] != im[("all", "all")]["baseline_value"]


def test_status_for_an_earlier_month_csv(demo_workspace: Path) -> None:
    code, out, err = _run("status", "--period", "2025-06", "--as-of", "2025-07-25",
                          "--workspace", str(demo_workspace))
    assert code == 0, err
    df = pl.read_csv(io.StringIO(out))
    assert df.height == 20
    assert df.filter(pl.col("kpi_id") == "prenatal_care")["period"][0] == "2025-06"


def test_validate_ok_on_demo(demo_workspace: Path) -> None:
    code, out, _ = _run("validate", "--workspace", str(demo_workspace))
    assert code == 0
    assert "OK: 20 KPIs" in out and "10 regions" in out


def test_validate_broken_workspace(tmp_path: Path) -> None:
    t = base_tables()
    t["kpis"][1]["goal_id"] = "g9"
    t["targets"][0]["baseline_period"] = "2024-13"
    write_definitions(tmp_path / "ws" / "definitions", t)
    code, out, err = _run("validate", "--workspace", str(tmp_path / "ws"))
    assert code != 0
    assert "kpis.csv, row 3, goal_id: [definitions.unknown_reference]" in out
    assert "targets.csv, row 2, baseline_period: [definitions.bad_period]" in out
    assert "2 problem(s)" in err and "nothing was loaded" in err
    # other commands refuse a broken workspace too, pointing at validate
    code, _out, err = _run("status", "--workspace", str(tmp_path / "ws"))
    assert code != 0 and "statdesk validate" in err


def test_no_workspace(tmp_path: Path) -> None:
    code, _out, err = _run("status", "--workspace", str(tmp_path / "empty"))
    assert code != 0 and "statdesk demo" in err


def test_ingest_command(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    rows = agg_rows(["2026-01"])
    rows.append(dict(rows[0], group="white", indicator="b", region="R9"))
    path = write_feed(tmp_path / "jan.csv", rows)
    report = tmp_path / "errors.csv"
    code, out, err = _run("ingest", "agg", str(path), "--workspace", str(ws.root), "--as-of",
                          AS_OF.isoformat(), "--by", "tester", "--errors", str(report))
    assert code == 0, err
    assert "9 of 10 rows accepted, 1 quarantined" in out and "feed.unknown_region: 1" in out
    errors = pl.read_csv(report)
    assert errors.columns == ["file", "row_number", "column", "value", "code", "message"]
    assert errors.row(0) [:5] == ("jan.csv", 11, "region", "R9", "feed.unknown_region")
    code, out, _ = _run("ingest", "agg", str(path), "--workspace", str(ws.root))
    assert code == 0 and "already applied" in out
    bad = tmp_path / "bad.txt"
    bad.write_text("x")
    code, out, _ = _run("ingest", "agg", str(bad), "--workspace", str(ws.root))
    assert code == 2 and "feed.unsupported_format" in out
    code, _out, err = _run("ingest", "nofeed", str(path), "--workspace", str(ws.root))
    assert code != 0 and "there is no feed 'nofeed'" in err
