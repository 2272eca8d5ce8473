"""A battery of bad inputs, through the command line as an agency or a careless user sends them.

Every case asserts the exit code, the named error code in what the user reads, that no
traceback escapes, and that the workspace is unchanged except for the record of the
refused batch (no Parquet file, no month pointer, no observation, no quarantine of an
applied batch).  The workspace holds an accepted January before each case, so a refused
resubmission must also leave January's figures as they were.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from metrics.cli import app
from metrics.ingest import ingest
from metrics.store.tables import Batch, FeedMonth, Observation, QuarantineRow
from metrics.workspace import Workspace
from tests.workspace_factory import (
    AS_OF,
    agg_rows,
    base_tables,
    geojson,
    make_workspace,
    write_definitions,
    write_feed,
)

runner = CliRunner()


def _clean(month: str = "2026-01") -> list[dict[str, Any]]:
    rows = agg_rows([month])
    for r in rows:
        r["score"] = "50"
    return rows


def _rec(**change: str) -> list[dict[str, Any]]:
    row = dict(case_id="c1", person_id="p1", event_date="2026-01-15", region="R1", group="white",
               paid="yes", days="10", amount="120.5", decided_date="2026-01-20", channel="web")
    row.update(change)
    return [row]


def _agg(**change: str) -> list[dict[str, Any]]:
    """One row for January, R1 / black, indicator a, already accepted once: a resubmission."""
    row = dict(_clean()[0])
    row.update(change)
    return [row]


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    w = make_workspace(tmp_path / "ws")
    rep = ingest(w, "agg", write_feed(tmp_path / "jan.csv", _clean()), received_on=AS_OF)
    assert rep.status == "applied" and rep.rows_accepted == 9
    rep = ingest(w, "rec", write_feed(tmp_path / "rec.csv", _rec(case_id="c0", person_id="p0")),
                 received_on=AS_OF)
    assert rep.status == "applied"
    return w


def _state(ws: Workspace) -> dict[str, Any]:
    """Everything a refused batch must not change."""
    files = {str(p.relative_to(ws.root)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(ws.root.rglob("*")) if p.is_file()
             and p.suffix not in (".db", ".db-journal", ".db-wal", ".db-shm")}
    with ws.session() as s:
        refused = {b.id for b in s.exec(select(Batch).where(Batch.status == "refused"))}
        batches = sorted((b.id, b.feed_id, b.status, b.rows_accepted)
                         for b in s.exec(select(Batch)) if b.id not in refused)
        months = sorted((m.feed_id, m.month.isoformat(), m.batch_id, m.rows, m.path)
                        for m in s.exec(select(FeedMonth)))
        obs = sorted((o.kpi_id, o.period, o.region, o.group, o.numerator, o.denominator, o.value)
                     for o in s.exec(select(Observation)))
        quarantine = sorted((q.batch_id, q.row_number, q.code) for q in s.exec(
            select(QuarantineRow).where(col(QuarantineRow.batch_id).not_in(refused or {-1}))))
    return {"files": files, "batches": batches, "months": months, "obs": obs,
            "quarantine": quarantine}


def _refused_batches(ws: Workspace) -> int:
    with ws.session() as s:
        return len(s.exec(select(Batch).where(Batch.status == "refused")).all())


def _write_bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        p = folder / name
        p.write_bytes(data)
        return p
    return make


def _rows(name: str, rows: list[dict[str, Any]]) -> Callable[[Path], Path]:
    return lambda folder: write_feed(folder / name, rows)


_GOOD_CSV = pl.DataFrame(_clean()).select(pl.all().cast(pl.String)).write_csv()

# (case id, feed id, file maker, error code expected in the output)
INGEST_CASES: list[tuple[str, str, Callable[[Path], Path], str]] = [
    ("denominator-inf", "agg", _rows("a.csv", _agg(denominator="inf")), "feed.not_finite"),
    ("denominator-Infinity", "agg", _rows("a.csv", _agg(denominator="Infinity")), "feed.not_finite"),
    ("denominator-minus-inf", "agg", _rows("a.csv", _agg(denominator="-inf")), "feed.not_finite"),
    ("denominator-NaN", "agg", _rows("a.csv", _agg(denominator="NaN")), "feed.not_finite"),
    ("numerator-NaN-int-column", "agg", _rows("a.csv", _agg(numerator="NaN")), "feed.not_finite"),
    ("numerator-Infinity-int-column", "agg", _rows("a.csv", _agg(numerator="Infinity")),
     "feed.not_finite"),
    ("numerator-1e308-int-column", "agg", _rows("a.csv", _agg(numerator="1e308")),
     "feed.integer_too_large"),
    ("denominator-1e308", "agg", _rows("a.csv", _agg(denominator="1e308")),
     "feed.integer_too_large"),
    ("numerator-25-digits", "agg", _rows("a.csv", _agg(numerator="1234567890123456789012345")),
     "feed.integer_too_large"),
    ("denominator-above-default-bound", "agg", _rows("a.csv", _agg(denominator="2000000000000")),
     "feed.value_out_of_range"),
    ("score-1e308", "agg", _rows("a.csv", _agg(score="1e308")), "feed.value_out_of_range"),
    ("score-inf", "agg", _rows("a.csv", _agg(score="inf")), "feed.not_finite"),
    ("score-above-declared-max", "agg", _rows("a.csv", _agg(score="150")), "feed.value_out_of_range"),
    ("period-1900", "agg", _rows("a.csv", _agg(period="1900-01")), "feed.implausible_period"),
    ("period-day-31-november", "agg", _rows("a.csv", _agg(period="2026-11-31")),
     "feed.impossible_date"),
    ("period-29-february-2026", "agg", _rows("a.csv", _agg(period="2026-02-29")),
     "feed.impossible_date"),
    ("period-month-13", "agg", _rows("a.csv", _agg(period="2026-13")), "feed.bad_period"),
    ("period-in-future", "agg", _rows("a.csv", _agg(period="2027-01")), "feed.period_in_future"),
    ("region-path", "agg", _rows("a.csv", _agg(region="../R1")), "feed.unknown_region"),
    ("group-unknown", "agg", _rows("a.csv", _agg(group="martian")), "feed.unknown_group"),
    ("numerator-text", "agg", _rows("a.csv", _agg(numerator="ten")), "feed.bad_number"),
    ("numerator-formula", "agg", _rows("a.csv", _agg(numerator='=HYPERLINK("http://x.example")')),
     "feed.bad_number"),
    ("numerator-negative", "agg", _rows("a.csv", _agg(numerator="-3")), "feed.negative_value"),
    ("numerator-fraction", "agg", _rows("a.csv", _agg(numerator="2.5")), "feed.not_integer"),
    ("denominator-zero", "agg", _rows("a.csv", _agg(denominator="0")), "feed.zero_denominator"),
    ("numerator-above-denominator", "agg", _rows("a.csv", _agg(numerator="500")),
     "feed.numerator_exceeds_denominator"),
    ("numerator-missing", "agg", _rows("a.csv", _agg(numerator="")), "feed.missing_value"),
    ("numerator-n/a", "agg", _rows("a.csv", _agg(numerator="n/a")), "feed.not_available"),
    ("indicator-not-allowed", "agg", _rows("a.csv", _agg(indicator="c")), "feed.bad_value"),
    ("duplicate-key", "agg", _rows("a.csv", _agg() + _agg(numerator="11")), "feed.duplicate_key"),
    ("record-date-31-november", "rec", _rows("r.csv", _rec(event_date="2026-11-31")),
     "feed.impossible_date"),
    ("record-date-1900", "rec", _rows("r.csv", _rec(event_date="1900-01-15")),
     "feed.implausible_period"),
    ("record-other-date-30-february", "rec", _rows("r.csv", _rec(decided_date="2026-02-30")),
     "feed.impossible_date"),
    ("record-date-text", "rec", _rows("r.csv", _rec(decided_date="soon")), "feed.bad_date"),
    ("record-amount-NaN", "rec", _rows("r.csv", _rec(amount="NaN")), "feed.not_finite"),
    ("record-days-20-digits", "rec", _rows("r.csv", _rec(days="99999999999999999999")),
     "feed.integer_too_large"),
    ("record-amount-1e300", "rec", _rows("r.csv", _rec(amount="1e300")), "feed.value_out_of_range"),
    ("record-paid-maybe", "rec", _rows("r.csv", _rec(paid="maybe")), "feed.bad_type"),
    ("utf32-file", "agg", _write_bytes("a.csv", codecs.BOM_UTF32_LE + _GOOD_CSV.encode("utf-32-le")),
     "feed.bad_encoding"),
    ("binary-file", "agg", _write_bytes("a.csv", bytes(range(256)) * 4), "feed.bad_encoding"),
    ("not-valid-utf8-after-bom", "agg", _write_bytes("a.csv", codecs.BOM_UTF8 + b"period\xff\xfe\n"),
     "feed.bad_encoding"),
    ("empty-file", "agg", _write_bytes("a.csv", b""), "feed.empty"),
    ("header-only", "agg", _write_bytes("a.csv", b"period,region,group,indicator,numerator,denominator\n"),
     "feed.empty"),
    ("missing-column", "agg", _rows("a.csv", [{k: v for k, v in _agg()[0].items() if k != "denominator"}]),
     "feed.missing_column"),
    ("text-file-type", "agg", _write_bytes("a.txt", _GOOD_CSV.encode()), "feed.unsupported_format"),
    ("corrupt-xlsx", "agg", _write_bytes("a.xlsx", b"PK\x03\x04 not really a workbook"),
     "feed.unreadable"),
    ("corrupt-parquet", "agg", _write_bytes("a.parquet", b"PAR1 nonsense"), "feed.unreadable"),
]


def _no_traceback(result: Any) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


@pytest.mark.parametrize(("feed_id", "make", "code"), [c[1:] for c in INGEST_CASES],
                         ids=[c[0] for c in INGEST_CASES])
def test_bad_file_refused(ws: Workspace, tmp_path: Path, feed_id: str,
                          make: Callable[[Path], Path], code: str) -> None:
    path = make(tmp_path)
    errors = tmp_path / "errors.csv"
    before, refused = _state(ws), _refused_batches(ws)
    result = runner.invoke(app, ["ingest", feed_id, str(path), "-w", str(ws.root), "--as-of",
                                 AS_OF.isoformat(), "--errors", str(errors)])
    _no_traceback(result)
    assert result.exit_code == 2, result.output
    assert code in result.output and "Refused, nothing applied" in result.output
    assert _state(ws) == before
    assert _refused_batches(ws) == refused + 1
    if errors.exists():  # a row-level refusal: the report names the code for the agency
        assert code in pl.read_csv(errors, infer_schema=False)["code"].to_list()


@pytest.mark.parametrize("feed_id", ["../../../escape", "/tmp/statdesk-escape", "agg/../../escape",
                                     "nofeed"])
def test_unknown_or_path_like_feed_id(ws: Workspace, tmp_path: Path, feed_id: str) -> None:
    path = write_feed(tmp_path / "a.csv", _clean())
    before, refused = _state(ws), _refused_batches(ws)
    result = runner.invoke(app, ["ingest", feed_id, str(path), "-w", str(ws.root)])
    _no_traceback(result)
    assert result.exit_code == 2 and "feed.unknown_feed" in result.output
    assert _state(ws) == before and _refused_batches(ws) == refused
    assert not any(tmp_path.rglob("escape")) and not Path("/tmp/statdesk-escape").exists()


def _kpi(tables: dict[str, list[dict[str, Any]]], kpi_id: str) -> dict[str, Any]:
    return next(k for k in tables["kpis"] if k["kpi_id"] == kpi_id)


def _feed_col(tables: dict[str, list[dict[str, Any]]], feed: str, name: str) -> dict[str, Any]:
    return next(c for c in tables["feed_columns"] if c["feed_id"] == feed and c["column"] == name)


def _rename_feed(tables: dict[str, list[dict[str, Any]]], new: str) -> None:
    tables["feeds"][0]["feed_id"] = new
    for c in tables["feed_columns"]:
        if c["feed_id"] == "agg":
            c["feed_id"] = new
    for k in tables["kpis"]:
        if k["feed_id"] == "agg":
            k["feed_id"] = new


DEFINITION_CASES: list[tuple[str, Callable[[dict[str, list[dict[str, Any]]]], None], str]] = [
    ("feed-id-relative-path", lambda t: _rename_feed(t, "../../../x"), "definitions.bad_id"),
    ("feed-id-absolute-path", lambda t: _rename_feed(t, "/tmp/x"), "definitions.bad_id"),
    ("feed-id-dotdot", lambda t: _rename_feed(t, "a..b"), "definitions.bad_id"),
    ("kpi-id-with-slash", lambda t: _kpi(t, "count_a").update(kpi_id="a/b"), "definitions.bad_id"),
    ("cast-text-to-integer", lambda t: _kpi(t, "count_a").update(
        filter="CAST(indicator AS INTEGER) > 0"), "definitions.bad_expression"),
    ("cast-in-numerator", lambda t: _kpi(t, "paid_share").update(
        numerator="CAST(case_id AS DOUBLE) > 1"), "definitions.bad_expression"),
    ("period-column-typed-int", lambda t: _feed_col(t, "agg", "period").update(type="int"),
     "definitions.bad_column"),
    ("record-date-column-typed-float", lambda t: _feed_col(t, "rec", "event_date").update(
        type="float"), "definitions.bad_column"),
    ("column-named-like-statdesk", lambda t: t["feed_columns"].append(
        dict(feed_id="agg", column="_month", type="string", required="no")),
     "definitions.bad_column"),
    ("region-and-group-same-column", lambda t: t["feeds"][0].update(group_column="region"),
     "definitions.bad_column"),
    ("kpi-name-markdown-image", lambda t: _kpi(t, "count_a").update(
        name="Count ![x](https://tracker.example/p.png)"), "definitions.markup_in_name"),
    ("priority-name-markdown-link", lambda t: t["priorities"][0].update(
        name="[Click here](https://phish.example)"), "definitions.markup_in_name"),
    ("agency-name-html", lambda t: t["agencies"][0].update(name='Agency <img src="x">'),
     "definitions.markup_in_name"),
    ("kpi-unit-address", lambda t: _kpi(t, "count_a").update(unit="people www.evil.example"),
     "definitions.markup_in_name"),
    ("duplicate-column", lambda t: t["feed_columns"].append(
        dict(feed_id="agg", column="score", type="float", required="no")), "definitions.duplicate_id"),
]


@pytest.mark.parametrize(("change", "code"), [c[1:] for c in DEFINITION_CASES],
                         ids=[c[0] for c in DEFINITION_CASES])
def test_bad_definitions_refused(ws: Workspace, tmp_path: Path,
                                 change: Callable[[dict[str, list[dict[str, Any]]]], None],
                                 code: str) -> None:
    tables = base_tables()
    change(tables)
    write_definitions(ws.definitions_dir, tables, geo=geojson())
    before = _state(ws)
    result = runner.invoke(app, ["validate", "-w", str(ws.root)])
    _no_traceback(result)
    assert result.exit_code == 1 and code in result.output, result.output
    path = write_feed(tmp_path / "a.csv", _clean("2026-02"))
    result = runner.invoke(app, ["ingest", "agg", str(path), "-w", str(ws.root), "--as-of",
                                 AS_OF.isoformat()])
    _no_traceback(result)
    assert result.exit_code == 1 and code in result.output, result.output
    result = runner.invoke(app, ["refresh", "-w", str(ws.root)])
    _no_traceback(result)
    assert result.exit_code == 1 and code in result.output
    assert _state(ws) == before
    assert not any(tmp_path.rglob("x"))


def test_definitions_file_in_unknown_encoding(ws: Workspace) -> None:
    p = ws.definitions_dir / "agencies.csv"
    p.write_bytes(codecs.BOM_UTF32_LE + p.read_text().encode("utf-32-le"))
    result = runner.invoke(app, ["validate", "-w", str(ws.root)])
    _no_traceback(result)
    assert result.exit_code == 1 and "definitions.bad_encoding" in result.output
    assert "UTF-32" in result.output


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be",
                                      "cp1252"])
def test_encodings_read(ws: Workspace, tmp_path: Path, encoding: str) -> None:
    """UTF-8 with or without BOM, UTF-16 with or without BOM and Windows-1252 are read alike."""
    rows = _rec(case_id="café-Ω" if encoding != "cp1252" else "café-€", person_id="p2")
    text = pl.DataFrame(rows).write_csv()
    path = tmp_path / "rec.csv"
    path.write_bytes(text.encode(encoding))
    result = runner.invoke(app, ["ingest", "rec", str(path), "-w", str(ws.root), "--as-of",
                                 AS_OF.isoformat()])
    _no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "1 of 1 rows accepted" in result.output
    with ws.session() as s:
        fm = s.exec(select(FeedMonth).where(FeedMonth.feed_id == "rec")).one()
    stored = pl.read_parquet(ws.feed_store / fm.path)
    assert rows[0]["case_id"] in stored["case_id"].to_list()


def _statewide(ws: Workspace, kpi: str = "count_a") -> float:
    from metrics.engine import load_observations

    obs = load_observations(ws.engine, [kpi]).filter(
        (pl.col("region") == "all") & (pl.col("group") == "all") & (pl.col("period") == "2026-01"))
    return float(obs["value"][0])


def test_resubmission_keeps_history(ws: Workspace, tmp_path: Path) -> None:
    """A corrected month replaces the rows it carries; a failing row keeps its earlier value."""
    clean = _clean()
    total = sum(int(r["numerator"]) for r in clean)
    assert _statewide(ws) == total
    revised = [dict(r) for r in clean[:4]]
    revised[0]["numerator"] = int(revised[0]["numerator"]) + 5  # corrected
    revised[1]["numerator"] = "inf"  # fails: keeps its earlier value
    revised[2]["denominator"] = "1e308"  # fails: keeps its earlier value
    rep = ingest(ws, "agg", write_feed(tmp_path / "fix.csv", revised), received_on=AS_OF)
    assert rep.status == "applied" and rep.rows_accepted == 2 and rep.rows_rejected == 2
    assert rep.rows_kept == 7 and "keep their earlier values" in rep.summary()
    assert _statewide(ws) == total + 5
    with ws.session() as s:
        fm = s.exec(select(FeedMonth).where(FeedMonth.feed_id == "agg")).one()
    assert fm.rows == 9 and fm.batch_id == rep.batch_id


def test_infinite_denominator_never_reaches_a_status(ws: Workspace, tmp_path: Path) -> None:
    """The issue's case: an inf denominator made a rate 0.0 and 'met'; now the row is refused."""
    rows = _clean("2026-02")
    for r in rows:
        r["indicator"] = "b"
    rows[0]["denominator"] = "inf"
    rep = ingest(ws, "agg", write_feed(tmp_path / "feb.csv", rows), received_on=AS_OF)
    assert rep.status == "applied" and rep.rows_rejected == 1
    from metrics.engine import load_observations

    obs = load_observations(ws.engine, ["rate_b"])
    assert obs.filter(pl.col("denominator").is_infinite()).height == 0
    assert obs.filter(pl.col("value") == 0).height == 0
