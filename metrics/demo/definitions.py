"""The demo state's register: boundaries and definition files (CSV)."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import polars as pl

from metrics.groups import GROUP_CODES, GROUP_LABELS
from metrics.intervals import US2000_STANDARD_11

from .spec import AGENCIES, AGG_KPIS, GOALS, PRIORITIES, RECORD_KPIS, REGIONS, STATE_NAME

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
        ages = sorted({k["age_column"] for k in AGG_KPIS.values()
                       if k["feed"] == fid and k.get("age_column")})
        cols += [dict(feed_id=fid, column=a, type="string", required="yes",
                      allowed=";".join(US2000_STANDARD_11),
                      description="age group (2000 US standard population, 11 groups)")
                 for a in ages]
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
                          person_key="person_id", cadence="monthly",
                          lag_days=200 if fid == "dlw_training_exits" else 30,
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
            methodology=_methodology(k), status_basis=k.get("status_basis", "latest"),
            age_column=k.get("age_column", ""),
            standard_population="us2000" if k.get("age_column") else "",
            name_es=k.get("name_es", ""), unit_es=k.get("unit_es", "")))
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
            + f"Filter: {k['filter'] or 'none'}.",
            name_es=k.get("name_es", ""), unit_es=k.get("unit_es", "")))
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
    if k.get("age_column"):
        return (f"Age-adjusted: events and person-years at risk (population / 12 per month) by "
                "age group, directly standardised to the 2000 US standard population (11 age "
                f"groups), times {k['mult']:,}; 95% Fay-Feuer gamma intervals. The crude rate "
                "(all events over all person-years) is given beside it.")
    if k["measure"] == "rate" and k["den"] == "pop":
        return (f"Events divided by person-years at risk (population / 12 per month), times "
                f"{k['mult']:,}. Annualised rate; 95% intervals exact Poisson below 10 events, "
                "Byars above.")
    if k["measure"] == "rate":
        return f"Events divided by the population at risk, times {k['mult']:,}; 95% Poisson intervals."
    if k["measure"] == "proportion":
        return "Numerator divided by denominator; 95% Wilson score intervals."
    return "Count of events in the period; 95% Poisson intervals."


