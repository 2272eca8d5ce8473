"""Theil and mean-log-deviation decompositions by region (see :mod:`metrics.equity`)."""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from metrics.groups import ALL, UNKNOWN


def _f(value: Any) -> float | None:
    """Python float, or None for null/NaN."""
    if value is None:
        return None
    out = float(value)
    return None if math.isnan(out) else out


def _finite(value: Any) -> float | None:
    """Python float, or None for null, NaN or infinity."""
    out = _f(value)
    return out if out is not None and math.isfinite(out) else None


def _cells(frame: pl.DataFrame | pl.LazyFrame, region_col: str) -> pl.DataFrame:
    """Region × group cells with a usable rate (not region "all", not unknown/all groups)."""
    lf = frame.lazy()
    needed = (region_col, "group", "numerator", "denominator")
    missing = [c for c in needed if c not in lf.collect_schema()]
    if missing:
        raise ValueError(f"missing column(s) {missing}; expected {list(needed)}")
    num = pl.col("numerator").cast(pl.Float64)
    den = pl.col("denominator").cast(pl.Float64)
    return (
        lf.filter(
            (pl.col(region_col).cast(pl.String) != ALL)
            & ~pl.col("group").is_in([UNKNOWN, ALL])
            & (den > 0)
            & (num >= 0)
        )
        .select(pl.col(region_col).alias("_region"), num.alias("_num"), den.alias("_den"))
        .collect()
    )


def _index_term(x: pl.Expr, kind: str) -> pl.Expr:
    """Per-unit term of the index: ``x ln x`` (Theil, with ``0·ln 0 = 0``) or ``−ln x``
    (MLD, infinite at 0)."""
    if kind == "theil":
        return pl.when(x > 0).then(x * x.log()).otherwise(0.0)
    return pl.when(x > 0).then(-x.log()).otherwise(math.inf)


def decomposition(frame: pl.DataFrame | pl.LazyFrame, region_col: str, kind: str) -> dict[str, Any]:
    """Shared code of :func:`theil_decomposition` and :func:`mld_decomposition`."""
    empty: dict[str, Any] = {
        "total": None,
        "between_region": None,
        "within_region": None,
        "regions": {},
    }
    cells = _cells(frame, region_col)
    if cells.height == 0:
        return empty
    mu = float(cells.get_column("_num").sum()) / float(cells.get_column("_den").sum())
    if mu <= 0:
        return empty
    den, num = pl.col("_den"), pl.col("_num")
    n_k = den.sum().over("_region")
    mu_k = num.sum().over("_region") / n_k
    cells = cells.with_columns(
        (den / den.sum()).alias("_p"),
        (den / n_k).alias("_w"),
        mu_k.alias("_mu_k"),
        (num / den).alias("_r"),
    )
    # within-region index: a region whose rates are all 0 has no inequality (Theil 0);
    # MLD is infinite as soon as a rate is 0.
    x_k = pl.when(pl.col("_mu_k") > 0).then(pl.col("_r") / pl.col("_mu_k")).otherwise(0.0)
    zero_region = pl.lit(0.0) if kind == "theil" else pl.lit(math.inf)
    regions = (
        cells.group_by("_region")
        .agg(
            pl.col("_p").sum().alias("population_share"),
            pl.col("_mu_k").first().alias("rate"),
            pl.when(pl.col("_mu_k").first() > 0)
            .then((pl.col("_w") * _index_term(x_k, kind)).sum())
            .otherwise(zero_region)
            .alias("index"),
        )
        .with_columns((pl.col("population_share") * pl.col("rate") / mu).alias("event_share"))
        .sort("_region")
    )
    total = cells.select((pl.col("_p") * _index_term(pl.col("_r") / mu, kind)).sum()).item()
    y = pl.col("rate") / mu  # μ_k / μ
    P = pl.col("population_share")
    weight = pl.col("event_share") if kind == "theil" else P
    parts = regions.select(
        (P * _index_term(y, kind)).sum().alias("between"),
        pl.when(weight > 0).then(weight * pl.col("index")).otherwise(0.0).sum().alias("within"),
    ).row(0, named=True)
    return {
        "total": _finite(total),
        "between_region": _finite(parts["between"]),
        "within_region": _finite(parts["within"]),
        "regions": {
            str(r["_region"]): {
                "population_share": _f(r["population_share"]),
                "rate": _f(r["rate"]),
                "event_share": _f(r["event_share"]),
                "index": _finite(r["index"]),
            }
            for r in regions.iter_rows(named=True)
        },
    }
