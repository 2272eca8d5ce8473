"""Benchmark: the engine's KPIs pushed down to PostgreSQL, Spark (local) and DuckDB, against Polars.

    python benchmarks/backends.py --rows 10000000 [--only postgres,spark,duckdb]

Generates the claims feed of ``benchmarks/engine.py`` (same KPIs: a count, a proportion,
a mean, the median of whole days and the median of a continuous value), then computes
the observations

- in Polars from the workspace store's Parquet file (StatDesk's default path);
- with each record-level feed located in an outside engine (``location`` in feeds.csv):
  a PostgreSQL server started here (the table loaded with COPY and ANALYZEd, as a
  maintained warehouse table is), a local Spark session (``local[2]``: the table is the
  Parquet file) and a DuckDB database file.

The engines receive the records as a warehouse holds them: no canonical month, region
and group columns; the pushed-down SQL derives them.  For each side it prints the median
of ``--repeat`` runs, split into ``query`` (the engine computing) and ``transfer`` (the
small answers arriving and becoming Polars frames) and ``rest`` (rollups, intervals and
statuses in Polars), checks that every side's observations equal Polars', and ends with
``<engine>_vs_polars=<ratio>`` lines.  Loading the data is not timed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.engine import claims_register, generate  # noqa: E402


def start_postgres(tmp: Path) -> tuple[str, list[str]]:
    """A throwaway server; returns its URL and the command that stops it."""
    from tests.pg import _as_postgres, _free_port, _run, pg_bin

    bindir = pg_bin()
    if bindir is None:
        sys.exit("PostgreSQL server binaries not found (apt-get install postgresql)")
    data = tmp / "pg"
    data.mkdir()
    if _as_postgres(["x"])[0] == "runuser":  # root: the server runs as user postgres
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
          "--no-sync"])
    _run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(data / "log"), "-w", "-t", "30",
          "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c fsync=off "
          "-c shared_buffers=512MB -c work_mem=256MB", "start"])
    _run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
          "bench"])
    stop = _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
    return f"postgresql://postgres@127.0.0.1:{port}/bench", stop


def load_postgres(url: str, records: object) -> None:
    import polars as pl
    import psycopg

    assert isinstance(records, pl.DataFrame)
    types = {pl.Int64: "bigint", pl.Float64: "double precision", pl.Boolean: "boolean",
             pl.Date: "date", pl.String: "text"}
    cols = ", ".join(f'"{c}" {types[type(t)]}' for c, t in records.schema.items())
    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE TABLE claims ({cols})")
        with conn.cursor().copy("COPY claims FROM STDIN (FORMAT csv)") as cp:
            for chunk in records.iter_slices(1_000_000):
                cp.write(chunk.write_csv(include_header=False))
        conn.execute("ANALYZE claims")


def main() -> None:
    import polars as pl
    from polars.testing import assert_frame_equal

    from metrics.engine import backends, compute

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="duckdb,postgres,spark")
    args = ap.parse_args()
    only = [s for s in args.only.split(",") if s]
    with tempfile.TemporaryDirectory(prefix="statdesk-bench-") as tmpname:
        tmp = Path(tmpname)
        if "postgres" in only:
            tmp.chmod(0o755)
        store = tmp / "claims.parquet"
        generate(store, args.rows)
        raw = tmp / "claims_raw.parquet"
        records = pl.read_parquet(store).drop("_month", "_region", "_group")
        records.write_parquet(raw, row_group_size=1_000_000)
        print(f"{args.rows:,} claims; KPIs: count, proportion, mean, median of whole days, "
              "median of a continuous value; four levels each", flush=True)
        stops: list[list[str]] = []
        locations: dict[str, tuple[str, str]] = {}
        try:
            for name in only:
                t0 = time.perf_counter()
                if name == "duckdb":
                    import duckdb

                    db = tmp / "state.duckdb"
                    con = duckdb.connect(str(db))
                    con.execute(f"CREATE TABLE claims AS SELECT * FROM read_parquet('{raw}')")
                    con.close()
                    locations[name] = (f"duckdb://{db}", "claims")
                elif name == "postgres":
                    url, stop = start_postgres(tmp)
                    stops.append(stop)
                    load_postgres(url, records)
                    locations[name] = (url, "claims")
                elif name == "spark":
                    url = "spark:local[2]"
                    spark = backends.spark_session(url)
                    spark.read.parquet(str(raw)).createOrReplaceTempView("claims")
                    locations[name] = (url, "claims")
                print(f"{name}: loaded in {time.perf_counter() - t0:.1f} s (not timed below)",
                      flush=True)
            del records
            base = claims_register()
            runs: dict[str, list[dict[str, float]]] = {"polars": [], **{n: [] for n in only}}
            results: dict[str, pl.DataFrame] = {}
            for _ in range(args.repeat):
                for name in ["polars", *only]:
                    backends.reset_timings()
                    t0 = time.perf_counter()
                    if name == "polars":
                        obs = compute(base, {"claims": [str(store)]})  # type: ignore[arg-type]
                    else:
                        url, table = locations[name]
                        reg = claims_register(url, table)
                        obs = compute(reg, {})  # type: ignore[arg-type]
                    total = time.perf_counter() - t0
                    q, tr = backends.TIMINGS["query"], backends.TIMINGS["transfer"]
                    runs[name].append({"total": total, "query": q, "transfer": tr,
                                       "rest": total - q - tr})
                    results[name] = obs
                    print(f"  {name}: {total:.2f} s", flush=True)
            for name in only:
                assert_frame_equal(results["polars"], results[name], check_exact=False,
                                   rel_tol=1e-9, abs_tol=1e-9)
            print(f"every engine's observations equal Polars' ({results['polars'].height} "
                  "observations; rel. tol 1e-9)")
            print(f"{'side':9} {'total s':>8} {'query s':>8} {'transfer s':>10} {'rest s':>7}  runs")
            med = {}
            for name, rs in runs.items():
                m = {k: statistics.median(r[k] for r in rs) for k in ("total", "query",
                                                                       "transfer", "rest")}
                med[name] = m
                each = ", ".join(f"{r['total']:.2f}" for r in rs)
                print(f"{name:9} {m['total']:8.2f} {m['query']:8.2f} {m['transfer']:10.3f} "
                      f"{m['rest']:7.2f}  {each}")
            print(" ".join(f"{n}_vs_polars={med[n]['total'] / med['polars']['total']:.2f}"
                           for n in only))
        finally:
            for name in only:
                if name == "spark":
                    backends.stop_spark(locations.get(name, ("spark:local[2]", ""))[0])
            for stop in stops:
                subprocess.run(stop, capture_output=True, timeout=60)


if __name__ == "__main__":
    main()
