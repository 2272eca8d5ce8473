"""Disclosure control of a public snapshot: one function, applied before anything is written.

Two kinds of count are published in an observation frame, and both are protected with
:mod:`metrics.suppression` (primary and complementary suppression, LP audit):

* the numerator of a proportion, rate or count KPI (events or people), and
* the denominator of every KPI that has one (people counted: births, students, paid
  claims; or the population at risk). For mean and median KPIs the denominator is the
  only count, and their numerator (a sum of dollars or days) is not treated as a count.

A cell hidden in either table is hidden whole (numerator, denominator, value and interval).
KPIs built on the same denominator (same feed, filter, denominator expression and grain,
e.g. the three measures of paid unemployment claims) share one denominator pattern, so
that one KPI's published denominators cannot uncover another's hidden ones.

The audit runs on each table's own pattern (``check`` of :mod:`metrics.suppression`);
what is finally published hides a superset of both, so an attacker knows strictly less
than each audit assumed. Each table (``kpi_id, period``) is protected on its own; periods
that overlap (rolling twelve months) are not linked: their differences give the change
between two months, never one month's count.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from metrics.definitions import Kpi, Register
from metrics.suppression import (
    COMPLEMENTARY_REASON,
    DisclosureError,
    SuppressionPolicy,
    audit_frame,
    check,
    suppress,
)

__all__ = ["COUNT_MEASURES", "PUBLISHED_COLUMNS", "Protected", "protect", "protect_cached",
           "public_observations"]

#: Measures whose numerator is a count of events or people.
COUNT_MEASURES = ("proportion", "rate", "count")
#: Columns of a published observation file, in order.
PUBLISHED_COLUMNS = ["kpi_id", "period", "region", "group", "numerator", "denominator", "value",
                     "ci_low", "ci_high", "reliable", "period_start", "period_end", "suppressed",
                     "suppression_reason"]
_CELL = ["kpi_id", "period", "region", "group"]
_HIDDEN = ("numerator", "denominator", "value", "ci_low", "ci_high")
_FRAME = ["kpi_id", "period", "region", "group", "numerator", "denominator", "value", "ci_low",
          "ci_high"]


@dataclass(frozen=True)
class Protected:
    """A suppressed observation frame and what it took.

    Attributes:
        observations: the public observations with ``suppressed`` and ``suppression_reason``
            (plus ``period_start``/``period_end``), hidden columns null.
        primary: cells hidden for their own sake (small count or small remainder).
        complementary: cells hidden only to protect another.
        audit: the LP interval of every hidden count (``audit=True`` only; else empty).
    """

    observations: pl.DataFrame
    primary: int
    complementary: int
    audit: pl.DataFrame


def public_observations(register: Register, obs: pl.DataFrame) -> pl.DataFrame:
    """Rows of public KPIs only (the demo's ``repeat_maltreatment`` never passes)."""
    public = sorted(k.kpi_id for k in register.kpis.values() if k.public)
    return obs.filter(pl.col("kpi_id").is_in(public))


def _denominator_key(kpi: Kpi) -> str:
    link = kpi.link.feed_id if kpi.link else ""
    return "|".join((kpi.feed_id, kpi.filter, kpi.denominator, kpi.grain, link))


def _numerator_frame(register: Register, obs: pl.DataFrame) -> pl.DataFrame:
    ids = [k.kpi_id for k in register.kpis.values() if k.measure in COUNT_MEASURES]
    return obs.filter(pl.col("kpi_id").is_in(ids)).select(_FRAME)


def _denominator_frame(obs: pl.DataFrame) -> pl.DataFrame:
    """Denominators as counts: ``numerator := denominator``, nothing else known."""
    with_d = obs.filter(pl.col("denominator").is_not_null().any().over("kpi_id"))
    return with_d.select(
        *_CELL, numerator=pl.col("denominator"), denominator=pl.lit(None, pl.Float64),
        value=pl.lit(None, pl.Float64), ci_low=pl.lit(None, pl.Float64),
        ci_high=pl.lit(None, pl.Float64))


def _shared(register: Register, supp: pl.DataFrame) -> pl.DataFrame:
    """One hidden-denominator pattern per denominator key (the union over its KPIs)."""
    keys = pl.DataFrame({"kpi_id": list(register.kpis),
                         "_dkey": [_denominator_key(k) for k in register.kpis.values()]})
    s = supp.select(*_CELL, "suppression_reason").join(keys, on="kpi_id", how="left")
    primary = pl.col("suppression_reason").is_not_null() & (
        pl.col("suppression_reason") != COMPLEMENTARY_REASON)
    over = ["_dkey", "period", "region", "group"]
    return s.with_columns(
        suppression_reason=pl.when(primary.any().over(over))
        .then(pl.col("suppression_reason").filter(primary).first().over(over))
        .when(pl.col("suppression_reason").is_not_null().any().over(over))
        .then(pl.lit(COMPLEMENTARY_REASON)).otherwise(None)).drop("_dkey")


def _denominator_reason(register: Register, policy: SuppressionPolicy) -> pl.Expr:
    """Reason text of a denominator hidden for its own sake, in the KPI's words."""
    people = [k.kpi_id for k in register.kpis.values() if k.measure not in COUNT_MEASURES]
    r = pl.col("_b")
    own = r.is_not_null() & (r != COMPLEMENTARY_REASON)
    return (pl.when(own & ~pl.col("kpi_id").is_in(people))
            .then(pl.lit(f"suppressed: fewer than {policy.threshold} in the group counted"))
            .otherwise(r))


def protect(register: Register, obs: pl.DataFrame, policy: SuppressionPolicy, *,
            audit: bool = False) -> Protected:
    """Suppress every published count of ``obs`` (public KPIs only) and audit it.

    Raises:
        DisclosureError: the LP audit of a numerator or denominator table fails, or a
            hidden cell still carries a figure. Nothing has been written.
    """
    obs = public_observations(register, obs)
    num = _numerator_frame(register, obs)
    den = _denominator_frame(obs)
    num_s = suppress(num, policy)
    den_s = _shared(register, suppress(den, policy))
    den_pub = den.join(den_s, on=_CELL, how="left").with_columns(
        suppressed=pl.col("suppression_reason").is_not_null()).with_columns(
        pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("numerator")).alias("numerator"))
    # The gate: each table's pattern passes the LP audit, or nothing is published.
    problems: list[str] = []
    for original, published, what in ((num, num_s, "numerator"), (den, den_pub, "denominator")):
        try:
            check(original, published, policy)
        except DisclosureError as exc:
            problems += [f"{what}: {p}" for p in exc.problems]
    if problems:
        raise DisclosureError(problems)

    a = num_s.select(*_CELL, _a="suppression_reason")
    b = den_s.select(*_CELL, _b="suppression_reason")
    out = obs.join(a, on=_CELL, how="left").join(b, on=_CELL, how="left")
    out = out.with_columns(_b=_denominator_reason(register, policy))
    own = [pl.when(pl.col(c).is_not_null() & (pl.col(c) != COMPLEMENTARY_REASON)).then(pl.col(c))
           for c in ("_a", "_b")]
    out = out.with_columns(
        suppression_reason=pl.coalesce(*own, pl.col("_a"), pl.col("_b"))).drop("_a", "_b")
    out = out.with_columns(suppressed=pl.col("suppression_reason").is_not_null())
    out = out.with_columns(pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c)
                           for c in _HIDDEN)
    out = out.select(PUBLISHED_COLUMNS).sort(
        "kpi_id", "period_end", "region", "group")
    _assert_superset(out, num_s, den_s)
    reasons = out.get_column("suppression_reason")
    comp = int((reasons == COMPLEMENTARY_REASON).sum())
    prim = int(reasons.is_not_null().sum()) - comp
    table = pl.DataFrame()
    if audit:
        table = pl.concat([
            audit_frame(num_s, num, policy).with_columns(count=pl.lit("numerator")),
            audit_frame(den_pub, den, policy).with_columns(count=pl.lit("denominator")),
        ], how="diagonal_relaxed").sort("kpi_id", "period", "region", "group", "count")
    return Protected(out, prim, comp, table)


