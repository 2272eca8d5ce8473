"""Age groups for the demo's age-adjusted feed: each row of period x region x group split
into the 11 age groups of the 2000 US standard population.

Each group has its own age structure (a tilt of the standard's weights: younger for some
groups, older for others), so the age-adjusted rates of groups differ from their crude
rates, as they do in real vital statistics.  The tilts are weighted to cancel statewide,
so the statewide age structure is close to the standard and its adjusted rate close to
the crude one.  Events are spread by an age risk profile and the population by the group's age structure
with multinomial draws; the cell's totals are kept exactly.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from metrics.groups import GROUP_CODES
from metrics.intervals import US2000_WEIGHTS_11

AGE_GROUPS = tuple(US2000_WEIGHTS_11)
#: relative risk by age group (drug overdose deaths peak at ages 25-54)
OVERDOSE_RISK = (0.02, 0.02, 0.05, 0.8, 2.0, 2.3, 2.1, 1.6, 0.6, 0.3, 0.2)
#: tilt of each group's age structure: > 0 older than the standard, < 0 younger
TILT = {"aian": -0.35, "asian": -0.1, "black": -0.2, "hispanic": -0.5, "mena": -0.25,
        "nhpi": -0.3, "white": 0.3, "multiracial": -0.55, "unknown": 0.0}


def age_shares(group: str) -> np.ndarray:
    w = np.array(list(US2000_WEIGHTS_11.values()), dtype=float)
    w = w / w.sum()
    i = np.arange(len(w), dtype=float)
    c = (i - (w * i).sum()) / 5.0  # centred: sum(w * c) = 0, so shares add to 1
    s = w * (1 + TILT.get(group, 0.0) * c)
    return s / s.sum()


def split_by_age(df: pl.DataFrame, rng: np.random.Generator, *, group_column: str,
                 risk: tuple[float, ...] = OVERDOSE_RISK, age_column: str = "age_group"
                 ) -> pl.DataFrame:
    """``df`` (integer ``numerator``, ``denominator``) with one row per age group."""
    codes = {g: g for g in GROUP_CODES}
    groups = [codes.get(g, g) for g in df.get_column(group_column).to_list()]
    shares = np.array([age_shares(g) for g in groups])  # rows x ages
    p = shares * np.array(risk)[None, :]
    p = p / p.sum(axis=1, keepdims=True)
    num = rng.multinomial(df.get_column("numerator").to_numpy().astype(np.int64), p)
    den = rng.multinomial(np.round(df.get_column("denominator").to_numpy()).astype(np.int64),
                          shares)
    k = len(AGE_GROUPS)
    rest = df.drop("numerator", "denominator")
    out = rest.select(pl.all().repeat_by(k).list.explode()).with_columns(
        pl.Series(age_column, list(AGE_GROUPS) * df.height),
        pl.Series("numerator", num.ravel().astype(np.int64)),
        pl.Series("denominator", den.ravel().astype(np.int64)))
    return out
