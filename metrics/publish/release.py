"""What a KPI's public release holds, grain by grain: aggregate before suppressing.

A KPI measured by month, quarter or rolling twelve months is released at two grains:

* its own grain (``grain`` = the KPI's grain): the statewide figure and the statewide
  figure of every group, period by period (the trend people read);
* twelve months (``grain = "12 months"``): the full region x group table, with region and
  group totals, for the twelve-month windows ending at the KPI's latest period and every
  twelve months before it (``R12-2026-10``, ``R12-2025-10``, ...). The windows do not
  overlap; a region or a small group whose monthly count is too small to publish is
  published as a twelve-month figure instead of being hidden.

A group whose statewide count is too small to publish in at least half of a KPI's own
periods (NHPI in most states) would be hidden month after month together with the next
smallest group, which is then hidden although it is large. Such groups are released at
the KPI's own grain as one combined figure (``"aian+nhpi"``: the smallest groups together,
padded with the next smallest until the combination is itself publishable most of the
time) and each on its own in the twelve-month tables. KPIs that share a denominator
combine the same groups; KPIs whose figures cannot be added up (means, medians, sums,
age-adjusted rates) are never combined.

Regions are released at the twelve-month grain only: with statewide-by-group figures by
month and region x group figures by twelve months, every figure an attacker sees comes
from two two-way tables that share one margin (the twelve-month statewide figure of each
group), which :mod:`.linked` audits exactly. KPIs measured by year (or fiscal year) are
released at their own grain with the full table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import polars as pl

from metrics.definitions import Kpi, Register
from metrics.groups import ALL, UNKNOWN, combined_code

__all__ = ["CHRONIC_SHARE", "COARSE", "RELEASE_COLUMNS", "coarse_windows", "combinations",
           "release", "split_kpis", "window_label"]

#: Grain label of the twelve-month region x group tables.
COARSE = "12 months"
#: KPI grains released as statewide-by-group at their own grain plus twelve-month tables.
SPLIT_GRAINS = ("month", "quarter", "rolling12")
SUMMABLE = ("proportion", "rate", "count", "sum")
#: Measures whose group figures add up to a combined group's (counts of people or events).
COMBINABLE = ("proportion", "rate", "count")
#: A group whose own statewide count is small in at least this share of a KPI's own
#: periods is released at that grain only inside a combined group.
CHRONIC_SHARE = 0.5
RELEASE_COLUMNS = ["kpi_id", "period", "grain", "region", "group", "numerator", "denominator",
                   "value", "ci_low", "ci_high", "reliable", "period_start", "period_end"]


def split_kpis(register: Register) -> list[Kpi]:
    """KPIs released at two grains (see module docs)."""
    return [k for k in register.kpis.values()
            if k.grain in SPLIT_GRAINS and "region" in k.disaggregations]


def _den_key(kpi: Kpi) -> str:
    link = kpi.link.feed_id if kpi.link else ""
    return "|".join((kpi.feed_id, kpi.filter, kpi.denominator, kpi.grain, link))


def window_label(end: date) -> str:
    return f"R12-{end:%Y-%m}"


def _month_start(d: date) -> date:
    return date(d.year, d.month, 1)


def _shift(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(y, m + 1, 1)


def coarse_windows(native: pl.DataFrame) -> list[tuple[str, date, date]]:
    """Non-overlapping twelve-month windows ``(label, start, end)`` of one KPI's rows.

    The latest window ends with the KPI's latest period; only windows fully covered by
    the KPI's periods are kept.
    """
    if native.height == 0:
        return []
    first = native.get_column("period_start").min()
    last = native.get_column("period_end").max()
    assert isinstance(first, date) and isinstance(last, date)
    out = []
    end_month = _month_start(last)
    while True:
        start = _shift(end_month, -11)
        if start < _month_start(first):
            break
        end = date.fromordinal(_shift(end_month, 1).toordinal() - 1)
        out.append((window_label(end_month), start, end))
        end_month = _shift(end_month, -12)
    return out[::-1]


def _smallest(kpi: Kpi, rows: pl.DataFrame) -> pl.Expr:
    """The smallest count a row's figure rests on (events, people, non-events)."""
    n, d = pl.col("numerator"), pl.col("denominator")
    parts = [n, d] + ([d - n] if kpi.measure == "proportion" else [])
    return pl.min_horizontal(parts)