def _assert_superset(out: pl.DataFrame, *patterns: pl.DataFrame) -> None:
    hidden = out.filter("suppressed").select(_CELL)
    problems = []
    for p in patterns:
        missing = p.filter(pl.col("suppression_reason").is_not_null()).select(_CELL).join(
            hidden, on=_CELL, how="anti")
        problems += [f"{r['kpi_id']} {r['period']} region={r['region']} group={r['group']}: "
                     "audited as hidden but published" for r in missing.iter_rows(named=True)]
    leaks = out.filter(pl.col("suppressed") & pl.any_horizontal(
        pl.col(c).is_not_null() for c in _HIDDEN))
    problems += [f"{r['kpi_id']} {r['period']} region={r['region']} group={r['group']}: "
                 "hidden but a figure is left" for r in leaks.iter_rows(named=True)]
    if problems:
        raise DisclosureError(problems)


_CACHE: dict[tuple[str, SuppressionPolicy, bool], Protected] = {}


def protect_cached(register: Register, obs: pl.DataFrame, policy: SuppressionPolicy, *,
                   audit: bool = False) -> Protected:
    """:func:`protect`, remembered in this process for the same data, KPIs and policy.

    A preview followed by a publication of the same data runs the audit once. A result
    computed with ``audit=True`` also serves a later call without it.
    """
    import hashlib

    public = public_observations(register, obs).select(*_FRAME, "reliable", "period_start",
                                                      "period_end")
    digest = hashlib.sha256(public.hash_rows(seed=7).to_numpy().tobytes())
    digest.update(repr(sorted((k.kpi_id, k.measure, _denominator_key(k))
                              for k in register.kpis.values() if k.public)).encode())
    key = digest.hexdigest()
    for a in ((True, False) if not audit else (True,)):
        if (key, policy, a) in _CACHE:
            return _CACHE[(key, policy, a)]
    result = protect(register, obs, policy, audit=audit)
    if len(_CACHE) >= 4:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[(key, policy, audit)] = result
    return result
