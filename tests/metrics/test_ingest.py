"""Feed ingest: every malformed row quarantined with its code, whole files refused, idempotency."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlmodel import select

from metrics.engine import load_observations
from metrics.ingest import FeedRefused, ingest, preview, quarantine_report
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

# change to the first row of a clean month -> (code, column, value stored)
AGG_FAULTS: list[tuple[dict[str, str], str, str, str]] = [
    ({"region": "R9"}, "feed.unknown_region", "region", "R9"),
    ({"group": "martian"}, "feed.unknown_group", "group", "martian"),
    ({"period": "2026-13"}, "feed.bad_period", "period", "2026-13"),
    ({"period": "2027-01"}, "feed.period_in_future", "period", "2027-01"),
    ({"numerator": "ten"}, "feed.bad_number", "numerator", "ten"),
    ({"numerator": "n/a"}, "feed.not_available", "numerator", "n/a"),
    ({"numerator": "-3"}, "feed.negative_value", "numerator", "-3"),
    ({"numerator": "2.5"}, "feed.not_integer", "numerator", "2.5"),
    ({"numerator": "500"}, "feed.numerator_exceeds_denominator", "numerator", "500"),
    ({"denominator": "0"}, "feed.zero_denominator", "denominator", "0"),
    ({"numerator": ""}, "feed.missing_value", "numerator", ""),
    ({"indicator": "c"}, "feed.bad_value", "indicator", "c"),
    ({"score": "150"}, "feed.value_out_of_range", "score", "150"),
]


def _ws(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path / "ws")


def _clean(month: str = "2026-01") -> list[dict[str, Any]]:
    rows = agg_rows([month])
    for r in rows:
        r["score"] = "50"
    return rows


def _faulty(change: dict[str, str]) -> list[dict[str, Any]]:
    """A clean month (9 rows) plus one bad row with a key of its own (R1 / white, indicator b)."""
    rows = _clean()
    bad = {**rows[0], "group": "white", "indicator": "b", "numerator": "5", "denominator": "100"}
    bad.update(change)
    return rows + [bad]


@pytest.mark.parametrize(("change", "code", "column", "value"), AGG_FAULTS,
                         ids=[f[1] for f in AGG_FAULTS])
def test_bad_row_quarantined_good_rows_applied(tmp_path: Path, change: dict[str, str], code: str,
                                               column: str, value: str) -> None:
    ws = _ws(tmp_path)
    ext = "csv"
    path = write_feed(tmp_path / f"feed.{ext}", _faulty(change))
    rep = ingest(ws, "agg", path, received_by="analyst", received_on=AS_OF)
    assert rep.status == "applied", rep.summary()
    assert (rep.rows_total, rep.rows_accepted, rep.rows_rejected) == (10, 9, 1)
    assert rep.error_counts() == {code: 1}
    q = quarantine_report(ws, batch_id=rep.batch_id)
    assert q.height == 1
    row = q.row(0, named=True)
    # the header is row 1 in a spreadsheet, so the 10th data row is row 11
    assert (row["row_number"], row["column"], row["code"], row["value"]) == (11, column, code, value)
    assert row["file"] == f"feed.{ext}" and row["feed_id"] == "agg"
    assert row["message"] and "{" not in row["message"]
    if value:
        assert value in row["message"] or code in ("feed.zero_denominator", "feed.missing_value")
    with ws.session() as s:
        stored = s.exec(select(QuarantineRow)).one()
    record = json.loads(stored.record)
    assert record[column] in (value, None)
    assert record["region"] == change.get("region", "R1")
    obs = load_observations(ws.engine, ["share_a"], "2026-01")
    assert obs.filter((pl.col("region") == "all") & (pl.col("group") == "all"))["numerator"][0] == \
        sum(r["numerator"] for r in _clean())


@pytest.mark.parametrize("ext", ["csv", "xlsx", "parquet"])
def test_every_fault_in_one_file(tmp_path: Path, ext: str) -> None:
    """One bad row per fault, each with a key of its own, in each file format."""
    ws = _ws(tmp_path)
    rows = _clean()
    keys = [(r, g, ind) for r in ("R1", "R2", "R3") for g in ("asian", "aian", "mena") for ind in "ab"]
    for (change, *_), (region, group, ind) in zip(AGG_FAULTS, keys, strict=False):
        bad = {**rows[0], "region": region, "group": group, "indicator": ind, "numerator": "5",
               "denominator": "100"}
        rows.append({**bad, **change})
    rep = ingest(ws, "agg", write_feed(tmp_path / f"all.{ext}", rows), received_on=AS_OF)
    assert (rep.rows_accepted, rep.rows_rejected) == (9, len(AGG_FAULTS))
    q = quarantine_report(ws).sort("row_number")
    got = list(zip(q["row_number"], q["code"], q["column"], q["value"], strict=True))
    assert got == [(11 + k, code, column, value)
                   for k, (_c, code, column, value) in enumerate(AGG_FAULTS)]
    assert (q["file"] == f"all.{ext}").all()


def test_messages_say_what_is_valid(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    rows = _clean()
    rows += [{**rows[0], "group": "white", "indicator": "b", "region": "R9"},
             {**rows[0], "group": "white", "indicator": "b", "region": "R2", "indicator_x": ""},
             {**rows[0], "group": "Asian American", "indicator": "b", "region": "R3"},
             {**rows[0], "group": "white", "indicator": "zz", "region": "R3"}]
    rep = ingest(ws, "agg", write_feed(tmp_path / "f.csv", rows), received_on=AS_OF)
    msgs = dict(zip(rep.errors["code"], rep.errors["message"], strict=True))
    assert "Valid codes: R1, R2, R3" in msgs["feed.unknown_region"]
    assert "aian" in msgs["feed.unknown_group"] and "white" in msgs["feed.unknown_group"]
    assert "Use one of: a, b" in msgs["feed.bad_value"]


def test_duplicate_key_rejects_every_copy(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    rows = _clean()
    rows.append(dict(rows[4]))
    rep = ingest(ws, "agg", write_feed(tmp_path / "dup.csv", rows), received_on=AS_OF)
    assert rep.error_counts() == {"feed.duplicate_key": 2}
    q = quarantine_report(ws)
    assert sorted(q["row_number"].to_list()) == [6, 11]
    assert q["value"].to_list() == ["2026-01 / R2 / hispanic"] * 2
    assert rep.rows_accepted == 8


def test_same_key_different_indicator_is_not_a_duplicate(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    rows = _clean() + [dict(r, indicator="b") for r in _clean()]
    rep = ingest(ws, "agg", write_feed(tmp_path / "two.csv", rows), received_on=AS_OF)
    assert rep.rows_rejected == 0 and rep.rows_accepted == 18


def _rec(**change: str) -> dict[str, str]:
    row = dict(case_id="c0", person_id="p0", event_date="2026-01-10", region="R1",
               group="white", paid="yes", days="10", amount="100", decided_date="2026-01-20",
               channel="web")
    row.update(change)
    return row


REC_FAULTS = [
    ({"decided_date": "20/01/2026"}, "feed.bad_date", "decided_date"),
    ({"event_date": "Jan 10"}, "feed.bad_period", "event_date"),
    ({"event_date": "2027-02-01"}, "feed.period_in_future", "event_date"),
    ({"paid": "perhaps"}, "feed.bad_type", "paid"),
    ({"channel": "fax"}, "feed.bad_value", "channel"),
    ({"days": "1.5"}, "feed.not_integer", "days"),
    ({"amount": "-4"}, "feed.negative_value", "amount"),
    ({"person_id": ""}, "feed.missing_value", "person_id"),
    ({"region": "North"}, "feed.unknown_region", "region"),
]


@pytest.mark.parametrize(("change", "code", "column"), REC_FAULTS, ids=[f[1] + "-" + f[2] for f in REC_FAULTS])
def test_record_level_faults(tmp_path: Path, change: dict[str, str], code: str, column: str) -> None:
    ws = _ws(tmp_path)
    rows = [_rec(case_id=f"c{i}", person_id=f"p{i}") for i in range(5)]
    rows.append(_rec(case_id="bad", person_id="pbad", **change) if "person_id" not in change
                else _rec(case_id="bad", **change))
    rep = ingest(ws, "rec", write_feed(tmp_path / "rec.parquet", rows), received_on=AS_OF)
    assert rep.status == "applied"
    assert rep.error_counts() == {code: 1}
    q = quarantine_report(ws).row(0, named=True)
    assert (q["row_number"], q["column"], q["code"]) == (7, column, code)
    assert rep.rows_accepted == 5


def test_record_level_identical_rows(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    rows = [_rec(case_id=f"c{i}", person_id=f"p{i}") for i in range(3)]
    rows.append(dict(rows[1]))
    rep = ingest(ws, "rec", write_feed(tmp_path / "rec.csv", rows), received_on=AS_OF)
    assert rep.error_counts() == {"feed.duplicate_key": 1}
    assert quarantine_report(ws)["row_number"].to_list() == [5]  # the first copy is kept
    assert rep.rows_accepted == 3


def test_typed_parquet_and_xlsx_cells(tmp_path: Path) -> None:
    """Numbers and dates stored as such (not text) are read like their text."""
    ws = _ws(tmp_path)
    rows = [_rec(case_id=f"c{i}", person_id=f"p{i}", days=str(i)) for i in range(4)]
    df = pl.DataFrame(rows).with_columns(
        pl.col("event_date").str.to_date(), pl.col("decided_date").str.to_date(),
        pl.col("days").cast(pl.Int64), pl.col("amount").cast(pl.Float64),
        (pl.col("paid") == "yes").alias("paid"))
    rep = ingest(ws, "rec", write_feed(tmp_path / "typed.parquet", df), received_on=AS_OF)
    assert (rep.rows_accepted, rep.rows_rejected) == (4, 0), rep.errors
    agg = pl.DataFrame(agg_rows(["2026-02"])).with_columns(
        pl.col("numerator").cast(pl.Int64), pl.col("denominator").cast(pl.Float64))
    rep = ingest(ws, "agg", write_feed(tmp_path / "typed.xlsx", agg), received_on=AS_OF)
    assert (rep.rows_accepted, rep.rows_rejected) == (9, 0), rep.errors


@pytest.mark.parametrize(("name", "content", "code"), [
    ("empty.csv", b"period,region,group,indicator,numerator,denominator,score\n", "feed.empty"),
    ("zero.csv", b"", "feed.empty"),
    ("garbage.xlsx", b"PK\x03\x04 this is not a workbook \x00\xff", "feed.unreadable"),
    ("broken.parquet", b"PAR1 not really parquet PAR1", "feed.unreadable"),
    ("feed.pdf", b"%PDF-1.4", "feed.unsupported_format"),
])
def test_whole_file_refused(tmp_path: Path, name: str, content: bytes, code: str) -> None:
    ws = _ws(tmp_path)
    path = tmp_path / name
    path.write_bytes(content)
    rep = ingest(ws, "agg", path, received_on=AS_OF)
    assert rep.status == "refused"
    assert [i.code for i in rep.issues] == [code]
    assert "Refused, nothing applied" in rep.summary()
    with ws.session() as s:
        batches = s.exec(select(Batch)).all()
        assert [b.status for b in batches] == ["refused"]
        assert s.exec(select(FeedMonth)).all() == []
        assert s.exec(select(QuarantineRow)).all() == []
        assert s.exec(select(Observation)).all() == []


def test_missing_column_refused_and_named(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    rows = [{k: v for k, v in r.items() if k not in ("indicator", "denominator")} for r in _clean()]
    path = write_feed(tmp_path / "cols.csv", rows)
    with pytest.raises(FeedRefused) as exc:
        preview(ws, "agg", path, received_on=AS_OF)
    assert {(i.code, i.column) for i in exc.value.issues} == {
        ("feed.missing_column", "indicator"), ("feed.missing_column", "denominator")}
    assert "Columns found: period, region, group" in exc.value.issues[0].message
    rep = ingest(ws, "agg", path, received_on=AS_OF)
    assert rep.status == "refused"


def test_unknown_feed(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    path = write_feed(tmp_path / "f.csv", _clean())
    rep = ingest(ws, "payroll", path, received_on=AS_OF)
    assert rep.status == "refused" and rep.issues[0].code == "feed.unknown_feed"
    assert "agg, rec, wages" in rep.issues[0].message
    with ws.session() as s:
        assert s.exec(select(Batch)).all() == []


def test_header_whitespace_and_bom(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    text = write_feed(tmp_path / "x.csv", _clean()).read_text()
    header, rest = text.split("\n", 1)
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff".encode() + (" , ".join(header.split(",")) + "\n" + rest).encode())
    rep = ingest(ws, "agg", path, received_on=AS_OF)
    assert rep.status == "applied" and rep.rows_accepted == 9


def _state(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    with ws.engine.connect() as c:
        return {t: [tuple(r) for r in c.exec_driver_sql(f"SELECT * FROM {t} ORDER BY id")]
                for t in ("batch", "feedmonth", "observation", "quarantinerow")}


def _files(ws: Workspace) -> dict[str, bytes]:
    return {str(p.relative_to(ws.feed_store)): p.read_bytes()
            for p in sorted(ws.feed_store.rglob("*")) if p.is_file()}


def test_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    path = write_feed(tmp_path / "jan.csv", _faulty({"region": "R9"}))
    first = ingest(ws, "agg", path, received_on=AS_OF)
    assert first.status == "applied"
    before, files = _state(ws), _files(ws)
    again = ingest(ws, "agg", path, received_on=AS_OF)
    assert again.status == "duplicate" and again.batch_id == first.batch_id
    assert "already applied" in again.summary() and "nothing changed" in again.summary()
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    assert ingest(ws, "agg", copy, received_on=AS_OF).status == "duplicate"
    assert _state(ws) == before
    assert _files(ws) == files


def test_later_batch_replaces_its_months_only(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    ingest(ws, "agg", write_feed(tmp_path / "a.csv", _clean("2026-01") + _clean("2026-02")),
           received_on=AS_OF)
    revised = [dict(r, numerator=r["numerator"] + 1) for r in _clean("2026-02")]
    rep = ingest(ws, "agg", write_feed(tmp_path / "b.csv", revised), received_on=AS_OF)
    assert (rep.period_min, rep.period_max) == ("2026-02", "2026-02")
    obs = load_observations(ws.engine, ["count_a"]).filter(
        (pl.col("region") == "all") & (pl.col("group") == "all")).sort("period")
    total = sum(r["numerator"] for r in _clean())
    assert obs["value"].to_list() == [total, total + 9]
    with ws.session() as s:
        months = {fm.month.isoformat(): fm.batch_id for fm in s.exec(select(FeedMonth))}
    assert months == {"2026-01-01": 1, "2026-02-01": 2}


def test_batch_recorded(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    path = write_feed(tmp_path / "jan.csv", _faulty({"numerator": "n/a"}))
    rep = ingest(ws, "agg", path, received_by="j.smith", received_on=AS_OF)
    with ws.session() as s:
        b = s.get(Batch, rep.batch_id)
    assert b is not None
    assert (b.feed_id, b.file_name, b.received_by, b.status) == ("agg", "jan.csv", "j.smith", "applied")
    assert (b.rows_total, b.rows_accepted, b.rows_rejected) == (10, 9, 1)
    assert (b.period_min, b.period_max) == ("2026-01", "2026-01")
    assert len(b.file_hash) == 64


def test_all_rows_rejected(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    rows = [dict(r, region="R9") for r in _clean() if r["region"] == "R1"]
    path = write_feed(tmp_path / "bad.csv", rows)
    rep = ingest(ws, "agg", path, received_on=AS_OF)
    assert rep.status == "refused" and rep.rows_accepted == 0 and rep.rows_rejected == 3
    assert [i.code for i in rep.issues] == ["feed.nothing_accepted"]
    assert "Refused, nothing applied" in rep.summary() and "feed.unknown_region: 3" in rep.summary()
    assert quarantine_report(ws).height == 3  # the agency still gets its error report
    assert load_observations(ws.engine).height == 0
    with ws.session() as s:
        assert s.exec(select(FeedMonth)).all() == []
    # once the contract knows the region, the very same file is accepted (not "already applied")
    tables = base_tables()
    tables["regions"].append(dict(region_id="R9", name="Region R9", parent=""))
    write_definitions(ws.definitions_dir, tables, geo=geojson(("R1", "R2", "R3", "R9")))
    ws2 = Workspace.open(ws.root, database_url=ws.database_url)
    again = ingest(ws2, "agg", path, received_on=AS_OF)
    assert again.status == "applied" and again.rows_accepted == 3


def test_preview_writes_nothing(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    before = _state(ws)
    pv = preview(ws, "agg", write_feed(tmp_path / "p.csv", _faulty({"group": "x"})),
                 received_on=AS_OF)
    assert pv.rows_total == 10 and pv.accepted.height == 9 and pv.errors.height == 1
    assert _state(ws) == before and _files(ws) == {}


@pytest.mark.parametrize("ext", ["xlsx", "parquet"])
@pytest.mark.parametrize("date_format", ["%Y-%m-%d", "%m/%d/%Y"])
def test_cells_stored_as_dates(tmp_path: Path, ext: str, date_format: str) -> None:
    """Excel date cells and Parquet date columns are dates, whatever text format the contract reads."""
    from tests.workspace_factory import base_tables

    tables = base_tables()
    tables["feeds"][1]["date_format"] = date_format
    ws = make_workspace(tmp_path / "ws", tables)
    rows = [_rec(case_id=f"c{i}", person_id=f"p{i}", event_date=f"2026-01-{i + 10}",
                 decided_date=f"2026-02-{i + 1:02d}") for i in range(4)]
    df = pl.DataFrame(rows).with_columns(pl.col("event_date").str.to_date(),
                                         pl.col("decided_date").str.to_datetime("%Y-%m-%d"))
    rep = ingest(ws, "rec", write_feed(tmp_path / f"dates.{ext}", df), received_on=AS_OF)
    assert (rep.rows_accepted, rep.rows_rejected) == (4, 0), rep.errors
    assert (rep.period_min, rep.period_max) == ("2026-01", "2026-01")
    obs = load_observations(ws.engine, ["paid_share"], "2026-01")
    assert obs.filter((pl.col("region") == "all") & (pl.col("group") == "all"))["denominator"][0] == 4
