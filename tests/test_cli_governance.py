"""statdesk feeds, error-report, inventory export/dcat, roadmap on the demo."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from metrics.cli import app
from tests.conftest import AS_OF

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_feeds_json_on_the_demo(demo_workspace: Path) -> None:
    out = _run("feeds", "--format", "json", "--as-of", AS_OF.isoformat(),
               "--workspace", str(demo_workspace))
    rows = json.loads(out)
    by = {r["feed_id"]: r for r in rows}
    assert len(rows) == 15
    for r in rows:
        assert {"feed_id", "agency_id", "last_batch_at", "data_through", "next_expected", "status",
                "rows_quarantined"} <= set(r)
    assert by["hfa_evictions"]["status"] == "late"
    assert by["hfa_evictions"]["data_through"] == "2026-08-31"
    assert by["hfa_evictions"]["next_expected"] == "2026-10-30"
    assert {f for f, r in by.items() if r["status"] != "on_time"} == {"hfa_evictions"}
    assert by["doe_students"]["rows_quarantined"] == 10


def test_feeds_csv_and_table(demo_workspace: Path) -> None:
    out = _run("feeds", "-f", "csv", "--as-of", AS_OF.isoformat(), "-w", str(demo_workspace))
    df = pl.read_csv(out.encode())
    assert df.filter(pl.col("status") == "late")["feed_id"].to_list() == ["hfa_evictions"]
    table = _run("feeds", "--as-of", AS_OF.isoformat(), "-w", str(demo_workspace))
    assert "LATE" in table and "hfa_evictions" in table
    bad = runner.invoke(app, ["feeds", "-f", "xml", "-w", str(demo_workspace)])
    assert bad.exit_code == 1 and "use table, csv or json" in bad.output


def test_error_report(demo_workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "errors.csv"
    text = _run("error-report", "doe_students", str(out), "-w", str(demo_workspace))
    df = pl.read_csv(out, infer_schema=False)
    assert df.columns == ["file", "row_number", "column", "value", "code", "message"]
    assert f"{df.height} problem(s)" in text and "feed.unknown_region" in df["code"].to_list()
    bad = runner.invoke(app, ["error-report", "nope", str(out), "-w", str(demo_workspace)])
    assert bad.exit_code == 1 and "there is no feed 'nope'" in bad.output


def test_inventory_export_and_dcat(demo_copy: Path, tmp_path: Path) -> None:
    csv, js = tmp_path / "inventory.csv", tmp_path / "data.json"
    assert "15 datasets" in _run("inventory", "export", str(csv), "-w", str(demo_copy))
    df = pl.read_csv(csv, infer_schema=False)
    assert df.height == 15 and {"steward", "classification", "legal_basis", "kpis"} <= set(df.columns)
    _run("inventory", "dcat", str(js), "-w", str(demo_copy), "--as-of", AS_OF.isoformat())
    cat = json.loads(js.read_text())
    assert cat["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    assert sorted(d["identifier"] for d in cat["dataset"]) == sorted(df["dataset_id"].to_list())


def test_roadmap_list(demo_copy: Path) -> None:
    table = _run("roadmap", "-w", str(demo_copy))
    assert "Name a data steward in every agency" in table and "Beginning" in table
    rows = json.loads(_run("roadmap", "-f", "json", "-w", str(demo_copy)))
    assert {r["pillar"] for r in rows} == {"Policy", "People", "Infrastructure"}
