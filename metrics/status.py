"""Status against target, change over time, gap status and the equity rule.

The one place where StatDesk decides a status and writes it in words; the scorecard, the
command line, the briefing packet and the public site all take their words from here.
The rules are written out, with their sources, in docs/methods.md ("Status against target").

* "no data", "too few cases" and "no agreed target" are separate states, never folded into
  the others.
* After the target date the status is final: "met" or "not met".
* Before it, with the progress ratio r = sign·(current − baseline) / |interim − baseline|
  (the share of the *planned change* achieved, not a share of the target) and one-sided
  tests at the 5% level read off the value's interval:

  - "met": the final target reached on the KPI's status basis, which must be longer than
    one month (a single month at the target is checked against the latest three);
  - "on track": r ≥ 100%;
  - "at risk": the KPI's threshold (default 90%) ≤ r < 100%, or r below it while the value
    improved significantly since the baseline and the shortfall is not significant;
  - "off track": r below the threshold and the shortfall, or the move away from the
    target since the baseline, is significant (or there is no interval to test it);
  - "uncertain": r below the threshold but neither the shortfall nor the change since the
    baseline is significant: the interval is too wide to tell.

  Uncertainty can keep a KPI from "off track"; it never makes "on track" or "met".
* Change over time follows Healthy People: significance where standard errors exist, else
  the 10% of targeted change rule; overlapping windows are compared on the months that
  differ (:func:`classify_window_change`).

Comparisons at a rule's boundary allow a relative slack of 1e-9, so that a value exactly
at 90% or 100% (or exactly 10% of the targeted change) is not tipped over by rounding in
floating point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

from metrics.intervals import z_value
from metrics.targets import Target, interim_target, missing_fields

__all__ = [
    "ONE_SIDED_LEVEL", "RISK_ORDER", "RULES", "Change", "GapStatus", "Status", "StatusResult",
    "apply_equity_rule", "assess", "classify_change", "classify_window_change", "default_fmt",
    "gap_status", "window_change_z",
]

_EPS = 1e-9
ONE_SIDED_LEVEL = 0.05
"""Level of the one-sided tests of the status rule (shortfall, move away, progress)."""


class Status(StrEnum):
    """Status of a KPI against its target."""

    MET = "met"
    NOT_MET = "not met"
    ON_TRACK = "on track"
    AT_RISK = "at risk"
    OFF_TRACK = "off track"
    UNCERTAIN = "uncertain"
    NO_DATA = "no data"
    TOO_FEW_CASES = "too few cases"
    NO_AGREED_TARGET = "no agreed target"


class Change(StrEnum):
    """Change against an earlier value (Healthy People classes), or why there is none."""

    IMPROVING = "improving"
    LITTLE_OR_NO_CHANGE = "little or no change"
    GETTING_WORSE = "getting worse"
    NO_DATA = "no data"


class GapStatus(StrEnum):
    """Movement of a gap (e.g. to the best-off group) between two periods."""

    WIDENING = "widening"
    NARROWING = "narrowing"
    STABLE = "stable"
    TOO_SMALL = "too small to tell"
    NO_DATA = "no data"


RISK_ORDER: Mapping[str, int] = MappingProxyType({
    Status.NOT_MET: 0, Status.OFF_TRACK: 1, Status.AT_RISK: 2, Status.UNCERTAIN: 3,
    Status.TOO_FEW_CASES: 4, Status.NO_DATA: 5, Status.NO_AGREED_TARGET: 6,
    Status.ON_TRACK: 7, Status.MET: 8,
})
"""Sort key per status: most at risk first."""

RULES: Mapping[str, str] = MappingProxyType({
    Status.MET: ("the final target is reached on the KPI's status basis (a single month at "
                 "the target is not enough: the latest three months must reach it too); after "
                 "the target date, the value of the period that includes it reaches the target"),
    Status.NOT_MET: "after the target date: the value falls short of the final target",
    Status.ON_TRACK: "100% or more of the planned change since the baseline (point estimate)",
    Status.AT_RISK: ("from the KPI's threshold (default 90%) to under 100% of the planned "
                     "change, or below the threshold while the value has improved significantly "
                     "since the baseline and the shortfall is not significant"),
    Status.OFF_TRACK: ("below the threshold, and the shortfall from the pro-rated target or the "
                       "move away from the target since the baseline is significant "
                       "(one-sided, 5% level), or there is no interval to test it"),
    Status.UNCERTAIN: ("below the threshold, but neither the shortfall nor the change since the "
                       "baseline is significant: the interval is too wide to tell"),
    Status.NO_DATA: "no published figure for the period (or, for a region or group, none at "
                    "the baseline period)",
    Status.TOO_FEW_CASES: "the figure rests on too few events to be reliable (fewer than 20, "
                          "or a relative standard error above 30%)",
    Status.NO_AGREED_TARGET: "no target has been agreed and approved",
})
"""Each status word's rule in words (the public site's status_rules.json carries these)."""


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
    """A status with its rule in words, the pace needed and the change over time.

    ``change`` compares the value with the same period a year earlier,
    ``change_since_baseline`` with the baseline. ``baseline_value`` is the baseline used
    (for a region or group, its own); ``target_scope`` is "own" or "statewide" (whose
    target value and date were used). ``figures`` names every number the explanation
    states, unrounded.
    """

    status: str
    explanation: str
    pace: str
    change: str
    progress_ratio: float | None
    current_value: float | None
    interim_target: float | None
    period_label: str | None
    baseline_value: float | None = None
    target_scope: str = "own"
    change_since_baseline: str = "no data"
    final: bool = False
    figures: Mapping[str, float] = field(default_factory=dict)


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

    The two values must come from periods that share nothing (e.g. a month and the same
    month a year earlier); for windows that overlap use :func:`classify_window_change`.
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


def window_change_z(current_only: tuple[float, float | None],
                    previous_only: tuple[float, float | None], *, measure: str) -> float | None:
    """z statistic for the change between two windows that overlap, from what differs.

    Two rolling windows that share months differ only by the months each has alone; the
    shared months cancel in the difference and must not count as independent evidence.
    ``current_only`` and ``previous_only`` are ``(events, denominator)`` of those months
    (denominator ``None`` for counts). Counts: ``(x₁ − x₀)/√(x₁ + x₀)`` (conditional
    Poisson). Rates: difference of the two crude rates over its Poisson standard error.
    Proportions: two-sample z-test with a pooled proportion. Positive when the current
    window's months are higher; None when there is nothing to test.
    """
    x1, n1 = current_only
    x0, n0 = previous_only
    if measure == "count" or n1 is None or n0 is None:
        total = x1 + x0
        return None if total <= 0 else (x1 - x0) / math.sqrt(total)
    if n1 <= 0 or n0 <= 0:
        return None
    r1, r0 = x1 / n1, x0 / n0
    if measure == "proportion":
        p = (x1 + x0) / (n1 + n0)
        var = p * (1 - p) * (1 / n1 + 1 / n0)
    else:
        var = x1 / n1**2 + x0 / n0**2
    if var <= 0:
        return None if r1 == r0 else math.copysign(math.inf, r1 - r0)
    return (r1 - r0) / math.sqrt(var)


def classify_window_change(current_only: tuple[float, float | None],
                           previous_only: tuple[float, float | None], *, direction: str,
                           measure: str, confidence: float = 0.95) -> Change:
    """Change class between two overlapping windows, tested on the months that differ.

    See :func:`window_change_z`; significant at ``confidence`` (two-sided) toward better
    is "improving", toward worse "getting worse", else "little or no change".
    """
    sgn = _sign(direction)
    z = window_change_z(current_only, previous_only, measure=measure)
    if z is None:
        return Change.NO_DATA
    if abs(z) <= z_value(confidence):
        return Change.LITTLE_OR_NO_CHANGE
    return Change.IMPROVING if sgn * z > 0 else Change.GETTING_WORSE


def gap_status(current_gap: float | None, current_ci: tuple[float | None, float | None] | None,
               previous_gap: float | None,
               previous_ci: tuple[float | None, float | None] | None, *,
               tolerance: float = 0.1, confidence: float = 0.95, method: str = "z") -> GapStatus:
    """Whether a gap widened, narrowed, stayed stable, or the numbers are too small to tell.

    Gaps are compared by size (absolute value). With both intervals the change must be
    significant to count; a change that is not significant is "stable" only when the data
    could have shown one (``method="z"``: the interval of the change lies within
    ±``tolerance`` of the previous gap), else "too small to tell". Without intervals, the
    size must change by at least ``tolerance`` (10%) of the previous gap. A gap growing
    from zero is widening.
    """
    cur, prev = _num(current_gap), _num(previous_gap)
    if cur is None or prev is None:
        return GapStatus.NO_DATA
    grown = abs(cur) - abs(prev)
    c_ci, p_ci = _ci(current_ci), _ci(previous_ci)
    sig = _significant(cur, c_ci, prev, p_ci, confidence, method)
    if sig is not None:
        if not sig or grown == 0:
            if method == "z" and c_ci is not None and p_ci is not None:
                z = z_value(confidence)
                half = z * math.hypot((c_ci[1] - c_ci[0]) / (2 * z), (p_ci[1] - p_ci[0]) / (2 * z))
                if abs(grown) + half > tolerance * abs(prev):
                    return GapStatus.TOO_SMALL
            return GapStatus.STABLE
    elif grown == 0 or (prev != 0 and not _ge(abs(grown) / abs(prev), tolerance)):
        return GapStatus.STABLE
    return GapStatus.WIDENING if grown > 0 else GapStatus.NARROWING


# --- status -------------------------------------------------------------------------------


def _pace(*, value: float, final: float, target_date: date, period_end: date,
          fmt: Callable[[float], str], unit_word: str, periods_per_year: int,
          numerator: float | None, denominator: float | None) -> str:
    """What it takes to reach the final target from ``value`` by ``target_date``, as a
    sentence without its full stop ("Reaching the June 2027 target needs ...")."""
    when = _month_year(target_date)
    word = _PERIOD_WORD.get(periods_per_year, "period")
    left = _months_between(period_end, target_date) * periods_per_year / 12
    head = f"Reaching the {when} target needs"
    if left <= 0:
        return ""
    needed = final - value
    num, den = _num(numerator), _num(denominator)
    if num is not None and den is not None and num >= 0 and den > 0 and value != 0:
        extra = num * needed / value  # change in numerator at the current denominator
        more = "more" if extra > 0 else "fewer"
        per = abs(extra) / left
        if round(per) >= 1:
            return f"{head} {round(per):,} {more} per {word}"
        return f"{head} {math.ceil(abs(extra)):,} {more} in all (under 1 per {word})"
    per = abs(needed) / left
    amount = f"{_plain(per)} {unit_word}" if unit_word else fmt(per)
    verb = "a rise" if needed > 0 else "a fall"
    return f"{head} {verb} of {amount} per {word}"


def _one_sided_z() -> float:
    return z_value(1 - 2 * ONE_SIDED_LEVEL)


def _se_sides(value: float, ci: tuple[float, float] | None,
              confidence: float) -> tuple[float, float] | None:
    """Standard errors below and above ``value`` read off its (possibly skewed) interval."""
    if ci is None:
        return None
    z = z_value(confidence)
    return max(value - ci[0], 0.0) / z, max(ci[1] - value, 0.0) / z


def assess(*, target: Target | None, period_label: str | None, period_end: date | None,
           value: float | None, ci_low: float | None, ci_high: float | None,
           reliable: bool | None, direction: str, at_risk_threshold: float = 0.9,
           fmt: Callable[[float], str] = default_fmt, unit_word: str = "",
           periods_per_year: int = 12, numerator: float | None = None,
           denominator: float | None = None, previous_value: float | None = None,
           previous_ci: tuple[float | None, float | None] | None = None,
           confidence: float = 0.95, interim: float | None = None,
           baseline_label: str | None = None,
           baseline_ci: tuple[float | None, float | None] | None = None,
           baseline_change: Change | None = None, subject: str = "",
           target_scope: str = "own", met_check: tuple[float | None, str] | None = None,
           single_month: bool = False, baseline_name: str = "the baseline",
           target_words: str = "a pro-rated target") -> StatusResult:
    """Status of one value against its target, with the rule in words and the pace needed.

    ``direction`` is "higher" or "lower" (which is better); ``confidence`` is the level of
    the interval given. ``period_end`` places the value on the target's trajectory; it is
    required whenever there is a value and a complete agreed target. ``interim`` overrides
    the pro-rated target at ``period_end`` (e.g. its mean over a 12-month window).

    ``target`` carries the baseline used: for a region or group, the caller passes its own
    baseline (``target_scope="statewide"`` when the target value and date are the
    statewide ones, and ``subject`` names the region or group). ``baseline_ci`` is the
    baseline's interval where it is an observed value.

    ``single_month``: the value is one month; then "met" also needs ``met_check`` (the
    value over the latest three months and its label) to reach the final target.

    ``previous_value`` is the same period a year earlier (``change``); ``baseline_change``,
    when given, replaces the test of the change since the baseline (overlapping windows).
    """
    sgn = _sign(direction)
    cur = _num(value)
    label = period_label or (period_end.strftime("%b %Y") if period_end else None)
    said = label or "this period"
    t_val = target.target_value if target is not None and target.agreed else None
    change = classify_change(
        cur, previous_value, direction=direction, current_ci=(ci_low, ci_high),
        previous_ci=previous_ci, confidence=confidence, target_value=t_val)
    base_val = _num(target.baseline_value) if target is not None else None
    if baseline_change is not None:
        since_base = baseline_change
    else:
        since_base = classify_change(cur, base_val, direction=direction,
                                     current_ci=(ci_low, ci_high), previous_ci=baseline_ci,
                                     confidence=confidence, target_value=t_val)
    who = f" for {subject}" if subject else ""
    scope_words = ("" if not subject else " (own baseline, against the statewide target)"
                   if target_scope == "statewide" else " (against its own target)")

    def result(status: Status, explanation: str, pace: str = "", ratio: float | None = None,
               interim_: float | None = None, final: bool = False,
               figures: Mapping[str, float] | None = None) -> StatusResult:
        return StatusResult(str(status), explanation, pace, str(change), ratio, cur, interim_,
                            label, base_val, target_scope, str(since_base), final,
                            dict(figures or {}))

    if cur is None:
        return result(Status.NO_DATA, f"No data: no value{who} for {said}")
    if reliable is False:
        return result(Status.TOO_FEW_CASES,
                      f"Too few cases: the value{who} for {said} rests on too few cases to be "
                      "reliable, so it is not compared with the target", figures={"value": cur})
    if target is None or not target.agreed:
        return result(Status.NO_AGREED_TARGET,
                      "No agreed target: no target has been agreed for this KPI")
    missing = missing_fields(target)
    if missing:
        if subject and "baseline_value" in missing and target.baseline_date is not None:
            return result(Status.NO_DATA, f"No data: no value{who} for the baseline period "
                          f"({baseline_label or target.baseline_date.isoformat()}), so its "
                          "progress cannot be measured")
        words = " or ".join(m.replace("_", " ") for m in missing)
        return result(Status.NO_AGREED_TARGET, f"No agreed target: the target has no {words}")
    if period_end is None:
        raise ValueError("period_end is needed to compare a value with its target")
    if interim is None:
        interim = interim_target(target, period_end)
    base, final, t_date = target.baseline_value, target.target_value, target.target_date
    assert interim is not None and base is not None and final is not None and t_date is not None
    base, final = float(base), float(final)
    b_words = (f"{baseline_name} ({fmt(base)} in {baseline_label})" if baseline_label
               else f"{baseline_name} ({fmt(base)})")
    figs: dict[str, float] = {"value": cur, "final_target": final, "baseline": base}
    final_words = f"the final target of {fmt(final)} ({_month_year(t_date)}){scope_words}"

    # After the target date: final.
    if period_end >= t_date:
        if _ge(sgn * cur, sgn * final):
            return result(Status.MET, f"Met: {fmt(cur)}{who} in {said} against {final_words}; "
                          "the target date has passed, so this status is final", "", None,
                          final, True, figs)
        return result(Status.NOT_MET, f"Not met: {fmt(cur)}{who} in {said} against "
                      f"{final_words}; the target date has passed, so this status is final",
                      "", None, final, True, figs)

    # The planned change since the baseline, toward better. Where the trajectory has not
    # moved yet, or moves toward worse (a target that only limits a decline, e.g. a region
    # whose own baseline already beats the statewide target), there is no planned progress
    # to take a share of: the value is compared with the pro-rated target directly.
    planned = sgn * (interim - base)
    ratio = None if planned <= _EPS * max(abs(interim), abs(base), 1.0) else (
        sgn * (cur - base) / planned)
    pace = _pace(value=cur, final=final, target_date=t_date, period_end=period_end, fmt=fmt,
                 unit_word=unit_word, periods_per_year=periods_per_year,
                 numerator=numerator, denominator=denominator)
    figs["interim_target"] = interim
    if _ge(sgn * cur, sgn * final):
        check = _num(met_check[0]) if met_check is not None else None
        if not single_month or (check is not None and _ge(sgn * check, sgn * final)):
            extra = ""
            if single_month and met_check is not None and check is not None:
                figs["met_check"] = check
                extra = f", and {fmt(check)} over {met_check[1]}"
            return result(Status.MET, f"Met: {fmt(cur)}{who} in {said}{extra} against "
                          f"{final_words}", "", ratio, interim, False, figs)
        why = ("one month at the target is not enough to call it met"
               + (f"; over {met_check[1]} it was {fmt(check)}" if check is not None
                  and met_check is not None else ""))
        if check is not None:
            figs["met_check"] = check
        return result(Status.ON_TRACK, f"On track: {fmt(cur)}{who} in {said} reaches "
                      f"{final_words}, but {why} (rule: a single month is checked against the "
                      "latest three)", pace, ratio, interim, False, figs)

    conf = f"{confidence * 100:g}%"
    thr = f"{at_risk_threshold * 100:g}%"
    level = f"{ONE_SIDED_LEVEL * 100:g}%"
    ci = _ci((ci_low, ci_high))
    sides = _se_sides(cur, ci, confidence)
    z1 = _one_sided_z()
    head = (f"{fmt(cur)}{who} in {said} against {target_words} of {fmt(interim)}"
            f"{scope_words}")
    ci_words = "" if ci is None else f", judged from its {conf} interval"
    if ci is not None:
        figs["ci_low"], figs["ci_high"] = ci
    b_sides = _se_sides(base, _ci(baseline_ci), confidence) if baseline_ci is not None else None
    b_lo, b_hi = b_sides if b_sides is not None else (0.0, 0.0)

    # Toward better is +sgn; the value's standard error on each side.
    if sides is not None:
        se_better = sides[1] if sgn > 0 else sides[0]
        se_worse = sides[0] if sgn > 0 else sides[1]
        shortfall = sgn * (interim - cur)
        sig_short = shortfall > 0 and shortfall > z1 * se_better
        away = sgn * (base - cur)
        sig_away = away > 0 and away > z1 * math.hypot(se_better, b_hi if sgn > 0 else b_lo)
        gain = sgn * (cur - base)
        sig_gain = gain > 0 and gain > z1 * math.hypot(se_worse, b_lo if sgn > 0 else b_hi)
    else:
        sig_short = sig_away = sig_gain = False

    if ratio is None:  # no planned progress: compare with the pro-rated target itself
        head += f"; the trajectory runs from {b_words} to {final_words}"
        if _ge(sgn * cur, sgn * interim):
            return result(Status.ON_TRACK, f"On track: {head}, at or beyond it (rule: at or "
                          "beyond the pro-rated target)", pace, None, interim, False, figs)
        if sides is None or sig_short:
            why = (f"the shortfall is significant at the {level} level{ci_words}" if sides
                   else "no interval to test it")
            return result(Status.OFF_TRACK, f"Off track: {head} (rule: short of the pro-rated "
                          f"target, and {why})", pace, None, interim, False, figs)
        return result(Status.UNCERTAIN, f"Uncertain: {head} (rule: short of the pro-rated "
                      f"target, but not significantly at the {level} level{ci_words})",
                      pace, None, interim, False, figs)

    shown = _pct(ratio, (1.0, at_risk_threshold))
    figs["progress_pct"] = ratio * 100
    if sgn * (cur - base) < 0:
        progress = f"it has moved away from the target since {b_words}"
    else:
        progress = f"{shown} of the planned change since {b_words}"
    text = f"{head}; {progress}"
    if _ge(ratio, 1.0):
        return result(Status.ON_TRACK, f"On track: {text} (rule: 100% or more of the planned "
                      "change)", pace, ratio, interim, False, figs)
    if _ge(ratio, at_risk_threshold):
        return result(Status.AT_RISK, f"At risk: {text} (rule: {thr} to under 100% of the "
                      "planned change)", pace, ratio, interim, False, figs)
    if sides is None:
        return result(Status.OFF_TRACK, f"Off track: {text} (rule: below {thr} of the planned "
                      "change; no interval to test the shortfall)", pace, ratio, interim, False,
                      figs)
    if sig_short or sig_away:
        what = "the shortfall" if sig_short else "the move away from the target"
        return result(Status.OFF_TRACK, f"Off track: {text} (rule: below {thr} of the planned "
                      f"change, and {what} is significant at the {level} level{ci_words})",
                      pace, ratio, interim, False, figs)
    if sig_gain:
        return result(Status.AT_RISK, f"At risk: {text} (rule: below {thr} of the planned "
                      "change, but improved significantly since the baseline and the shortfall "
                      f"is not significant at the {level} level{ci_words})", pace, ratio,
                      interim, False, figs)
    return result(Status.UNCERTAIN, f"Uncertain: {text} (rule: below {thr} of the planned "
                  "change, but neither the shortfall nor the change since the baseline is "
                  f"significant at the {level} level{ci_words}: the data cannot tell)", pace,
                  ratio, interim, False, figs)


def apply_equity_rule(overall: StatusResult,
                      group_results: Mapping[str, StatusResult]) -> StatusResult:
    """Downgrade an "on track" or "met" KPI to "at risk" while any group is off track.

    For KPIs configured so that they cannot be on track while their worst-off group is off
    track. The explanation keeps the overall rule and names the groups, e.g.
    "(equity rule: Black or African American is off track)". Other statuses, and final
    statuses after the target date, are returned unchanged.
    """
    if overall.status not in (Status.ON_TRACK, Status.MET) or overall.final:
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
