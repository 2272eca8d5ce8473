"""Period labels: parsing, display, mapping months to periods, feed periods."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.periods import (
    display_label,
    grain_covers,
    month_count,
    months_of,
    parse_feed_period,
    parse_period,
    period_expr,
    period_of_month,
    periods_touching,
    previous_year_label,
)


@pytest.mark.parametrize(("label", "fs", "start", "end", "grain"), [
    ("2026-10", 7, date(2026, 10, 1), date(2026, 10, 31), "month"),
    ("2024-02", 7, date(2024, 2, 1), date(2024, 2, 29), "month"),
    ("2026-Q3", 7, date(2026, 7, 1), date(2026, 9, 30), "quarter"),
    ("2026", 7, date(2026, 1, 1), date(2026, 12, 31), "year"),
    ("FY2027", 7, date(2026, 7, 1), date(2027, 6, 30), "fiscal"),
    ("FY2027", 10, date(2026, 10, 1), date(2027, 9, 30), "fiscal"),
    ("FY2027", 1, date(2027, 1, 1), date(2027, 12, 31), "fiscal"),
    ("R12-2026-10", 7, date(2025, 11, 1), date(2026, 10, 31), "rolling12"),
    ("R12-2026-12", 7, date(2026, 1, 1), date(2026, 12, 31), "rolling12"),
])
def test_parse_period(label: str, fs: int, start: date, end: date, grain: str) -> None:
    p = parse_period(label, fiscal_start=fs)
    assert (p.start, p.end, p.grain, p.label) == (start, end, grain, label)


@pytest.mark.parametrize("label", ["2026-13", "2026-00", "2026-Q5", "26-10", "FY27", "Oct 2026",
                                   "", "R12-2026-13", "2026-10-01"])
def test_bad_period_explains_the_formats(label: str) -> None:
    with pytest.raises(ValueError) as exc:
        parse_period(label)
    assert label in str(exc.value)


@pytest.mark.parametrize(("label", "shown"), [
    ("2026-10", "Oct 2026"), ("2026-Q3", "Q3 2026"), ("2026", "2026"), ("FY2027", "FY2027"),
    ("R12-2026-10", "12 months to Oct 2026"),
])
def test_display_label(label: str, shown: str) -> None:
    assert display_label(label) == shown
    assert parse_period(label).display == shown


@pytest.mark.parametrize(("label", "before"), [
    ("2026-10", "2025-10"), ("2026-Q3", "2025-Q3"), ("2026", "2025"), ("FY2027", "FY2026"),
    ("R12-2026-10", "R12-2025-10"),
])
def test_previous_year_label(label: str, before: str) -> None:
    assert previous_year_label(label) == before


@pytest.mark.parametrize(("month", "grain", "fs", "label"), [
    (date(2026, 6, 1), "fiscal", 7, "FY2026"),
    (date(2026, 7, 1), "fiscal", 7, "FY2027"),
    (date(2026, 9, 1), "fiscal", 10, "FY2026"),
    (date(2026, 10, 1), "fiscal", 10, "FY2027"),
    (date(2026, 12, 1), "fiscal", 1, "FY2026"),
    (date(2026, 12, 1), "quarter", 7, "2026-Q4"),
    (date(2026, 4, 1), "quarter", 7, "2026-Q2"),
    (date(2026, 4, 1), "year", 7, "2026"),
    (date(2026, 4, 1), "rolling12", 7, "R12-2026-04"),
])
def test_period_of_month(month: date, grain: str, fs: int, label: str) -> None:
    assert period_of_month(month, grain, fiscal_start=fs) == label


@settings(max_examples=60, deadline=None)
@given(y=st.integers(1990, 2060), m=st.integers(1, 12),
       grain=st.sampled_from(["month", "quarter", "year", "fiscal", "rolling12"]),
       fs=st.integers(1, 12))
def test_period_expr_agrees_with_period_of_month(y: int, m: int, grain: str, fs: int) -> None:
    month = date(y, m, 1)
    label = period_of_month(month, grain, fiscal_start=fs)
    got = pl.select(period_expr(pl.lit(month), grain, fiscal_start=fs)).item()
    assert got == label
    p = parse_period(label, fiscal_start=fs)
    assert p.start <= month <= p.end  # the month lies in its period
    assert month in months_of(p)
    assert month_count(p) == {"month": 1, "quarter": 3}.get(grain, 12)


def test_periods_touching() -> None:
    months = [date(2026, 6, 1), date(2026, 7, 1)]
    assert periods_touching(months, "month") == {"2026-06", "2026-07"}
    assert periods_touching(months, "quarter") == {"2026-Q2", "2026-Q3"}
    assert periods_touching(months, "fiscal", fiscal_start=7) == {"FY2026", "FY2027"}
    r12 = periods_touching([date(2026, 6, 1)], "rolling12")
    assert r12 == {f"R12-{y}-{m:02d}" for y, m in
                   [(2026, k) for k in range(6, 13)] + [(2027, k) for k in range(1, 6)]}


def test_parse_feed_period() -> None:
    df = pl.DataFrame({"p": ["2026-10", " 2026-10-15 ", "2026-13", "Oct 2026", None, "2026-Q4",
                             "2026", "2026-Q5"]})
    month = df.select(parse_feed_period(pl.col("p"), "month")).to_series().to_list()
    assert month[:5] == [date(2026, 10, 1), date(2026, 10, 1), None, None, None]
    quarter = df.select(parse_feed_period(pl.col("p"), "quarter")).to_series().to_list()
    assert quarter[5] == date(2026, 10, 1) and quarter[7] is None and quarter[0] is None
    year = df.select(parse_feed_period(pl.col("p"), "year")).to_series().to_list()
    assert year[6] == date(2026, 1, 1) and year[0] is None
    with pytest.raises(ValueError):
        parse_feed_period(pl.col("p"), "week")


@pytest.mark.parametrize(("kpi", "feed", "ok"), [
    ("month", "month", True), ("rolling12", "month", True), ("fiscal", "month", True),
    ("quarter", "quarter", True), ("year", "quarter", True), ("month", "quarter", False),
    ("rolling12", "quarter", False), ("year", "year", True), ("quarter", "year", False),
])
def test_grain_covers(kpi: str, feed: str, ok: bool) -> None:
    assert grain_covers(kpi, feed) is ok
