"""The engine's use of a shaped feed (``feed_shapes.csv``): the file's own totals, suppressed values.

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
ALL = "all"


def keys(feed: Feed) -> list[str]:
    """Extra grouping keys of the fine table for this feed."""
    return [TOTAL] if feed.has_file_totals else []


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
    the all-groups rows (by region and statewide) are the rolled-up file totals.
    """
    total = pl.col(TOTAL).fill_null(False)
    groups = fine.filter(~total & pl.col("_group").is_not_null())
    t = roll(periods(groups.select(sel), kpi), kpi, feed, has_sq=has_sq)
    if kpi.total_from != "file":
        return t
    totals = fine.filter(total)  # no group: rolled up, they give only all-groups rows
    if totals.height == 0:
        return t.filter(pl.col("group") != ALL)
    tt = roll(periods(totals.select(sel), kpi), kpi, feed, has_sq=has_sq).filter(pl.col("group") == ALL)
    return pl.concat([t.filter(pl.col("group") != ALL), tt.select(t.columns)], how="vertical")


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
