"""Tests for metrics.status: status rules, explanations, pace, change, gaps, equity rule.

Change classes follow the Healthy People rules (HP2020 Final Progress Table metadata;
PMC8428048 Fig. 1 note; cdc.gov/nchs/healthy-people/hp2030/methods.html): improving when
the movement toward the target is significant (standard errors available) or at least 10%
of the targeted change (not available); getting worse when the movement away is significant
or at least 10% relative to the baseline. Those sources give definitions only, so the
boundary cases below are built from the rules.
"""

from __future__ import annotations

import json
import math
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.status import (
    RISK_ORDER,
    RULES,
    Change,
    GapStatus,
    Status,
    StatusResult,
    apply_equity_rule,
    assess,
    classify_change,
    classify_window_change,
    default_fmt,
    gap_status,
    window_change_z,
)
from metrics.targets import InterimTarget, Target

BASE = date(2025, 6, 30)
MID = date(2026, 6, 30)  # 365 of 730 days: the straight-line target is half way
END = date(2027, 6, 30)
OCT = date(2026, 10, 31)


def pct(x: float) -> str:
    return f"{x:.1f}%"


def target(**kw: Any) -> Target:
    args: dict[str, Any] = dict(kpi_id="k1", baseline_value=60.0, baseline_date=BASE,
                                target_value=70.0, target_date=END)
    args.update(kw)
    return Target(**args)


def run(value: float | None, *, on: date | None = MID, direction: str = "higher", **kw: Any
        ) -> StatusResult:
    args: dict[str, Any] = dict(target=target(), period_label=None, period_end=on,
                                value=value, ci_low=None, ci_high=None, reliable=True,
                                direction=direction, fmt=pct)
    args.update(kw)
    return assess(**args)


LOWER: dict[str, Any] = dict(baseline_value=20.0, target_value=10.0)  # lower is better: 20 -> 10


# --- the separate states ---------------------------------------------------------------


@pytest.mark.parametrize("value", [None, float("nan")])
def test_no_data(value: float | None) -> None:
    r = run(value, period_label="Oct 2026")
    assert r.status == Status.NO_DATA == "no data"
    assert r.explanation == "No data: no value for Oct 2026"
    assert (r.pace, r.progress_ratio, r.current_value) == ("", None, None)


def test_too_few_cases_comes_before_target_checks() -> None:
    r = run(64.0, reliable=False, target=None, period_label="Oct 2026")
    assert r.status == Status.TOO_FEW_CASES
    assert r.explanation.startswith("Too few cases: the value for Oct 2026")
    assert r.pace == "" and r.current_value == 64.0


def test_reliable_unknown_is_not_too_few() -> None:
    assert run(65.0, reliable=None).status == Status.ON_TRACK


def test_no_agreed_target() -> None:
    r = run(64.0, target=None)
    assert r.status == Status.NO_AGREED_TARGET
    assert r.explanation == "No agreed target: no target has been agreed for this KPI"
    assert run(64.0, target=target(agreed=False)).explanation == r.explanation
    r = run(64.0, target=target(baseline_value=None, baseline_date=None))
    assert r.status == "no agreed target"
    assert r.explanation == "No agreed target: the target has no baseline value or baseline date"
    assert run(64.0, target=target(target_value=None)).status == Status.NO_AGREED_TARGET


def test_period_end_needed_and_direction_checked() -> None:
    with pytest.raises(ValueError):
        run(64.0, on=None)
    with pytest.raises(ValueError):
        run(64.0, direction="up")


# --- met / on track / at risk / off track ------------------------------------------------


def test_met_higher_is_better() -> None:
    r = run(72.4, on=OCT, period_label="Oct 2026")
    assert r.status == Status.MET
    assert r.explanation == "Met: 72.4% in Oct 2026 against the final target of 70.0% (June 2027)"
    assert r.pace == "" and not r.final
    assert run(70.0).status == Status.MET  # exactly at the final target


def test_met_lower_is_better() -> None:
    assert run(10.0, direction="lower", target=target(**LOWER)).status == Status.MET
    assert run(9.0, direction="lower", target=target(**LOWER)).status == Status.MET
    assert run(10.5, direction="lower", target=target(**LOWER)).status != Status.MET


