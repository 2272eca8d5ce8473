"""Confidence intervals for proportions, counts, rates, means and standardised rates.

Every function is vectorised: numpy arrays (or scalars) in, float arrays out, with NaN
wherever the interval is undefined (a missing input, a zero denominator, a numerator
outside its range). Scalar inputs give 0-d arrays; ``float(low)`` turns them back.

Methods (see docs/methods.md, "Confidence intervals"):

* proportions: Wilson score interval; Clopper-Pearson where guaranteed coverage is wanted;
* counts: exact (Garwood, chi-square) limits, or Byars' approximation;
* crude rates: exact limits when the count is below 10, Byars when it is 10 or more
  (the convention of the UK public-health indicator methods, PHEindicatormethods);
* means: Student's t;
* medians: distribution-free order-statistic interval (binomial ranks), with a
  reliability rule for medians;
* directly standardised rates: Dobson's method (limits on the total count scaled to the
  rate), and the Fay-Feuer gamma interval used by NCHS for age-adjusted rates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special  # the distribution inverses, without loading scipy.stats

FloatArray = NDArray[np.float64]
Values: TypeAlias = ArrayLike | Sequence[float | None] | None
"""Numbers in: a scalar, a sequence or an array; None (alone or in a list) is missing."""

__all__ = [
    "US2000_STANDARD_11",
    "US2000_WEIGHTS_11",
    "StandardisedRate",
    "Values",
    "byars",
    "clopper_pearson",
    "dsr_dobson",
    "dsr_fay_feuer",
    "MAX_RSE",
    "MIN_EVENTS",
    "is_reliable",
    "median_interval",
    "median_ranks",
    "median_reliable",
    "poisson_exact",
    "poisson_rate",
    "relative_standard_error",
    "t_mean",
    "wilson",
    "z_value",
]

# 2000 US standard population, 11 age groups (NCHS: Anderson & Rosenberg, "Age
# standardization of death rates: implementation of the year 2000 standard", NVSR 47(3),
# 1998, Table I, as tabulated at ncbi.nlm.nih.gov/books/NBK20750; the same weights appear
# at ibis.doh.nm.gov/resource/AgeAdjustWeights.html).
US2000_STANDARD_11: Mapping[str, int] = MappingProxyType({
    "Under 1 year": 3_795_000,
    "1-4 years": 15_192_000,
    "5-14 years": 39_977_000,
    "15-24 years": 38_077_000,
    "25-34 years": 37_233_000,
    "35-44 years": 44_659_000,
    "45-54 years": 37_030_000,
    "55-64 years": 23_961_000,
    "65-74 years": 18_136_000,
    "75-84 years": 12_315_000,
    "85 years and over": 4_259_000,
})
"""Population of each age group (thousands rounded), in age order."""

# Published weights (same source); the 75-84 weight was rounded up there so that the
# weights total exactly 1.0.
US2000_WEIGHTS_11: Mapping[str, float] = MappingProxyType({
    "Under 1 year": 0.013818,
    "1-4 years": 0.055317,
    "5-14 years": 0.145565,
    "15-24 years": 0.138646,
    "25-34 years": 0.135573,
    "35-44 years": 0.162613,
    "45-54 years": 0.134834,
    "55-64 years": 0.087247,
    "65-74 years": 0.066037,
    "75-84 years": 0.044842,
    "85 years and over": 0.015508,
})
"""Published weight of each age group (sums to 1.0), in age order."""


class StandardisedRate(NamedTuple):
    """A directly standardised rate and its confidence limits (NaN where not computed)."""

    value: float
    lower: float
    upper: float
    total_count: float


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile for ``confidence`` (0.95 -> 1.959964...)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return float(special.ndtri(0.5 + confidence / 2.0))


def _f(a: Values) -> FloatArray:
    """``a`` as a float array; ``None`` becomes NaN."""
    if a is None:
        return np.asarray(np.nan, dtype=np.float64)
    arr = np.asarray(a, dtype=object if isinstance(a, (list, tuple)) else None)
    if arr.dtype == object:
        flat = [np.nan if v is None else v for v in arr.ravel().tolist()]
        arr = np.asarray(flat, dtype=np.float64).reshape(arr.shape)
    return np.asarray(arr, dtype=np.float64)


def _nan_where(bad: NDArray[np.bool_], values: FloatArray) -> FloatArray:
    return np.where(bad, np.nan, values).astype(np.float64)


# --- proportions --------------------------------------------------------------------


def wilson(x: Values, n: Values, *,
           confidence: float = 0.95) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for the proportion ``x / n``, as proportions in [0, 1].

    ``(2x + z² ∓ z·sqrt(z² + 4x(1 − x/n))) / (2(n + z²))``. NaN where ``n <= 0``, ``x < 0``,
    ``x > n`` or either input is missing. ``x`` need not be a whole number.
    """
    xa, na = np.broadcast_arrays(_f(x), _f(n))
    z = z_value(confidence)
    with np.errstate(all="ignore"):
        spread = z * np.sqrt(z * z + 4.0 * xa * (1.0 - xa / na))
        denom = 2.0 * (na + z * z)
        low = (2.0 * xa + z * z - spread) / denom
        high = (2.0 * xa + z * z + spread) / denom
    bad = ~((na > 0) & (xa >= 0) & (xa <= na))
    low = np.where(xa == 0, 0.0, np.clip(low, 0.0, 1.0))
    high = np.where(xa == na, 1.0, np.clip(high, 0.0, 1.0))
    return _nan_where(bad, low), _nan_where(bad, high)


