"""KPIs computed where the records live give the same observations as the workspace store.

The demo state's record-level feeds are copied, record for record, from the workspace
store into a DuckDB file, a real PostgreSQL server (tests/pg.py) and a real local Spark
session (tests/spark.py); the register is pointed at them through ``location`` and every
record-level KPI is computed both ways.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from metrics.definitions import Kpi, Register, validate
from metrics.engine import compute
from metrics.engine.location import parse_location
from metrics.engine.store import current_sources
from metrics.workspace import Workspace
from tests.pg import create_database, pg_server  # noqa: F401 - fixture
from tests.spark import spark_local  # noqa: F401 - fixture

pytest.importorskip("sqlglot", reason="SQLGlot is not installed (pip install 'statdesk[spark]')")


@pytest.fixture(scope="module")
def store(pristine_demo: Path) -> tuple[Register, dict[str, list[str]], dict[str, pl.DataFrame]]:
    """The demo register, its sources, and every record-level feed's records in force."""
    ws = Workspace.open(pristine_demo)
    with ws.session() as s:
        sources = current_sources(s, str(ws.feed_store))
    records = {f.feed_id: pl.concat([pl.read_parquet(p) for p in sources[f.feed_id]],
                                    how="vertical_relaxed").drop("_month", "_region", "_group")
               for f in ws.register.feeds.values() if f.kind == "record"}
    return ws.register, sources, records


def relocated(register: Register, url: str, tables: dict[str, str]) -> Register:
    feeds = {fid: dataclasses.replace(f, location=url, location_table=tables[fid])
             if fid in tables else f for fid, f in register.feeds.items()}
    return dataclasses.replace(register, feeds=feeds)


def load_duckdb(path: Path, records: dict[str, pl.DataFrame]) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    for name, df in records.items():
        con.register("incoming", df.to_arrow())
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM incoming')
        con.unregister("incoming")
    con.close()


PG_TYPES = {pl.Int64: "bigint", pl.Float64: "double precision", pl.Boolean: "boolean",
            pl.Date: "date", pl.String: "text"}


def load_postgres(url: str, records: dict[str, pl.DataFrame]) -> None:
    import psycopg

    with psycopg.connect(parse_location(url, "t").dsn) as conn:
        for name, df in records.items():
            cols = ", ".join(f'"{c}" {PG_TYPES[type(t)]}' for c, t in df.schema.items())
            conn.execute(f'CREATE TABLE "{name}" ({cols})')
            with conn.cursor().copy(f'COPY "{name}" FROM STDIN (FORMAT csv, HEADER)') as cp:
                cp.write(df.write_csv())
            conn.execute(f'ANALYZE "{name}"')  # as a maintained warehouse table would be


@pytest.fixture(scope="module")
def engines(request: pytest.FixtureRequest, store, tmp_path_factory: pytest.TempPathFactory
            ) -> Callable[[str], Register]:
    """Back end name -> the demo register with its record-level feeds located there."""
    register, _, records = store
    tables = {fid: fid for fid in records}
    made: dict[str, Register] = {}

    def get(name: str) -> Register:
        if name in made:
            return made[name]
        if name == "duckdb":
            path = tmp_path_factory.mktemp("duckdb") / "state.duckdb"
            load_duckdb(path, records)
            url = f"duckdb://{path}"
        elif name == "postgres":
            url = create_database(request.getfixturevalue("pg_server"))
            load_postgres(url, records)
        else:
            url = request.getfixturevalue("spark_local")
            from metrics.engine.backends import spark_session

            spark = spark_session(url)
            folder = tmp_path_factory.mktemp("spark")
            for fid, df in records.items():  # tables Spark reads from Parquet, as in a lake
                df.write_parquet(folder / f"{fid}.parquet")
                spark.read.parquet(str(folder / f"{fid}.parquet")).createOrReplaceTempView(fid)
        made[name] = relocated(register, url, tables)
        return made[name]

    return get


