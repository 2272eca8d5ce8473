"""Equity review: which gaps widened or narrowed, and the disparity measures per KPI.

Everything here works on stored observations (see :func:`metrics.engine.load_observations`)
and the register; the statistics themselves live in :mod:`metrics.equity`.

- :func:`resolve` checks a request (KPI, period, region, reference) and says what is wrong.
- :func:`kpi_disparities` is :func:`metrics.equity.disparities` on the group rows of one
  KPI, period and region (rates unscaled), plus ``kpi_id``, ``period`` and ``region``.
- :func:`disparity_rows` flattens that dict into one row per group.
- :func:`review` gives, for every KPI with a rate measure, the worst-off group's gap to the
  best-off reliable group now, a year earlier and at baseline, with status words and the
  levels beside the gaps, sorted by the size of the change since a year earlier.
- :func:`heatmap_cells`, :func:`group_trends`, :func:`unknown_shares`,
  :func:`decomposition` and :func:`what_it_would_take` feed the review page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from metrics import equity
from metrics.definitions import Kpi, Register
from metrics.equity import NARROWED, SAME, TOO_SMALL, WIDENED
from metrics.groups import ALL, GROUP_CODES, UNKNOWN, UNKNOWN_SHARE_WARNING
from metrics.groups import label as group_label
from metrics.targets import interim_target

RATE_MEASURES: Final = ("proportion", "rate")
#: Fewer events than this make a rate unstable (docs/methods.md, "Reliability and privacy").
SMALL_EVENTS: Final = 20
STATUS_WORDS: Final = {WIDENED: "widening", NARROWED: "narrowing", SAME: "stable",
                       TOO_SMALL: "too small to tell"}
NO_COMPARISON: Final = "no comparison"
PER: Final = {"month": "a month", "quarter": "a quarter", "year": "a year",
              "fiscal": "a year", "rolling12": "a year"}
COMPARED: Final = tuple(g for g in GROUP_CODES if g != UNKNOWN)


class EquityRequestError(ValueError):
    """A request the review cannot answer; the message says what to do."""


@dataclass(frozen=True)
class Selection:
    kpi: Kpi
    period: str
    region: str
    reference: str

    @property
    def favourable(self) -> bool:
        return self.kpi.direction == "higher"


def has_group_rates(kpi: Kpi) -> bool:
    """True when the KPI is a proportion or rate broken down by group."""
    return kpi.measure in RATE_MEASURES and "group" in kpi.disaggregations


def rate_kpis(register: Register) -> list[Kpi]:
    return [k for k in register.kpis.values() if has_group_rates(k)]


def rate_unit(kpi: Kpi) -> str:
    """Unit text to write after a rate: ``%`` or `` per 1,000 live births``."""
    return kpi.unit if kpi.unit.strip() == "%" else f" {kpi.unit}".rstrip()


def gap_unit(kpi: Kpi) -> str:
    return "percentage points" if kpi.unit.strip() == "%" else kpi.unit


def fmt_gap(kpi: Kpi, gap: float | None) -> str:
    """A gap in display units: ``12.3 percentage points``."""
    if gap is None:
        return "–"
    return f"{gap:,.{kpi.decimals}f} {gap_unit(kpi)}".strip()


def periods_of(obs: pl.DataFrame, kpi_id: str) -> list[str]:
    """Periods with a statewide figure for the KPI, oldest first."""
    return (obs.filter((pl.col("kpi_id") == kpi_id) & (pl.col("region") == ALL)
                       & (pl.col("group") == ALL) & pl.col("value").is_not_null())
            .sort("period_end").get_column("period").unique(maintain_order=True).to_list())


def group_table(obs: pl.DataFrame, kpi_id: str, period: str, region: str = ALL) -> pl.DataFrame:
    """The group rows (not the ``all`` row) of one KPI, period and region."""
    return obs.filter((pl.col("kpi_id") == kpi_id) & (pl.col("period") == period)
                      & (pl.col("region") == region) & (pl.col("group") != ALL))


def resolve(register: Register, obs: pl.DataFrame, kpi_id: str | None, *,
            period: str | None = None, region: str | None = None,
            reference: str | None = None) -> Selection:
    """Check a request and fill in defaults (latest period, statewide, best reference).

    Raises:
        EquityRequestError: unknown KPI, period, region or reference group; a KPI whose
            measure has no rate; a reference group without a usable, reliable rate.
    """
    if not kpi_id or kpi_id not in register.kpis:
        names = ", ".join(k.kpi_id for k in rate_kpis(register))
        raise EquityRequestError(f"there is no KPI '{kpi_id}'. KPIs with group rates: {names}.")
    kpi = register.kpis[kpi_id]
    if kpi.measure not in RATE_MEASURES:
        raise EquityRequestError(
            f"'{kpi_id}' ({kpi.name}) is a {kpi.measure}: the measure has no rate to compare "
            "between groups, so there are no disparity measures for it.")
    if "group" not in kpi.disaggregations:
        raise EquityRequestError(f"'{kpi_id}' ({kpi.name}) is not broken down by race and "
                                 "ethnicity, so there are no groups to compare.")
    known = periods_of(obs, kpi_id)
    if not known:
        raise EquityRequestError(f"'{kpi_id}' has no observations yet; load its feed first.")
    period = period or known[-1]
    if period not in known:
        raise EquityRequestError(f"'{kpi_id}' has no period '{period}'. "
                                 f"Latest periods: {', '.join(known[-6:])}.")
    region = region or ALL
    if region != ALL and region not in register.regions:
        raise EquityRequestError(f"there is no region '{region}'. Regions: all (statewide), "
                                 f"{', '.join(register.regions)}.")
    reference = reference or "best"
    if reference not in ("best", "total"):
        _check_reference(group_table(obs, kpi_id, period, region), reference)
    return Selection(kpi, period, region, reference)


def _check_reference(table: pl.DataFrame, reference: str) -> None:
    if reference not in COMPARED:
        raise EquityRequestError(
            f"'{reference}' cannot be the reference: use best, total or one of the group codes "
            f"{', '.join(COMPARED)} (Unknown / not reported is not a population group).")
    row = table.filter(pl.col("group") == reference)
    name = group_label(reference)
    if row.height == 0 or not (row["denominator"].fill_null(0)[0] > 0):
        raise EquityRequestError(f"{name} has no rate for this period and region, so it "
                                 "cannot be the reference; choose another group, best or total.")
    if row["reliable"][0] is False:
        raise EquityRequestError(f"{name} has an unreliable rate for this period and region, "
                                 "so it cannot be the reference; choose a group with a reliable "
                                 "rate, best or total.")


def kpi_disparities(register: Register, obs: pl.DataFrame, kpi_id: str | None, *,
                    period: str | None = None, region: str | None = None,
                    reference: str | None = None) -> dict[str, Any]:
    """:func:`metrics.equity.disparities` for one KPI, period and region, with its keys."""
    sel = resolve(register, obs, kpi_id, period=period, region=region, reference=reference)
    table = group_table(obs, sel.kpi.kpi_id, sel.period, sel.region)
    try:
        d = equity.disparities(table, reference=sel.reference, favourable=sel.favourable)
    except ValueError as exc:
        raise EquityRequestError(str(exc)) from exc
    return {"kpi_id": sel.kpi.kpi_id, "period": sel.period, "region": sel.region} | d


def _finite(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def disparity_rows(d: dict[str, Any]) -> pl.DataFrame:
    """One row per compared group: rate, difference and ratio with their CIs."""
    rows = []
    for g in d["groups"]:
        dci = d["rate_difference_ci"].get(g) or [None, None]
        rci = d["rate_ratio_ci"].get(g) or [None, None]
        rows.append({
            "group": g, "label": group_label(g), "rate": d["rates"].get(g),
            "population_share": d["population_shares"].get(g),
            "rate_difference": d["rate_difference"].get(g),
            "rate_difference_ci_low": dci[0], "rate_difference_ci_high": dci[1],
            "rate_ratio": _finite(d["rate_ratio"].get(g)),
            "rate_ratio_ci_low": _finite(rci[0]), "rate_ratio_ci_high": _finite(rci[1]),
            "reliable": g not in d["unreliable_groups"],
            "is_reference": g == d["reference_group"],
        })
    schema = {"group": pl.String, "label": pl.String, "rate": pl.Float64,
              "population_share": pl.Float64, "rate_difference": pl.Float64,
              "rate_difference_ci_low": pl.Float64, "rate_difference_ci_high": pl.Float64,
              "rate_ratio": pl.Float64, "rate_ratio_ci_low": pl.Float64,
              "rate_ratio_ci_high": pl.Float64, "reliable": pl.Boolean,
              "is_reference": pl.Boolean}
    out = pl.DataFrame(rows, schema=schema)
    keys = {k: d[k] for k in ("kpi_id", "period", "region") if k in d}
    return out.with_columns(pl.lit(v).alias(k) for k, v in keys.items()).select(
        *keys, *schema) if keys else out


def worst_off(d: dict[str, Any], favourable: bool, *, reliable_only: bool = False) -> list[str]:
    """Groups worse than the reference, worst first. Groups with unreliable rates are
    included (callers label them as such) unless ``reliable_only``."""
    ref = d["reference_group"]
    diffs = {g: v for g, v in d["rate_difference"].items()
             if v is not None and g != ref
             and not (reliable_only and g in d["unreliable_groups"])}
    worse = {g: v for g, v in diffs.items() if (v < 0 if favourable else v > 0)}
    return sorted(worse, key=lambda g: abs(worse[g]), reverse=True)


def _statewide(obs: pl.DataFrame, kpi_id: str, period: str, region: str = ALL) -> float | None:
    r = obs.filter((pl.col("kpi_id") == kpi_id) & (pl.col("period") == period)
                   & (pl.col("region") == region) & (pl.col("group") == ALL))
    return r["value"][0] if r.height else None


def _level_note(kpi: Kpi, ref_rate: float | None, target: float | None) -> str:
    if ref_rate is None or target is None:
        return ""
    short = ref_rate < target if kpi.direction == "higher" else ref_rate > target
    return ("even the best-off group is short of the statewide target" if short
            else "the best-off group has reached the statewide target")


def _baseline_period(obs_kpi: pl.DataFrame, periods: list[str], target: Any) -> str:
    """The period ending on the target's baseline date, else the earliest period."""
    if target is not None and target.baseline_date is not None:
        hit = obs_kpi.filter(pl.col("period_end") == target.baseline_date)["period"]
        if hit.len() and hit[0] in periods:
            return str(hit[0])
    return periods[0]