def clopper_pearson(x: Values, n: Values, *,
                    confidence: float = 0.95) -> tuple[FloatArray, FloatArray]:
    """Clopper-Pearson ("exact") interval for ``x / n`` from beta quantiles.

    Lower limit 0 when ``x == 0``, upper limit 1 when ``x == n``; NaN where undefined.
    """
    xa, na = np.broadcast_arrays(_f(x), _f(n))
    alpha = 1.0 - confidence
    _ = z_value(confidence)  # validates confidence
    with np.errstate(all="ignore"):
        low = special.betaincinv(xa, na - xa + 1.0, alpha / 2.0)
        high = special.betaincinv(xa + 1.0, na - xa, 1.0 - alpha / 2.0)
    low = np.where(xa == 0, 0.0, low)
    high = np.where(xa == na, 1.0, high)
    bad = ~((na > 0) & (xa >= 0) & (xa <= na))
    return _nan_where(bad, low), _nan_where(bad, high)


# --- counts and crude rates -----------------------------------------------------------


def poisson_exact(x: Values, *, confidence: float = 0.95) -> tuple[FloatArray, FloatArray]:
    """Exact (Garwood) limits on a Poisson count: ``χ²(α/2; 2x)/2`` and ``χ²(1−α/2; 2x+2)/2``.

    Computed through the equivalent gamma quantiles. Lower limit 0 when ``x == 0``.
    """
    xa = _f(x)
    alpha = 1.0 - confidence
    _ = z_value(confidence)
    with np.errstate(all="ignore"):
        low = special.gammaincinv(np.where(xa > 0, xa, 1.0), alpha / 2.0)
        high = special.gammaincinv(xa + 1.0, 1.0 - alpha / 2.0)
    low = np.where(xa == 0, 0.0, low)
    bad = ~(xa >= 0)
    return _nan_where(bad, low), _nan_where(bad, high)


def byars(x: Values, *, confidence: float = 0.95) -> tuple[FloatArray, FloatArray]:
    """Byars' approximation to the Poisson limits on a count.

    ``x(1 − 1/(9x) − z/(3√x))³`` and ``(x+1)(1 − 1/(9(x+1)) + z/(3√(x+1)))³``.
    Lower limit 0 when ``x == 0``. Where the lower bracket is negative (tiny counts at
    high confidence) the approximation breaks down and the lower limit is NaN, as in the
    published PHE test data; use :func:`poisson_exact` for small counts.
    """
    xa = _f(x)
    z = z_value(confidence)
    with np.errstate(all="ignore"):
        bracket = 1.0 - 1.0 / (9.0 * xa) - z / (3.0 * np.sqrt(xa))
        low = np.where(bracket >= 0, xa * bracket**3, np.nan)
        x1 = xa + 1.0
        high = x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * np.sqrt(x1))) ** 3
    low = np.where(xa == 0, 0.0, low)
    bad = ~(xa >= 0)
    return _nan_where(bad, low), _nan_where(bad, high)


def _count_limits(x: FloatArray, confidence: float,
                  exact_below: float = 10.0) -> tuple[FloatArray, FloatArray]:
    """Exact limits below ``exact_below`` events, Byars at or above it."""
    el, eh = poisson_exact(x, confidence=confidence)
    bl, bh = byars(x, confidence=confidence)
    small = x < exact_below
    return np.where(small, el, bl), np.where(small, eh, bh)


def poisson_rate(x: Values, n: Values, *, multiplier: float = 1.0,
                 confidence: float = 0.95) -> tuple[FloatArray, FloatArray]:
    """Limits of the crude rate ``x / n * multiplier``.

    Exact (Garwood) limits on ``x`` when ``x < 10``, Byars when ``x >= 10``, divided by
    ``n`` and scaled. NaN where ``n <= 0``, ``x < 0`` or an input is missing.
    """
    xa, na = np.broadcast_arrays(_f(x), _f(n))
    low, high = _count_limits(xa, confidence)
    with np.errstate(all="ignore"):
        low = low / na * multiplier
        high = high / na * multiplier
    bad = ~((na > 0) & (xa >= 0))
    return _nan_where(bad, low), _nan_where(bad, high)


