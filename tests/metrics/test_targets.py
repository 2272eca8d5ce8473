"""Tests for metrics.targets: the straight-line trajectory and dated interim overrides."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.targets import InterimTarget, Target, interim_target, missing_fields, trajectory

BASE = date(2025, 6, 30)
END = date(2027, 6, 30)  # 730 days after BASE


def straight(**kw: object) -> Target:
    args: dict[str, object] = dict(kpi_id="k1", baseline_value=60.0, baseline_date=BASE,
                                   target_value=70.0, target_date=END)
    args.update(kw)
    return Target(**args)  # type: ignore[arg-type]


def test_defaults_and_frozen() -> None:
    t = Target(kpi_id="k1")
    assert (t.region, t.group, t.agreed, t.interim) == ("all", "all", True, ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.kpi_id = "k2"  # type: ignore[misc]
    assert missing_fields(t) == ("baseline_value", "baseline_date", "target_value", "target_date")
    assert missing_fields(straight()) == ()


def test_straight_line_by_days() -> None:
    t = straight()
    assert interim_target(t, BASE) == 60.0
    assert interim_target(t, END) == 70.0
    assert interim_target(t, BASE + timedelta(days=365)) == pytest.approx(65.0)
    assert interim_target(t, BASE + timedelta(days=73)) == pytest.approx(61.0)


def test_before_baseline_and_after_target() -> None:
    t = straight()
    assert interim_target(t, date(2020, 1, 1)) == 60.0
    assert interim_target(t, date(2030, 1, 1)) == 70.0


def test_lower_is_better_target_line() -> None:
    t = straight(baseline_value=20.0, target_value=10.0)
    assert interim_target(t, BASE + timedelta(days=365)) == pytest.approx(15.0)


def test_interim_targets_override_the_line() -> None:
    # interim points given out of order; the trajectory takes them in date order
    mid1, mid2 = date(2026, 6, 30), date(2026, 12, 31)
    t = straight(interim=(InterimTarget(mid2, 69.0), InterimTarget(mid1, 61.0)))
    assert interim_target(t, mid1) == 61.0  # exactly the interim value on its date
    assert interim_target(t, mid2) == 69.0
    assert (mid1 - BASE).days == 365 and (mid2 - mid1).days == 184 and (END - mid2).days == 181
    assert interim_target(t, BASE + timedelta(days=73)) == pytest.approx(60.2)  # 61 is 365 d on
    assert interim_target(t, mid1 + timedelta(days=46)) == pytest.approx(63.0)  # 8 * 46 / 184
    assert interim_target(t, END) == 70.0
    assert interim_target(t, mid2 + timedelta(days=100)) == pytest.approx(69.0 + 100 / 181)
    assert interim_target(t, date(2030, 1, 1)) == 70.0


def test_interim_outside_the_period_is_ignored_and_duplicates_keep_the_first() -> None:
    t = straight(interim=(InterimTarget(date(2024, 1, 1), 0.0), InterimTarget(END, 99.0),
                          InterimTarget(date(2028, 1, 1), 99.0)))
    assert interim_target(t, BASE + timedelta(days=365)) == pytest.approx(65.0)
    mid = date(2026, 6, 30)
    dup = straight(interim=(InterimTarget(mid, 62.0), InterimTarget(mid, 68.0)))
    assert interim_target(dup, mid) == 62.0


@pytest.mark.parametrize("missing", ["baseline_value", "baseline_date", "target_value",
                                     "target_date"])
def test_incomplete_target_has_no_trajectory(missing: str) -> None:
    t = straight(**{missing: None})
    assert interim_target(t, BASE) is None
    assert trajectory(t, [BASE, END]) == [None, None]


def test_not_agreed_has_no_trajectory() -> None:
    assert interim_target(straight(agreed=False), END) is None


def test_target_date_not_after_baseline() -> None:
    t = straight(target_date=BASE)
    assert interim_target(t, BASE - timedelta(days=1)) == 60.0
    assert interim_target(t, BASE) == 70.0


def test_trajectory_over_months() -> None:
    t = straight()
    dates = [BASE, BASE + timedelta(days=365), END, date(2028, 1, 1)]
    got = trajectory(t, dates)
    assert got == pytest.approx([60.0, 65.0, 70.0, 70.0])
    assert trajectory(t, iter(dates[:1])) == [60.0]


@given(st.integers(-400, 1200), st.floats(-1e6, 1e6), st.floats(-1e6, 1e6))
def test_trajectory_stays_between_its_ends(offset: int, b: float, v: float) -> None:
    t = straight(baseline_value=b, target_value=v)
    got = interim_target(t, BASE + timedelta(days=offset))
    assert got is not None
    assert min(b, v) - 1e-6 <= got <= max(b, v) + 1e-6