def test_one_good_month_is_not_met() -> None:
    # a single month at the target is checked against the latest three months
    r = run(72.4, on=OCT, period_label="Oct 2026", single_month=True,
            met_check=(68.0, "3 months to Oct 2026"))
    assert r.status == Status.ON_TRACK
    assert r.explanation == (
        "On track: 72.4% in Oct 2026 reaches the final target of 70.0% (June 2027), but one "
        "month at the target is not enough to call it met; over 3 months to Oct 2026 it was "
        "68.0% (rule: a single month is checked against the latest three)")
    assert run(72.4, on=OCT, single_month=True, met_check=None).status == Status.ON_TRACK
    r = run(72.4, on=OCT, period_label="Oct 2026", single_month=True,
            met_check=(70.5, "3 months to Oct 2026"))
    assert r.status == Status.MET
    assert r.explanation == ("Met: 72.4% in Oct 2026, and 70.5% over 3 months to Oct 2026 "
                             "against the final target of 70.0% (June 2027)")


@pytest.mark.parametrize(("value", "status", "ratio"), [
    (65.0, Status.ON_TRACK, 1.0),  # exactly 100%
    (66.0, Status.ON_TRACK, 1.2),
    (64.999, Status.AT_RISK, 0.9998),
    (64.5, Status.AT_RISK, 0.9),  # exactly 90%
    (64.49, Status.OFF_TRACK, 0.898),
    (62.0, Status.OFF_TRACK, 0.4),
    (59.0, Status.OFF_TRACK, -0.2),
])
def test_progress_ratio_rules_higher(value: float, status: Status, ratio: float) -> None:
    r = run(value)
    assert r.status == status
    assert r.progress_ratio == pytest.approx(ratio)
    assert r.interim_target == pytest.approx(65.0)


@pytest.mark.parametrize(("value", "status", "ratio"), [
    (15.0, Status.ON_TRACK, 1.0),
    (14.0, Status.ON_TRACK, 1.2),
    (15.5, Status.AT_RISK, 0.9),  # exactly 90% of the targeted fall
    (15.51, Status.OFF_TRACK, 0.898),
    (17.0, Status.OFF_TRACK, 0.6),
    (21.0, Status.OFF_TRACK, -0.2),
])
def test_progress_ratio_rules_lower(value: float, status: Status, ratio: float) -> None:
    r = run(value, direction="lower", target=target(**LOWER))
    assert r.status == status
    assert r.progress_ratio == pytest.approx(ratio)


def test_explanations_in_words() -> None:
    r = run(64.2, period_label="Oct 2026", baseline_label="Jun 2025")
    assert r.explanation == (
        "Off track: 64.2% in Oct 2026 against a pro-rated target of 65.0%; 84% of the planned "
        "change since the baseline (60.0% in Jun 2025) (rule: below 90% of the planned change; "
        "no interval to test the shortfall)")
    r = run(65.15, period_label="Oct 2026")
    assert r.explanation == (
        "On track: 65.2% in Oct 2026 against a pro-rated target of 65.0%; 103% of the planned "
        "change since the baseline (60.0%) (rule: 100% or more of the planned change)")
    r = run(64.7, period_label="Oct 2026")
    assert r.explanation == (
        "At risk: 64.7% in Oct 2026 against a pro-rated target of 65.0%; 94% of the planned "
        "change since the baseline (60.0%) (rule: 90% to under 100% of the planned change)")
    assert "moved away from the target since the baseline (60.0%)" in run(59.0).explanation
    for v in (59.0, 62.0, 64.7, 66.0, 71.0):  # never a share "of the target"
        assert "of the target" not in run(v).explanation
        assert "of the pro-rated target" not in run(v).explanation


def test_percent_shown_never_contradicts_the_rule() -> None:
    assert "89.8%" in run(64.49).explanation  # not "90%" beside "rule: below 90%"
    assert "99.98%" in run(64.999).explanation
    assert "(rule: 100% or more" in run(65.0).explanation and "100%" in run(65.0).explanation
    assert "; 90% of the planned change" in run(64.5).explanation


def test_threshold_is_set_per_kpi() -> None:
    r = run(64.0, at_risk_threshold=0.8)  # ratio 0.8
    assert r.status == Status.AT_RISK and "rule: 80% to under 100%" in r.explanation
    r = run(63.9, at_risk_threshold=0.8)
    assert r.status == Status.OFF_TRACK and "rule: below 80%" in r.explanation


# One-sided tests at 5%: z = 1.645; a 95% interval's half-width is 1.96 standard errors.