def _sum(column: str) -> pl.Expr:
    """The sum of a column, null where every value is (a count KPI has no denominator)."""
    c = pl.col(column)
    return pl.when(c.is_not_null().any()).then(c.sum()).otherwise(None).alias(column)


def _small_share(kpis: list[Kpi], native: dict[str, pl.DataFrame], codes: set[str] | None,
                 threshold: int) -> dict[str, float]:
    """Per group (or for the combination ``codes``, under the key ``"+"``): the largest
    share, over ``kpis``, of own-grain periods in which its statewide count is small."""
    out: dict[str, float] = {}
    for k in kpis:
        rows = native[k.kpi_id].filter(pl.col("group") != ALL)
        if codes is not None:
            rows = rows.filter(pl.col("group").is_in(list(codes))).group_by("period").agg(
                pl.col("numerator").sum(), _sum("denominator")).with_columns(group=pl.lit("+"))
        share = rows.group_by("group").agg(
            small=(_smallest(k, rows).fill_null(0) < threshold).mean())
        for g, v in share.iter_rows():
            out[g] = max(out.get(g, 0.0), float(v))
    return out


def combinations(register: Register, obs: pl.DataFrame, kpis: list[Kpi], threshold: int
                 ) -> dict[str, str]:
    """KPI id -> the code of its combined group at its own grain (only KPIs that have one).

    Per set of KPIs sharing a denominator: the groups small in at least
    :data:`CHRONIC_SHARE` of the periods of any of them, joined (when alone, or while the
    combination is itself that often small) by the next smallest group, "unknown" last.
    No combination when a KPI of the set cannot be combined or when no group would be
    left beside it.
    """
    by_key: dict[str, list[Kpi]] = {}
    for k in kpis:
        by_key.setdefault(_den_key(k), []).append(k)
    native = {k.kpi_id: obs.filter((pl.col("kpi_id") == k.kpi_id) & (pl.col("region") == ALL))
              for k in kpis}
    out: dict[str, str] = {}
    for key, ks in by_key.items():
        sharing = [k for k in register.kpis.values() if _den_key(k) == key]
        if any(k.measure not in COMBINABLE or k.age_adjusted or k.kpi_id not in native
               for k in sharing):
            continue
        share = _small_share(ks, native, None, threshold)
        chosen = {g for g, v in share.items() if v >= CHRONIC_SHARE}
        if not chosen:
            continue
        sizes = pl.concat([native[k.kpi_id] for k in ks]).filter(pl.col("group") != ALL) \
            .group_by("group").agg(pl.col("denominator").sum(), pl.col("numerator").sum())
        order = [g for g, *_ in sorted(sizes.iter_rows(), key=lambda r: (
            r[0] == UNKNOWN, r[1] if r[1] is not None else r[2] or 0, r[0]))
            if g not in chosen]
        while order and (len(chosen) < 2 or _small_share(ks, native, chosen, threshold).get(
                "+", 0.0) >= CHRONIC_SHARE):
            chosen.add(order.pop(0))
        if not order or len(chosen) < 2:
            continue  # the combination would be the statewide total
        code = combined_code(chosen)
        out.update({k.kpi_id: code for k in ks})
    return out


def _combine(kpi: Kpi, native: pl.DataFrame, code: str) -> pl.DataFrame:
    """``native`` (statewide rows) with the members of ``code`` replaced by their sum."""
    from metrics.engine.compute import finish_observations
    from metrics.groups import members

    inside = pl.col("group").is_in(list(members(code)))
    t = native.filter(inside).group_by("period").agg(
        num=pl.col("numerator").sum(), den=_sum("denominator"),
        period_start=pl.col("period_start").first(), period_end=pl.col("period_end").first()
    ).with_columns(region=pl.lit(ALL), group=pl.lit(code))
    fin = finish_observations(t.select("period", "region", "group", "num", "den"), kpi)
    fin = fin.join(t.select("period", "region", "group", "period_start", "period_end"),
                   on=["period", "region", "group"])
    return pl.concat([native.filter(~inside), fin], how="diagonal_relaxed")


