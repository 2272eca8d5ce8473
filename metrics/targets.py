"""Targets and their trajectories.

A target runs from a baseline (value, end date of the baseline period) to a final target
(value, date). The pro-rated ("interim") target on a day is the straight line between the
two, counted in days. Dated interim targets, where set, override that line: the trajectory
is then piecewise linear through the baseline, each interim point in date order and the
final target, and equals the interim value exactly on its date. Before the baseline the
trajectory holds the baseline value; after the target date, the target value.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["InterimTarget", "Target", "interim_target", "missing_fields", "trajectory"]


@dataclass(frozen=True)
class InterimTarget:
    """A dated milestone on the way to the final target."""

    date: datetime.date
    value: float


@dataclass(frozen=True)
class Target:
    """The agreed target for one KPI, statewide or for one region and/or group."""

    kpi_id: str
    region: str = "all"  # "all" = statewide
    group: str = "all"  # "all" = all groups
    baseline_value: float | None = None
    baseline_date: datetime.date | None = None  # end date of the baseline period
    target_value: float | None = None
    target_date: datetime.date | None = None
    interim: tuple[InterimTarget, ...] = ()
    set_by: str = ""
    approved_by: str = ""
    approved_on: datetime.date | None = None
    source: str = ""
    agreed: bool = True  # False = explicit "no agreed target"


def missing_fields(target: Target) -> tuple[str, ...]:
    """Names of the fields a trajectory needs but ``target`` lacks (empty when complete)."""
    names = ("baseline_value", "baseline_date", "target_value", "target_date")
    return tuple(name for name in names if getattr(target, name) is None)


def _points(target: Target) -> list[tuple[datetime.date, float]] | None:
    """Knots of the trajectory in date order, or None when it cannot be drawn."""
    if not target.agreed or missing_fields(target):
        return None
    b_date, b_val = target.baseline_date, target.baseline_value
    t_date, t_val = target.target_date, target.target_value
    assert b_date is not None and b_val is not None and t_date is not None and t_val is not None
    # Interim points outside (baseline, target) cannot lie on the path and are ignored.
    inner = sorted((p for p in target.interim if b_date < p.date < t_date), key=lambda p: p.date)
    points = [(b_date, float(b_val))]
    for p in inner:
        if p.date != points[-1][0]:  # the first of duplicate dates wins
            points.append((p.date, float(p.value)))
    points.append((t_date, float(t_val)))
    return points


def _interpolate(points: list[tuple[datetime.date, float]], on: datetime.date) -> float:
    if on <= points[0][0]:
        return points[0][1]
    if on >= points[-1][0]:
        return points[-1][1]
    for (d0, v0), (d1, v1) in zip(points, points[1:], strict=False):
        if d0 <= on <= d1:
            span = (d1 - d0).days
            return v0 + (v1 - v0) * (on - d0).days / span
    raise AssertionError("unreachable: points are in date order")  # pragma: no cover


def interim_target(target: Target, on: datetime.date) -> float | None:
    """The pro-rated target value on ``on``, or None when the target is not agreed or lacks
    a baseline value/date or a target value/date.

    Straight line by days from baseline to target, overridden by dated interim targets
    (piecewise linear through them). Before the baseline date: the baseline value; on or
    after the target date: the target value. A target date on or before the baseline date
    gives the target value from the target date on.
    """
    points = _points(target)
    if points is None:
        return None
    if points[-1][0] <= points[0][0]:
        return points[-1][1] if on >= points[-1][0] else points[0][1]
    return _interpolate(points, on)


def trajectory(target: Target, dates: Iterable[datetime.date]) -> list[float | None]:
    """:func:`interim_target` on each of ``dates`` (None throughout when not drawable)."""
    return [interim_target(target, d) for d in dates]