def test_interval_never_makes_on_track() -> None:
    # the pro-rated target (65) lies inside the interval, but the value is at 80% of the
    # planned change: the interval keeps it from "off track", never makes it "on track"
    r = run(64.0, ci_low=58.0, ci_high=70.0, period_label="Jun 2026")
    assert r.status == Status.UNCERTAIN and r.progress_ratio == pytest.approx(0.8)
    assert r.explanation == (
        "Uncertain: 64.0% in Jun 2026 against a pro-rated target of 65.0%; 80% of the planned "
        "change since the baseline (60.0%) (rule: below 90% of the planned change, but neither "
        "the shortfall nor the change since the baseline is significant at the 5% level, judged "
        "from its 95% interval: the data cannot tell)")
    # a narrower interval: the 4-point gain is significant, the 1-point shortfall is not
    r = run(64.0, ci_low=62.5, ci_high=65.5)
    assert r.status == Status.AT_RISK
    # the baseline carries its own interval: with it, the 4-point gain is not significant
    r = run(64.0, ci_low=62.5, ci_high=65.5, baseline_ci=(55.0, 65.0))
    assert r.status == Status.UNCERTAIN
    # a moved-away value with a wide interval that covers the target is not "on track"
    r = run(59.0, ci_low=50.0, ci_high=68.0)
    assert r.status == Status.UNCERTAIN


def test_improved_significantly_but_short_is_at_risk() -> None:
    # 64.0 with se 0.5: gain of 4 points is significant, shortfall of 1 point is 2 se, which
    # is significant: off track; with se 0.7 the shortfall (1.43 se) is not: at risk
    r = run(64.0, ci_low=64.0 - 1.96 * 0.5, ci_high=64.0 + 1.96 * 0.5)
    assert r.status == Status.OFF_TRACK and "the shortfall is significant" in r.explanation
    r = run(64.0, ci_low=64.0 - 1.96 * 0.7, ci_high=64.0 + 1.96 * 0.7)
    assert r.status == Status.AT_RISK
    assert "improved significantly since the baseline" in r.explanation


def test_significant_move_away_is_off_track() -> None:
    # lower is better, 20 -> 10; at 21 with a tight interval: moved away significantly
    r = run(21.0, direction="lower", target=target(**LOWER), ci_low=20.5, ci_high=21.5)
    assert r.status == Status.OFF_TRACK
    # a skewed interval: the side toward the target decides the shortfall
    # (88% of the planned change): the interval reaches only 0.1 toward better, so the
    # shortfall of 0.6 is significant, however far it reaches toward worse
    r = run(15.6, direction="lower", target=target(**LOWER), ci_low=15.5, ci_high=30.0)
    assert r.status == Status.OFF_TRACK
    # mirrored: far toward better (shortfall within chance), 0.1 toward worse (gain significant)
    r = run(15.6, direction="lower", target=target(**LOWER), ci_low=1.0, ci_high=15.7)
    assert r.status == Status.AT_RISK


def test_interim_target_overrides_straight_line() -> None:
    slow = target(interim=(InterimTarget(MID, 61.0),))
    r = run(61.0, target=slow)
    assert r.interim_target == 61.0
    assert r.status == Status.ON_TRACK and r.progress_ratio == pytest.approx(1.0)
    assert run(61.0).status == Status.OFF_TRACK  # against the straight line (65)
    assert run(60.9, target=slow).status == Status.AT_RISK


def test_before_the_trajectory_moves() -> None:
    early = date(2025, 5, 31)
    r = run(60.0, on=early)
    assert r.status == Status.ON_TRACK and r.progress_ratio is None
    r = run(59.0, on=early, period_label="May 2025")
    assert r.status == Status.OFF_TRACK
    assert r.explanation.startswith("Off track: 59.0% in May 2025 against a pro-rated target "
                                    "of 60.0%")
    assert run(59.0, on=early, ci_low=58.0, ci_high=60.5).status == Status.UNCERTAIN


def test_period_label_falls_back_to_period_end() -> None:
    r = run(64.2, on=OCT)
    assert r.period_label == "Oct 2026"
    assert "in Oct 2026" in r.explanation


def test_after_the_target_date_is_final() -> None:
    after = date(2027, 6, 30)
    r = run(66.0, on=after, period_label="Jun 2027", ci_low=60.0, ci_high=72.0)
    assert (r.status, r.final, r.pace) == (Status.NOT_MET, True, "")
    assert r.explanation == ("Not met: 66.0% in Jun 2027 against the final target of 70.0% "
                             "(June 2027); the target date has passed, so this status is final")
    r = run(70.2, on=date(2027, 9, 30), period_label="Sep 2027")
    assert (r.status, r.final) == (Status.MET, True)
    assert "met" in r.explanation.lower() and "final" in r.explanation
    # an equity rule does not reopen a final status
    assert apply_equity_rule(r, {"A": run(61.0)}) == r


