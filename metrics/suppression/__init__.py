"""Privacy: primary and complementary cell suppression, and its audit.

docs/methods.md, "Reliability and privacy": counts of 1 to ``threshold - 1`` are not
published, nor any figure from which such a count could be derived; zero is published;
rates and percentages of a hidden numerator are hidden too. After primary suppression,
more cells (inner cells or margins) are hidden so that no hidden cell can be recovered
from the published row, column and grand totals: for each hidden cell, linear
programming minimises and maximises it subject to every published figure and
non-negativity, and the interval must be at least the protection band wide. ("At least
two hidden cells per row and column" is not enough; see the sdcTable case in the tests.)

* :mod:`.policy`: :class:`SuppressionPolicy` (``PUBLIC``, ``STAFF``), :class:`AuditResult`,
  :class:`DisclosureError`, :func:`label`.
* :mod:`.model`: a table with margins as the attacker's system of equations.
* :mod:`.network`: intervals by maximum flow; the shortest-path complementary heuristic.
* :mod:`.lp`: the attacker's linear programme (scipy ``linprog``, HiGHS).
* :mod:`.table`: array API (:func:`primary_mask`, :func:`complementary`,
  :func:`audit_table`).
* :mod:`.frame`: observation frames (:func:`suppress`, :func:`audit_frame`, :func:`check`).
"""

from __future__ import annotations

from .frame import ALL, audit_frame, check, proportion_kpis, suppress
from .model import TableModel, assemble, build_model
from .policy import (
    COMPLEMENTARY_REASON,
    PUBLIC,
    STAFF,
    AuditResult,
    DisclosureError,
    SuppressionPolicy,
    label,
)
from .table import audit_model, audit_table, complementary, complementary_model, primary_mask

__all__ = [
    "ALL",
    "COMPLEMENTARY_REASON",
    "PUBLIC",
    "STAFF",
    "AuditResult",
    "DisclosureError",
    "SuppressionPolicy",
    "TableModel",
    "assemble",
    "audit_frame",
    "audit_model",
    "audit_table",
    "build_model",
    "check",
    "complementary",
    "complementary_model",
    "label",
    "primary_mask",
    "proportion_kpis",
    "suppress",
]
