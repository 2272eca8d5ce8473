"""Status against target, change over time, gap status and the equity rule.

Rules (METHODS.md, "Status against target"):

* "no data" when there is no value; "too few cases" when the value is flagged unreliable;
  "no agreed target" when there is no agreed, complete target. These are separate states,
  never folded into the others.
* "met" when the value is at or beyond the final target (direction-aware).
* progress ratio = (current − baseline) / (interim − baseline), sign-adjusted for direction;
  "on track" when it is 100% or more, or the interim target lies inside the value's
  confidence interval; "at risk" when it reaches the KPI's threshold (default 90%);
  "off track" otherwise.
* change over time follows Healthy People: significance where standard errors exist, else
  the 10% of targeted change rule.

Comparisons at a rule's boundary allow a relative slack of 1e-9, so that a value exactly
at 90% or 100% (or exactly 10% of the targeted change) is not tipped over by rounding in
floating point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

from metrics.intervals import z_value
from metrics.targets import Target, interim_target, missing_fields

__all__ = [
    "RISK_ORDER", "Change", "GapStatus", "Status", "StatusResult", "apply_equity_rule",
    "assess", "classify_change", "default_fmt", "gap_status",
]

_EPS = 1e-9


class Status(StrEnum):
    """Status of a KPI against its target."""

    MET = "met"
    ON_TRACK = "on track"
    AT_RISK = "at risk"
    OFF_TRACK = "off track"
    NO_DATA = "no data"
    TOO_FEW_CASES = "too few cases"
    NO_AGREED_TARGET = "no agreed target"


class Change(StrEnum):
    """Change since the previous value (Healthy People classes), or "no data"."""

    IMPROVING = "improving"
    LITTLE_OR_NO_CHANGE = "little or no change"
    GETTING_WORSE = "getting worse"
    NO_DATA = "no data"


class GapStatus(StrEnum):
    """Movement of a gap (e.g. to the best-off group) between two periods."""

    WIDENING = "widening"
    NARROWING = "narrowing"
    STABLE = "stable"
    NO_DATA = "no data"


RISK_ORDER: Mapping[str, int] = MappingProxyType({
    Status.OFF_TRACK: 0, Status.AT_RISK: 1, Status.TOO_FEW_CASES: 2, Status.NO_DATA: 3,
    Status.NO_AGREED_TARGET: 4, Status.ON_TRACK: 5, Status.MET: 6,
})
"""Sort key per status: most at risk first."""


def default_fmt(x: float) -> str:
    """Plain number: thousands separators from 100, one decimal from 1, else 3 figures."""
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.1f}"
    return "0" if x == 0 else f"{x:.3g}"


def _plain(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.1f}" if abs(x) >= 1 else f"{x:.2g}"


@dataclass(frozen=True)
class StatusResult:
    """A status with its rule in words, the pace needed and the change since last period."""

    status: str
    explanation: str
    pace: str
    change: str
    progress_ratio: float | None
    current_value: float | None
    interim_target: float | None
    period_label: str | None


# --- helpers ----------------------------------------------------------------------------


def _num(x: float | None) -> float | None:
    """``x`` as a float, or None when missing or not finite."""
    if x is None:
        return None
    f = float(x)
    return f if math.isfinite(f) else None


def _sign(direction: str) -> int:
    if direction not in ("higher", "lower"):
        raise ValueError(f"direction must be 'higher' or 'lower', got {direction!r}")
    return 1 if direction == "higher" else -1


def _ge(a: float, b: float) -> bool:
    """``a >= b`` allowing a relative slack of 1e-9."""
    return a >= b - _EPS * max(abs(a), abs(b), 1.0)


def _ci(ci: tuple[float | None, float | None] | None) -> tuple[float, float] | None:
    if ci is None:
        return None
    lo, hi = _num(ci[0]), _num(ci[1])
    return (lo, hi) if lo is not None and hi is not None and lo <= hi else None


def _significant(a: float, a_ci: tuple[float, float] | None, b: float,
                 b_ci: tuple[float, float] | None, confidence: float, method: str) -> bool | None:
    """Is ``a`` different from ``b``? None when either interval is missing.

    ``method="z"``: z-test on the difference, each standard error taken as the interval's
    half-width over z. ``method="overlap"``: the two intervals do not overlap.
    """
    if a_ci is None or b_ci is None:
        return None
    if method == "overlap":
        return a_ci[0] > b_ci[1] or a_ci[1] < b_ci[0]
    if method != "z":
        raise ValueError(f"method must be 'z' or 'overlap', got {method!r}")
    z = z_value(confidence)
    se = math.hypot((a_ci[1] - a_ci[0]) / (2 * z), (b_ci[1] - b_ci[0]) / (2 * z))
    if se == 0:
        return a != b
    return abs(a - b) / se > z


def _pct(ratio: float, bounds: tuple[float, ...]) -> str:
    """``ratio`` as a percentage, with enough decimals not to contradict any rule bound."""
    for digits in range(4):
        shown = round(ratio * 100, digits)
        if all(_ge(ratio, b) == (shown >= b * 100) for b in bounds):
            break
    return f"{shown:.{digits}f}%"


def _month_year(d: date) -> str:
    return d.strftime("%B %Y")


def _months_between(start: date, end: date) -> float:
    """Calendar months from ``start`` to ``end``; whole when both are month-ends."""
    whole = (end.year - start.year) * 12 + end.month - start.month
    if _is_month_end(start) and _is_month_end(end):
        return float(whole)
    return whole + (end.day - start.day) / 30.436875


def _is_month_end(d: date) -> bool:
    return (d + timedelta(days=1)).day == 1


_PERIOD_WORD = {1: "year", 2: "half-year", 4: "quarter", 12: "month", 26: "fortnight", 52: "week"}


# --- change and gap -----------------------------------------------------------------------


def classify_change(current: float | None, previous: float | None, *, direction: str,
                    current_ci: tuple[float | None, float | None] | None = None,
                    previous_ci: tuple[float | None, float | None] | None = None,
                    target_value: float | None = None, confidence: float = 0.95,
                    threshold: float = 0.1, method: str = "z") -> Change:
    """Healthy People change class of ``current`` against ``previous``.

    With both intervals: significant movement toward better is "improving", significant
    movement toward worse is "getting worse", anything else "little or no change".
    Without them: a move toward better achieving at least ``threshold`` (10%) of the
    targeted change (``target_value − previous``) is "improving"; where there is no such
    change to make (no target, or the target already met) a move of at least 10% relative
    to ``previous`` is. A move toward worse is "getting worse" when at least 10% relative
    to ``previous``. Missing values give "no data".
    """
    sgn = _sign(direction)
    cur, prev = _num(current), _num(previous)
    if cur is None or prev is None:
        return Change.NO_DATA
    moved = sgn * (cur - prev)  # > 0 is toward better
    sig = _significant(cur, _ci(current_ci), prev, _ci(previous_ci), confidence, method)
    if sig is not None:
        if not sig or moved == 0:
            return Change.LITTLE_OR_NO_CHANGE
        return Change.IMPROVING if moved > 0 else Change.GETTING_WORSE
    if moved == 0:
        return Change.LITTLE_OR_NO_CHANGE
    tgt = _num(target_value)
    targeted = None if tgt is None else sgn * (tgt - prev)
    if moved > 0 and targeted is not None and targeted > 0:
        enough = _ge(moved / targeted, threshold)
    else:
        enough = prev == 0 or _ge(abs(moved) / abs(prev), threshold)
    if not enough:
        return Change.LITTLE_OR_NO_CHANGE
    return Change.IMPROVING if moved > 0 else Change.GETTING_WORSE


def gap_status(current_gap: float | None, current_ci: tuple[float | None, float | None] | None,
               previous_gap: float | None,
               previous_ci: tuple[float | None, float | None] | None, *,
               tolerance: float = 0.1, confidence: float = 0.95, method: str = "z") -> GapStatus:
    """Whether a gap widened, narrowed or stayed stable between two periods.

    Gaps are compared by size (absolute value). With both intervals the change must be
    significant to count; without them, the size must change by at least ``tolerance``
    (10%) of the previous gap. A gap growing from zero is widening.
    """
    cur, prev = _num(current_gap), _num(previous_gap)
    if cur is None or prev is None:
        return GapStatus.NO_DATA
    grown = abs(cur) - abs(prev)
    sig = _significant(cur, _ci(current_ci), prev, _ci(previous_ci), confidence, method)
    if sig is not None:
        if not sig or grown == 0:
            return GapStatus.STABLE
    elif grown == 0 or (prev != 0 and not _ge(abs(grown) / abs(prev), tolerance)):
        return GapStatus.STABLE
    return GapStatus.WIDENING if grown > 0 else GapStatus.NARROWING


# --- status -------------------------------------------------------------------------------


def _pace(*, value: float, final: float, target_date: date, period_end: date,
          fmt: Callable[[float], str], unit_word: str, periods_per_year: int,
          numerator: float | None, denominator: float | None) -> str:
    """What it takes to reach the final target from ``value`` by ``target_date``."""
    when = _month_year(target_date)
    word = _PERIOD_WORD.get(periods_per_year, "period")
    left = _months_between(period_end, target_date) * periods_per_year / 12
    if left <= 0:
        return f"the {when} target date has passed without the target being met"
    needed = final - value
    num, den = _num(numerator), _num(denominator)
    if num is not None and den is not None and num >= 0 and den > 0 and value != 0:
        extra = num * needed / value  # change in numerator at the current denominator
        more = "more" if extra > 0 else "fewer"
        per = abs(extra) / left
        if round(per) >= 1:
            return f"needs {round(per):,} {more} per {word} to reach the {when} target"
        return (f"needs {math.ceil(abs(extra)):,} {more} in all (under 1 per {word}) "
                f"to reach the {when} target")
    per = abs(needed) / left
    amount = f"{_plain(per)} {unit_word}" if unit_word else fmt(per)
    verb = "rise" if needed > 0 else "fall"
    return f"needs to {verb} by {amount} a {word} to reach the {when} target"


def assess(*, target: Target | None, period_label: str | None, period_end: date | None,
           value: float | None, ci_low: float | None, ci_high: float | None,
           reliable: bool | None, direction: str, at_risk_threshold: float = 0.9,
           fmt: Callable[[float], str] = default_fmt, unit_word: str = "",
           periods_per_year: int = 12, numerator: float | None = None,
           denominator: float | None = None, previous_value: float | None = None,
           previous_ci: tuple[float | None, float | None] | None = None,
           confidence: float = 0.95) -> StatusResult:
    """Status of one value against its target, with the rule in words and the pace needed.

    ``direction`` is "higher" or "lower" (which is better); ``confidence`` is the level of
    the intervals given. ``period_end`` places the value on the target's trajectory; it is
    required whenever there is a value and a complete agreed target. ``unit_word`` names
    the unit of the pace (e.g. "points" for percentages); without it the pace is formatted
    by ``fmt``, or given in people per period when ``numerator`` and ``denominator`` are
    known. ``change`` compares ``value`` with ``previous_value`` (see
    :func:`classify_change`; the targeted change runs to the final target).
    """
    sgn = _sign(direction)
    cur = _num(value)
    label = period_label or (period_end.strftime("%b %Y") if period_end else None)
    said = label or "this period"
    change = classify_change(
        cur, previous_value, direction=direction, current_ci=(ci_low, ci_high),
        previous_ci=previous_ci, confidence=confidence,
        target_value=target.target_value if target is not None and target.agreed else None)

    def result(status: Status, explanation: str, pace: str = "", ratio: float | None = None,
               interim: float | None = None) -> StatusResult:
        return StatusResult(str(status), explanation, pace, str(change), ratio, cur, interim, label)

    if cur is None:
        return result(Status.NO_DATA, f"No data: no value for {said}")
    if reliable is False:
        return result(Status.TOO_FEW_CASES,
                      f"Too few cases: the value for {said} rests on too few cases to be "
                      "reliable, so it is not compared with the target")
    if target is None or not target.agreed:
        return result(Status.NO_AGREED_TARGET,
                      "No agreed target: no target has been agreed for this KPI")
    missing = missing_fields(target)
    if missing:
        words = " or ".join(m.replace("_", " ") for m in missing)
        return result(Status.NO_AGREED_TARGET, f"No agreed target: the target has no {words}")
    if period_end is None:
        raise ValueError("period_end is needed to compare a value with its target")
    interim = interim_target(target, period_end)
    base, final, t_date = target.baseline_value, target.target_value, target.target_date
    assert interim is not None and base is not None and final is not None and t_date is not None
    base, final = float(base), float(final)
    # Progress ratio written as 1 + sgn·(current − interim)/|interim − baseline|: equal to
    # the sign-adjusted (current − baseline)/(interim − baseline) whenever the trajectory
    # moves the better way, and still meaningful for a target that only limits a decline.
    planned = abs(interim - base)
    ratio = None if planned <= _EPS * max(abs(interim), abs(base), 1.0) else (
        1.0 + sgn * (cur - interim) / planned)
    if _ge(sgn * cur, sgn * final):
        return result(Status.MET, f"Met: {fmt(cur)} against a final target of {fmt(final)} "
                      f"({_month_year(t_date)})", "target already met", ratio, interim)
    pace = _pace(value=cur, final=final, target_date=t_date, period_end=period_end, fmt=fmt,
                 unit_word=unit_word, periods_per_year=periods_per_year,
                 numerator=numerator, denominator=denominator)
    conf = f"{confidence * 100:g}%"
    thr = f"{at_risk_threshold * 100:g}%"
    ci = _ci((ci_low, ci_high))
    inside = ci is not None and ci[0] <= interim <= ci[1]
    in_words = ("" if ci is None else
                f", and the pro-rated target ({fmt(interim)}) lies within the {conf} "
                f"interval ({fmt(ci[0])} to {fmt(ci[1])})")
    if ratio is None:  # the trajectory has not moved from the baseline yet
        rule = f"(rule: at or beyond it, or it within the {conf} interval)"
        if _ge(sgn * cur, sgn * interim):
            return result(Status.ON_TRACK, f"On track: at or beyond the pro-rated target of "
                          f"{fmt(interim)} for {said} {rule}", pace, None, interim)
        if inside:
            return result(Status.ON_TRACK, f"On track: {fmt(cur)} for {said}{in_words} {rule}",
                          pace, None, interim)
        return result(Status.OFF_TRACK, f"Off track: {fmt(cur)}, short of the pro-rated "
                      f"target of {fmt(interim)} for {said} {rule}", pace, None, interim)
    shown = _pct(ratio, (1.0, at_risk_threshold))
    head = f"{shown} of the pro-rated target for {said}"
    if ratio < 0:
        head = (f"moved away from the target since the baseline ({fmt(base)} then, "
                f"{fmt(cur)} now, against a pro-rated target of {fmt(interim)} for {said})")
    if _ge(ratio, 1.0):
        return result(Status.ON_TRACK, f"On track: {head} (rule: 100% or more, or the "
                      f"target within the {conf} interval)", pace, ratio, interim)
    if inside:
        return result(Status.ON_TRACK, f"On track: {fmt(cur)} for {said}{in_words}, so the "
                      f"shortfall ({shown} of the pro-rated target) is within chance (rule: 100% "
                      f"or more, or the target within the {conf} interval)", pace, ratio, interim)
    if _ge(ratio, at_risk_threshold):
        return result(Status.AT_RISK, f"At risk: {head} (rule: {thr} or more, below 100%)",
                      pace, ratio, interim)
    return result(Status.OFF_TRACK, f"Off track: {head} (rule: below {thr})", pace, ratio,
                  interim)


def apply_equity_rule(overall: StatusResult,
                      group_results: Mapping[str, StatusResult]) -> StatusResult:
    """Downgrade an "on track" or "met" KPI to "at risk" while any group is off track.

    For KPIs configured so that they cannot be on track while their worst-off group is off
    track. The explanation keeps the overall rule and names the groups, e.g.
    "(equity rule: Black or African American is off track)". Other statuses are returned
    unchanged.
    """
    if overall.status not in (Status.ON_TRACK, Status.MET):
        return overall
    off = [name for name, r in group_results.items() if r.status == Status.OFF_TRACK]
    if not off:
        return overall
    names = off[0] if len(off) == 1 else ", ".join(off[:-1]) + " and " + off[-1]
    verb = "is" if len(off) == 1 else "are"
    rest = overall.explanation.split(": ", 1)[-1]
    explanation = (f"At risk: {overall.status} overall, {rest} "
                   f"(equity rule: {names} {verb} off track)")
    return replace(overall, status=str(Status.AT_RISK), explanation=explanation)