def test_region_against_the_statewide_target_says_so() -> None:
    own_base = target(baseline_value=50.0, region="R05")
    r = run(52.0, target=own_base, subject="Riverbend", target_scope="statewide",
            period_label="Oct 2026", baseline_label="Jun 2025")
    assert r.baseline_value == 50.0 and r.target_scope == "statewide"
    assert r.explanation == (
        "Off track: 52.0% for Riverbend in Oct 2026 against a pro-rated target of 60.0% (own "
        "baseline, against the statewide target); 20% of the planned change since the baseline "
        "(50.0% in Jun 2025) (rule: below 90% of the planned change; no interval to test the "
        "shortfall)")
    r = run(None, target=target(baseline_value=None), subject="Riverbend",
            target_scope="statewide", baseline_label="Jun 2025")
    assert r.status == Status.NO_DATA
    r = run(65.0, target=target(baseline_value=None), subject="Riverbend",
            target_scope="statewide", baseline_label="Jun 2025")
    assert r.status == Status.NO_DATA
    assert r.explanation == ("No data: no value for Riverbend for the baseline period "
                             "(Jun 2025), so its progress cannot be measured")


# --- pace ------------------------------------------------------------------------------


def test_pace_in_people_per_month() -> None:
    # 64.5% of 100,000: 70% needs 5,500 more people, over the 12 months to June 2027.
    r = run(64.5, numerator=64_500, denominator=100_000)
    assert r.pace == "Reaching the June 2027 target needs 458 more per month"
    r = run(15.5, direction="lower", target=target(**LOWER), numerator=1550,
            denominator=10_000, on=OCT)  # 5.5 points = 550 fewer over 8 months
    assert r.pace == "Reaching the June 2027 target needs 69 fewer per month"
    r = run(64.5, numerator=129, denominator=200)  # 11 more over 12 months
    assert r.pace == "Reaching the June 2027 target needs 1 more per month"
    r = run(67.0, numerator=67, denominator=100)  # 3 more over 12 months
    assert r.pace == "Reaching the June 2027 target needs 3 more in all (under 1 per month)"


def test_pace_in_value_units() -> None:
    r = run(64.0, on=OCT, unit_word="points")  # 6 points over 8 months
    assert r.pace == "Reaching the June 2027 target needs a rise of 0.75 points per month"
    r = run(17.0, on=OCT, direction="lower", target=target(**LOWER), fmt=default_fmt)
    assert r.pace == "Reaching the June 2027 target needs a fall of 0.875 per month"
    r = run(64.0, unit_word="points", periods_per_year=4)
    assert r.pace == "Reaching the June 2027 target needs a rise of 1.5 points per quarter"


def test_pace_is_a_sentence_or_nothing() -> None:
    for v in (50.0, 59.0, 64.0, 66.0, 71.0):
        for on in (MID, OCT, date(2027, 9, 30)):
            p = run(v, on=on).pace
            assert p == "" or (p.startswith("Reaching the ") and " needs " in p)
            assert "already met" not in p and "it target" not in p
    assert run(66.0, on=date(2027, 9, 30)).pace == ""


# --- change (Healthy People) -----------------------------------------------------------


def test_change_without_standard_errors_ten_percent_rule() -> None:
    # previous 60, target 70: 10% of the targeted change is 1 point
    cc = classify_change
    assert cc(61.0, 60.0, direction="higher", target_value=70.0) == Change.IMPROVING  # exactly
    assert cc(60.99, 60.0, direction="higher", target_value=70.0) == Change.LITTLE_OR_NO_CHANGE
    assert cc(60.0, 60.0, direction="higher", target_value=70.0) == Change.LITTLE_OR_NO_CHANGE
    # away from the target: 10% relative to the previous value (6 points)
    assert cc(54.0, 60.0, direction="higher", target_value=70.0) == Change.GETTING_WORSE
    assert cc(54.01, 60.0, direction="higher", target_value=70.0) == Change.LITTLE_OR_NO_CHANGE
    # lower is better
    assert cc(19.0, 20.0, direction="lower", target_value=10.0) == Change.IMPROVING
    assert cc(19.01, 20.0, direction="lower", target_value=10.0) == Change.LITTLE_OR_NO_CHANGE
    assert cc(22.0, 20.0, direction="lower", target_value=10.0) == Change.GETTING_WORSE
    assert cc(21.9, 20.0, direction="lower", target_value=10.0) == Change.LITTLE_OR_NO_CHANGE


