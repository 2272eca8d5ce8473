"""Vectorised engine behind :mod:`metrics.equity` (Polars expressions, no row loops).

Every function here works on "slices": the rows sharing the same values of ``keys``
(for observations, ``kpi_id``, ``period``, ``region``). Within a slice, one row is one
group. :func:`metrics.equity.disparities` runs the same engine on a single slice, so a
statewide figure and a per-period table always agree.

Notation (per slice, over the compared groups j = 1..J):

- ``r_j = numerator_j / denominator_j`` (unscaled rate),
- ``N = Σ den_j``, ``p_j = den_j / N``, ``μ = Σ num_j / N = Σ p_j r_j``,
- ``V_j`` the sampling variance of ``r_j``: binomial ``r_j (1 − r_j) / den_j`` for
  proportions, Poisson ``num_j / den_j² = r_j / den_j`` for rates,
- ``V_μ = Σ p_j² V_j`` the variance of ``μ``.

Groups ``unknown`` and ``all``, and rows with a missing or non-positive denominator or a
missing or negative numerator, are not compared.
"""

from __future__ import annotations

from typing import Final, Literal

import polars as pl

from metrics.groups import ALL, GROUP_CODES, UNKNOWN, unknown_share_expr
from metrics.groups import label as _label
from metrics.intervals import z_value as z_value  # defined once, in metrics.intervals

TOTAL: Final = "total"
NOT_COMPARED: Final[tuple[str, str]] = (UNKNOWN, ALL)
OBSERVATION_KEYS: Final[tuple[str, ...]] = ("kpi_id", "period", "region")
Variance = Literal["auto", "binomial", "poisson"]

_ORDER = {code: i for i, code in enumerate(GROUP_CODES)}

_c = pl.col("_compared")
_r = pl.col("_rate")
_mu = pl.col("_mu")
_p = pl.col("_p")
_V = pl.col("_V")


def group_label(code: str) -> str:
    """Display label of a group code; unknown codes are shown as they are."""
    if code == TOTAL:
        return "all groups combined"
    try:
        return _label(code)
    except KeyError:
        return code


def check_reference(reference: str) -> None:
    """Reject an empty reference (the others are checked against the data)."""
    if not isinstance(reference, str) or not reference:
        raise ValueError(f"reference must be 'best', 'total' or a group code, got {reference!r}")
    if reference in NOT_COMPARED:
        raise ValueError(
            f"reference {reference!r} is not a group that is compared; use 'total' for "
            "the overall rate, or a group code"
        )


def prepare(
    lf: pl.LazyFrame, keys: list[str], reliable_col: str | None = "reliable"
) -> pl.LazyFrame:
    """Add working columns: ``_num``, ``_den``, ``_rate``, ``_reliable``, ``_compared``,
    ``_order`` (canonical group order, for deterministic tie-breaks).

    A missing ``reliable_col`` (or ``None``) means every group is reliable; a null
    reliability flag counts as reliable (no flag raised).
    """
    schema = lf.collect_schema()
    needed = [*keys, "group", "numerator", "denominator"]
    missing = [c for c in needed if c not in schema]
    if missing:
        raise ValueError(f"missing column(s) {missing}; expected {needed}")
    if reliable_col is not None and reliable_col in schema:
        reliable = pl.col(reliable_col).cast(pl.Boolean).fill_null(True)
    else:
        reliable = pl.lit(True)
    num = pl.col("numerator").cast(pl.Float64)
    den = pl.col("denominator").cast(pl.Float64)
    group = pl.col("group").cast(pl.String)
    compared = (
        group.is_not_null()
        & ~group.is_in(NOT_COMPARED)
        & (den > 0)
        & (num >= 0)
        & num.is_finite()
        & den.is_finite()
    ).fill_null(False)
    return lf.with_columns(
        group.alias("group"),
        num.alias("_num"),
        den.alias("_den"),
        reliable.alias("_reliable"),
        compared.alias("_compared"),
    ).with_columns(
        pl.when(_c).then(pl.col("_num") / pl.col("_den")).alias("_rate"),
        pl.col("group")
        .replace_strict(_ORDER, default=len(_ORDER), return_dtype=pl.Int64)
        .alias("_order"),
    )


