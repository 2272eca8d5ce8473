"""The Data health page: feed table, drill-down, bad link, upload preview and apply."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal
from sqlmodel import select
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from metrics.cli import app as cli_app
from metrics.store.tables import Batch, FeedMonth, Observation, QuarantineRow
from metrics.workspace import Workspace
from tests.apptest import INTERACTIVE, frames, shown_figures
from tests.conftest import AS_OF, ROOT

APP = str(ROOT / "dashboard" / "app.py")
PAGE = "views/data_health.py"


def _open(feed: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.session_state[INTERACTIVE] = True  # the figures are read by the tests
    if feed is not None:
        at.query_params["feed"] = feed
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _df(at: AppTest, *columns: str):  # type: ignore[no-untyped-def]
    """The first table on the page that has all ``columns`` (pandas, as AppTest gives it)."""
    for d in frames(at):
        if set(columns) <= set(d.value.columns):
            return d.value
    raise AssertionError(f"no table with columns {columns}")


def test_feed_table_and_programme_panel(app_env: Path) -> None:
    at = _open()
    table = _df(at, "feed_id", "last_rows_rejected")
    assert table.shape[0] == 15
    statuses = dict(zip(table["feed_id"], table["status"], strict=True))
    assert statuses["hfa_evictions"] == "Late"
    assert statuses["doh_vital"] == "On time"
    assert any("Eviction court filings" in w.value and "Late by 26 days" in w.value
               for w in at.warning)
    figures = shown_figures(at)
    assert list(figures)[0] == "KPIs updated on time"
    assert figures["KPIs updated on time"] == "19 of 20"


def test_drill_down(app_env: Path) -> None:
    at = _open("doe_students")
    assert at.header[0].value.startswith("On time")
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 2
    names = [t["name"] for t in charts[0]["data"]]
    assert names == ["Rows accepted", "Rows rejected (quarantined)"]
    assert charts[0]["data"][1]["y"][-1] == 10
    # rejected rows on their own scale (visible beside thousands accepted), full numbers
    rejected = charts[0]["data"][1]
    assert rejected["yaxis"] == "y2" and rejected["text"][-1] == "10 rejected"
    assert charts[0]["layout"]["yaxis2"]["range"][1] >= 10
    assert rejected["constraintext"] == "none" and rejected["cliponaxis"] is False
    codes = _df(at, "code", "problems")
    assert "feed.unknown_region" in set(codes["code"])
    quality = _df(at, "check", "finding")
    assert "warning" in set(quality["status"])  # duplicates were quarantined
    assert _df(at, "kpi_id", "check").shape[0] > 0
    assert at.get("download_button")  # the error report
    at.selectbox(key="dh_feed").select("hfa_evictions").run()
    assert at.query_params["feed"] in ("hfa_evictions", ["hfa_evictions"])
    assert "Late" in at.header[0].value


def test_bad_feed_parameter(app_env: Path) -> None:
    at = _open("nope")
    assert "There is no feed 'nope'" in at.error[0].value
    assert not at.exception


def _new_month_file(ws_root: Path, tmp: Path, *, bad_rows: bool) -> Path:
    """September for the late eviction feed, built from its August file (+ two bad rows)."""
    aug = pl.read_csv(ws_root / "inbox" / "hfa_evictions_2026-08.csv", infer_schema=False)
    sep = aug.with_columns(pl.lit("2026-09").alias("period"))
    if bad_rows:
        first = sep.row(0, named=True)
        sep = pl.concat([sep, pl.DataFrame([first | {"region": "R11"},
                                            first | {"numerator": "n/a",
                                                     "race_ethnicity": "black"}])])
    path = tmp / "hfa_evictions_2026-09.csv"
    sep.write_csv(path)
    return path


def _counts(root: Path) -> tuple[int, int, int]:
    ws = Workspace.open(root)
    with ws.session() as s:
        return (len(s.exec(select(Batch.id)).all()), len(s.exec(select(QuarantineRow.id)).all()),
                len(s.exec(select(Observation.id)).all()))


def test_upload_preview_applies_nothing_until_confirmed_and_equals_cli(
        copy_env: Path, tmp_path: Path) -> None:
    cli_ws = tmp_path / "cli_ws"
    shutil.copytree(copy_env, cli_ws)
    src = tmp_path / "files"
    src.mkdir()
    path = _new_month_file(copy_env, src, bad_rows=True)
    before = _counts(copy_env)

    at = _open("hfa_evictions")
    at.file_uploader(key="dh_upload_hfa_evictions").set_value(
        (path.name, path.read_bytes(), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = shown_figures(at)
    assert metrics["Rows with errors (to quarantine)"] == "2"
    errors = _df(at, "row_number", "code", "message")
    assert set(errors["code"]) >= {"feed.unknown_region"}
    assert errors["row_number"].min() >= 2
    assert _counts(copy_env) == before  # the preview wrote nothing
    at.run()  # a rerun (any widget change) does not apply either
    assert _counts(copy_env) == before

    at.button(key="dh_apply").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("applied to feed 'hfa_evictions'" in s.value.replace("\\", "") for s in at.success)
    assert _counts(copy_env) != before

    result = CliRunner().invoke(cli_app, [
        "ingest", "hfa_evictions", str(path), "--workspace", str(cli_ws),
        "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    _assert_same_state(copy_env, cli_ws)


def _assert_same_state(a: Path, b: Path) -> None:
    def batches(root: Path) -> pl.DataFrame:
        ws = Workspace.open(root)
        with ws.session() as s:
            rows = [{k: getattr(x, k) for k in ("id", "feed_id", "file_name", "file_hash",
                                                "period_min", "period_max", "rows_total",
                                                "rows_accepted", "rows_rejected", "status")}
                    for x in s.exec(select(Batch).order_by(Batch.id))]
            q = [{k: getattr(x, k) for k in ("batch_id", "row_number", "column", "value", "code",
                                             "message", "record")}
                 for x in s.exec(select(QuarantineRow).order_by(QuarantineRow.id))]
            fm = [{"feed_id": x.feed_id, "month": x.month, "batch_id": x.batch_id, "rows": x.rows}
                  for x in s.exec(select(FeedMonth).order_by(FeedMonth.feed_id, FeedMonth.month))]
        return pl.DataFrame(rows), pl.DataFrame(q), pl.DataFrame(fm)

    for x, y in zip(batches(a), batches(b), strict=True):
        assert_frame_equal(x, y)
    from metrics.engine import load_observations

    key = ["kpi_id", "period", "region", "group"]
    oa = load_observations(Workspace.open(a).engine).sort(key)
    ob = load_observations(Workspace.open(b).engine).sort(key)
    assert_frame_equal(oa, ob)
    assert oa.filter(pl.col("kpi_id") == "eviction_filings")["period"].max() == "2026-09"


def test_refused_and_duplicate_files(copy_env: Path, tmp_path: Path) -> None:
    before = _counts(copy_env)
    at = _open("hfa_evictions")
    bad = tmp_path / "evictions.csv"
    bad.write_text("when,where\n2026-09,R01\n")
    at.file_uploader(key="dh_upload_hfa_evictions").set_value(
        (bad.name, bad.read_bytes(), "text/csv")).run()
    assert any("refused as a whole" in e.value for e in at.error)
    assert all(b.key != "dh_apply" for b in at.button)
    same = copy_env / "inbox" / "hfa_evictions_2026-08.csv"
    at.file_uploader(key="dh_upload_hfa_evictions").set_value(
        (same.name, same.read_bytes(), "text/csv")).run()
    assert any("already applied as batch" in i.value for i in at.info)
    assert all(b.key != "dh_apply" for b in at.button)
    assert _counts(copy_env) == before
