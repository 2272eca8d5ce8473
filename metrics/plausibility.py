"""Plausibility: figures a measure cannot plausibly take, and groups that fall short of the total.

* A KPI may declare the range its values can plausibly take (``plausible_min`` and
  ``plausible_max`` in ``kpis.csv``, in the KPI's unit, e.g. 0 to 20 deaths per 100
  cases).  A value outside it is a data-quality finding, and the engine never calls it
  reliable (:func:`within`).
* A proportion above 100% is impossible whatever the declared range.
* A KPI whose all-groups figure is the file's own total (``total_from = file``) reports
  how much of that total the groups account for: "the groups cover 64% of the total".
  Below :data:`COVERAGE_WARNING` it is a finding: group figures leave people out.

Jumps from one period to the next are checked by :mod:`metrics.governance.quality`.
"""

from __future__ import annotations

import polars as pl

from metrics.definitions import Kpi, Register
from metrics.engine.file_totals import coverage
from metrics.engine.plausible import within
from metrics.governance.check import NA, OK, PROBLEM, WARNING, Check
from metrics.groups import ALL, label

COVERAGE_WARNING = 0.9


def _where(register: Register, r: dict) -> str:
    region = register.region_name(r["region"])
    return f"{region}, {label(r['group'])}, {r['period']}"


def range_check(register: Register, obs_kpi: pl.DataFrame, kpi: Kpi) -> Check:
    """Values outside the declared plausible range (or a proportion above 100%)."""
    title = "Plausible values"
    if kpi.plausible_min is None and kpi.plausible_max is None and kpi.measure != "proportion":
        return Check(title, NA, "No plausible range declared for this KPI (plausible_min and "
                     "plausible_max in kpis.csv).")
    o = obs_kpi.filter(pl.col("value").is_not_null())
    if o.height == 0:
        return Check(title, NA, "Nothing to check yet.")
    bad = o.filter(~pl.Series(within(o.get_column("value").to_numpy().astype(float), kpi)))
    lo = "" if kpi.plausible_min is None else kpi.format_value(kpi.plausible_min)
    hi = "" if kpi.plausible_max is None else kpi.format_value(kpi.plausible_max)
    declared = (f"the plausible range {lo or '…'} to {hi or '…'} declared in kpis.csv"
                if lo or hi else "100%")
    if bad.height == 0:
        return Check(title, OK, f"All {o.height:,} figures are within {declared}.")
    bad = bad.sort("value", descending=True)
    worst = bad.row(0, named=True)
    return Check(title, PROBLEM if kpi.measure == "proportion" and worst["value"] > kpi.multiplier
                 else WARNING,
                 f"{bad.height:,} of {o.height:,} figures are outside {declared}, e.g. "
                 f"{kpi.format_value(worst['value'])} for {_where(register, worst)}; they are not "
                 "counted as reliable. Check them with the agency.",
                 bad.select("period", "region", "group", "numerator", "denominator", "value"))


def coverage_check(register: Register, obs_kpi: pl.DataFrame, kpi: Kpi) -> Check:
    """How much of the file's own total the groups account for (``total_from = file``)."""
    title = "Groups cover the total"
    if kpi.total_from != "file":
        return Check(title, NA, "The all-groups figure is the sum of the groups.")
    cov = coverage(obs_kpi).drop_nulls("coverage")
    if cov.height == 0:
        return Check(title, NA, "No total from the file yet.")
    last = str(cov.get_column("period").max())
    latest = cov.filter(pl.col("period") == last)
    state = latest.filter(pl.col("region") == ALL)
    regions = latest.filter(pl.col("region") != ALL).sort("coverage")
    noun = kpi.noun if kpi.measure in ("proportion", "rate") else "the denominator"
    if state.height:
        s = state.row(0, named=True)
        text = (f"In {last} the groups cover {s['coverage']:.0%} of the file's total "
                f"({s['groups']:,.0f} of {s['total']:,.0f} {noun}, statewide)")
        share = s["coverage"]
    else:
        text, share = f"In {last}", 1.0
    if regions.height:
        low = regions.row(0, named=True)
        text += (f"; lowest: {register.region_name(low['region'])}, {low['coverage']:.0%}")
        share = min(share, low["coverage"])
    text += ". The all-groups figure is the file's own total; the groups do not add up to it."
    return Check(title, WARNING if share < COVERAGE_WARNING else OK, text, cov)


def plausibility_checks(register: Register, obs_kpi: pl.DataFrame, kpi: Kpi) -> list[Check]:
    return [range_check(register, obs_kpi, kpi), coverage_check(register, obs_kpi, kpi)]