def review_row(register: Register, obs: pl.DataFrame, kpi: Kpi) -> dict[str, Any]:
    """The worst-off group's gap for one KPI, now, a year earlier and at baseline."""
    m = kpi.multiplier
    row: dict[str, Any] = dict.fromkeys(REVIEW_COLUMNS)
    row |= {"kpi_id": kpi.kpi_id, "name": kpi.name, "unit": gap_unit(kpi),
            "status_year": NO_COMPARISON, "status_baseline": NO_COMPARISON}
    periods = periods_of(obs, kpi.kpi_id)
    if not periods:
        return row | {"note": "no observations yet"}
    period = periods[-1]
    obs_kpi = obs.filter(pl.col("kpi_id") == kpi.kpi_id)
    d = equity.disparities(group_table(obs_kpi, kpi.kpi_id, period),
                           favourable=kpi.direction == "higher")
    target = register.target_for(kpi.kpi_id)
    row |= {"period": period, "statewide_rate": _statewide(obs_kpi, kpi.kpi_id, period),
            "target_now": None}
    if target is not None:
        end = obs_kpi.filter(pl.col("period") == period)["period_end"][0]
        row["target_now"] = interim_target(target, end)
    worst = worst_off(d, kpi.direction == "higher")
    if not worst or d["reference_group"] in (None, equity.TOTAL):
        return row | {"note": "no reliable group to compare against"}
    g = equity.gap_over_time(obs_kpi, kpi_id=kpi.kpi_id, group=worst[0],
                             favourable=kpi.direction == "higher", current_period=period,
                             baseline_period=_baseline_period(obs_kpi, periods, target),
                             multiplier=m, unit=rate_unit(kpi), noun=kpi.noun,
                             per=PER[kpi.grain])
    now = g["current"]
    unreliable = worst[0] in d["unreliable_groups"]
    row |= {"worst_group": worst[0],
            "worst_label": group_label(worst[0]) + (" (unreliable rate: too few events)"
                                                    if unreliable else ""),
            "reference_group": now["reference_group"],
            "reference_label": group_label(now["reference_group"]),
            "worst_rate": now["rate"] * m, "reference_rate": now["reference_rate"] * m,
            "gap_now": abs(now["gap"]) * m, "rate_ratio": _finite(now["rate_ratio"]),
            "note": _level_note(kpi, now["reference_rate"] * m, row["target_now"])}
    for key, change, ago in (("year", "change_since_last_year", "last_year"),
                             ("baseline", "change_since_baseline", "baseline")):
        c = g[change]
        if g[ago] is not None:
            row[f"gap_{ago}"] = abs(g[ago]["gap"]) * m
            row[f"period_{ago}"] = g[ago]["period"]
        if c is not None:
            row[f"change_{key}"] = (abs(c["gap_to"]) - abs(c["gap_from"])) * m
            row[f"status_{key}"] = STATUS_WORDS[c["direction"]]
            row[f"sentence_{key}"] = c["sentence"]
            if c["reference_changed"]:
                row["note"] = "; ".join(
                    x for x in (row["note"], "the best-off group changed over the period") if x)
    if row["gap_last_year"]:
        row["relative_change_year"] = row["change_year"] / row["gap_last_year"]
    return row