BACKENDS = ["duckdb", "postgres", "spark"]


def record_kpis(register: Register) -> list[Kpi]:
    return [k for k in register.kpis.values() if register.feeds[k.feed_id].kind == "record"]


def same(a: pl.DataFrame, b: pl.DataFrame) -> None:
    """Equal observations: keys and flags exactly, figures to the last few bits."""
    assert a.height > 0
    assert_frame_equal(a, b, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_demo_record_kpi_is_the_same_computed_in_the_engine(store, engines, backend: str
                                                                   ) -> None:
    register, sources, _ = store
    kpis = record_kpis(register)
    assert {k.measure for k in kpis} >= {"proportion", "mean", "median"}
    assert any(k.link is not None for k in kpis)
    expected = compute(register, sources, kpis)
    got = compute(engines(backend), {}, kpis)
    same(expected, got)
    assert set(got["kpi_id"]) == {k.kpi_id for k in kpis}


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])  # the same SQL as Spark's
def test_incremental_refresh_reads_only_the_periods_asked(store, engines, backend: str) -> None:
    """Only the periods a batch touches: the same rows as a full run, for those periods."""
    from metrics.engine import backends

    register, sources, _ = store
    kpis = record_kpis(register)
    periods = {k.kpi_id: {"2026-09", "2026-10"} if k.grain == "month" else {"2026-Q2"}
               for k in kpis}
    full = compute(register, sources, kpis)
    want = full.filter(pl.struct("kpi_id", "period").map_elements(
        lambda r: r["period"] in periods[r["kpi_id"]], return_dtype=pl.Boolean))
    ext = engines(backend)
    backends.reset_timings()
    got = compute(ext, {}, kpis, periods=periods)
    same(want, got)
    assert backends.TIMINGS["queries"] >= 1


CLAIMS_VALUES = ["days_to_payment", "weekly_benefit"]


@st.composite
def claims_kpis(draw: st.DrawFn) -> Kpi:
    """A KPI over the demo's claims feed: any measure, any grain, a filter or none."""
    measure = draw(st.sampled_from(["proportion", "count", "sum", "mean", "median"]))
    grain = draw(st.sampled_from(["month", "quarter", "year", "fiscal", "rolling12"]))
    days = draw(st.integers(5, 40))
    flt = draw(st.sampled_from(["", "paid", f"days_to_payment > {days}",
                                "region = 'R01' OR NOT paid"]))
    value = draw(st.sampled_from(CLAIMS_VALUES)) if measure in ("sum", "mean", "median") else ""
    numerator = f"days_to_payment <= {days}" if measure == "proportion" else ""
    return Kpi(kpi_id="x", name="x", goal_id="g", agency_id="dlw", measure=measure, unit="",
               direction="higher", grain=grain, feed_id="dlw_ui_claims",
               fiscal_start=draw(st.sampled_from([1, 7, 10])), filter=flt,
               numerator=numerator, value=value, multiplier=1.0)


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
@settings(max_examples=12)
@given(kpi=claims_kpis())
def test_any_claims_kpi_is_the_same_in_the_engine(store, engines, backend: str, kpi: Kpi) -> None:
    register, sources, _ = store
    reg = dataclasses.replace(register, kpis={"x": kpi})
    expected = compute(reg, sources, [kpi])
    ext = engines(backend)
    same(expected, compute(dataclasses.replace(ext, kpis={"x": kpi}), {}, [kpi]))


@settings(max_examples=2)  # Spark answers in seconds, not milliseconds: a few examples
@given(kpi=claims_kpis())
def test_any_claims_kpi_is_the_same_in_spark(store, engines, kpi: Kpi) -> None:
    register, sources, _ = store
    expected = compute(dataclasses.replace(register, kpis={"x": kpi}), sources, [kpi])
    ext = engines("spark")
    same(expected, compute(dataclasses.replace(ext, kpis={"x": kpi}), {}, [kpi]))


