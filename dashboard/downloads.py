"""The tables the pages show, and their CSV/XLSX bytes (no Streamlit: unit-testable).

Each page shows exactly the frame one of these functions returns (formatting is only
column configuration), and its downloads are built from the same frame, so a download
holds exactly the rows and columns on screen.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import polars as pl

from dashboard.figures import STATUS_ORDER, WEAK, status_label
from metrics import equity
from metrics.definitions import Kpi, Register
from metrics.definitions.models import RATE_MEASURES
from metrics.groups import ALL, GROUP_CODES, UNKNOWN, label, statewide
from metrics.periods import display_label
from metrics.presentation import names_of
from metrics.safe_output import workbook_options, write_csv
from metrics.scorecard import KpiStatus, next_expected
from metrics.status import StatusResult
from metrics.targets import Target, trajectory

SCORECARD_SCHEMA: dict[str, Any] = {
    "Status": pl.String, "KPI": pl.String, "Detail": pl.String, "Value": pl.String,
    "Target (pro-rated)": pl.String, "Trend": pl.List(pl.Float64), "Period": pl.String,
    "Data current through": pl.Date, "Freshness": pl.String, "Equity gap": pl.String,
    "Pace": pl.String, "Change": pl.String, "Rule": pl.String, "Equity gap detail": pl.String,
    "Agency": pl.String, "Priority": pl.String, "KPI id": pl.String,
}
MEASURE_COLUMNS = ("Value", "CI low", "CI high", "Numerator", "Denominator", "Reliability")


def kpi_url(kpi_id: str, month: str | None = None) -> str:
    """Relative link to a KPI's detail page (works under any base path)."""
    params = {"id": kpi_id} | ({"month": month} if month else {})
    return "kpi?" + urlencode(params)


def _reliability(col: str = "reliable") -> pl.Expr:
    return (pl.when(pl.col(col).is_null()).then(pl.lit(""))
            .when(pl.col(col)).then(pl.lit("reliable")).otherwise(pl.lit(WEAK)))


def _is(col: pl.Expr, value: str | None) -> pl.Expr:
    """``col == value``, all false when there is no value (no null comparisons)."""
    return col == value if value is not None else pl.lit(False)


def _in(period: str | None) -> pl.Expr:
    return _is(pl.col("period"), period)


def _measures(kpi: Kpi) -> list[pl.Expr]:
    d = kpi.decimals
    return [pl.col("value").round(d).alias("Value"), pl.col("ci_low").round(d).alias("CI low"),
            pl.col("ci_high").round(d).alias("CI high"), pl.col("numerator").alias("Numerator"),
            pl.col("denominator").alias("Denominator"), _reliability().alias("Reliability")]


# --- scorecard ------------------------------------------------------------------------


def sparklines(obs: pl.DataFrame, through: date | None, n: int = 12) -> dict[str, list[float]]:
    """kpi_id -> the last ``n`` statewide values up to ``through`` (for the Trend column)."""
    if obs.height == 0:
        return {}
    s = obs.filter(statewide() & pl.col("value").is_not_null())
    if through is not None:
        s = s.filter(pl.col("period_end") <= through)
    agg = s.sort("period_end").group_by("kpi_id").agg(pl.col("value").tail(n).round(3))
    return dict(zip(agg.get_column("kpi_id").to_list(), agg.get_column("value").to_list(),
                    strict=True))


def scorecard_table(statuses: Sequence[KpiStatus], register: Register, *,
                    month: str | None, trends: Mapping[str, list[float]] | None = None
                    ) -> pl.DataFrame:
    """One row per KPI in the order given (the scorecard's priority then risk order)."""
    trends = trends or {}
    rows = [{
        "Status": status_label(s.status),
        "KPI": s.name,
        "Priority": register.priorities[s.priority_id].name,
        "Agency": register.agencies[s.agency_id].name if s.agency_id in register.agencies
        else s.agency_id,
        "Value": s.value_text,
        "Target (pro-rated)": s.target_text,
        "Period": s.period_display,
        "Trend": list(trends.get(s.kpi_id, [])),
        "Pace": s.pace or "–",
        "Change": s.change,
        "Data current through": s.data_through,
        "Freshness": "stale: next batch overdue" if s.stale else "current",
        "Equity gap": s.gap_status,
        "Equity gap detail": s.gap_text,
        "Rule": s.explanation,
        "Detail": kpi_url(s.kpi_id, month),
        "KPI id": s.kpi_id,
    } for s in statuses]
    return pl.DataFrame(rows, schema=SCORECARD_SCHEMA)