def test_change_without_target_uses_relative_rule() -> None:
    cc = classify_change
    assert cc(55.0, 50.0, direction="higher") == Change.IMPROVING
    assert cc(54.9, 50.0, direction="higher") == Change.LITTLE_OR_NO_CHANGE
    assert cc(45.0, 50.0, direction="higher") == Change.GETTING_WORSE
    assert cc(75.0, 72.0, direction="higher", target_value=70.0) == Change.LITTLE_OR_NO_CHANGE
    assert cc(1.0, 0.0, direction="higher") == Change.IMPROVING
    assert cc(None, 50.0, direction="higher") == Change.NO_DATA
    assert cc(50.0, None, direction="higher") == Change.NO_DATA


def test_change_with_standard_errors_uses_significance() -> None:
    cc = classify_change
    # 61 vs 60 is 10% of the targeted change, but not significant with these intervals
    args: dict[str, Any] = dict(direction="higher", target_value=70.0)
    assert cc(61.0, 60.0, current_ci=(59.0, 63.0), previous_ci=(58.0, 62.0),
              **args) == Change.LITTLE_OR_NO_CHANGE
    assert cc(65.0, 60.0, current_ci=(63.0, 67.0), previous_ci=(58.0, 62.0),
              **args) == Change.IMPROVING
    assert cc(55.0, 60.0, current_ci=(53.0, 57.0), previous_ci=(58.0, 62.0),
              **args) == Change.GETTING_WORSE
    # a small move that is significant because the intervals are tight
    assert cc(60.5, 60.0, current_ci=(60.4, 60.6), previous_ci=(59.9, 60.1),
              **args) == Change.IMPROVING
    assert cc(9.0, 10.0, direction="lower", current_ci=(8.5, 9.5),
              previous_ci=(9.5, 10.5)) == Change.IMPROVING
    # z-test finds a difference the non-overlap test does not
    kw: dict[str, Any] = dict(current_ci=(61.1, 64.9), previous_ci=(58.1, 61.9), **args)
    assert cc(63.0, 60.0, **kw) == Change.IMPROVING
    assert cc(63.0, 60.0, method="overlap", **kw) == Change.LITTLE_OR_NO_CHANGE
    assert cc(63.0, 60.0, current_ci=(62.0, 64.0), previous_ci=(59.0, 61.0), method="overlap",
              **args) == Change.IMPROVING
    # one interval missing: back to the 10% rule
    assert cc(61.0, 60.0, current_ci=(59.0, 63.0), **args) == Change.IMPROVING


def test_assess_reports_change() -> None:
    assert run(64.0, previous_value=60.0).change == Change.IMPROVING
    assert run(64.0, previous_value=64.5).change == Change.LITTLE_OR_NO_CHANGE
    assert run(64.0).change == "no data"
    r = run(64.0, ci_low=63.0, ci_high=65.0, previous_value=63.5, previous_ci=(62.5, 64.5))
    assert r.change == Change.LITTLE_OR_NO_CHANGE
    # a KPI above target is "met" even when it dipped since a year earlier
    r = run(71.0, previous_value=75.0)
    assert (r.status, r.change) == (Status.MET, Change.LITTLE_OR_NO_CHANGE)
    # change since the baseline, with the 10% of targeted change rule (no intervals)
    assert run(64.0).change_since_baseline == Change.IMPROVING
    assert run(60.5).change_since_baseline == Change.LITTLE_OR_NO_CHANGE
    assert run(64.0, baseline_change=Change.NO_DATA).change_since_baseline == "no data"


# --- gap status --------------------------------------------------------------------------


def test_gap_status_without_intervals() -> None:
    assert gap_status(11.0, None, 10.0, None) == GapStatus.WIDENING  # exactly 10%
    assert gap_status(10.9, None, 10.0, None) == GapStatus.STABLE
    assert gap_status(9.0, None, 10.0, None) == GapStatus.NARROWING
    assert gap_status(9.1, None, 10.0, None) == GapStatus.STABLE
    assert gap_status(-12.0, None, -10.0, None) == GapStatus.WIDENING  # by size
    assert gap_status(11.5, None, 10.0, None, tolerance=0.2) == GapStatus.STABLE
    assert gap_status(0.0, None, 0.0, None) == GapStatus.STABLE
    assert gap_status(2.0, None, 0.0, None) == GapStatus.WIDENING
    assert gap_status(None, None, 10.0, None) == GapStatus.NO_DATA
    assert gap_status(10.0, None, float("nan"), None) == "no data"


