"""The documents of a snapshot besides the data: definitions, targets, rules, dictionary.

Pure functions from the register and published figures to JSON-ready dictionaries and
frames. Nothing here reads hidden figures: the callers pass only what is published.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from metrics.definitions import Kpi, Register
from metrics.groups import GROUP_CODES, GROUP_LABELS
from metrics.intervals import MIN_EVENTS
from metrics.status import RULES, Status
from metrics.targets import Target

__all__ = ["approved", "data_dictionary", "kpi_document", "status_rules", "target_document"]



def approved(target: Target | None) -> bool:
    """A target the public may see: agreed, complete and approved by someone."""
    return (target is not None and target.agreed and bool(target.approved_by.strip())
            and target.target_value is not None and target.target_date is not None)


def kpi_document(register: Register, kpi: Kpi) -> dict[str, Any]:
    goal = register.goals[kpi.goal_id]
    priority = register.priority_of(kpi)
    agency = register.agencies.get(kpi.agency_id)
    return {
        "kpi_id": kpi.kpi_id, "name": kpi.name, "description": kpi.description,
        "methodology": kpi.methodology, "measure": kpi.measure, "unit": kpi.unit,
        "multiplier": kpi.multiplier, "decimals": kpi.decimals, "direction": kpi.direction,
        "grain": kpi.grain, "fiscal_start": kpi.fiscal_start, "noun": kpi.noun,
        "disaggregations": list(kpi.disaggregations), "at_risk_threshold": kpi.at_risk_threshold,
        "equity_rule": kpi.equity_rule, "filter": kpi.filter, "numerator": kpi.numerator,
        "denominator": kpi.denominator, "value": kpi.value,
        "goal_id": goal.goal_id, "goal": goal.name, "priority_id": priority.priority_id,
        "priority": priority.name, "priority_order": priority.order,
        "agency_id": kpi.agency_id, "agency": agency.name if agency else kpi.agency_id,
    }


def target_document(t: Target) -> dict[str, Any]:
    return {
        "kpi_id": t.kpi_id, "region": t.region, "group": t.group,
        "baseline_value": t.baseline_value,
        "baseline_date": t.baseline_date.isoformat() if t.baseline_date else None,
        "target_value": t.target_value,
        "target_date": t.target_date.isoformat() if t.target_date else None,
        "interim": [{"date": i.date.isoformat(), "value": i.value} for i in t.interim],
        "set_by": t.set_by, "approved_by": t.approved_by,
        "approved_on": t.approved_on.isoformat() if t.approved_on else None, "source": t.source,
    }


def status_rules(kpis: list[Kpi]) -> dict[str, Any]:
    """The rules every status follows, in words and as parameters, so anyone can recompute them."""
    return {
        "statuses": [str(s) for s in Status],
        "trajectory": ("The interim target on a date is the straight line from the baseline "
                       "(value, end of the baseline period) to the target (value, date), "
                       "counted in days; dated interim targets, where set, override it."),
        "progress_ratio": ("(current - baseline) / (interim target - baseline), with the sign "
                           "reversed when lower is better."),
        "rules": {str(k): v for k, v in RULES.items()},
        "status_basis": ("A KPI's status is judged on its status_basis: 'latest' (its latest "
                         "period), 'rolling12' (the latest 12 months pooled), "
                         "'latest_quarter' (the latest 3 months pooled; the pro-rated target "
                         "of a pooled basis is the mean of the monthly pro-rated targets) or "
                         "'same_month_last_year' (the change since the same month a year "
                         "earlier, against a year of the planned change)."),
        "levels": ("Regions and groups are judged from their own baseline (their value at the "
                   "baseline period) against their own target where one is set, otherwise "
                   "against the statewide target value and date."),
        "change": ("Against the same period a year earlier and against the baseline: improving, "
                   "little or no change, or getting worse, using the confidence intervals where "
                   "they exist, else a 10% of the targeted change rule (Healthy People); windows "
                   "that share months are compared on the months that differ."),
        "methods": "docs/methods.md",
        "equity_rule": ("A KPI with equity_rule true cannot be 'on track' while its worst-off "
                        "group is off track."),
        "data": ("Statuses are computed from the published (suppressed) figures of this "
                 "snapshot: observations.csv with targets.json."),
        "kpis": {k.kpi_id: {"direction": k.direction, "at_risk_threshold": k.at_risk_threshold,
                            "equity_rule": k.equity_rule, "grain": k.grain,
                            "status_basis": k.status_basis}
                 for k in kpis},
    }


_COLUMNS: list[tuple[str, str, str]] = [
    ("kpi_id", "string", "KPI identifier (see kpis.json)."),
    ("period", "string", "Period label: 2026-10 (month), 2026-Q3 (quarter), 2026 (year), "
                         "FY2027 (fiscal year), R12-2026-10 (twelve months to Oct 2026)."),
    ("region", "string", "Region code (see regions.json); 'all' is statewide."),
    ("group", "string", "Race and ethnicity group code (see groups.json); 'all' is all groups; "
     "codes joined by '+' (e.g. 'aian+nhpi') are groups released together at the KPI's own "
     "grain because each alone is too small to publish most of the time (each is published "
     "on its own in the '12 months' rows)."),
    ("numerator", "number", "Events or people counted (empty when suppressed)."),
    ("denominator", "number", "People or population at risk (empty when suppressed)."),
    ("value", "number", "The measure in display units, e.g. percent or per 100,000 (empty when "
                        "suppressed)."),
    ("ci_low", "number", "Lower bound of the 95% confidence interval (empty when suppressed)."),
    ("ci_high", "number", "Upper bound of the 95% confidence interval (empty when suppressed)."),
    ("reliable", "boolean", f"False when the figure rests on fewer than {MIN_EVENTS} events."),
    ("period_start", "date", "First day of the period."),
    ("period_end", "date", "Last day of the period."),
    ("suppressed", "boolean", "True when the figures of this row are not published."),
    ("suppression_reason", "string", "Why the row is suppressed: a count below the threshold, "
                                     "a small remainder, a small group counted, or to protect "
                                     "another small cell."),
]

FILES = {
    "observations.csv": "Every published observation of every KPI.",
    "kpis/<kpi_id>.csv|.json|.parquet": "The published observations of one KPI.",
    "kpis.json": "Definitions of the published KPIs.",
    "targets.json": "Approved targets of the published KPIs.",
    "status_rules.json": "The rules that turn figures and targets into statuses.",
    "status.json": "Status of every published KPI, computed from the published figures.",
    "summaries.json": "Plain-language summaries, by language.",
    "regions.json": "Region codes and names.",
    "regions.geojson": "Region boundaries (GeoJSON, properties.region_id).",
    "groups.json": "Race and ethnicity group codes and labels (OMB SPD 15, 2024), with the "
                   "combined groups of this snapshot.",
    "data_dictionary.csv|.json": "This dictionary.",
    "data.json": "DCAT-US 1.1 catalog of this snapshot.",
    "manifest.json": "SHA-256 of every file and the settings used.",
}


def data_dictionary() -> tuple[pl.DataFrame, dict[str, Any]]:
    """The dictionary of observation columns, as a frame (CSV) and a document (JSON)."""
    frame = pl.DataFrame(_COLUMNS, schema=["column", "type", "description"], orient="row")
    doc = {"files": FILES, "columns": frame.to_dicts(),
           "groups": {c: GROUP_LABELS[c] for c in GROUP_CODES}}
    return frame, doc