def status_counts(statuses: Sequence[KpiStatus]) -> dict[str, int]:
    """How many KPIs have each status (every status listed, in risk-display order)."""
    out = dict.fromkeys(STATUS_ORDER, 0)
    for s in statuses:
        out[s.status] = out.get(s.status, 0) + 1
    return out


# --- KPI detail -----------------------------------------------------------------------


def trend_table(obs_kpi: pl.DataFrame, kpi: Kpi, target: Target | None, *,
                region: str = ALL, group: str = ALL, through: date | None = None
                ) -> pl.DataFrame:
    """The series for one region and group, oldest first, with the target on each date."""
    s = obs_kpi.filter((pl.col("region") == region) & (pl.col("group") == group))
    if through is not None:
        s = s.filter(pl.col("period_end") <= through)
    s = s.sort("period_end")
    ends = s.get_column("period_end").to_list()
    goal = trajectory(target, ends) if target is not None else [None] * len(ends)
    d = kpi.decimals
    return s.select(
        pl.col("period").map_elements(display_label, return_dtype=pl.String).alias("Period"),
        pl.col("period_end").alias("Period end"), *_measures(kpi),
    ).with_columns(pl.Series("Target trajectory", goal, dtype=pl.Float64).round(d))


def region_table(obs_kpi: pl.DataFrame, register: Register, kpi: Kpi, period: str | None, *,
                 group: str = ALL, statuses: Mapping[str, StatusResult] | None = None
                 ) -> pl.DataFrame:
    """Every region for ``period`` and ``group``, ranked best first (no value last)."""
    base = pl.DataFrame({"Region code": list(register.regions),
                         "Region": [r.name for r in register.regions.values()]})
    s = obs_kpi.filter(_in(period) & (pl.col("group") == group)
                       & (pl.col("region") != ALL))
    t = base.join(s.select(pl.col("region").alias("Region code"), *_measures(kpi)),
                  on="Region code", how="left")
    t = t.sort("Value", descending=kpi.higher_is_better, nulls_last=True)
    t = t.with_columns(pl.when(pl.col("Value").is_not_null())
                       .then(pl.int_range(1, pl.len() + 1)).alias("Rank").cast(pl.Int64))
    cols = ["Rank", "Region code", "Region", *MEASURE_COLUMNS]
    if statuses is not None:
        t = t.with_columns(pl.col("Region code").replace_strict(
            {k: v.status for k, v in statuses.items()}, default="no data").alias("Status"))
        cols.append("Status")
    return t.select(cols)


def reference_group(groups: pl.DataFrame, kpi: Kpi) -> str | None:
    """The best reliable group (docs/methods.md), for rate measures; None otherwise."""
    if kpi.measure not in RATE_MEASURES or groups.height < 2:
        return None
    try:
        d = equity.disparities(groups.filter(pl.col("group") != UNKNOWN),
                               reference="best", favourable=kpi.higher_is_better)
    except ValueError:
        return None
    ref = d.get("reference_group")
    return ref if ref not in (None, "total") else None


