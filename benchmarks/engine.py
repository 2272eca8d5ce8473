"""Benchmark: StatDesk's engine against DuckDB and pandas on one record-level feed.

    python benchmarks/engine.py --rows 10000000

Generates a record-level feed of N rows shaped like the demo state's unemployment
claims (date, region, race and ethnicity, paid, days to payment, weekly benefit),
then computes the same KPI observations three ways, each in its own process so
that peak memory is its own:

- StatDesk: ``metrics.engine.compute`` (Polars, lazy, streaming);
- DuckDB: one hand-written SQL query with GROUPING SETS (``median`` is exact);
- pandas: group-bys per level.

Every side reads the same stored file and groups on the same stored columns: the
canonical month, region and group that ingest writes (``_month``, ``_region``,
``_group``); none derives a key per row inside the timed run.  Month labels are written
on the small result.

KPIs, at month x region x group with region totals, group totals and statewide:
claims filed (count), share of paid claims first paid within 21 days (proportion),
average weekly benefit (mean), median days to first payment (median of whole days),
and median weekly benefit (median of a continuous value, in cents).
It checks that the three agree, prints wall time and peak memory of each, and ends
with ``engine_vs_duckdb=<ratio> engine_vs_pandas=<ratio> memory_vs_duckdb=<ratio>``
(medians of the runs; below 1 means StatDesk is faster or smaller).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGIONS = [f"R{i:02d}" for i in range(1, 11)]
GROUPS = ["aian", "asian", "black", "hispanic", "mena", "nhpi", "white", "multiracial", "unknown"]
KEYS = ["kpi_id", "month", "region", "group"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-11-01")
    days = rng.integers(0, 1096, rows).astype("timedelta64[D]")
    region = rng.choice(len(REGIONS), rows, p=np.array([30, 17, 6, 3, 10, 12, 1, 4, 7, 10]) / 100)
    group = rng.choice(len(GROUPS), rows, p=np.array([2, 5, 12, 18, 2, 0.4, 54, 4, 2.6]) / 100)
    paid = rng.random(rows) < 0.82
    dtp = np.round(rng.gamma(4.0, 4.5 * (1 + 0.05 * group), rows)).astype(np.int64)
    df = pl.DataFrame({
        "claim_id": np.arange(rows, dtype=np.int64),
        "filed_date": start + days,
        "region": np.array(REGIONS)[region], "race_ethnicity": np.array(GROUPS)[group],
        "paid": paid, "days_to_payment": np.where(paid, dtp, -1),
        "weekly_benefit": np.round(rng.normal(430, 90, rows).clip(120, 900), 2),
    }).with_columns(
        pl.col("filed_date").cast(pl.Date),
        pl.when(pl.col("paid")).then(pl.col("days_to_payment")).alias("days_to_payment"),
        pl.when(pl.col("paid")).then(pl.col("weekly_benefit")).alias("weekly_benefit"),
    )
    # the stored form of an ingested record-level feed: canonical month, region, group
    df = df.with_columns(pl.col("filed_date").dt.truncate("1mo").alias("_month"),
                         pl.col("region").cast(pl.Enum(REGIONS)).alias("_region"),
                         pl.col("race_ethnicity").cast(pl.Enum(GROUPS)).alias("_group"))
    df.write_parquet(path, row_group_size=1_000_000)


# --- the three sides -------------------------------------------------------------------

def claims_register(location: str = "", table: str = "") -> object:
    """The five KPIs over the claims feed (its records at ``location`` when given)."""
    from metrics.definitions.models import Feed, FeedColumn, Goal, Kpi, Priority, Region, Register

    cols = tuple(FeedColumn(n, t) for n, t in [
        ("claim_id", "int"), ("filed_date", "date"), ("region", "string"),
        ("race_ethnicity", "string"), ("paid", "bool"), ("days_to_payment", "int"),
        ("weekly_benefit", "float")])
    feed = Feed(feed_id="claims", name="claims", agency_id="dlw", kind="record",
                period_column="filed_date", region_column="region", group_column="race_ethnicity",
                columns=cols, location=location, location_table=table)
    common = dict(goal_id="g", agency_id="dlw", direction="higher", grain="month", feed_id="claims")
    kpis = {
        "claims": Kpi(kpi_id="claims", name="Claims", measure="count", unit="claims", **common),
        "paid21": Kpi(kpi_id="paid21", name="Paid in 21 days", measure="proportion", unit="%",
                      multiplier=100, filter="paid", numerator="days_to_payment <= 21", **common),
        "benefit": Kpi(kpi_id="benefit", name="Weekly benefit", measure="mean", unit="$",
                       filter="paid", value="weekly_benefit", **common),
        "median_days": Kpi(kpi_id="median_days", name="Median days", measure="median",
                           unit="days", filter="paid", value="days_to_payment", **common),
        "median_benefit": Kpi(kpi_id="median_benefit", name="Median weekly benefit",
                              measure="median", unit="$", filter="paid", value="weekly_benefit",
                              **common),
    }
    return Register(agencies={}, regions={r: Region(r, r) for r in REGIONS},
                    priorities={"p": Priority("p", "p")}, goals={"g": Goal("g", "p", "g")},
                    kpis=kpis, feeds={"claims": feed})


def side_statdesk(data: Path) -> object:
    import polars as pl

    from metrics.engine import compute

    obs = compute(claims_register(), {"claims": [str(data)]})  # type: ignore[arg-type]
    return obs.select("kpi_id", pl.col("period").alias("month"), "region", "group",
                      "numerator", "denominator", "value")


DUCKDB_SQL = """
WITH base AS (
  SELECT _month AS m, _region AS region, _group AS grp, paid, days_to_payment, weekly_benefit
  FROM read_parquet('{path}')
),
agg0 AS (
  SELECT m, region, grp,
         count(*)::DOUBLE AS claims,
         count(*) FILTER (WHERE paid)::DOUBLE AS paid_n,
         count(*) FILTER (WHERE paid AND days_to_payment <= 21)::DOUBLE AS paid21,
         sum(weekly_benefit) FILTER (WHERE paid) AS benefit_sum,
         count(weekly_benefit) FILTER (WHERE paid)::DOUBLE AS benefit_n,
         median(days_to_payment) FILTER (WHERE paid) AS median_days,
         count(days_to_payment) FILTER (WHERE paid)::DOUBLE AS days_n,
         median(weekly_benefit) FILTER (WHERE paid) AS median_benefit
  FROM base
  GROUP BY GROUPING SETS ((m, region, grp), (m, region), (m, grp), (m))
),
agg AS (
  SELECT strftime(m, '%Y-%m') AS month, coalesce(region::VARCHAR, 'all') AS region,
         coalesce(grp::VARCHAR, 'all') AS "group", * EXCLUDE (m, region, grp)
  FROM agg0
)
SELECT 'claims' AS kpi_id, month, region, "group", claims AS numerator,
       NULL::DOUBLE AS denominator, claims AS value FROM agg