def test_gap_status_with_intervals() -> None:
    assert gap_status(15.0, (13.0, 17.0), 10.0, (8.0, 12.0)) == GapStatus.WIDENING
    assert gap_status(5.0, (3.0, 7.0), 10.0, (8.0, 12.0)) == GapStatus.NARROWING
    # 12 vs 10 is 20% wider, but the intervals say it could be chance, and they are too
    # wide to say it stayed the same: too small to tell
    assert gap_status(12.0, (9.0, 15.0), 10.0, (7.0, 13.0)) == GapStatus.TOO_SMALL
    # tight intervals and a change within 10% of the gap: stable
    assert gap_status(10.1, (9.9, 10.3), 10.0, (9.9, 10.1)) == GapStatus.STABLE
    assert gap_status(12.0, (9.0, 15.0), 10.0, (7.0, 13.0),
                      method="overlap") == GapStatus.STABLE


# --- equity rule and ordering --------------------------------------------------------------


def test_equity_rule_downgrades_on_track() -> None:
    overall = run(66.0, period_label="Oct 2026")
    groups = {"White": run(67.0), "Black or African American": run(61.0),
              "Asian": run(None)}
    r = apply_equity_rule(overall, groups)
    assert r.status == Status.AT_RISK
    assert r.explanation.startswith("At risk: on track overall, 66.0% in Oct 2026 against a "
                                    "pro-rated target of 65.0%; 120% of the planned change")
    assert r.explanation.endswith("(equity rule: Black or African American is off track)")
    assert (r.pace, r.progress_ratio) == (overall.pace, overall.progress_ratio)


def test_equity_rule_names_every_off_track_group_and_covers_met() -> None:
    groups = {"A": run(61.0), "B": run(65.0), "C": run(60.0), "D": run(59.0)}
    r = apply_equity_rule(run(71.0), groups)
    assert r.status == Status.AT_RISK
    assert r.explanation.startswith("At risk: met overall, 71.0% in Jun 2026 against the final "
                                    "target")
    assert r.explanation.endswith("(equity rule: A, C and D are off track)")


def test_equity_rule_leaves_other_cases_alone() -> None:
    off = {"A": run(61.0)}
    for overall in (run(64.5), run(62.0), run(None)):
        assert apply_equity_rule(overall, off) == overall
    fine = {"A": run(66.0), "B": run(64.5), "C": run(64.0, reliable=False), "D": run(None)}
    assert apply_equity_rule(run(66.0), fine) == run(66.0)


def test_risk_order() -> None:
    statuses = ["met", "on track", "no agreed target", "no data", "too few cases", "uncertain",
                "at risk", "off track", "not met"]
    assert sorted(statuses, key=RISK_ORDER.__getitem__) == list(reversed(statuses))
    assert set(RISK_ORDER) == set(Status) == set(RULES)
    assert RISK_ORDER[Status.NOT_MET] == RISK_ORDER["not met"] == 0


def test_status_values_and_default_fmt() -> None:
    assert [s.value for s in Status] == ["met", "not met", "on track", "at risk", "off track",
                                         "uncertain", "no data", "too few cases",
                                         "no agreed target"]
    assert [c.value for c in Change][:3] == ["improving", "little or no change",
                                             "getting worse"]
    assert [g.value for g in GapStatus] == ["widening", "narrowing", "stable",
                                            "too small to tell", "no data"]
    assert [default_fmt(x) for x in (12345.6, 72.44, 0.01234, 0.0)] == [
        "12,346", "72.4", "0.0123", "0"]


# --- properties ----------------------------------------------------------------------------


@given(st.floats(0, 100), st.sampled_from(["higher", "lower"]))
def test_status_is_always_explained(value: float, direction: str) -> None:
    t = target() if direction == "higher" else target(**LOWER)
    r = run(value, direction=direction, target=t)
    assert r.status in RISK_ORDER
    assert r.explanation.lower().startswith(r.status)
    assert r.pace or r.status == Status.MET
    if r.progress_ratio is not None and r.status != Status.MET:
        assert (r.status == Status.ON_TRACK) == (r.progress_ratio >= 1 - 1e-9)
    assert not math.isnan(r.current_value or 0.0)