def _binomial(variance: Variance, keys: list[str]) -> pl.Expr:
    """True where the binomial variance applies (``auto``: every numerator ≤ denominator)."""
    if variance == "binomial":
        return pl.lit(True)
    if variance == "poisson":
        return pl.lit(False)
    if variance != "auto":
        raise ValueError(f"variance must be 'auto', 'binomial' or 'poisson', got {variance!r}")
    return (pl.col("_num") <= pl.col("_den")).filter(_c).all().over(keys)


def _reference_table(
    lf: pl.LazyFrame, keys: list[str], reference: str, favourable: bool
) -> pl.LazyFrame:
    """One row per slice: the reference group, its rate and variance."""
    cols = [
        pl.col("group").alias("reference_group"),
        _r.alias("reference_rate"),
        _V.alias("_Vref"),
    ]
    if reference == "best":
        key = -_r if favourable else _r
        return (
            lf.filter(_c & pl.col("_reliable"))
            .group_by(keys)
            .agg(c.sort_by([key, pl.col("_order"), pl.col("group")]).first() for c in cols)
        )
    return lf.filter(_c & (pl.col("group") == reference)).select(*keys, *cols)


def pairwise(
    lf: pl.LazyFrame,
    keys: list[str],
    *,
    reference: str,
    favourable: bool,
    variance: Variance,
    z: float,
) -> pl.LazyFrame:
    """Rate difference and rate ratio of every compared group against the reference.

    - difference ``d_j = r_j − r_ref``, CI ``d_j ± z·√(V_j + V_ref)``; against the total,
      ``Var(r_j − μ) = V_j + V_μ − 2 p_j V_j`` (the group is part of the total);
    - ratio ``RR_j = r_j / r_ref``, CI ``exp(ln RR_j ± z·√(V_j/r_j² + V_ref/r_ref²))``;
      against the total, minus the covariance term ``2 p_j V_j / (r_j μ)``. Undefined
      (null) when either rate is 0. The reference against itself is ``[0, 0]`` / ``[1, 1]``.

    ``reference="best"`` picks, per slice, the most favourable rate among reliable
    compared groups (ties: canonical group order); a slice with no reliable group falls
    back to the total. A named reference absent from a slice leaves that slice null.
    """
    lf = lf.with_columns(
        pl.col("_den").filter(_c).sum().over(keys).alias("_N"),
        pl.col("_num").filter(_c).sum().over(keys).alias("_E"),
        _binomial(variance, keys).alias("_binom"),
    ).with_columns(
        pl.when(pl.col("_N") > 0).then(pl.col("_E") / pl.col("_N")).alias("_mu"),
        pl.when(_c).then(pl.col("_den") / pl.col("_N")).alias("_p"),
        pl.when(_c)
        .then(
            pl.when(pl.col("_binom"))
            .then(_r * (1.0 - _r) / pl.col("_den"))
            .otherwise(_r / pl.col("_den"))
        )
        .alias("_V"),
    )
    lf = lf.with_columns((_p.pow(2) * _V).sum().over(keys).alias("_Vmu"))
    if reference == TOTAL:
        lf = lf.with_columns(
            pl.lit(TOTAL).alias("reference_group"),
            _mu.alias("reference_rate"),
            pl.col("_Vmu").alias("_Vref"),
        )
    else:
        ref = _reference_table(lf, keys, reference, favourable)
        lf = lf.join(ref, on=keys, how="left", nulls_equal=True)
        if reference == "best":
            fb = pl.col("reference_group").is_null() & (pl.col("_N") > 0)
            lf = lf.with_columns(
                pl.when(fb)
                .then(pl.lit(TOTAL))
                .otherwise("reference_group")
                .alias("reference_group"),
                pl.when(fb).then(_mu).otherwise("reference_rate").alias("reference_rate"),
                pl.when(fb).then(pl.col("_Vmu")).otherwise("_Vref").alias("_Vref"),
            )
    rr = pl.col("reference_rate")
    vref = pl.col("_Vref")
    is_total = pl.col("reference_group") == TOTAL
    is_ref = (_c & (pl.col("group") == pl.col("reference_group")) & ~is_total).fill_null(False)
    var_d = (
        pl.when(is_total)
        .then(_V + pl.col("_Vmu") - 2.0 * _p * _V)
        .when(is_ref)
        .then(0.0)
        .otherwise(_V + vref)
        .clip(lower_bound=0.0)
    )
    both_pos = (_r > 0) & (rr > 0)
    var_l = (
        pl.when(~both_pos)
        .then(None)
        .when(is_total)
        .then(_V / _r.pow(2) + pl.col("_Vmu") / _mu.pow(2) - 2.0 * _p * _V / (_r * _mu))
        .when(is_ref)
        .then(0.0)
        .otherwise(_V / _r.pow(2) + vref / rr.pow(2))
        .clip(lower_bound=0.0)
    )
    diff = pl.when(_c).then(_r - rr)
    ratio = pl.when(_c & (rr > 0)).then(_r / rr)
    return lf.with_columns(
        _r.alias("rate"),
        _p.alias("population_share"),
        pl.col("_compared").alias("compared"),
        is_ref.alias("is_reference"),
        diff.alias("rate_difference"),
        (diff - z * var_d.sqrt()).alias("rate_difference_ci_low"),
        (diff + z * var_d.sqrt()).alias("rate_difference_ci_high"),
        ratio.alias("rate_ratio"),
        (ratio.log() - z * var_l.sqrt()).exp().alias("rate_ratio_ci_low"),
        (ratio.log() + z * var_l.sqrt()).exp().alias("rate_ratio_ci_high"),
        pl.when(pl.col("_binom"))
        .then(pl.lit("binomial"))
        .otherwise(pl.lit("poisson"))
        .alias("variance"),
    )


