"""Groups too small to publish month after month are released as one combined figure.

Group ``a`` has a handful of events a month (small in every month), ``b`` a few dozen and
``c`` hundreds. Alone, ``a`` would be hidden every month together with ``b`` (the next
smallest), although ``b`` is large. The release instead publishes ``a+b`` by month and
``a`` and ``b`` each by twelve months; the linked audit ties the combined months to the
sum of their members' twelve-month figures, so a hidden member cannot be recovered from
the combination either.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import polars as pl

from metrics.groups import label
from metrics.publish.linked import audit_release, protect_release
from metrics.publish.release import COARSE, combinations, release
from metrics.suppression import PUBLIC

A = [3, 5, 2, 6, 4, 1, 5, 3, 2, 4, 6, 3]          # small every month (44 in the year)
B = [30 + i for i in range(12)]                     # a few dozen
C = [400 + 7 * i for i in range(12)]                # hundreds
R1 = 0.6                                            # region r1's share of every group


def _register(**over: Any) -> Any:
    fields = dict(kpi_id="k", measure="count", grain="month", feed_id="f", filter="",
                  denominator="", link=None, public=True, disaggregations=("region", "group"),
                  multiplier=1.0, age_adjusted=False, decimals=0, plausible_min=None,
                  plausible_max=None)
    kpi = SimpleNamespace(**(fields | over))
    return SimpleNamespace(kpis={"k": kpi})


def _obs(a: list[int] = A) -> pl.DataFrame:
    """Internal observations: months x (statewide, r1, r2) x (a, b, c, all)."""
    rows = []
    for m in range(12):
        start, end = date(2025, m + 1, 1), date(2025, m + 1, 28)
        by_group = {"a": a[m], "b": B[m], "c": C[m]}
        for region in ("all", "r1", "r2"):
            part = {g: (n if region == "all" else round(n * R1) if region == "r1"
                        else n - round(n * R1)) for g, n in by_group.items()}
            for g, n in (*part.items(), ("all", sum(part.values()))):
                rows.append({"kpi_id": "k", "period": f"2025-{m + 1:02d}", "region": region,
                             "group": g, "numerator": float(n), "denominator": None,
                             "value": float(n), "ci_low": None, "ci_high": None,
                             "reliable": n >= 20, "period_start": start, "period_end": end})
    return pl.DataFrame(rows, schema_overrides={"denominator": pl.Float64,
                                                "ci_low": pl.Float64, "ci_high": pl.Float64})


def test_a_chronically_small_group_is_combined_with_the_next_smallest() -> None:
    reg = _register()
    assert combinations(reg, _obs(), list(reg.kpis.values()), 11) == {"k": "a+b"}
    # small in only a third of the months: published alone where it can be, not combined
    some = [3, 5, 2, 6] + [30] * 8
    assert combinations(reg, _obs(some), list(reg.kpis.values()), 11) == {}
    # figures that do not add up (medians, age-adjusted rates) are never combined
    assert combinations(_register(measure="median"), _obs(), [], 11) == {}
    aged = _register(measure="rate", age_adjusted=True)
    assert combinations(aged, _obs(), list(aged.kpis.values()), 11) == {}


def test_the_release_shows_the_combination_by_month_and_each_member_by_year() -> None:
    rel = release(_register(), _obs())
    native = rel.filter(pl.col("grain") == "month")
    assert set(native.get_column("group").to_list()) == {"a+b", "c", "all"}
    combo = native.filter(pl.col("group") == "a+b").sort("period")
    assert combo.get_column("numerator").to_list() == [float(a + b) for a, b in zip(A, B, strict=True)]
    # each month's groups still add up to its statewide total
    totals = native.filter(pl.col("group") == "all").sort("period").get_column("numerator")
    assert totals.to_list() == [float(a + b + c) for a, b, c in zip(A, B, C, strict=True)]
    year = rel.filter((pl.col("grain") == COARSE) & (pl.col("region") == "all"))
    assert dict(year.select("group", "numerator").rows()) == {
        "a": sum(A), "b": sum(B), "c": sum(C), "all": sum(A) + sum(B) + sum(C)}


def test_the_chosen_pattern_publishes_every_month_and_passes_the_linked_audit() -> None:
    reg = _register()
    truth = release(reg, _obs())
    chosen = protect_release(reg, truth, PUBLIC)
    pub = chosen.with_columns(suppressed=pl.col("suppression_reason").is_not_null())
    pub = pub.with_columns(pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c)
                           for c in ("numerator", "value", "ci_low", "ci_high", "reliable"))
    audit = audit_release(reg, truth, pub, PUBLIC)
    assert audit.problems == []
    monthly = pub.filter(pl.col("grain") == "month")
    assert not monthly.get_column("suppressed").any()  # before: a and b hidden every month


def _publish(truth: pl.DataFrame, hidden: pl.Expr) -> pl.DataFrame:
    pub = truth.with_columns(suppressed=hidden, suppression_reason=pl.when(hidden).then(
        pl.lit("suppressed")).otherwise(None))
    return pub.with_columns(pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c)
                            for c in ("numerator", "value", "ci_low", "ci_high", "reliable"))


def test_a_hidden_member_is_recovered_from_the_combined_months_and_the_audit_says_so() -> None:
    """Hide group a's twelve-month figures (a year total of 8 is small) but publish b's:
    the twelve combined months add up to a + b, so a = sum(a+b) - b exactly."""
    tiny = [1, 0, 1, 0, 1, 0, 2, 0, 1, 0, 1, 1]
    reg = _register()
    truth = release(reg, _obs(tiny))
    assert set(truth.filter(pl.col("grain") == "month").get_column("group")) == {"a+b", "c", "all"}
    coarse_a = (pl.col("grain") == COARSE) & (pl.col("group") == "a")
    leaky = _publish(truth, coarse_a)
    audit = audit_release(reg, truth, leaky, PUBLIC)
    bad = audit.intervals.filter(~pl.col("ok"))
    assert bad.filter((pl.col("region") == "all") & (pl.col("group") == "a")).height == 1
    assert bad.item(0, "high") - bad.item(0, "low") < 1  # pinned exactly
    # hiding b's twelve-month figures too leaves a wide enough
    safe = _publish(truth, (pl.col("grain") == COARSE) & pl.col("group").is_in(["a", "b"]))
    assert audit_release(reg, truth, safe, PUBLIC).narrowed == 0


def test_combined_groups_are_named_by_their_members() -> None:
    assert label("aian+nhpi") == ("American Indian or Alaska Native and Native Hawaiian or "
                                  "Pacific Islander (combined)")
    assert label("aian+mena+nhpi", "es").endswith("(combinados)")
    assert " y " in label("aian+nhpi", "es")