def group_table(obs_kpi: pl.DataFrame, kpi: Kpi, period: str | None, *, region: str = ALL,
                statuses: Mapping[str, StatusResult] | None = None) -> pl.DataFrame:
    """Every race and ethnicity group for ``period`` and ``region`` (SPD 15 order)."""
    s = obs_kpi.filter(_in(period) & (pl.col("region") == region)
                       & (pl.col("group") != ALL))
    ref = reference_group(s, kpi)
    base = pl.DataFrame({"Group code": list(GROUP_CODES),
                         "Group": [label(g) for g in GROUP_CODES]})
    t = base.join(s.select(pl.col("group").alias("Group code"), *_measures(kpi)),
                  on="Group code", how="left", maintain_order="left")
    t = t.filter(pl.col("Value").is_not_null()).with_columns(
        pl.when(_is(pl.col("Group code"), ref)).then(pl.lit("best reliable group"))
        .otherwise(pl.lit("")).alias("Reference"))
    if statuses is not None:
        t = t.with_columns(pl.col("Group code").replace_strict(
            {k: v.status for k, v in statuses.items()}, default="not assessed").alias("Status"))
    return t


def region_group_long(obs_kpi: pl.DataFrame, register: Register, kpi: Kpi,
                      period: str | None) -> pl.DataFrame:
    """Region x group cells for ``period``: Region, Group, Value, Reliability."""
    s = obs_kpi.filter(_in(period) & (pl.col("region") != ALL)
                       & (pl.col("group") != ALL) & (pl.col("group") != UNKNOWN))
    order_r = {r: i for i, r in enumerate(register.regions)}
    order_g = {g: i for i, g in enumerate(GROUP_CODES)}
    return (s.with_columns(pl.col("region").replace_strict(order_r, default=99).alias("_r"),
                           pl.col("group").replace_strict(order_g, default=99).alias("_g"))
            .sort("_r", "_g")
            .select(pl.col("region").replace_strict(
                        {k: v.name for k, v in register.regions.items()},
                        default=pl.col("region")).alias("Region"),
                    pl.col("group").replace_strict(
                        {g: label(g) for g in GROUP_CODES}, default=pl.col("group"))
                    .alias("Group"),
                    pl.col("value").round(kpi.decimals).alias("Value"),
                    _reliability().alias("Reliability")))


def region_group_wide(long: pl.DataFrame, kpi: Kpi) -> pl.DataFrame:
    """The region x group table as shown: one row per region, a text cell per group
    (value as formatted, ``*`` when it rests on too few cases)."""
    if long.height == 0:
        return pl.DataFrame({"Region": []}, schema={"Region": pl.String})
    cells = long.with_columns(pl.struct("Value", "Reliability").map_elements(
        lambda r: "–" if r["Value"] is None
        else kpi.format_value(r["Value"]) + ("*" if r["Reliability"] == WEAK else ""),
        return_dtype=pl.String).alias("cell"))
    groups = list(dict.fromkeys(cells.get_column("Group").to_list()))
    wide = cells.pivot(on="Group", index="Region", values="cell", maintain_order=True)
    return wide.select("Region", *[g for g in groups if g in wide.columns])


def breakdown_status_table(ks: KpiStatus, register: Register) -> pl.DataFrame:
    """Status of each region and group against its own (or the statewide) target."""
    rows = [{"Breakdown": "Region", "Name": register.region_name(code),
             "Status": status_label(r.status), "Explanation": r.explanation,
             "Pace": r.pace or "–", "Change": r.change}
            for code, r in ks.region_status.items()]
    rows += [{"Breakdown": "Race and ethnicity", "Name": label(code),
              "Status": status_label(r.status), "Explanation": r.explanation,
              "Pace": r.pace or "–", "Change": r.change}
             for code, r in ks.group_status.items()]
    schema = dict.fromkeys(("Breakdown", "Name", "Status", "Explanation", "Pace", "Change"),
                           pl.String)
    return pl.DataFrame(rows, schema=schema)


# --- agency ---------------------------------------------------------------------------