@given(st.floats(-50, 50), st.floats(-50, 50))
def test_direction_mirror(delta: float, prev: float) -> None:
    # lower-is-better is the mirror image of higher-is-better
    up = classify_change(prev + delta, prev, direction="higher", target_value=prev + 10)
    down = classify_change(-(prev + delta), -prev, direction="lower", target_value=-prev - 10)
    assert up == down


# --- symmetry of the status rule (METHODS: "Status against target") ----------------------

_vals = st.floats(1, 99, allow_nan=False)
_half = st.floats(0.01, 40, allow_nan=False)


def _neg(t: Target) -> Target:
    assert t.baseline_value is not None and t.target_value is not None
    return Target(kpi_id=t.kpi_id, baseline_value=-t.baseline_value,
                  baseline_date=t.baseline_date, target_value=-t.target_value,
                  target_date=t.target_date)


@given(_vals, _vals, _vals, _half, _half, st.sampled_from([MID, OCT]))
def test_mirror_image_gives_the_same_status(base: float, final: float, value: float,
                                            below: float, above: float, on: date) -> None:
    """Lower-is-better with every number negated is the mirror image of higher-is-better."""
    t = target(baseline_value=base, target_value=final)
    up = run(value, target=t, on=on, ci_low=value - below, ci_high=value + above)
    down = run(-value, target=_neg(t), direction="lower", on=on, ci_low=-value - above,
               ci_high=-value + below)
    assert up.status == down.status
    assert (up.progress_ratio is None) == (down.progress_ratio is None)
    if up.progress_ratio is not None and down.progress_ratio is not None:
        assert up.progress_ratio == pytest.approx(down.progress_ratio)


@given(_vals, _vals, _vals, _half, _half, st.sampled_from(["higher", "lower"]))
def test_an_interval_never_makes_on_track_or_met(base: float, final: float, value: float,
                                                 below: float, above: float,
                                                 direction: str) -> None:
    t = target(baseline_value=base, target_value=final)
    bare = run(value, target=t, direction=direction, on=OCT)
    wide = run(value, target=t, direction=direction, on=OCT, ci_low=value - below,
               ci_high=value + above)
    good = (Status.ON_TRACK, Status.MET)
    assert (bare.status in good) == (wide.status in good)
    # and it can only soften "off track", never harden a better status
    if bare.status in (Status.AT_RISK, *good):
        assert wide.status == bare.status
    sgn = 1 if direction == "higher" else -1
    if sgn * (value - base) < 0 and sgn * (final - base) > 0:  # moved away from the target
        assert wide.status not in good and bare.status not in good


@given(_vals, _vals, _vals, st.sampled_from(["higher", "lower"]))
def test_one_month_never_makes_met(base: float, final: float, value: float,
                                   direction: str) -> None:
    t = target(baseline_value=base, target_value=final)
    r = run(value, target=t, direction=direction, on=OCT, single_month=True, met_check=None)
    assert r.status != Status.MET


@given(_vals, _vals, _vals, _half, st.sampled_from(["higher", "lower"]))
def test_after_the_target_date_only_met_or_not_met(base: float, final: float, value: float,
                                                   half: float, direction: str) -> None:
    t = target(baseline_value=base, target_value=final)
    r = run(value, target=t, direction=direction, on=date(2027, 12, 31), ci_low=value - half,
            ci_high=value + half)
    assert r.final and r.status in (Status.MET, Status.NOT_MET)
    sgn = 1 if direction == "higher" else -1
    assert (r.status == Status.MET) == (sgn * value >= sgn * final - 1e-9 * max(value, final))


# --- change between overlapping windows --------------------------------------------------


def test_overlapping_windows_are_compared_on_the_months_that_differ() -> None:
    # Two 12-month windows sharing 11 months: 120 deaths then 140 (the month that came in
    # had 25, the month that went out 5). As independent counts z = 20/sqrt(260) = 1.24;
    # on the months that differ z = 20/sqrt(30) = 3.65.
    z = window_change_z((25, None), (5, None), measure="count")
    assert z == pytest.approx(20 / math.sqrt(30)) and round(z, 2) == 3.65
    naive = classify_change(140, 120, direction="lower", current_ci=(140 - 1.96 * math.sqrt(140),
                            140 + 1.96 * math.sqrt(140)),
                            previous_ci=(120 - 1.96 * math.sqrt(120), 120 + 1.96 * math.sqrt(120)))
    assert naive == Change.LITTLE_OR_NO_CHANGE  # what treating them as independent says
    assert classify_window_change((25, None), (5, None), direction="lower",
                                  measure="count") == Change.GETTING_WORSE
    assert classify_window_change((25, None), (5, None), direction="higher",
                                  measure="count") == Change.IMPROVING
    assert classify_window_change((12, None), (10, None), direction="lower",
                                  measure="count") == Change.LITTLE_OR_NO_CHANGE
    assert classify_window_change((0, None), (0, None), direction="lower",
                                  measure="count") == Change.NO_DATA


