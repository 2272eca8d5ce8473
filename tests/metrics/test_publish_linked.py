"""The linked audit: what an attacker learns from all the tables of a release at once.

The attack: months inside a twelve-month window. Group ``a`` has a small count (5) in one
month; that month's statewide table hides it together with group ``b`` (two hidden cells
in the row, their sum known: each table alone is safe, and the per-table audit of
:mod:`metrics.suppression` passes it). But the twelve-month table publishes group ``a``'s
window total, and the other eleven months of ``a`` are published: the hidden month is
the window total minus the published months, exactly.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import polars as pl

from metrics.publish.linked import audit_release, protect_release
from metrics.publish.release import COARSE
from metrics.suppression import PUBLIC, check

A = [30, 31, 28, 5, 33, 29, 30, 32, 27, 31, 30, 29]   # group a by month (one small month)
B = [400 + 7 * i for i in range(12)]                   # group b by month
SHARE = {"r1": 0.6, "r2": 0.4}                         # regions' shares of each group


def _register() -> Any:
    kpi = SimpleNamespace(kpi_id="k", measure="count", grain="month", feed_id="f", filter="",
                          denominator="", link=None, public=True, disaggregations=("region", "group"))
    return SimpleNamespace(kpis={"k": kpi})


def _row(period: str, grain: str, region: str, group: str, n: float, start: date,
         end: date) -> dict[str, Any]:
    return {"kpi_id": "k", "period": period, "grain": grain, "region": region, "group": group,
            "numerator": float(n), "denominator": None, "value": float(n), "ci_low": None,
            "ci_high": None, "reliable": n >= 20, "period_start": start, "period_end": end}


def _truth() -> pl.DataFrame:
    rows = []
    for m in range(12):
        start, end = date(2025, m + 1, 1), date(2025, m + 1, 28)
        p = f"2025-{m + 1:02d}"
        rows += [_row(p, "month", "all", "a", A[m], start, end),
                 _row(p, "month", "all", "b", B[m], start, end),
                 _row(p, "month", "all", "all", A[m] + B[m], start, end)]
    s, e = date(2025, 1, 1), date(2025, 12, 31)
    ta, tb = sum(A), sum(B)
    for r, f in SHARE.items():
        ra, rb = round(ta * f), round(tb * f)
        if r == "r2":
            ra, rb = ta - round(ta * SHARE["r1"]), tb - round(tb * SHARE["r1"])
        rows += [_row("R12-2025-12", COARSE, r, "a", ra, s, e),
                 _row("R12-2025-12", COARSE, r, "b", rb, s, e),
                 _row("R12-2025-12", COARSE, r, "all", ra + rb, s, e)]
    rows += [_row("R12-2025-12", COARSE, "all", "a", ta, s, e),
             _row("R12-2025-12", COARSE, "all", "b", tb, s, e),
             _row("R12-2025-12", COARSE, "all", "all", ta + tb, s, e)]
    return pl.DataFrame(rows, schema_overrides={"denominator": pl.Float64, "ci_low": pl.Float64,
                                                "ci_high": pl.Float64})


def _publish(truth: pl.DataFrame, hidden: pl.Expr) -> pl.DataFrame:
    pub = truth.with_columns(suppressed=hidden, suppression_reason=pl.when(hidden).then(
        pl.lit("suppressed: fewer than 11")).otherwise(None))
    return pub.with_columns(pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c)
                            for c in ("numerator", "value", "ci_low", "ci_high", "reliable"))


def test_months_inside_a_window_uncover_a_count_each_table_alone_protects() -> None:
    truth = _truth()
    naive = _publish(truth, (pl.col("period") == "2025-04") & (pl.col("group") != "all"))
    # each table on its own passes the per-table LP audit
    frame = ["kpi_id", "period", "region", "group", "numerator", "denominator", "value",
             "ci_low", "ci_high"]
    check(truth.filter(pl.col("period") == "2025-04").select(frame),
          naive.filter(pl.col("period") == "2025-04").select(*frame, "suppressed"), PUBLIC)
    # ... but the linked audit finds the hidden 5 exactly
    audit = audit_release(_register(), truth, naive, PUBLIC)
    hit = audit.intervals.filter((pl.col("period") == "2025-04") & (pl.col("group") == "a"))
    assert hit.rows(named=True)[0]["low"] == hit.rows(named=True)[0]["high"] == 5
    assert audit.narrowed == 1 and "narrowed to [5, 5]" in audit.problems[0]


def test_the_chosen_pattern_passes_the_linked_audit_and_keeps_the_statewide_total() -> None:
    truth = _truth()
    chosen = protect_release(_register(), truth, PUBLIC)
    hidden = chosen.get_column("suppression_reason").is_not_null()
    pub = _publish(truth.with_columns(_h=hidden), pl.col("_h")).drop("_h")
    audit = audit_release(_register(), truth, pub, PUBLIC)
    assert audit.problems == [] and audit.intervals.height >= 1
    assert audit.intervals.get_column("ok").all()
    totals = pub.filter((pl.col("region") == "all") & (pl.col("group") == "all"))
    assert not totals.get_column("suppressed").any()
    # the month with the small count is hidden; the other months of group b stay published
    assert pub.filter((pl.col("period") == "2025-04") & (pl.col("group") == "a")).item(0, "suppressed")
    b_hidden = pub.filter((pl.col("grain") == "month") & (pl.col("group") == "b")).get_column(
        "suppressed").sum()
    assert b_hidden <= 2


# -- least-loss complements: the exact choice is the optimum among audited patterns ---------

SMALL_TABLE = {"a": [5, 26, 31], "b": [400, 380, 420], "c": [14, 60, 12]}


def _small_truth() -> pl.DataFrame:
    rows = []
    for m in range(3):
        start, end = date(2025, m + 1, 1), date(2025, m + 1, 28)
        p = f"2025-{m + 1:02d}"
        for g, v in SMALL_TABLE.items():
            rows.append(_row(p, "month", "all", g, v[m], start, end))
        rows.append(_row(p, "month", "all", "all", sum(v[m] for v in SMALL_TABLE.values()),
                         start, end))
    s, e = date(2025, 1, 1), date(2025, 3, 31)
    for region in ("all", "r1", "r2"):
        part = {g: (sum(v) if region == "all" else round(sum(v) * SHARE["r1"]) if region == "r1"
                    else sum(v) - round(sum(v) * SHARE["r1"])) for g, v in SMALL_TABLE.items()}
        for g, n in part.items():
            rows.append(_row("R12-2025-03", COARSE, region, g, n, s, e))
        rows.append(_row("R12-2025-03", COARSE, region, "all", sum(part.values()), s, e))
    return pl.DataFrame(rows, schema_overrides={"denominator": pl.Float64, "ci_low": pl.Float64,
                                                "ci_high": pl.Float64})


def test_least_loss_cells_are_the_optimum_of_every_pattern_the_audit_passes() -> None:
    from itertools import combinations

    from metrics.publish.leastloss import LARGE_COST, least_loss_cells, loss_of
    from metrics.publish.linked import CountTable, _fails, _table_rows

    truth = _small_truth()
    rows = _table_rows(CountTable("n", "numerator", ["k"]), truth,
                       truth.with_columns(suppressed=pl.lit(False)), PUBLIC)
    block = rows.filter(pl.col("grain") == "month")
    cells = [(r["period"], r["grain"], r["region"], r["group"])
             for r in block.filter(pl.col("group") != "all").iter_rows(named=True)]
    must = {c for c in cells if c[0] == "2025-01" and c[3] == "a"}

    def passes(hidden: set[tuple[object, ...]]) -> bool:
        return not _fails(rows, hidden, PUBLIC, False, False, native_only=True, split=True)

    exact = least_loss_cells(block, band=PUBLIC.band, column_sums={"a", "b", "c"}, accept=passes)
    assert exact is not None and must <= exact and passes(exact)
    others = [c for c in cells if c not in must]
    best = min(loss_of(block, must | set(extra)) for k in range(len(others) + 1)
               for extra in combinations(others, k) if passes(must | set(extra)))
    assert loss_of(block, exact) == best
    # the partners are the two figures under 20 (c in January and March) and a in March:
    # one figure of 20 or more hidden, where hiding group b (400 a month) would cost more
    assert best // LARGE_COST == 1
    assert {c[3] for c in exact} == {"a", "c"}