def _feeds_csv(folder: Path, location: str, table: str) -> None:
    path = folder / "feeds.csv"
    df = pl.read_csv(path, infer_schema=False)
    df = df.with_columns(
        pl.when(pl.col("feed_id") == "dlw_ui_claims").then(pl.lit(location)).otherwise(pl.lit(""))
        .alias("location"),
        pl.when(pl.col("feed_id") == "dlw_ui_claims").then(pl.lit(table)).otherwise(pl.lit(""))
        .alias("location_table"))
    df.write_csv(path)


@pytest.mark.parametrize(("location", "table", "says"), [
    ("mysql://host/db", "claims", "is not a location StatDesk can read"),
    ("postgresql://host/db", "", "'location_table' is empty"),
    ("duckdb:///x.duckdb", "claims; drop table x", "is not a table name"),
])
def test_a_bad_location_is_refused_at_validate(demo_copy: Path, location: str, table: str,
                                               says: str) -> None:
    _feeds_csv(demo_copy / "definitions", location, table)
    register, issues = validate(demo_copy / "definitions")
    assert register is None
    [bad] = [i for i in issues if i.code == "definitions.bad_location"]
    assert bad.file == "feeds.csv" and bad.column == "location"
    assert says in bad.message


def test_a_location_loads_into_the_register(demo_copy: Path, tmp_path: Path) -> None:
    _feeds_csv(demo_copy / "definitions", f"duckdb://{tmp_path}/state.duckdb", "main.claims")
    register, issues = validate(demo_copy / "definitions")
    assert register is not None, issues
    feed = register.feeds["dlw_ui_claims"]
    assert (feed.location, feed.location_table) == (f"duckdb://{tmp_path}/state.duckdb",
                                                    "main.claims")
    assert register.feeds["dlw_wages"].location == ""


def _validate_cli(folder: Path) -> tuple[int, str]:
    from typer.testing import CliRunner

    from metrics.cli import app

    result = CliRunner().invoke(app, ["validate", "--definitions", str(folder)])
    return result.exit_code, result.output


def test_validate_checks_expressions_against_the_real_table(demo_copy: Path, tmp_path: Path,
                                                            store) -> None:
    _, _, records = store
    claims = records["dlw_ui_claims"]
    db = tmp_path / "state.duckdb"
    load_duckdb(db, {"claims": claims, "claims_old": claims.drop("days_to_payment"),
                     "claims_text": claims.with_columns(pl.col("filed_date").cast(pl.String))})
    folder = demo_copy / "definitions"
    _feeds_csv(folder, f"duckdb://{db}", "claims")
    code, out = _validate_cli(folder)
    assert code == 0, out
    assert "OK: " in out

    _feeds_csv(folder, f"duckdb://{db}", "claims_old")
    code, out = _validate_cli(folder)
    assert code != 0
    # the median and the proportion use the column; the message names it and the table
    assert "days_to_payment" in out and "claims_old" in out
    assert "ui_median_days" in out and "ui_paid_21_days" in out
    assert "nothing was loaded" in out

    _feeds_csv(folder, f"duckdb://{db}", "claims_text")
    code, out = _validate_cli(folder)
    assert code != 0 and "'filed_date' of claims_text is String, not a date" in out

    _feeds_csv(folder, f"duckdb://{db}", "no_such_table")
    code, out = _validate_cli(folder)
    assert code != 0 and "the table 'no_such_table' cannot be read there" in out