def test_window_change_for_rates_and_proportions() -> None:
    # rates: 30 events over 10,000 against 10 over 10,000: (0.003 - 0.001)/sqrt(30 + 10)*1e4
    z = window_change_z((30, 10_000), (10, 10_000), measure="rate")
    assert z == pytest.approx(0.002 / math.sqrt(30 / 1e8 + 10 / 1e8))
    # proportions: pooled two-sample z
    z = window_change_z((60, 100), (45, 100), measure="proportion")
    p = 105 / 200
    assert z == pytest.approx(0.15 / math.sqrt(p * (1 - p) * 0.02))
    assert classify_window_change((60, 100), (45, 100), direction="higher",
                                  measure="proportion") == Change.IMPROVING


@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 5000))
def test_shared_months_do_not_change_the_window_test(a: int, b: int, shared: int) -> None:
    """The months both windows share cancel: adding them leaves the verdict unchanged."""
    only = classify_window_change((a, None), (b, None), direction="lower", measure="count")
    # a naive test on the whole windows is never more decisive than the one on what differs
    naive = classify_change(a + shared, b + shared, direction="lower",
                            current_ci=(a + shared - 1.96 * math.sqrt(a + shared + 1),
                                        a + shared + 1.96 * math.sqrt(a + shared + 1)),
                            previous_ci=(b + shared - 1.96 * math.sqrt(b + shared + 1),
                                         b + shared + 1.96 * math.sqrt(b + shared + 1)))
    if only == Change.LITTLE_OR_NO_CHANGE:
        assert naive == Change.LITTLE_OR_NO_CHANGE or abs(a - b) > 1.96 * math.sqrt(a + b)


# --- Healthy People reference ------------------------------------------------------------

_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = next((p for p in (Path(os.environ.get("STATDESK_REFERENCE", "/nonexistent")),
                              _ROOT.parent / "shared" / "reference",
                              _ROOT.parent.parent / "shared" / "reference") if p.is_dir()),
                 _ROOT.parent / "shared" / "reference")


def test_progress_ratio_is_the_healthy_people_percent_of_targeted_change() -> None:
    """reference/healthy_people_progress_status_rules.json (HP2020 Final Progress Table
    metadata): percent of targeted change achieved = 100·(recent − baseline)/(target −
    baseline); "target met" at 100%, "improved" (no SE) at 10% or more."""
    path = REFERENCE / "healthy_people_progress_status_rules.json"
    if not path.exists():
        pytest.skip(f"reference file not found at {path}")
    rules = json.loads(path.read_text())
    assert rules["formulas"]["percent_of_targeted_change_achieved"] == (
        "100 * (most_recent - baseline) / (target - baseline)")
    # the same formula with the pro-rated target in place of the target (a day before the
    # target date, so that the status is not yet final)
    for base, final, recent in ((60.0, 70.0, 61.0), (60.0, 70.0, 70.0), (20.0, 10.0, 19.0),
                                (20.0, 10.0, 12.5), (60.0, 70.0, 58.0)):
        t = target(baseline_value=base, target_value=final)
        r = run(recent, target=t, on=date(2027, 6, 29), direction="higher" if final > base
                else "lower")
        assert r.interim_target is not None
        expected = 100 * (recent - base) / (r.interim_target - base)
        assert (r.progress_ratio or 0) * 100 == pytest.approx(expected, rel=1e-12)
    # the "improved" boundary (no standard errors): exactly 10% of the targeted change
    assert classify_change(61.0, 60.0, direction="higher", target_value=70.0) == Change.IMPROVING
    assert classify_change(60.99, 60.0, direction="higher",
                           target_value=70.0) == Change.LITTLE_OR_NO_CHANGE
    # "getting worse" (no standard errors): moved away by 10% of the baseline or more
    assert classify_change(54.0, 60.0, direction="higher",
                           target_value=70.0) == Change.GETTING_WORSE