REVIEW_COLUMNS: Final = (
    "kpi_id", "name", "period", "worst_group", "worst_label", "reference_group",
    "reference_label", "gap_now", "period_last_year", "gap_last_year", "change_year",
    "relative_change_year", "status_year", "period_baseline", "gap_baseline",
    "change_baseline", "status_baseline", "worst_rate", "reference_rate", "statewide_rate",
    "target_now", "rate_ratio", "unit", "note", "sentence_year", "sentence_baseline")
_FLOAT_COLUMNS: Final = frozenset({
    "gap_now", "gap_last_year", "change_year", "relative_change_year", "gap_baseline",
    "change_baseline", "worst_rate", "reference_rate", "statewide_rate", "target_now",
    "rate_ratio"})


def review(register: Register, obs: pl.DataFrame) -> pl.DataFrame:
    """Every KPI with group rates: its worst-off group's gap and how it moved.

    Gaps are absolute rate differences to the best-off reliable group, in display units
    (percentage points, or the KPI's rate unit), measured against each period's own
    best-off group (:func:`metrics.equity.gap_over_time`). Rows are sorted by the size of
    the change since a year earlier relative to the gap then (unit-free, so KPIs with
    different units can be ranked together), largest first; KPIs without a comparison last.
    Baseline is the period ending on the target's baseline date (else the first period).
    """
    rows = [review_row(register, obs, k) for k in rate_kpis(register)]
    schema = {c: pl.Float64 if c in _FLOAT_COLUMNS else pl.String for c in REVIEW_COLUMNS}
    frame = pl.DataFrame(rows, schema=schema)
    return frame.sort(pl.col("relative_change_year").abs(), "kpi_id",
                      descending=[True, False], nulls_last=True)


