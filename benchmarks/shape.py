"""Benchmark: reading a wide, cumulative agency file through its declared shape.

    python benchmarks/shape.py --regions 500 --reports 200 --repeat 5

Generates a file shaped like the COVID Racial Data Tracker (one row per region per report
date, twice a week, cumulative counts, ``Cases_<group>`` / ``Deaths_<group>`` columns and
``Cases_Total``, dates as ``YYYYMMDD``), then checks it two ways, in the same process,
interleaved, median of ``--repeat`` runs:

- shaped: :func:`metrics.ingest.shape.check_shaped`, the file as the agency sent it, read
  through ``feed_shapes.csv`` (notes, dates, last report of each month, wide to long,
  the file's total) and then the contract's checks;
- peer: the same file turned long by a hand-written Polars script (what an analyst had to
  write before feed shapes existed) and written to CSV, then the contract's checks alone
  on that long file (``read_feed_file`` + ``check_feed``); the script's own time is counted.

Both must accept the same rows.  Ends with ``shaped_vs_script=<ratio>`` (time ratio;
below 1 means the declared shape is faster than script + plain ingest).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SUFFIXES = {"White": "white", "Black": "black", "Latinx": "hispanic", "Asian": "asian",
            "AIAN": "aian", "NHPI": "nhpi", "Multiracial": "multiracial", "Unknown": "unknown"}


def make_file(path: Path, regions: int, reports: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    dates = [date(2020, 4, 12) + timedelta(days=3 * i + (i % 2)) for i in range(reports)]
    n = regions * reports
    cols: dict[str, object] = {
        "Date": np.repeat([int(d.strftime("%Y%m%d")) for d in dates], regions),
        "State": np.tile([f"S{i:04d}" for i in range(regions)], reports),
    }
    step = np.repeat(np.arange(1, reports + 1), regions)
    total_c = np.zeros(n, dtype=np.int64)
    total_d = np.zeros(n, dtype=np.int64)
    for s in SUFFIXES:
        base = rng.integers(50, 500, size=regions)
        c = np.tile(base, reports) * step
        d = (c * np.tile(rng.uniform(0.005, 0.03, size=regions), reports)).astype(np.int64)
        c = c - (rng.random(n) < 0.001) * (c // 100)  # a few revised (falling) counts, as in CRDT
        cols[f"Cases_{s}"], cols[f"Deaths_{s}"] = c, d
        total_c += c
        total_d += d
    cols["Cases_Other"] = total_c // 20
    cols["Deaths_Other"] = total_d // 20
    cols["Cases_Total"] = total_c + cols["Cases_Other"]  # type: ignore[operator]
    cols["Deaths_Total"] = total_d + cols["Deaths_Other"]  # type: ignore[operator]
    pl.DataFrame(cols).write_csv(path)


def definitions(folder: Path, regions: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"S{i:04d}" for i in range(regions)]
    files = {
        "agencies": "agency_id,name\na,Agency\n",
        "regions": "region_id,name\n" + "".join(f"{r},{r}\n" for r in ids),
        "priorities": "priority_id,name\np,P\n",
        "goals": "goal_id,priority_id,name\ng,p,G\n",
        "feeds": ("feed_id,name,agency_id,kind,period_column,period_grain,region_column,"
                  "group_column,numerator_column,denominator_column\n"
                  "wide,Wide,a,aggregate,Date,month,State,race,Deaths,Cases\n"
                  "long,Long,a,aggregate,period,month,State,race,Deaths,Cases\n"),
        "feed_columns": ("feed_id,column,type,required,min\n"
                         "wide,Date,string,yes,\nwide,State,string,yes,\nwide,race,string,no,\n"
                         "wide,Cases,int,no,0\nwide,Deaths,int,no,0\n"
                         "long,period,string,yes,\nlong,State,string,yes,\nlong,race,string,yes,\n"
                         "long,Cases,int,yes,0\nlong,Deaths,int,yes,0\n"),
        "feed_shapes": ("feed_id,period_format,reports,wide_measures,wide_into,total_code\n"
                        "wide,%Y%m%d,cumulative,Cases;Deaths,race,Total\n"),
        "code_maps": "feed_id,column,from_value,to_value\n" + "".join(
            f"{f},race,{s},{c}\n" for f in ("wide", "long") for s, c in SUFFIXES.items()),
        "kpis": ("kpi_id,name,goal_id,agency_id,measure,direction,feed_id,total_from\n"
                 "k,K,g,a,proportion,lower,wide,file\n"),
    }
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text)


def script(wide: Path, out: Path) -> None:
    """The hand-written reshaping an analyst needed before feed shapes (groups only)."""
    df = pl.read_csv(wide, infer_schema=False)
    d = pl.col("Date").str.to_date("%Y%m%d")
    df = (df.with_columns(d.alias("_d"), d.dt.strftime("%Y-%m").alias("period"))
          .filter(pl.col("_d") == pl.col("_d").max().over("State", "period")))
    parts = [df.select("period", "State", pl.lit(s).alias("race"),
                       pl.col(f"Cases_{s}").alias("Cases"), pl.col(f"Deaths_{s}").alias("Deaths"))
             for s in SUFFIXES]
    pl.concat(parts).write_csv(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--regions", type=int, default=500)
    ap.add_argument("--reports", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    from metrics.definitions import load_register
    from metrics.ingest.shape import check_shaped
    from metrics.ingest.validate import check_feed, read_feed_file

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        wide = t / "wide.csv"
        make_file(wide, a.regions, a.reports)
        definitions(t / "definitions", a.regions)
        reg = load_register(t / "definitions")
        today = date(2030, 1, 1)
        shaped_t, peer_t = [], []
        for _ in range(a.repeat):
            s0 = time.perf_counter()
            acc, err, _, _, notes = check_shaped(wide, reg.feeds["wide"], reg, received_on=today)
            shaped_t.append(time.perf_counter() - s0)
            p0 = time.perf_counter()
            script(wide, t / "long.csv")
            raw = read_feed_file(t / "long.csv")
            acc2, err2 = check_feed(raw, reg.feeds["long"], reg, received_on=today)
            peer_t.append(time.perf_counter() - p0)
        groups = acc.filter(~pl.col("_shape_total"))
        assert groups.height == acc2.height and err.height == err2.height == 0, \
            (groups.height, acc2.height, err.height, err2.height)
        cols = ["_month", "_region", "_group", "Cases", "Deaths"]
        assert groups.select(cols).sort(cols[:3]).equals(acc2.select(cols).sort(cols[:3]))
    rows = a.regions * a.reports
    sm, pm = statistics.median(shaped_t), statistics.median(peer_t)
    print(f"file: {rows:,} rows x {4 + 2 * len(SUFFIXES) + 2} columns "
          f"({a.regions} regions x {a.reports} reports); accepted {acc.height:,} long rows "
          f"({groups.height:,} groups + {acc.height - groups.height:,} file totals)")
    print("\n".join(n for n in notes if not n.startswith("  ")))
    print(f"shaped (feed_shapes.csv + checks): median {sm:.3f} s of {a.repeat}")
    print(f"peer (Polars script + CSV + checks): median {pm:.3f} s of {a.repeat}")
    print(f"shaped_vs_script={sm / pm:.2f}")


if __name__ == "__main__":
    main()