def _sorted_groups(cond: pl.Expr) -> pl.Expr:
    """Groups meeting ``cond``, in canonical order."""
    return (
        pl.col("group")
        .filter(cond)
        .sort_by(pl.col("_order").filter(cond), pl.col("group").filter(cond))
    )


def summary(lf: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    """Summary measures per slice, from the output of :func:`pairwise`.

    With ``x_j = r_j / μ``:

    - ``index_of_disparity = 100·(1/J)·Σ|r_j − μ| / μ``
    - ``index_of_disparity_weighted = 100·Σ p_j |r_j − μ| / μ``
    - ``between_group_variance = Σ p_j (r_j − μ)²``
    - ``theil = Σ p_j x_j ln x_j`` (with ``0·ln 0 = 0``)
    - ``mean_log_deviation = Σ p_j (−ln x_j)``: null when a compared rate is 0 (the
      measure is infinite there), or when μ = 0.
    - ``gini = Σ_i Σ_j p_i p_j |r_i − r_j| / (2μ)``, computed from the Lorenz curve of the
      groups ordered by rate: ``1 − Σ_k p_k (Y_k + Y_{k−1})`` with ``Y_k`` the cumulative
      share of events (0 = every group has the same rate).

    The relative measures are null when μ = 0; all are null when no group is compared.
    Also: ``unreliable_groups`` and ``excluded`` (groups other than unknown/all with no
    usable rate) as lists in canonical order, and ``unknown_share`` (of the
    denominator) and ``unknown_share_numerator``.
    """
    mu = _mu.first()
    x = _r / _mu
    n = _c.sum()
    rel_ok = (n > 0) & (mu > 0)
    dev = (_r - _mu).abs()
    mld = (_p * (-x.log())).filter(_c).sum()
    excluded = ~_c & pl.col("group").is_not_null() & ~pl.col("group").is_in(NOT_COMPARED)
    rs = _r.filter(_c)
    ps = _p.filter(_c).sort_by(rs)
    share = ps * rs.sort() / mu
    gini = 1.0 - (ps * (2.0 * share.cum_sum() - share)).sum()
    return lf.group_by(keys).agg(
        n.alias("n_groups"),
        mu.alias("overall_rate"),
        pl.col("_E").first().alias("numerator_total"),
        pl.col("_N").first().alias("denominator_total"),
        pl.col("reference_group").first(),
        pl.col("reference_rate").first(),
        pl.when(rel_ok).then(100.0 * dev.filter(_c).mean() / mu).alias("index_of_disparity"),
        pl.when(rel_ok)
        .then(100.0 * (_p * dev).filter(_c).sum() / mu)
        .alias("index_of_disparity_weighted"),
        pl.when(n > 0)
        .then((_p * (_r - _mu).pow(2)).filter(_c).sum())
        .alias("between_group_variance"),
        pl.when(rel_ok)
        .then((_p * pl.when(x > 0).then(x * x.log()).otherwise(0.0)).filter(_c).sum())
        .alias("theil"),
        pl.when(rel_ok & mld.is_finite()).then(mld).alias("mean_log_deviation"),
        pl.when(rel_ok).then(gini).alias("gini"),
        _sorted_groups(_c & ~pl.col("_reliable")).alias("unreliable_groups"),
        _sorted_groups(excluded).alias("excluded"),
        unknown_share_expr("group", "_den").alias("unknown_share"),
        unknown_share_expr("group", "_num").alias("unknown_share_numerator"),
    )


PAIRWISE_COLUMNS: Final[tuple[str, ...]] = (
    "group",
    "numerator",
    "denominator",
    "rate",
    "population_share",
    "compared",
    "reliable",
    "is_reference",
    "reference_group",
    "reference_rate",
    "rate_difference",
    "rate_difference_ci_low",
    "rate_difference_ci_high",
    "rate_ratio",
    "rate_ratio_ci_low",
    "rate_ratio_ci_high",
    "variance",
)


def run(
    lf: pl.LazyFrame,
    keys: list[str],
    *,
    reference: str,
    favourable: bool,
    variance: Variance,
    confidence: float,
    reliable_col: str | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Prepare, compute pairwise and summary measures; return (pairwise, summary)."""
    check_reference(reference)
    z = z_value(confidence)
    base = prepare(lf, keys, reliable_col)
    dup = base.group_by([*keys, "group"]).len().filter(pl.col("len") > 1).head(5).collect()
    if dup.height:
        raise ValueError(
            "more than one row per group (and "
            + ", ".join(keys or ["frame"])
            + "): "
            + str(dup.drop("len").to_dicts())
        )
    if reference not in ("best", TOTAL):
        present = base.filter(_c & (pl.col("group") == reference)).select(pl.len()).collect()
        if present.item() == 0:
            groups = base.select(pl.col("group").unique().sort()).collect().to_series()
            raise ValueError(
                f"reference group {reference!r} has no usable rate in the data "
                f"(groups present: {groups.to_list()}); use 'best', 'total' or one of them"
            )
    pw = pairwise(
        base, keys, reference=reference, favourable=favourable, variance=variance, z=z
    ).with_columns(pl.col("_reliable").alias("reliable"))
    pw_df, sm_df = pl.collect_all([pw, summary(pw, keys)])
    order = [*keys, "_order", "group"]
    pw_out = pw_df.sort(order, nulls_last=True).select(*keys, *PAIRWISE_COLUMNS)
    return pw_out, sm_df.sort(keys, nulls_last=True)
