"""One data-quality check: its name, status (``ok``, ``warning``, ``problem``, ``not
applicable``), the finding in words and the rows behind it."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

OK, WARNING, PROBLEM, NA = "ok", "warning", "problem", "not applicable"


@dataclass(frozen=True)
class Check:
    check: str
    status: str
    finding: str
    detail: pl.DataFrame | None = None