def feed_health_table(register: Register, feed_ids: Sequence[str], *,
                      through: Mapping[str, date], last: Mapping[str, datetime],
                      quarantined: Mapping[str, int], as_of: date) -> pl.DataFrame:
    """Per feed: last batch, data current through, next expected, late or not, quarantine."""
    rows = []
    for fid in feed_ids:
        feed = register.feeds[fid]
        thru = through.get(fid)
        nxt = next_expected(thru, feed.cadence, feed.lag_days) if thru else None
        late = thru is None or (nxt is not None and as_of > nxt)
        agreement = register.agreements.get(feed.agreement_id)
        batch = last.get(fid)
        rows.append({
            "Feed": feed.name, "Feed id": fid, "Cadence": feed.cadence,
            "Lag (days)": feed.lag_days,
            "Last batch": batch.replace(tzinfo=None) if batch is not None else None,
            "Data current through": thru, "Next expected": nxt,
            "Freshness": ("late" if thru else "late: nothing received") if late
            else "on time",
            "Rows quarantined": int(quarantined.get(fid, 0)), "Steward": feed.steward,
            "Agreement": agreement.name if agreement else (feed.legal_basis or "–"),
            "Agreement expires": agreement.expires if agreement else None,
            "Agreement status": agreement.status if agreement else "",
        })
    schema: dict[str, Any] = {"Feed": pl.String, "Feed id": pl.String, "Cadence": pl.String,
              "Lag (days)": pl.Int64, "Last batch": pl.Datetime("us"),
              "Data current through": pl.Date, "Next expected": pl.Date,
              "Freshness": pl.String, "Rows quarantined": pl.Int64, "Steward": pl.String,
              "Agreement": pl.String, "Agreement expires": pl.Date,
              "Agreement status": pl.String}
    return pl.DataFrame(rows, schema=schema)


def _get(item: Any, name: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def commitments_table(items: Sequence[Any], kpi_names: Mapping[str, Any] | None = None
                      ) -> pl.DataFrame:
    """Commitments (table rows or dicts) as shown: text, owner, due, status, KPIs (by name
    when ``kpi_names`` maps their ids)."""
    rows, seen = [], set()
    for c in items:
        key = _get(c, "id") or id(c)
        if key in seen:
            continue
        seen.add(key)
        late = int(_get(c, "days_overdue", 0) or 0)
        rows.append({"Commitment": str(_get(c, "text", c)), "Owner": str(_get(c, "owner", "")),
                     "Due": _get(c, "due_on"), "Status": str(_get(c, "status", "open")),
                     "Overdue": f"{late} days overdue" if _get(c, "overdue") else "",
                     "KPIs": names_of(_get(c, "kpi_ids", ""), kpi_names) if kpi_names
                     is not None else str(_get(c, "kpi_ids", "")).replace(";", ", ")})
    return pl.DataFrame(rows, schema={"Commitment": pl.String, "Owner": pl.String,
                                      "Due": pl.Date, "Status": pl.String,
                                      "Overdue": pl.String, "KPIs": pl.String})


# --- bytes ----------------------------------------------------------------------------


def _flat(df: pl.DataFrame) -> pl.DataFrame:
    """List columns (sparklines) as '; '-separated text, which CSV and Excel can hold."""
    lists = [c for c, t in df.schema.items() if isinstance(t, pl.List)]
    return df.with_columns(pl.col(c).cast(pl.List(pl.String)).list.join("; ") for c in lists)


def to_csv(df: pl.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so Excel reads accents and symbols) of ``df`` as shown."""
    return b"\xef\xbb\xbf" + write_csv(_flat(df)).encode("utf-8")


def to_xlsx(sheets: Mapping[str, pl.DataFrame]) -> bytes:
    """One workbook, one sheet per table (sheet names cut to Excel's 31 characters)."""
    buf = io.BytesIO()
    import xlsxwriter

    with xlsxwriter.Workbook(buf, workbook_options()) as wb:
        used: set[str] = set()
        for name, df in sheets.items():
            sheet = "".join(ch for ch in name if ch not in "[]:*?/\\")[:31] or "Sheet"
            while sheet in used:
                sheet = sheet[:28] + f"_{len(used)}"
            used.add(sheet)
            _flat(df).write_excel(wb, worksheet=sheet, autofit=True,
                                  dtype_formats={pl.Date: "yyyy-mm-dd",
                                                 pl.Datetime: "yyyy-mm-dd hh:mm"})
    return buf.getvalue()
