"""Whether a computed value is possible for its KPI (the declared plausible range).

A value outside the range a KPI declares (``plausible_min``/``plausible_max`` in
``kpis.csv``), or a proportion above 100%, is never called reliable; it is reported as
a data-quality finding by :mod:`metrics.plausibility`.
"""

from __future__ import annotations

import numpy as np

from metrics.definitions import Kpi


def within(values: np.ndarray, kpi: Kpi) -> np.ndarray:
    """True where a value is possible for the KPI (NaN counts as possible: no value)."""
    ok = np.ones(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        if kpi.plausible_min is not None:
            ok &= ~(values < kpi.plausible_min)
        if kpi.plausible_max is not None:
            ok &= ~(values > kpi.plausible_max)
        if kpi.measure == "proportion":
            ok &= ~(values > kpi.multiplier * (1 + 1e-12))
    return ok
