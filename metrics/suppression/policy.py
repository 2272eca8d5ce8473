"""Suppression settings, result records, the disclosure error and the display label."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = [
    "COMPLEMENTARY_REASON",
    "PUBLIC",
    "STAFF",
    "AuditResult",
    "DisclosureError",
    "SuppressionPolicy",
    "label",
]

#: Reason given to a cell hidden only so that another hidden cell cannot be worked out.
COMPLEMENTARY_REASON = "suppressed: to protect another small cell"


@dataclass(frozen=True)
class SuppressionPolicy:
    """Who may see how small a count.

    Attributes:
        threshold: counts ``1 <= n < threshold`` are not published (primary suppression).
            Zero is always published.
        protection_band: the smallest width an attacker's interval ``[low, high]`` for a
            suppressed count may have (linear programming over everything published).
            ``None`` (the default) means the threshold itself: an attacker must not be
            able to narrow a hidden count to fewer than ``threshold`` possible values'
            range. A cell whose a-priori range is already narrower (a proportion whose
            published denominator is below the band) must keep that whole range
            ``[0, denominator]``.
        suppress_complement: for proportions (numerator a subset of the denominator),
            also hide the numerator when ``1 <= denominator - numerator < threshold``, so
            that "all but a few" cannot be read off a published figure.
    """

    threshold: int = 11
    protection_band: float | None = None
    suppress_complement: bool = True

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError(f"threshold must be at least 1, got {self.threshold}")
        if self.protection_band is not None and not (
            math.isfinite(self.protection_band) and self.protection_band >= 0
        ):
            raise ValueError(f"protection_band must be a finite number >= 0, got {self.protection_band}")

    @property
    def band(self) -> float:
        """The protection band in force (``protection_band``, else ``threshold``)."""
        return float(self.threshold if self.protection_band is None else self.protection_band)

    @property
    def primary_reason(self) -> str:
        """Reason text for a count below the threshold."""
        return f"suppressed: fewer than {self.threshold}"

    @property
    def complement_reason(self) -> str:
        """Reason text for a proportion whose remainder (denominator - numerator) is small."""
        return f"suppressed: remainder fewer than {self.threshold}"


#: Public snapshots: counts of 1 to 10 are hidden (CMS cell-size policy).
PUBLIC = SuppressionPolicy(11)
#: Internal staff views: counts of 1 to 4 are hidden.
STAFF = SuppressionPolicy(5)


@dataclass(frozen=True)
class AuditResult:
    """What an attacker can learn about one suppressed cell.

    Attributes:
        cell: the cell: ``(row, column)`` indices of the full table in the array API (the
            last row holds the column totals, the last column the row totals), or
            ``(region, group)`` labels in the frame API.
        value: the true (hidden) count.
        low, high: the smallest and largest value consistent with everything published
            (``high`` is ``inf`` when nothing bounds the cell from above).
        width: ``high - low``.
        ok: ``width >= required``.
        required: the width the cell needs (the protection band, or the cell's whole
            a-priori range when that is narrower).
    """

    cell: tuple[Any, Any]
    value: float
    low: float
    high: float
    width: float
    ok: bool
    required: float = 0.0


class DisclosureError(Exception):
    """A snapshot would disclose a small count.

    ``problems`` lists one human-readable line per offending cell.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        head = f"{len(self.problems)} disclosure problem(s):"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


def label(value: float | int | None, suppressed_reason: str | None, *, digits: int = 1) -> str:
    """Text to show for a value: the suppression reason when it is suppressed.

    A suppressed value is never a silent blank. ``None``/NaN without a reason reads
    ``"no data"``; integers are shown with thousands separators, other numbers with
    ``digits`` decimals.
    """
    if suppressed_reason:
        return suppressed_reason
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and digits == 0):
        return f"{int(value):,}"
    return f"{float(value):,.{digits}f}"