# --- Per-KPI detail -----------------------------------------------------------------


def cell_text(kpi: Kpi, value: float | None, events: float | None,
              reliable: bool | None) -> tuple[str, bool]:
    """(label shown in a cell, whether the value is shown). Never blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data", False
    if events is not None and events < SMALL_EVENTS:
        return f"fewer than {SMALL_EVENTS} events", False
    if reliable is False:
        return f"{kpi.format_value(value)} (unreliable)", True
    return kpi.format_value(value), True


def heatmap_cells(register: Register, obs: pl.DataFrame, kpi: Kpi, period: str) -> pl.DataFrame:
    """Region × group rates for one period (statewide first), with the text of each cell."""
    regions = [ALL, *register.regions]
    groups = [*COMPARED, ALL]
    o = obs.filter((pl.col("kpi_id") == kpi.kpi_id) & (pl.col("period") == period))
    got = {(r["region"], r["group"]): r for r in o.iter_rows(named=True)}
    rows = []
    for reg in regions:
        for grp in groups:
            r = got.get((reg, grp), {})
            value = r.get("value") if r.get("denominator") else None
            text, shown = cell_text(kpi, value, r.get("events"), r.get("reliable"))
            rows.append({"region": reg, "region_name": "Statewide" if reg == ALL
                         else register.region_name(reg), "group": grp,
                         "group_label": group_label(grp), "value": value if shown else None,
                         "events": r.get("events"), "reliable": r.get("reliable"),
                         "text": text})
    return pl.DataFrame(rows, schema={"region": pl.String, "region_name": pl.String,
                                      "group": pl.String, "group_label": pl.String,
                                      "value": pl.Float64, "events": pl.Float64,
                                      "reliable": pl.Boolean, "text": pl.String})


def group_trends(register: Register, obs: pl.DataFrame, kpi: Kpi,
                 region: str = ALL) -> pl.DataFrame:
    """Each group's value by period in ``region``, beside the statewide value and target."""
    o = obs.filter((pl.col("kpi_id") == kpi.kpi_id)
                   & (pl.col("group").is_in(COMPARED)) & (pl.col("region") == region))
    state = (obs.filter((pl.col("kpi_id") == kpi.kpi_id) & (pl.col("region") == ALL)
                        & (pl.col("group") == ALL))
             .select("period", pl.col("value").alias("statewide")))
    target = register.target_for(kpi.kpi_id)
    ends = o.get_column("period_end").unique().sort().to_list()
    tline = {e: (interim_target(target, e) if target else None) for e in ends}
    return (o.join(state, on="period", how="left")
            .with_columns(pl.col("period_end").replace_strict(tline, default=None,
                                                              return_dtype=pl.Float64)
                          .alias("target"),
                          pl.col("group").replace_strict({g: group_label(g) for g in COMPARED})
                          .alias("group_label"))
            .select("period", "period_end", "group", "group_label", "value", "reliable",
                    "events", "statewide", "target")
            .with_columns(pl.col("group").replace_strict(
                {g: i for i, g in enumerate(COMPARED)}, return_dtype=pl.Int64).alias("_o"))
            .sort("_o", "period_end").drop("_o"))