def _aggregate(kpi: Kpi, rows: pl.DataFrame, windows: Sequence[tuple[str, date, date]]
               ) -> pl.DataFrame:
    """Twelve-month figures of a summable KPI from its own-grain rows (sums, then values)."""
    from metrics.engine.compute import finish_observations

    parts = []
    for label, start, end in windows:
        inside = rows.filter((pl.col("period_start") >= start) & (pl.col("period_end") <= end))
        parts.append(inside.group_by("region", "group").agg(
            num=pl.col("numerator").sum(), den=pl.col("denominator").sum())
            .with_columns(period=pl.lit(label), period_start=pl.lit(start),
                          period_end=pl.lit(end)))
    if not parts:
        return pl.DataFrame()
    t = pl.concat(parts)
    fin = finish_observations(t.select("period", "region", "group", "num", "den"), kpi)
    return fin.join(t.select("period", "region", "group", "period_start", "period_end"),
                    on=["period", "region", "group"])


def _engine(register: Register, sources: Any, kpis: list[Kpi],
            windows: dict[str, list[tuple[str, date, date]]]) -> pl.DataFrame:
    from metrics.engine import compute

    rolled = [replace(k, grain="rolling12") for k in kpis]
    periods = {k.kpi_id: {w[0] for w in windows[k.kpi_id]} for k in kpis}
    return compute(register, sources, rolled, periods=periods)


def release(register: Register, obs: pl.DataFrame, *, sources: Any = None,
            threshold: int = 11) -> pl.DataFrame:
    """The rows a snapshot releases (before suppression), with their ``grain``.

    ``obs`` are the internal observations of the public KPIs. ``sources`` (feed files,
    :func:`metrics.engine.current_sources`) are needed only for twelve-month medians and
    means; without them such KPIs are released at their own grain with the full table.
    ``threshold``: the smallest count published (which groups are combined).
    """
    split = {k.kpi_id: k for k in split_kpis(register)}
    if sources is None:
        # medians and means need the feed files for twelve-month figures; KPIs sharing
        # their denominator keep the same release, or the shared counts would link a
        # monthly region table to twelve-month ones
        stuck = {_den_key(k) for k in split.values()
                 if k.measure not in SUMMABLE and k.grain != "rolling12"}
        split = {i: k for i, k in split.items() if _den_key(k) not in stuck}
    out: list[pl.DataFrame] = []
    windows: dict[str, list[tuple[str, date, date]]] = {}
    need_engine: list[Kpi] = []
    combos = combinations(register, obs, [k for k in split.values()
                                          if k.measure in COMBINABLE], threshold)
    for kpi in register.kpis.values():
        rows = obs.filter(pl.col("kpi_id") == kpi.kpi_id)
        if rows.height == 0:
            continue
        k = split.get(kpi.kpi_id)
        if k is not None:
            native = rows.filter(pl.col("region") == "all")
            if k.grain == "rolling12":
                ends = sorted(native.get_column("period_end").unique().to_list())
                last = ends[-1]
                labels = []
                m = _month_start(last)
                while any(_month_start(e) == m for e in ends):
                    labels.append(window_label(m))
                    m = _shift(m, -12)
                coarse = rows.filter(pl.col("period").is_in(labels))
            else:
                # windows over the months the KPI's own periods cover
                windows[k.kpi_id] = coarse_windows(native)
                if k.measure in SUMMABLE:
                    coarse = _aggregate(k, rows, windows[k.kpi_id])
                else:
                    need_engine.append(k)
                    coarse = pl.DataFrame()
            if kpi.kpi_id in combos:
                native = _combine(kpi, native, combos[kpi.kpi_id])
            out.append(native.with_columns(grain=pl.lit(kpi.grain)))
            if coarse.height:
                out.append(coarse.with_columns(kpi_id=pl.lit(kpi.kpi_id), grain=pl.lit(COARSE)))
        else:
            out.append(rows.with_columns(grain=pl.lit(kpi.grain)))
    if need_engine:
        eng = _engine(register, sources, need_engine, windows)
        if eng.height:
            out.append(eng.with_columns(grain=pl.lit(COARSE)))
    frames = [f.select(RELEASE_COLUMNS) for f in out if f.height]
    if not frames:
        return pl.DataFrame(schema={c: obs.schema.get(c, pl.String) for c in RELEASE_COLUMNS})
    res = pl.concat(frames, how="diagonal_relaxed").select(RELEASE_COLUMNS)
    return res.with_columns(pl.col("reliable").cast(pl.Boolean)).sort(
        "kpi_id", "grain", "period_end", "region", "group")