# --- means ----------------------------------------------------------------------------


def t_mean(mean: Values, sd: Values, n: Values, *,
           confidence: float = 0.95) -> tuple[FloatArray, FloatArray]:
    """Student-t interval ``mean ± t(1−α/2; n−1)·sd/√n``. NaN where ``n < 2`` or ``sd < 0``."""
    m, s, na = np.broadcast_arrays(_f(mean), _f(sd), _f(n))
    alpha = 1.0 - confidence
    _ = z_value(confidence)
    with np.errstate(all="ignore"):
        half = special.stdtrit(na - 1.0, 1.0 - alpha / 2.0) * s / np.sqrt(na)
    bad = ~((na >= 2) & (s >= 0) & np.isfinite(m))
    return _nan_where(bad, m - half), _nan_where(bad, m + half)


# --- medians ----------------------------------------------------------------------------


def median_ranks(n: Values, *, confidence: float = 0.95) -> tuple[FloatArray, FloatArray]:
    """1-based ranks ``(k, n − k + 1)`` of the order statistics bounding the median.

    Distribution-free: ``k`` is the largest whole number with ``P(B ≤ k − 1) ≤ α/2`` for
    ``B ~ Binomial(n, 1/2)``, so that ``[x₍ₖ₎, x₍ₙ₋ₖ₊₁₎]`` covers the population median with
    probability ``1 − 2·P(B ≤ k − 1) ≥ confidence`` for any continuous distribution. NaN
    where no such ``k`` exists (fewer than 6 values at 95%) or ``n`` is missing.
    Source: Campbell & Gardner (1988), BMJ 296:1454 (n = 10 → ranks 2 and 9 at 95%).
    """
    na = _f(n)
    alpha = 1.0 - confidence
    _ = z_value(confidence)
    flat = na.ravel()
    ks = np.full(flat.shape, np.nan)
    valid = np.isfinite(flat) & (flat >= 1) & (flat == np.floor(flat))
    sizes, where = np.unique(flat[valid].astype(np.int64), return_inverse=True)
    # j: the largest whole number with P(B <= j) <= α/2, found from the continuous inverse
    # of the binomial CDF and then checked (and moved) against the CDF itself
    with np.errstate(all="ignore"):
        guess = np.nan_to_num(special.bdtrik(alpha / 2.0, sizes.astype(float), 0.5), nan=-1.0)
    j = np.clip(np.floor(guess).astype(np.int64), -1, sizes // 2)
    while True:
        up = (j + 1 <= sizes) & (special.bdtr(j + 1, sizes, 0.5) <= alpha / 2.0)
        down = (j >= 0) & (special.bdtr(np.maximum(j, 0), sizes, 0.5) > alpha / 2.0)
        if not (up.any() or down.any()):
            break
        j = j + up.astype(np.int64) - down.astype(np.int64)
    k_sizes = np.where(j >= 0, j + 1.0, np.nan)  # P(B <= k − 1) <= α/2, k − 1 = j
    ks[valid] = k_sizes[where]
    k = ks.reshape(na.shape)
    return k, np.where(np.isnan(k), np.nan, na - k + 1.0)


def median_interval(values: Values, *, confidence: float = 0.95) -> tuple[float, float]:
    """Distribution-free interval for the median of ``values`` (missing values dropped):
    the order statistics at :func:`median_ranks`; NaN when there are too few values."""
    v = _f(values).ravel()
    v = np.sort(v[np.isfinite(v)])
    k, u = median_ranks(v.size, confidence=confidence)
    if not np.isfinite(k):
        return float("nan"), float("nan")
    return float(v[int(k) - 1]), float(v[int(u) - 1])


def median_reliable(n: Values, low: Values, high: Values, median: Values, *,
                    min_records: float = 20, max_rse: float = 0.30,
                    confidence: float = 0.95) -> NDArray[np.bool_]:
    """Reliability of a median, on the same footing as a rate's: at least ``min_records``
    records, and an implied relative standard error (the interval's half-width over z,
    relative to the median) of at most ``max_rse``. False where the interval is missing."""
    na, lo, hi, med = np.broadcast_arrays(_f(n), _f(low), _f(high), _f(median))
    z = z_value(confidence)
    with np.errstate(all="ignore"):
        rse = (hi - lo) / (2.0 * z) / np.abs(med)
    ok = (na >= min_records) & np.isfinite(rse) & (rse <= max_rse)
    return np.asarray(ok, dtype=bool)


# --- directly standardised rates --------------------------------------------------------


def _dsr_parts(counts: Values, pops: Values,
               std_pops: Values) -> tuple[float, float, float, FloatArray, FloatArray, bool]:
    """DSR (per 1, weights normalised), its variance, total count, weights, pops, validity."""
    c, p, s = _f(counts), _f(pops), _f(std_pops)
    c = np.where(np.isnan(c), 0.0, c)  # a missing count is no events, as in PHE's phe_dsr
    if not (c.ndim == p.ndim == s.ndim == 1 and c.shape == p.shape == s.shape and c.size):
        raise ValueError("counts, pops and std_pops must be 1-D arrays of the same length")
    ok = bool(np.all(c >= 0) and np.all(p > 0) and np.all(s >= 0) and s.sum() > 0)
    w = s / s.sum()
    with np.errstate(all="ignore"):
        rates = c / p
        dsr = float(np.sum(w * rates))
        var = float(np.sum(w * w * c / (p * p)))
    return dsr, var, float(c.sum()), w, p, ok


def dsr_dobson(counts: Values, pops: Values, std_pops: Values, *,
               multiplier: float = 100000, confidence: float = 0.95,
               min_count: float = 10) -> StandardisedRate:
    """Directly standardised rate of one area with Dobson's confidence interval.

    ``counts``, ``pops`` and ``std_pops`` are 1-D arrays over the same age groups; any
    standard population can be used (e.g. ``list(US2000_STANDARD_11.values())``). With
    ``O`` the total count and ``(O_L, O_U)`` its Poisson limits (exact below 10, Byars from
    10), the limits are ``DSR + sqrt(var(DSR)/O) · (O_L − O)`` and likewise for ``O_U``.
    Value and limits are NaN when the total count is below ``min_count`` (10), or when any
    count is negative or any population is missing or not positive. A missing count is
    taken as zero events, as PHE's ``phe_dsr`` does.
    """
    dsr, var, total, _w, _p, ok = _dsr_parts(counts, pops, std_pops)
    if not ok or total < min_count or total <= 0:
        return StandardisedRate(np.nan, np.nan, np.nan, total)
    o_low, o_high = _count_limits(np.asarray(total, dtype=np.float64), confidence)
    scale = np.sqrt(var / total)
    low = float(dsr + scale * (float(o_low) - total))
    high = float(dsr + scale * (float(o_high) - total))
    return StandardisedRate(dsr * multiplier, low * multiplier, high * multiplier, total)


def dsr_fay_feuer(counts: Values, pops: Values, std_pops: Values, *,
                  multiplier: float = 100000, confidence: float = 0.95) -> StandardisedRate:
    """Directly standardised rate with the Fay-Feuer gamma interval (NCHS age adjustment).

    With normalised weights ``w_i``, ``y = Σ w_i x_i/n_i``, ``v = Σ w_i² x_i/n_i²`` and
    ``w_M = max w_i/n_i``: lower ``v/(2y) · χ²(α/2; 2y²/v)`` (0 when ``y = 0``), upper
    ``(v+w_M²)/(2(y+w_M)) · χ²(1−α/2; 2(y+w_M)²/(v+w_M²))``. With one age group it reduces
    to the exact Poisson interval. No minimum count is applied; flag reliability separately.
    """
    y, v, total, w, p, ok = _dsr_parts(counts, pops, std_pops)
    if not ok or not np.isfinite(y):
        return StandardisedRate(np.nan, np.nan, np.nan, total)
    alpha = 1.0 - confidence
    _ = z_value(confidence)
    wm = float(np.max(w / p))
    low = 0.0 if y == 0 else v / (2 * y) * float(2 * special.gammaincinv(y * y / v, alpha / 2))
    vu = v + wm * wm
    high = vu / (2 * (y + wm)) * float(2 * special.gammaincinv((y + wm) ** 2 / vu, 1 - alpha / 2))
    return StandardisedRate(y * multiplier, low * multiplier, high * multiplier, total)


# --- reliability ------------------------------------------------------------------------

#: A figure is reliable when it rests on at least this many events ...
MIN_EVENTS = 20
#: ... and its relative standard error is at most this.
MAX_RSE = 0.30


def relative_standard_error(x: Values) -> FloatArray:
    """Relative standard error of a Poisson count, ``1/√x``; NaN where ``x <= 0`` or missing."""
    xa = _f(x)
    with np.errstate(all="ignore"):
        rse = 1.0 / np.sqrt(xa)
    return _nan_where(~(xa > 0), rse)


def is_reliable(events: Values, rse: Values = None, *, min_events: float = MIN_EVENTS,
                max_rse: float = MAX_RSE) -> NDArray[np.bool_]:
    """True where ``events >= min_events`` and ``rse <= max_rse``; missing values are False.

    ``rse=None`` uses the Poisson relative standard error of ``events``.
    """
    ev = _f(events)
    r = relative_standard_error(ev) if rse is None else _f(rse)
    ev, r = np.broadcast_arrays(ev, r)
    return np.asarray((ev >= min_events) & (r <= max_rse), dtype=bool)
