"""A seeded generator of the demo state: definitions, feed files, and their ingest.

``build_demo(workspace, as_of=..., seed=...)`` writes the register into
``definitions/``, the agencies' files into ``inbox/`` and then ingests every file
through the same path as real feeds (:func:`metrics.ingest.ingest`).  Aggregate
feeds arrive as a back-file plus monthly files; the Department of Labor and
Workforce sends record-level Parquet (over a million unemployment claims).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from metrics.groups import GROUP_CODES, GROUP_LABELS
from metrics.periods import parse_period, period_of_month

from .definitions import FEEDS, write_definitions
from .records import record_claims, record_training
from .spec import AGG_KPIS, RECORD_KPIS, REGIONS

N_MONTHS = 36
G = len(GROUP_CODES)
R = len(REGIONS)
DEN_PER_CAPITA = {  # denominator per person per month (or per period for annual feeds)
    "pop": 1 / 12, "births": 11.5 / 1000 / 12, "age2": 12.5 / 1000 / 12, "age5": 12.8 / 1000 / 12,
    "students": 0.16, "seniors": 0.012, "seniors_year": 0.012, "releases": 0.00035,
    "renters": 0.13, "snap_apps": 0.004, "cw_cases": 0.0006, "none": 1 / 12, "pit": 1.0,
}


@dataclass(frozen=True)
class DemoSummary:
    workspace: Path
    months: tuple[date, ...]
    batches: int
    rows_ingested: int
    record_rows: int


def _months(as_of: date) -> list[date]:
    y, m = as_of.year, as_of.month  # last closed month is the one before as_of's month
    idx = y * 12 + (m - 1) - 1
    first = idx - (N_MONTHS - 1)
    return [date(i // 12, i % 12 + 1, 1) for i in range(first, idx + 1)]


def _population() -> np.ndarray:
    """pop[r, g]"""
    out = np.zeros((R, G))
    for i, (_rid, _n, pop, _c, _r, mix) in enumerate(REGIONS):
        w = np.array(mix, dtype=float)
        out[i] = pop * w / w.sum()
    return out


def _region_factors(rng: np.random.Generator) -> np.ndarray:
    f = np.exp(rng.normal(0, 0.12, R))
    return f / f.mean()


def _seasonal(months: list[date], amp: float) -> np.ndarray:
    return np.array([1 + amp * math.cos(2 * math.pi * (m.month - 1) / 12) for m in months])


def _simulate_agg(kpi: dict, months: list[date], pop: np.ndarray, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray]:
    """numerator[t, r, g], denominator[t, r, g] (denominator zero for counts)."""
    t = np.array([(m.year - months[0].year) * 12 + m.month - months[0].month for m in months]) / 12.0
    trend = (1 + kpi["trend"]) ** t * _seasonal(months, kpi.get("seasonal", 0.05))
    gf = np.array(kpi["gf"], dtype=float)
    rf = _region_factors(rng)
    if kpi["den"] == "none":
        share = pop / pop.sum()
        lam = kpi["base"] * share[None] * gf[None, None] * rf[None, :, None] * trend[:, None, None]
        lam = lam / (share * gf[None] * rf[:, None]).sum() * 1.0
        den = rng.poisson(np.broadcast_to(pop / 12, (len(months), R, G))).astype(float)
        return rng.poisson(lam).astype(float), den
    per = DEN_PER_CAPITA[kpi["den"]]
    den = rng.poisson(np.broadcast_to(pop * per, (len(months), R, G))).astype(float)
    rel = gf[None, :] * rf[:, None]
    rel = rel / ((rel * pop).sum() / pop.sum())
    rate = kpi["base"] / kpi["mult"] * rel[None] * trend[:, None, None]
    if kpi["measure"] == "proportion":
        rate = np.clip(rate, 0.002, 0.995)
        num = rng.binomial(den.astype(np.int64), rate).astype(float)
    else:
        num = rng.poisson(den * rate).astype(float)
    return num, den


def _month_end(m: date) -> date:
    return (date(m.year + m.month // 12, m.month % 12 + 1, 1) - timedelta(days=1))


def _complete_periods(months: list[date], grain: str, fiscal_start: int = 7) -> list[str]:
    """Labels of periods of ``grain`` whose months all lie within ``months``."""
    labels: list[str] = []
    for m in months:
        lb = period_of_month(m, grain, fiscal_start=fiscal_start)
        p = parse_period(lb, fiscal_start=fiscal_start)
        if p.start >= months[0] and p.end <= _month_end(months[-1]) and lb not in labels:
            labels.append(lb)
    return labels


def _period_value(num: np.ndarray, den: np.ndarray, kpi: dict, months: list[date], label: str) -> float:
    p = parse_period(label)
    idx = [i for i, m in enumerate(months) if p.start <= m <= p.end]
    n = float(num[idx].sum())
    if kpi["measure"] == "count":
        return n * kpi["mult"]
    return n / float(den[idx].sum()) * kpi["mult"]


def _target(kpi: dict, values: dict[str, float], labels: list[str], as_of: date) -> dict | None:
    """A target designed to give the KPI its intended status."""
    if kpi["status"] == "none":
        return {"agreed": "no"}
    if kpi["grain"] == "month" and len(labels) >= 25:
        base_label = labels[-25]  # the same calendar month two years earlier (seasonality)
    else:
        base_label = labels[min(len(labels) - 1, max(0, len(labels) // 4 - 1))] if len(labels) > 3 else labels[0]
    cur_label = labels[-1]
    b, v = values[base_label], values[cur_label]
    bdate = parse_period(base_label).end
    cdate = parse_period(cur_label).end
    tdate = date(as_of.year + (1 if as_of.month >= 7 else 0), 6, 30)
    if tdate <= cdate:
        tdate = date(tdate.year + 1, 6, 30)
    frac = (cdate - bdate).days / (tdate - bdate).days
    sign = 1 if kpi["direction"] == "higher" else -1
    moved = (v - b) * sign
    want = {"on": 1.25, "risk": 0.95, "off": 0.55}.get(kpi["status"])
    if kpi["status"] == "met":
        target = b + 0.7 * (v - b) if moved > 0 else v - sign * 0.01 * abs(v)
    elif moved <= 0 or want is None:
        target = b * (1 + sign * 0.10)
    else:
        target = b + (v - b) / (want * frac)
    return {"baseline_value": round(b, 4), "baseline_period": base_label,
            "target_value": round(target, 4), "target_date": tdate.isoformat()}


# --- feeds -----------------------------------------------------------------------------

def _feed_months(fid: str, months: list[date]) -> list[date]:
    grain = FEEDS[fid][2]
    if grain == "month":
        return months
    labels = _complete_periods(months, grain)
    return [parse_period(lb).start for lb in labels]


def _feed_frame(fid: str, sims: dict[str, tuple[np.ndarray, np.ndarray]], fmonths: list[date]
                ) -> pl.DataFrame:
    grain = FEEDS[fid][2]
    labels_coding = FEEDS[fid][3] == "labels"
    parts = []
    t_idx, r_idx, g_idx = np.meshgrid(np.arange(len(fmonths)), np.arange(R), np.arange(G), indexing="ij")
    period = [period_of_month(m, grain) for m in fmonths]
    for kid, (num, den) in sims.items():
        k = AGG_KPIS[kid]
        df = pl.DataFrame({
            "period": np.array(period, dtype=object)[t_idx.ravel()].tolist(),
            "region": [REGIONS[i][0] for i in r_idx.ravel()],
            "race_ethnicity": [(GROUP_LABELS if labels_coding else dict(zip(GROUP_CODES, GROUP_CODES, strict=True)))[GROUP_CODES[i]] for i in g_idx.ravel()],
            "numerator": num.ravel().astype(np.int64),
            "denominator": np.round(den.ravel(), 2),
        })
        if k["indicator"]:
            df = df.with_columns(pl.lit(k["indicator"]).alias("indicator"))
        parts.append(df)
    out = pl.concat(parts, how="diagonal")
    cols = ["period", "region", "race_ethnicity"] + (["indicator"] if "indicator" in out.columns else []) \
        + ["numerator", "denominator"]
    return out.select(cols)


def _bad_rows(df: pl.DataFrame) -> pl.DataFrame:
    """Rows an agency really sends by mistake, for the quarantine."""
    first = df.head(1).to_dicts()[0]
    bad = []
    for change in ({"region": "R11"}, {"race_ethnicity": "Asian American"}, {"period": "2026-13"},
                   {"numerator": "n/a"}, {"numerator": "-4"}, {"numerator": "999999"},
                   {"denominator": ""}):
        row = {k: str(v) for k, v in first.items()}
        row.update(change)
        bad.append(row)
    dup = {k: str(v) for k, v in df.row(5, named=True).items()}
    return pl.concat([df.select(pl.all().cast(pl.String)), pl.DataFrame(bad + [dup])], how="vertical")


def _split_write(df: pl.DataFrame, date_col: str, fid: str, inbox: Path, months: list[date],
                 fmt: str) -> list[Path]:
    """A back-file of all but the last three months, then one file a month."""
    paths = []
    if date_col == "period":
        key = pl.col("period")
        labels = [period_of_month(m, FEEDS[fid][2]) for m in months]
        cut = labels[-3] if len(labels) > 3 else None
        groups = [("backfile", key < cut)] if cut else []
        groups += [(lb, key == lb) for lb in labels[-3:]]
    else:
        key = pl.col(date_col).dt.truncate("1mo")
        cut_m = months[-3]
        groups = [("backfile", key < cut_m)] + [(f"{m:%Y-%m}", key == m) for m in months[-3:]]
    for name, cond in groups:
        part = df.filter(cond)
        if part.height == 0:
            continue
        p = inbox / f"{fid}_{name}.{fmt}"
        if fmt == "csv":
            part.write_csv(p)
        else:
            part.write_parquet(p)
        paths.append(p)
    return paths


def build_demo(root: str | Path, *, as_of: date | None = None, seed: int = 20261125,
               claims: int = 1_050_000, progress=print,  # type: ignore[no-untyped-def]
               loop: bool = True) -> DemoSummary:
    """Generate the demo state into ``root`` and ingest every file; with ``loop``, add the
    month-to-month loop (users, two past stat sessions, commitments, annotations)."""
    from metrics.ingest import ingest
    from metrics.workspace import Workspace

    as_of = as_of or date.today()
    root = Path(root)
    months = _months(as_of)
    rng = np.random.default_rng(seed)
    pop = _population()
    inbox = root / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    targets: list[dict] = []
    by_feed: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    fmonths_of: dict[str, list[date]] = {}
    for kid, k in AGG_KPIS.items():
        fm = _feed_months(k["feed"], months)
        fmonths_of[k["feed"]] = fm
        num, den = _simulate_agg(k, fm, pop, rng)
        by_feed.setdefault(k["feed"], {})[kid] = (num, den)
        labels = _complete_periods(fm if FEEDS[k["feed"]][2] == "month" else months, k["grain"])
        labels = [lb for lb in labels if any(parse_period(lb).start <= m <= parse_period(lb).end for m in fm)]
        values = {lb: _period_value(num, den, k, fm, lb) for lb in labels}
        if k.get("status_basis") == "rolling12":  # seasonal: targets set on 12-month levels
            labels = labels[11:]
            values = {lb: _period_value(num, den, k, fm, f"R12-{lb}") / (12 if k["measure"] == "count" else 1)
                      for lb in labels}
        t = _target(k, values, labels, as_of)
        targets.append({"kpi_id": kid, "region": "all", "group": "all", **(t or {}),
                        "set_by": "Governor's Office of Results",
                        "approved_by": "" if k["status"] == "none" else "Chief of Staff",
                        "approved_on": "" if k["status"] == "none" else "2025-01-15",
                        "source": "Governor's 2025 priorities" if k["status"] != "none" else ""})
        if kid == "infant_mortality" and t and "baseline_period" in t:
            # a group with its own agreed target: Black infant mortality, own baseline
            g = GROUP_CODES.index("black")
            gnum, gden = num[:, :, g:g + 1], den[:, :, g:g + 1]
            gb = _period_value(gnum, gden, k, fm, t["baseline_period"])
            targets.append({"kpi_id": kid, "region": "all", "group": "black",
                            "baseline_value": round(gb, 4), "baseline_period": t["baseline_period"],
                            "target_value": round(gb * 0.8, 4), "target_date": t["target_date"],
                            "set_by": "Governor's Office of Results", "approved_by": "Chief of Staff",
                            "approved_on": "2025-01-15", "source": "Governor's 2025 priorities (equity)"})
    rec_targets = {"ui_paid_21_days": (84.0, 95.0), "ui_median_days": (15.0, 10.0),
                   "training_employment": (70.0, 78.0)}
    base_label = months[8].strftime("%Y-%m")
    for kid, (b, tv) in rec_targets.items():
        k = RECORD_KPIS[kid]
        bl = base_label if k["grain"] == "month" else period_of_month(months[8], k["grain"])
        targets.append({"kpi_id": kid, "region": "all", "group": "all", "baseline_value": b,
                        "baseline_period": bl, "target_value": tv,
                        "target_date": date(as_of.year + (1 if as_of.month >= 7 else 0), 6, 30).isoformat(),
                        "set_by": "Department of Labor and Workforce", "approved_by": "Chief of Staff",
                        "approved_on": "2025-01-15", "source": "USDOL UI performance standards"})
    targets.append({"kpi_id": "ui_weekly_benefit", "agreed": "no"})
    write_definitions(root / "definitions", targets)
    progress(f"Definitions written to {root / 'definitions'}")
    files: list[tuple[str, Path]] = []
    for fid, sims in by_feed.items():
        df = _feed_frame(fid, sims, fmonths_of[fid])
        if any(AGG_KPIS[kid].get("age_column") for kid in sims):  # one row per age group
            from .ages import split_by_age
            df = split_by_age(df, np.random.default_rng(seed + 11), group_column="race_ethnicity")
        fm = fmonths_of[fid]
        if AGG_KPIS[next(iter(sims))].get("late"):
            late_cut = period_of_month(fm[-3], FEEDS[fid][2])
            df = df.filter(pl.col("period") <= late_cut)
            fm = fm[:-2]
        paths = _split_write(df, "period", fid, inbox, fm, "csv")
        if fid == "doe_students":  # the last monthly file arrives with bad rows
            bad = _bad_rows(pl.read_csv(paths[-1], infer_schema=False))
            bad.write_csv(paths[-1])
        files += [(fid, p) for p in paths]
    last = _month_end(months[-1])
    claims_df = record_claims(months, pop, rng, claims)
    exits, wages = record_training(months, pop, rng, last)
    # exits are reported once their two-quarter follow-up window has closed
    exits = exits.filter(pl.col("exit_date") < months[-6])
    files += [("dlw_ui_claims", p) for p in _split_write(claims_df, "filed_date", "dlw_ui_claims", inbox, months, "parquet")]
    files += [("dlw_wages", p) for p in _split_write(wages, "wage_date", "dlw_wages", inbox, months, "parquet")]
    files += [("dlw_training_exits", p) for p in _split_write(exits, "exit_date", "dlw_training_exits", inbox, months[:-6], "parquet")]
    progress(f"{len(files)} agency files written to {inbox}")
    ws = Workspace.open(root)
    ws.init_db()
    # wage records before exits so that the linked KPI sees them when exits arrive
    order = {"dlw_wages": 0}
    files.sort(key=lambda fp: (order.get(fp[0], 1), fp[1].name.endswith("backfile.csv") is False
                               and fp[1].name.endswith("backfile.parquet") is False, fp[1].name))
    rows = 0
    for fid, path in files:
        rep = ingest(ws, fid, path, received_by="demo generator", received_on=as_of)
        rows += rep.rows_accepted
        progress(f"  {path.name}: {rep.status}, {rep.rows_accepted} rows accepted, "
                 f"{rep.rows_rejected} quarantined")
    if loop:
        from metrics.demo.loop import build_loop

        lp = build_loop(ws, as_of)
        progress(f"{lp.users} users, {lp.sessions} past stat sessions and {lp.commitments} "
                 "commitments added")
    return DemoSummary(root, tuple(months), len(files), rows,
                       claims_df.height + exits.height + wages.height)
