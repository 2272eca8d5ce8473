"""The engine's use of a shaped feed (``feed_shapes.csv``): the file's own totals, suppressed values.

Rows of a shaped feed with no group (the agency's "Some other race", mapped to ``other`` in
``code_maps.csv``) count in the all-groups figures but are never shown as a group.

A feed whose shape declares ``total_code`` carries the agency's own all-groups figure in
rows marked ``_shape_total``.  Those rows never count as a group.  A KPI with
``total_from = file`` takes its all-groups figures (by region, and statewide as the sum
over regions) from them instead of adding up the groups, because the groups may not
cover everyone (ethnicity asked apart from race, "other" and "unknown" left out).

Values the agency suppressed, or left empty, are carried as empty: a row whose
numerator or denominator is empty is left out of the KPI, never counted as zero.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from metrics.definitions import Feed, Kpi

TOTAL = "_shape_total"
RTOTAL = "_shape_region_total"
ALL = "all"


def keys(feed: Feed) -> list[str]:
    """Extra grouping keys of the fine table for this feed."""
    shape = feed.shape
    if shape is None:
        return []
    return [*([TOTAL] if shape.total_code else []), *([RTOTAL] if shape.region_total_code else [])]


def present(kpi: Kpi, feed: Feed, keep: pl.Expr | None) -> pl.Expr | None:
    """``keep`` narrowed, for a shaped aggregate feed, to rows whose figures are not empty."""
    if feed.shape is None or feed.kind != "aggregate":
        return keep
    num = pl.sql_expr(kpi.numerator) if kpi.numerator else pl.col(feed.numerator_column)
    need = num.is_not_null()
    if kpi.measure not in ("count", "sum"):
        den = pl.sql_expr(kpi.denominator) if kpi.denominator else pl.col(feed.denominator_column)
        need = need & den.is_not_null()
    return need if keep is None else keep & need


def rollup(fine: pl.DataFrame, sel: list[pl.Expr], kpi: Kpi, feed: Feed, *, has_sq: bool,
           periods: Callable[[pl.DataFrame, Kpi], pl.DataFrame],
           roll: Callable[..., pl.DataFrame]) -> pl.DataFrame:
    """The four levels of a KPI over a feed with file totals.

    Groups are rolled up as usual, without the total rows.  With ``total_from = file``
    the all-groups rows (by region, and statewide as their sum) are the file's all-groups
    totals, and the statewide rows the file's all-regions totals where it has them (its
    all-regions, all-groups figure first).
    """
    def flag(name: str) -> pl.Expr:
        return pl.col(name).fill_null(False) if name in fine.columns else pl.lit(False)

    gt, rt = flag(TOTAL), flag(RTOTAL)
    plain = fine.filter(~gt & ~rt)

    def levels(rows: pl.DataFrame) -> pl.DataFrame:
        return roll(periods(rows.select(sel), kpi), kpi, feed, has_sq=has_sq)

    # rows with no group ("Some other race") count in the all-groups figures only, rows
    # with no region in the statewide ones only
    t = levels(plain).filter(pl.col("group").is_not_null() & pl.col("region").is_not_null())
    shape = feed.shape
    if kpi.total_from != "file" or shape is None:
        return t
    pieces = []
    if shape.total_code:  # all groups: only from the file
        t = t.filter(pl.col("group") != ALL)
        rows = fine.filter(gt & ~rt)
        if rows.height:
            pieces.append(levels(rows).filter(pl.col("group") == ALL))
    if shape.region_total_code:  # all regions: only from the file
        t = t.filter(pl.col("region") != ALL)
        rows = fine.filter(rt & ~gt & pl.col("_group").is_not_null())
        if rows.height:
            pieces.append(levels(rows).filter(pl.col("region") == ALL))
        both = fine.filter(rt & gt)
        if both.height:
            pieces.append(levels(both).filter((pl.col("region") == ALL) & (pl.col("group") == ALL)))
    if not pieces:
        return t
    parts = [p.select(t.columns).with_columns(pl.lit(i).alias("_prio"))
             for i, p in enumerate([t, *pieces])]
    return (pl.concat(parts, how="vertical").sort("_prio")
            .unique(subset=["period", "region", "group"], keep="last", maintain_order=True)
            .drop("_prio"))


def coverage(obs: pl.DataFrame) -> pl.DataFrame:
    """How far the groups fall short of the file's total: per KPI, period and region.

    ``coverage`` = the groups' denominators added up / the all-groups denominator (for a
    KPI with ``total_from = file``, the file's own total).  Below 1, people in the total
    are in no group shown.
    """
    if obs.height == 0:
        return pl.DataFrame(schema={"kpi_id": pl.String, "period": pl.String,
                                    "region": pl.String, "groups": pl.Float64,
                                    "total": pl.Float64, "coverage": pl.Float64})
    g = (obs.filter(pl.col("group") != ALL)
         .group_by("kpi_id", "period", "region").agg(pl.col("denominator").sum().alias("groups")))
    tot = obs.filter(pl.col("group") == ALL).select("kpi_id", "period", "region",
                                                    pl.col("denominator").alias("total"))
    return (tot.join(g, on=["kpi_id", "period", "region"], how="left")
            .with_columns(pl.col("groups").fill_null(0.0))
            .with_columns(pl.when(pl.col("total") > 0).then(pl.col("groups") / pl.col("total"))
                          .otherwise(None).alias("coverage"))
            .select("kpi_id", "period", "region", "groups", "total", "coverage")
            .sort("kpi_id", "period", "region"))