UNION ALL
SELECT 'paid21', month, region, "group", paid21, paid_n, paid21 / paid_n * 100 FROM agg
UNION ALL
SELECT 'benefit', month, region, "group", benefit_sum, benefit_n, benefit_sum / benefit_n FROM agg
UNION ALL
SELECT 'median_days', month, region, "group", NULL, days_n, median_days FROM agg
UNION ALL
SELECT 'median_benefit', month, region, "group", NULL, benefit_n, median_benefit FROM agg
"""


def side_duckdb(data: Path) -> object:
    import duckdb

    con = duckdb.connect()
    return con.sql(DUCKDB_SQL.format(path=str(data))).pl()


def side_pandas(data: Path) -> object:
    import numpy as np
    import pandas as pd
    import polars as pl

    df = pd.read_parquet(data, columns=["_month", "_region", "_group", "paid",
                                        "days_to_payment", "weekly_benefit"])
    df = df.rename(columns={"_month": "month", "_region": "region", "_group": "race_ethnicity"})
    df["paid21"] = df["paid"] & (df["days_to_payment"] <= 21)
    paid = df[df["paid"]]
    out = []
    for keys in (["month", "region", "race_ethnicity"], ["month", "region"],
                 ["month", "race_ethnicity"], ["month"]):
        a = df.groupby(keys, observed=True).agg(claims=("paid", "size"), paid21=("paid21", "sum"))
        b = paid.groupby(keys, observed=True).agg(paid_n=("paid", "size"), benefit_sum=("weekly_benefit", "sum"),
                                   benefit_n=("weekly_benefit", "count"),
                                   median_days=("days_to_payment", "median"),
                                   days_n=("days_to_payment", "count"),
                                   median_benefit=("weekly_benefit", "median"))
        t = a.join(b, how="left").reset_index()
        t["month"] = pd.to_datetime(t["month"]).dt.strftime("%Y-%m")  # labels on the result
        for k in ("region", "race_ethnicity"):
            if k in keys:
                t[k] = t[k].astype(str)
        if "region" not in keys:
            t["region"] = "all"
        if "race_ethnicity" not in keys:
            t["race_ethnicity"] = "all"
        out.append(t)
    t = pd.concat(out, ignore_index=True).rename(columns={"race_ethnicity": "group"})
    rows = []
    for kpi, num, den, val in (
        ("claims", t["claims"], np.nan, t["claims"]),
        ("paid21", t["paid21"], t["paid_n"], t["paid21"] / t["paid_n"] * 100),
        ("benefit", t["benefit_sum"], t["benefit_n"], t["benefit_sum"] / t["benefit_n"]),
        ("median_days", np.nan, t["days_n"], t["median_days"]),
        ("median_benefit", np.nan, t["benefit_n"], t["median_benefit"]),
    ):
        rows.append(pd.DataFrame({"kpi_id": kpi, "month": t["month"], "region": t["region"],
                                  "group": t["group"], "numerator": num, "denominator": den,
                                  "value": val}))
    res = pd.concat(rows, ignore_index=True)
    return pl.from_pandas(res)


SIDES = {"statdesk": side_statdesk, "duckdb": side_duckdb, "pandas": side_pandas}


def peak_mib() -> float:
    """Peak resident memory of this process in MiB.

    VmHWM belongs to the process's own address space, so unlike ``ru_maxrss`` it does not
    carry the parent's size over the fork that started this process.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_side(name: str, data: Path, out: Path) -> None:
    """Child process: compute, write the result, print time and peak memory as JSON.

    Libraries are imported before the clock starts: the figure is the computation.
    """
    for mod in {"statdesk": ("polars", "metrics.engine"), "duckdb": ("duckdb", "polars"),
                "pandas": ("pandas", "polars", "pyarrow")}[name]:
        __import__(mod)
    t0 = time.perf_counter()
    res = SIDES[name](data)
    elapsed = time.perf_counter() - t0
    res.write_parquet(out)  # type: ignore[attr-defined]
    peak = peak_mib()
    print(json.dumps({"side": name, "seconds": elapsed, "peak_mib": peak}))


