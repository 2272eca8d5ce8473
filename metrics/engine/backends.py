"""Run SQL in the engine that holds a feed's records, and bring the result back as Polars.

Each engine's driver is imported only when a feed located there is computed: the
workspace store needs none of them (``pip install statdesk[spark]`` adds PySpark and
SQLGlot; DuckDB and psycopg come with StatDesk's other extras).

Every call records how long the engine took to answer (``query``) and how long the
answer took to arrive and become a Polars frame (``transfer``) in :data:`TIMINGS`.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl

from .location import Location, spark_master

TIMINGS: dict[str, float] = {"query": 0.0, "transfer": 0.0, "queries": 0.0}
_SPARK: dict[str, Any] = {}
_LOCK = threading.Lock()

# PostgreSQL type names -> Polars types (what StatDesk's expressions need to know)
_PG_TYPES: dict[str, pl.DataType] = {
    "int2": pl.Int64(), "int4": pl.Int64(), "int8": pl.Int64(), "float4": pl.Float64(),
    "float8": pl.Float64(), "numeric": pl.Float64(), "bool": pl.Boolean(), "date": pl.Date(),
    "timestamp": pl.Datetime(), "timestamptz": pl.Datetime(time_zone="UTC"),
    "text": pl.String(), "varchar": pl.String(), "bpchar": pl.String(), "name": pl.String(),
}


class BackendUnavailable(RuntimeError):
    """The engine's driver is not installed, or the engine cannot be reached."""


def reset_timings() -> None:
    for k in TIMINGS:
        TIMINGS[k] = 0.0


def _need(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise BackendUnavailable(f"the '{module}' package is needed to read this feed's records "
                                 f"and is not installed; pip install 'statdesk[{extra}]'") from exc


def spark_session(url: str) -> Any:
    """One Spark session per location URL for the life of the process (Spark allows one)."""
    with _LOCK:
        if url in _SPARK:
            return _SPARK[url]
        sql = _need("pyspark.sql", "spark")
        how, target = spark_master(url)
        builder = sql.SparkSession.builder.appName("statdesk")
        if how == "remote":
            builder = builder.remote(target)
        else:
            builder = (builder.master(target).config("spark.ui.enabled", "false")
                       .config("spark.sql.session.timeZone", "UTC"))
            if target.startswith("local"):  # one machine: few shuffle partitions
                builder = builder.config("spark.sql.shuffle.partitions", "4")
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # noqa: BLE001 - Java missing, cluster unreachable
            raise BackendUnavailable(f"cannot start or reach Spark at '{url}': "
                                     f"{str(exc).splitlines()[0][:200]}") from exc
        _SPARK[url] = session
        return session


def stop_spark(url: str) -> None:
    """Stop the session this process started for ``url`` (if any)."""
    with _LOCK:
        session = _SPARK.pop(url, None)
    if session is not None:
        session.stop()


@contextmanager
def _duckdb(loc: Location) -> Iterator[Any]:
    duckdb = _need("duckdb", "spark")
    try:
        con = duckdb.connect(loc.path, read_only=True)
    except Exception as exc:  # noqa: BLE001
        raise BackendUnavailable(f"cannot open the DuckDB database '{loc.path}': {exc}") from exc
    try:
        yield con
    finally:
        con.close()


@contextmanager
def _postgres(loc: Location) -> Iterator[Any]:
    psycopg = _need("psycopg", "spark")
    try:
        conn = psycopg.connect(loc.dsn, connect_timeout=10)
    except Exception as exc:  # noqa: BLE001
        raise BackendUnavailable(f"cannot connect to PostgreSQL at '{loc.url}': "
                                 f"{str(exc).strip().splitlines()[0][:200]}") from exc
    try:
        yield conn
    finally:
        conn.close()


def _pg_frame(cur: Any) -> pl.DataFrame:
    names = [d.name for d in cur.description]
    types = []
    for d in cur.description:
        info = cur.connection.adapters.types.get(d.type_code)
        types.append(_PG_TYPES.get(info.name if info else "", pl.String()))
    rows = cur.fetchall()
    return pl.DataFrame(rows, schema=dict(zip(names, types, strict=True)), orient="row")


def run(loc: Location, sql: str) -> pl.DataFrame:
    """The result of ``sql`` (already in the engine's dialect) as a Polars frame."""
    TIMINGS["queries"] += 1
    if loc.kind == "duckdb":
        with _duckdb(loc) as con:
            t0 = time.perf_counter()
            rel = con.execute(sql)
            t1 = time.perf_counter()
            with warnings.catch_warnings():  # the answer is small: one copy does no harm
                warnings.simplefilter("ignore", UserWarning)
                out = pl.from_arrow(rel.to_arrow_table())  # type: ignore[assignment]
    elif loc.kind == "postgres":
        with _postgres(loc) as conn, conn.cursor() as cur:
            t0 = time.perf_counter()
            cur.execute(sql)  # the server has answered: rows are on their way
            t1 = time.perf_counter()
            out = _pg_frame(cur)
    else:
        spark = spark_session(loc.url)
        t0 = time.perf_counter()
        df = spark.sql(sql)
        df = df.localCheckpoint(eager=True) if hasattr(df, "localCheckpoint") else df
        t1 = time.perf_counter()  # computed and held by the executors
        out = pl.from_arrow(df.toArrow())  # type: ignore[assignment]
    assert isinstance(out, pl.DataFrame)
    TIMINGS["query"] += t1 - t0
    TIMINGS["transfer"] += time.perf_counter() - t1
    return out


def table_schema(loc: Location) -> dict[str, pl.DataType]:
    """The table's columns and their types, as Polars types."""
    sql = f"SELECT * FROM {quote_table(loc)} LIMIT 0"
    if loc.kind == "postgres":
        with _postgres(loc) as conn, conn.cursor() as cur:
            cur.execute(sql)
            return dict(_pg_frame(cur).schema)
    if loc.kind == "duckdb":
        with _duckdb(loc) as con:
            frame = pl.from_arrow(con.sql(sql).to_arrow_table())
            assert isinstance(frame, pl.DataFrame)
            return dict(frame.schema)
    df = spark_session(loc.url).sql(sql)
    frame = pl.from_arrow(df.toArrow())
    assert isinstance(frame, pl.DataFrame)
    return dict(frame.schema)


def quote_table(loc: Location) -> str:
    q = "`" if loc.kind == "spark" else '"'
    return ".".join(f"{q}{p}{q}" for p in loc.table.split("."))
