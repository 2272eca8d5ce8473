"""A seeded generator of the demo state: definitions, feed files, and their ingest.

``build_demo(workspace, as_of=..., seed=...)`` writes the register into
``definitions/``, the agencies' files into ``inbox/`` and then ingests every file
through the same path as real feeds (:func:`metrics.ingest.ingest`).  Aggregate
feeds arrive as a back-file plus monthly files; the Department of Labor and
Workforce sends record-level Parquet (over a million unemployment claims).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from metrics.groups import GROUP_CODES, GROUP_LABELS
from metrics.periods import parse_period, period_of_month

from .spec import AGENCIES, AGG_KPIS, GOALS, PRIORITIES, RECORD_KPIS, REGIONS, STATE_NAME

N_MONTHS = 36
G = len(GROUP_CODES)
R = len(REGIONS)
DEN_PER_CAPITA = {  # denominator per person per month (or per period for annual feeds)
    "pop": 1 / 12, "births": 11.5 / 1000 / 12, "age2": 12.5 / 1000 / 12, "age5": 12.8 / 1000 / 12,
    "students": 0.16, "seniors": 0.012, "seniors_year": 0.012, "releases": 0.00035,
    "renters": 0.13, "snap_apps": 0.004, "cw_cases": 0.0006, "none": 1 / 12, "pit": 1.0,
}
FEEDS = {
    # feed_id: (name, agency, grain of period, group coding, cadence, lag, classification, indicators?)
    "doh_vital": ("Vital statistics: births and infant deaths", "doh", "month", "labels", "monthly", 45, "confidential"),
    "doh_overdose": ("Overdose deaths (death certificates)", "doh", "month", "codes", "monthly", 60, "confidential"),
    "doh_immunization": ("Immunization registry: two-year-olds", "doh", "month", "codes", "monthly", 30, "internal"),
    "dlw_placements": ("Job placements from workforce centres", "dlw", "month", "codes", "monthly", 20, "internal"),
    "doe_students": ("Student information system extract", "doe", "month", "codes", "monthly", 30, "confidential"),
    "doe_graduation": ("Four-year graduation cohorts", "doe", "year", "codes", "annual", 200, "internal"),
    "dps_incidents": ("Incident-based reporting: violent crime and fatal crashes", "dps", "month", "codes", "monthly", 30, "internal"),
    "doc_releases": ("Prison releases and returns", "doc", "month", "codes", "monthly", 45, "confidential"),
    "hfa_homelessness": ("Homeless management information system, quarterly", "hfa", "quarter", "codes", "quarterly", 45, "confidential"),
    "hfa_evictions": ("Eviction court filings", "hfa", "month", "codes", "monthly", 30, "public"),
    "dhs_snap": ("SNAP application decisions", "dhs", "month", "codes", "monthly", 20, "internal"),
    "dhs_child_welfare": ("Child welfare case findings", "dhs", "month", "codes", "monthly", 45, "confidential"),
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


# --- geography -------------------------------------------------------------------------

def _geojson() -> dict:
    """Ten regions on a 5 x 2 grid with gently wavy borders (lon -99.5..-94.5, lat 41..43)."""
    lon0, lat0, w, h = -99.5, 41.0, 1.0, 1.0

    def xw(c: int, lat: float) -> float:  # x of the vertical border c at latitude lat
        if c in (0, 5):
            return lon0 + c * w
        return lon0 + c * w + 0.12 * math.sin(3 * lat + c)

    def yw(r: int, lon: float) -> float:
        if r in (0, 2):
            return lat0 + r * h
        return lat0 + r * h + 0.1 * math.sin(2.5 * lon)

    feats = []
    for rid, name, pop, col, row, _mix in REGIONS:
        ring: list[list[float]] = []
        steps = 8
        for i in range(steps + 1):  # bottom edge, west to east
            lon = lon0 + col * w + w * i / steps
            ring.append([lon, yw(row, lon)])
        for i in range(1, steps + 1):  # east edge, south to north
            lat = lat0 + row * h + h * i / steps
            ring.append([xw(col + 1, lat), lat])
        for i in range(1, steps + 1):  # top edge, east to west
            lon = lon0 + (col + 1) * w - w * i / steps
            ring.append([lon, yw(row + 1, lon)])
        for i in range(1, steps + 1):  # west edge, north to south
            lat = lat0 + (row + 1) * h - h * i / steps
            ring.append([xw(col, lat), lat])
        ring[-1] = ring[0]
        ring = [[round(x, 5), round(y, 5)] for x, y in ring]
        feats.append({"type": "Feature", "id": rid,
                      "properties": {"region_id": rid, "name": name, "population": pop},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return {"type": "FeatureCollection", "features": feats}


# --- definitions -----------------------------------------------------------------------

def _write_csv(path: Path, rows: list[dict]) -> None:
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    pl.DataFrame([{c: ("" if r.get(c) is None else str(r.get(c))) for c in cols} for r in rows],
                 schema={c: pl.String for c in cols}).write_csv(path)


def _feed_rows() -> tuple[list[dict], list[dict], list[dict]]:
    feeds, cols, maps = [], [], []
    stewards = {a[0]: a[2] for a in AGENCIES}
    for fid, (name, agency, grain, coding, cadence, lag, cls) in FEEDS.items():
        has_ind = any(k["feed"] == fid and k["indicator"] for k in AGG_KPIS.values())
        feeds.append(dict(feed_id=fid, name=name, agency_id=agency, kind="aggregate",
                          period_column="period", period_grain=grain, region_column="region",
                          group_column="race_ethnicity", numerator_column="numerator",
                          denominator_column="denominator", cadence=cadence, lag_days=lag,
                          steward=stewards[agency], classification=cls,
                          legal_basis="State Data Sharing Act, s. 12 (performance management)",
                          agreement_id=f"dsa-{agency}", na_values="", thousands="",
                          description=name))
        cols += [dict(feed_id=fid, column="period", type="string", required="yes",
                      description=f"{grain} of the figures"),
                 dict(feed_id=fid, column="region", type="string", required="yes",
                      description="region code (R01 to R10)"),
                 dict(feed_id=fid, column="race_ethnicity", type="string", required="yes",
                      description="race and ethnicity, SPD 15 (2024), single multiracial group")]
        if has_ind:
            inds = sorted({k["indicator"] for k in AGG_KPIS.values() if k["feed"] == fid})
            cols.append(dict(feed_id=fid, column="indicator", type="string", required="yes",
                             allowed=";".join(inds), description="which measure the row counts"))
        cols += [dict(feed_id=fid, column="numerator", type="int", required="yes", min="0",
                      description="people or events counted"),
                 dict(feed_id=fid, column="denominator", type="float", required="yes", min="0",
                      description="people at risk (person-years for rates)")]
        if coding == "labels":
            maps += [dict(feed_id=fid, column="race_ethnicity", from_value=GROUP_LABELS[g],
                          to_value=g) for g in GROUP_CODES]
    rec = [
        ("dlw_ui_claims", "Unemployment insurance claims (record level)",
         [("claim_id", "int"), ("person_id", "string"), ("filed_date", "date"), ("region", "string"),
          ("race_ethnicity", "string"), ("paid", "bool"), ("days_to_payment", "int"),
          ("weekly_benefit", "float")], "filed_date", "confidential"),
        ("dlw_training_exits", "Workforce training programme exits (record level)",
         [("person_id", "string"), ("exit_date", "date"), ("program", "string"),
          ("completed", "bool"), ("region", "string"), ("race_ethnicity", "string")],
         "exit_date", "confidential"),
        ("dlw_wages", "Quarterly wage records (record level)",
         [("person_id", "string"), ("wage_date", "date"), ("wages", "float"),
          ("region", "string"), ("race_ethnicity", "string")], "wage_date", "confidential"),
    ]
    optional = {"days_to_payment", "weekly_benefit"}
    for fid, name, columns, pcol, cls in rec:
        feeds.append(dict(feed_id=fid, name=name, agency_id="dlw", kind="record",
                          period_column=pcol, period_grain="month", region_column="region",
                          group_column="race_ethnicity", numerator_column="", denominator_column="",
                          person_key="person_id", cadence="monthly", lag_days=30,
                          steward=stewards["dlw"], classification=cls,
                          legal_basis="20 CFR 603.5(e) (UI data for workforce programme performance)",
                          agreement_id="dsa-dlw", description=name))
        for c, t in columns:
            cols.append(dict(feed_id=fid, column=c, type=t,
                             required="no" if c in optional else "yes",
                             min="0" if t in ("int", "float") else "", description=c.replace("_", " ")))
    return feeds, cols, maps


def write_definitions(folder: Path, targets: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(folder / "agencies.csv", [dict(agency_id=a, name=n, lead=lead, lead_email=e)
                                         for a, n, lead, e in AGENCIES])
    _write_csv(folder / "regions.csv", [dict(region_id=r[0], name=r[1], parent="") for r in REGIONS])
    (folder / "regions.geojson").write_text(json.dumps(_geojson()))
    _write_csv(folder / "priorities.csv", [dict(priority_id=p, name=n, description=d, order=o)
                                           for p, n, d, o in PRIORITIES])
    _write_csv(folder / "goals.csv", [dict(goal_id=g, priority_id=p, name=n) for g, p, n in GOALS])
    kpis = []
    owners = {a[0]: a[2] for a in AGENCIES}
    for kid, k in AGG_KPIS.items():
        kpis.append(dict(
            kpi_id=kid, name=k["name"], goal_id=k["goal"], agency_id=k["agency"],
            owner=owners[k["agency"]], measure=k["measure"], unit=k["unit"],
            multiplier=k["mult"], decimals=k["decimals"], direction=k["direction"],
            grain=k["grain"], fiscal_start=7, feed_id=k["feed"],
            filter=f"indicator = '{k['indicator']}'" if k["indicator"] else "",
            numerator="", denominator="", value="", public="yes" if k.get("public", True) else "no",
            at_risk_threshold=0.9, equity_rule="yes" if k.get("equity_rule") else "no",
            noun=k["noun"], disaggregations="region;group",
            description=f"{k['name']}, {STATE_NAME}.",
            methodology=_methodology(k)))
    for kid, k in RECORD_KPIS.items():
        link = k.get("link")
        kpis.append(dict(
            kpi_id=kid, name=k["name"], goal_id=k["goal"], agency_id=k["agency"],
            owner=owners[k["agency"]], measure=k["measure"], unit=k["unit"],
            multiplier=100 if k["measure"] == "proportion" else 1, decimals=k["decimals"],
            direction=k["direction"], grain=k["grain"], fiscal_start=7, feed_id=k["feed"],
            filter=k["filter"], numerator=k["numerator"], denominator=k["denominator"],
            value=k["value"], link_feed=link[0] if link else "", link_key=link[1] if link else "",
            link_date=link[2] if link else "", link_window_days=link[3] if link else "",
            link_filter=link[4] if link else "", public="yes", at_risk_threshold=0.9,
            equity_rule="no", noun=k["noun"], disaggregations="region;group",
            description=f"{k['name']}, {STATE_NAME}.",
            methodology=("Computed from record-level claims: " if not link else
                         "Linked records: training completers followed into wage records by a "
                         f"pseudonymous person key within {link[3]} days of exit. ")
            + f"Filter: {k['filter'] or 'none'}."))
    _write_csv(folder / "kpis.csv", kpis)
    _write_csv(folder / "targets.csv", targets)
    feeds, cols, maps = _feed_rows()
    _write_csv(folder / "feeds.csv", feeds)
    _write_csv(folder / "feed_columns.csv", cols)
    _write_csv(folder / "code_maps.csv", maps)
    agreements = []
    for a, n, _lead, _e in AGENCIES:
        exp = date(2027, 1, 31) if a == "hfa" else date(2028, 6, 30)
        if a == "doc":
            exp = date(2026, 9, 30)
        agreements.append(dict(
            agreement_id=f"dsa-{a}", name=f"Data-sharing agreement: {n} and the Office of Results",
            parties=f"{n};Governor's Office of Results", purpose="Performance management and "
            "equity review of the Governor's priority outcomes", datasets="",
            legal_basis="State Data Sharing Act, s. 12; Executive Order 2023-07 (default is to share)",
            effective="2023-07-01", expires=exp.isoformat(),
            status="expired" if exp < date(2026, 11, 1) else "active"))
    _write_csv(folder / "agreements.csv", agreements)


def _methodology(k: dict) -> str:
    if k["measure"] == "rate" and k["den"] == "pop":
        return (f"Events divided by person-years at risk (population / 12 per month), times "
                f"{k['mult']:,}. Annualised rate; 95% intervals exact Poisson below 10 events, "
                "Byars above.")
    if k["measure"] == "rate":
        return f"Events divided by the population at risk, times {k['mult']:,}; 95% Poisson intervals."
    if k["measure"] == "proportion":
        return "Numerator divided by denominator; 95% Wilson score intervals."
    return "Count of events in the period; 95% Poisson intervals."


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


def _record_claims(months: list[date], pop: np.ndarray, rng: np.random.Generator, n_total: int
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


def _record_training(months: list[date], pop: np.ndarray, rng: np.random.Generator, last: date
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
               claims: int = 1_050_000, progress=print) -> DemoSummary:  # type: ignore[no-untyped-def]
    """Generate the demo state into ``root`` and ingest every file."""
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
        t = _target(k, values, labels, as_of)
        targets.append({"kpi_id": kid, "region": "all", "group": "all", **(t or {}),
                        "set_by": "Governor's Office of Results",
                        "approved_by": "" if k["status"] == "none" else "Chief of Staff",
                        "approved_on": "" if k["status"] == "none" else "2025-01-15",
                        "source": "Governor's 2025 priorities" if k["status"] != "none" else ""})
    rec_targets = {"ui_paid_21_days": (62.0, 66.0), "ui_median_days": (19.0, 16.0),
                   "training_employment": (63.0, 66.0)}
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
    claims_df = _record_claims(months, pop, rng, claims)
    exits, wages = _record_training(months, pop, rng, last)
    files += [("dlw_ui_claims", p) for p in _split_write(claims_df, "filed_date", "dlw_ui_claims", inbox, months, "parquet")]
    files += [("dlw_wages", p) for p in _split_write(wages, "wage_date", "dlw_wages", inbox, months, "parquet")]
    files += [("dlw_training_exits", p) for p in _split_write(exits, "exit_date", "dlw_training_exits", inbox, months, "parquet")]
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
    return DemoSummary(root, tuple(months), len(files), rows,
                       claims_df.height + exits.height + wages.height)