def child(name: str, data: Path, out: Path) -> dict:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, __file__, "--side", name, "--data", str(data),
                        "--out", str(out)], capture_output=True, text=True, check=True)
    res = json.loads(p.stdout.strip().splitlines()[-1])
    res["process_seconds"] = time.perf_counter() - t0
    return res


def check_agree(paths: dict[str, Path]) -> None:
    import polars as pl
    from polars.testing import assert_frame_equal

    def norm(p: Path) -> pl.DataFrame:
        df = pl.read_parquet(p).with_columns(
            pl.col("month").cast(pl.String), pl.col("region").cast(pl.String),
            pl.col("group").cast(pl.String),
            *[pl.col(c).cast(pl.Float64).fill_nan(None) for c in ("numerator", "denominator", "value")])
        # a cell with no values to summarise (e.g. no paid claims) may be absent or empty
        return (df.select(*KEYS, "numerator", "denominator", "value")
                .filter(pl.col("value").is_not_null()).sort(KEYS))

    ref = norm(paths["statdesk"])
    for name in ("duckdb", "pandas"):
        assert_frame_equal(ref, norm(paths[name]), check_exact=False, rel_tol=1e-9, abs_tol=1e-6)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each side (median reported)")
    ap.add_argument("--side", choices=list(SIDES))
    ap.add_argument("--data", type=Path)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if args.side:
        run_side(args.side, args.data, args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "claims.parquet"
        t0 = time.perf_counter()
        generate(data, args.rows)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s "
              f"({data.stat().st_size / 2**20:.0f} MiB Parquet)")
        results: dict[str, list[dict]] = {s: [] for s in SIDES}
        outs = {s: Path(tmp) / f"{s}.parquet" for s in SIDES}
        for _ in range(args.repeat):  # interleaved, so that machine noise hits every side
            for s in SIDES:
                results[s].append(child(s, data, outs[s]))
        check_agree(outs)
        print("all three agree (numerators, denominators, values; rel. tol 1e-9)")
        med = {s: statistics.median(r["seconds"] for r in results[s]) for s in SIDES}
        mem = {s: statistics.median(r["peak_mib"] for r in results[s]) for s in SIDES}
        print(f"{'side':10} {'median s':>9} {'runs':>28} {'peak MiB':>9}")
        for s in SIDES:
            runs = ", ".join(f"{r['seconds']:.2f}" for r in results[s])
            print(f"{s:10} {med[s]:9.2f} {runs:>28} {mem[s]:9.0f}")
        print(f"memory: statdesk/pandas={mem['statdesk'] / mem['pandas']:.2f}")
        print(f"engine_vs_duckdb={med['statdesk'] / med['duckdb']:.2f} "
              f"engine_vs_pandas={med['statdesk'] / med['pandas']:.2f} "
              f"memory_vs_duckdb={mem['statdesk'] / mem['duckdb']:.2f}")


if __name__ == "__main__":
    main()