def unknown_shares(register: Register, obs: pl.DataFrame, kpi: Kpi, period: str) -> pl.DataFrame:
    """Share of the denominator with race or ethnicity unknown, statewide and by region."""
    o = obs.filter((pl.col("kpi_id") == kpi.kpi_id) & (pl.col("period") == period))
    names = {ALL: "Statewide"} | {r: register.region_name(r) for r in register.regions}
    order = {r: i for i, r in enumerate(names)}
    den = pl.col("denominator").cast(pl.Float64)
    return (o.group_by("region")
            .agg(den.filter(pl.col("group") == UNKNOWN).sum().alias("unknown"),
                 den.filter(pl.col("group") != ALL).sum().alias("total"))
            .with_columns(pl.when(pl.col("total") > 0).then(pl.col("unknown") / pl.col("total"))
                          .alias("share"))
            .with_columns((pl.col("share") > UNKNOWN_SHARE_WARNING).alias("above_warning"),
                          pl.col("region").replace_strict(names, default=None)
                          .alias("region_name"),
                          pl.col("region").replace_strict(order, default=len(order),
                                                          return_dtype=pl.Int64).alias("_o"))
            .sort("_o").select("region", "region_name", "unknown", "total", "share",
                               "above_warning"))


def decomposition(obs: pl.DataFrame, kpi: Kpi, period: str) -> dict[str, Any]:
    """Theil T and mean log deviation over region × group cells, between and within regions."""
    cells = obs.filter((pl.col("kpi_id") == kpi.kpi_id) & (pl.col("period") == period)
                       & (pl.col("region") != ALL) & (pl.col("group").is_in(COMPARED)))
    return {"theil": equity.theil_decomposition(cells), "mld": equity.mld_decomposition(cells)}


def what_it_would_take(d: dict[str, Any], kpi: Kpi, table: pl.DataFrame,
                       n: int = 3) -> list[dict[str, Any]]:
    """Sentences for the ``n`` worst-off reliable groups against the reference in ``d``."""
    if d["reference_rate"] is None:
        return []
    den = dict(zip(table["group"].to_list(), table["denominator"].to_list(), strict=True))
    out = []
    for g in worst_off(d, kpi.direction == "higher")[:n]:
        point = {"rate": d["rates"][g], "reference_rate": d["reference_rate"],
                 "denominator": den[g]}
        w = equity.what_it_takes(point, group=g, favourable=kpi.direction == "higher",
                                 multiplier=kpi.multiplier, unit=rate_unit(kpi),
                                 noun=kpi.noun or "people", per=PER[kpi.grain])
        out.append({"group": g, "label": group_label(g), **w,
                    "sentence": w["sentence"].rstrip(".") + "."})
    return out