def test_refresh_of_an_outside_feed_recomputes_only_the_months_named(demo_copy: Path,
                                                                     tmp_path: Path, store) -> None:
    """New rows land in the engine's table; refresh --feed --months brings in exactly them."""
    from typer.testing import CliRunner

    from metrics.cli import app
    from metrics.engine import load_observations

    _, _, records = store
    late = pl.col("filed_date").dt.strftime("%Y-%m") == "2026-10"
    claims = records["dlw_ui_claims"].with_columns(  # October's payments, corrected: 30 days later
        pl.when(late).then(pl.col("days_to_payment") + 30).otherwise(pl.col("days_to_payment"))
        .alias("days_to_payment"))
    db = tmp_path / "state.duckdb"
    load_duckdb(db, {"claims": claims})
    _feeds_csv(demo_copy / "definitions", f"duckdb://{db}", "claims")
    ws = Workspace.open(demo_copy)
    before = load_observations(ws.engine, ["ui_paid_21_days", "ui_median_days"])

    result = CliRunner().invoke(app, ["refresh", "-w", str(demo_copy), "--feed", "dlw_ui_claims",
                                      "--months", "2026-10"])
    assert result.exit_code == 0, result.output
    assert "periods 2026-10." in result.output
    after = load_observations(ws.engine, ["ui_paid_21_days", "ui_median_days"])
    keys = ["kpi_id", "period", "region", "group"]
    joined = before.join(after, on=keys, suffix="_new")
    assert joined.height == before.height
    changed = joined.filter(pl.col("value") != pl.col("value_new"))
    assert set(changed["period"]) == {"2026-10"}
    oct_all = joined.filter(pl.col("period") == "2026-10", pl.col("region") == "all",
                            pl.col("group") == "all").sort("kpi_id")
    paid21, median = oct_all.rows(named=True)[1], oct_all.rows(named=True)[0]
    assert paid21["kpi_id"] == "ui_paid_21_days" and paid21["value_new"] < paid21["value"]
    assert median["value_new"] == median["value"] + 30  # every paid claim 30 days later
    expected = compute(ws.register, {}, [ws.register.kpis["ui_paid_21_days"]],
                       periods={"ui_paid_21_days": {"2026-10"}})
    got = after.filter(pl.col("kpi_id") == "ui_paid_21_days", pl.col("period") == "2026-10")
    same(expected.sort(keys), got.sort(keys).select(expected.columns))

    bad = CliRunner().invoke(app, ["refresh", "-w", str(demo_copy), "--feed", "dlw_ui_claims",
                                   "--months", "October"])
    assert bad.exit_code != 0 and "is not a list of months" in bad.output


def test_a_linked_kpi_needs_both_feeds_in_one_place(demo_copy: Path) -> None:
    folder = demo_copy / "definitions"
    df = pl.read_csv(folder / "feeds.csv", infer_schema=False)
    exits = pl.col("feed_id") == "dlw_training_exits"
    df.with_columns(pl.when(exits).then(pl.lit("duckdb:///srv/state.duckdb")).otherwise(pl.lit(""))
                    .alias("location"),
                    pl.when(exits).then(pl.lit("exits")).otherwise(pl.lit(""))
                    .alias("location_table")).write_csv(folder / "feeds.csv")
    register, issues = validate(folder)
    assert register is None
    [bad] = [i for i in issues if i.code == "definitions.bad_location"]
    assert bad.file == "kpis.csv" and bad.column == "link_feed"
    assert "'training_employment'" in bad.message and "'dlw_wages'" in bad.message
    assert "give both feeds the same location" in bad.message


@pytest.mark.parametrize(("url", "kind", "master"), [
    ("spark:local[*]", "spark", ("master", "local[*]")),
    ("spark://spark-master:7077", "spark", ("master", "spark://spark-master:7077")),
    ("sc://connect.data.state.gov:15002", "spark", ("remote", "sc://connect.data.state.gov:15002")),
    ("postgresql+psycopg://u@h:5432/db", "postgres", None),
    ("duckdb:///srv/state.duckdb", "duckdb", None),
])
def test_location_urls(url: str, kind: str, master: tuple[str, str] | None) -> None:
    from metrics.engine.location import spark_master

    loc = parse_location(url, "main.dlw.claims")
    assert loc.kind == kind
    if master is not None:
        assert spark_master(url) == master
    if kind == "postgres":
        assert loc.dsn == "postgresql://u@h:5432/db"
    if kind == "duckdb":
        assert loc.path == "/srv/state.duckdb"
