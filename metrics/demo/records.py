"""The demo state's record-level feeds: unemployment claims, training exits, wages."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import polars as pl

from metrics.groups import GROUP_CODES

from .spec import REGIONS

G = len(GROUP_CODES)


def _month_end(m: date) -> date:
    return (date(m.year + m.month // 12, m.month % 12 + 1, 1) - timedelta(days=1))


def record_claims(months: list[date], pop: np.ndarray, rng: np.random.Generator, n_total: int
                   ) -> pl.DataFrame:
    share = (pop / pop.sum()).ravel()
    per_month = n_total // len(months)
    frames = []
    claim0 = 1
    dgf = np.array([1.25, 0.95, 1.2, 1.15, 1.1, 1.15, 0.92, 1.0, 1.05])  # slower for some groups
    for i, m in enumerate(months):
        season = 1 + 0.25 * math.cos(2 * math.pi * (m.month - 1) / 12)
        n = int(per_month * season)
        cell = rng.choice(len(share), size=n, p=share)
        r, g = cell // G, cell % G
        days_in = (_month_end(m) - m).days + 1
        filed = np.datetime64(m) + rng.integers(0, days_in, n).astype("timedelta64[D]")
        paid = rng.random(n) < 0.82
        mean_days = 19.5 * (0.985 ** i) * dgf[g] * (1 + 0.05 * (r % 3))
        days = np.round(rng.gamma(4.0, mean_days / 4.0)).astype(np.int64)
        benefit = np.round(rng.normal(420 + 2.0 * i, 85, n).clip(120, 900), 2)
        frames.append(pl.DataFrame({
            "claim_id": np.arange(claim0, claim0 + n, dtype=np.int64),
            "person_id": rng.integers(1, 900_000, n),
            "filed_date": filed, "region": np.array([x[0] for x in REGIONS])[r],
            "race_ethnicity": np.array(GROUP_CODES)[g], "paid": paid,
            "days_to_payment": np.where(paid, days, -1), "weekly_benefit": np.where(paid, benefit, np.nan),
        }))
        claim0 += n
    df = pl.concat(frames).with_columns(
        pl.format("P{}", pl.col("person_id").cast(pl.String).str.zfill(7)).alias("person_id"),
        pl.col("filed_date").cast(pl.Date),
        pl.when(pl.col("paid")).then(pl.col("days_to_payment")).alias("days_to_payment"),
        pl.col("weekly_benefit").fill_nan(None))
    return df


def record_training(months: list[date], pop: np.ndarray, rng: np.random.Generator, last: date
                     ) -> tuple[pl.DataFrame, pl.DataFrame]:
    share = (pop / pop.sum()).ravel()
    egf = np.array([0.78, 1.05, 0.86, 0.95, 0.92, 0.88, 1.04, 0.97, 0.9])
    exits, wages = [], []
    pid = 1_000_000
    for i, m in enumerate(months):
        n = 2600
        cell = rng.choice(len(share), size=n, p=share)
        r, g = cell // G, cell % G
        exit_d = np.datetime64(m) + rng.integers(0, 28, n).astype("timedelta64[D]")
        completed = rng.random(n) < 0.74
        ids = np.arange(pid, pid + n)
        pid += n
        exits.append(pl.DataFrame({
            "person_id": ids, "exit_date": exit_d,
            "program": rng.choice(["adult", "dislocated worker", "youth", "apprenticeship"], n),
            "completed": completed, "region": np.array([x[0] for x in REGIONS])[r],
            "race_ethnicity": np.array(GROUP_CODES)[g]}))
        p_emp = np.clip(0.64 * (1.006 ** i) * egf[g], 0, 0.97)
        employed = rng.random(n) < p_emp
        k = rng.integers(1, 4, n) * employed
        rep = np.repeat(np.arange(n), k)
        wd = exit_d[rep] + rng.integers(15, 175, rep.size).astype("timedelta64[D]")
        wages.append(pl.DataFrame({
            "person_id": ids[rep], "wage_date": wd,
            "wages": np.round(rng.gamma(3, 2600, rep.size), 2),
            "region": np.array([x[0] for x in REGIONS])[r[rep]],
            "race_ethnicity": np.array(GROUP_CODES)[g[rep]]}))
    # people in the wage system who never trained
    nb = 420_000
    cell = rng.choice(len(share), size=nb, p=share)
    span = (np.datetime64(_month_end(months[-1])) - np.datetime64(months[0])).astype(int)
    wages.append(pl.DataFrame({
        "person_id": rng.integers(2_000_000, 2_300_000, nb),
        "wage_date": np.datetime64(months[0]) + rng.integers(0, span, nb).astype("timedelta64[D]"),
        "wages": np.round(rng.gamma(3, 3000, nb), 2),
        "region": np.array([x[0] for x in REGIONS])[cell // G],
        "race_ethnicity": np.array(GROUP_CODES)[cell % G]}))
    fix = [pl.format("P{}", pl.col("person_id").cast(pl.String).str.zfill(7)).alias("person_id")]
    e = pl.concat(exits).with_columns(*fix, pl.col("exit_date").cast(pl.Date))
    w = (pl.concat(wages).with_columns(*fix, pl.col("wage_date").cast(pl.Date))
         .filter(pl.col("wage_date") <= last).unique(["person_id", "wage_date"]).sort("wage_date"))
    return e, w


