"""Reporting periods: months, quarters, years, state fiscal years, rolling 12 months.

Periods are written as short labels that sort in time order within one grain:

=========  ==============  ==========================================
grain      label           meaning
=========  ==============  ==========================================
month      ``2026-10``     October 2026
quarter    ``2026-Q3``     July to September 2026
year       ``2026``        calendar year 2026
fiscal     ``FY2027``      state fiscal year ending in 2027 (start month set per KPI)
rolling12  ``R12-2026-10`` the 12 months ending October 2026
=========  ==============  ==========================================

Feeds carry months (or dates, for record-level feeds); the engine maps each
month to the KPI's period with Polars expressions (no Python loops over rows).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

import polars as pl

GRAINS = ("month", "quarter", "year", "fiscal", "rolling12")
FEED_GRAINS = ("month", "quarter", "year")
MONTHS_PER = {"month": 1, "quarter": 3, "year": 12, "fiscal": 12, "rolling12": 1}
PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "year": 1, "fiscal": 1, "rolling12": 12}

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_FISCAL = re.compile(r"^FY(\d{4})$")
_ROLLING = re.compile(r"^R12-(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # last day of the period
    label: str
    grain: str

    @property
    def display(self) -> str:
        return display_label(self.label)


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _add_months(y: int, m: int, k: int) -> tuple[int, int]:
    idx = y * 12 + (m - 1) + k
    return idx // 12, idx % 12 + 1


def parse_period(label: str, *, fiscal_start: int = 7) -> Period:
    """Parse a period label; raises ValueError with a clear message."""
    s = str(label).strip()
    if m := _MONTH.match(s):
        y, mo = int(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise ValueError(f"'{label}' has no month {mo}")
        return Period(date(y, mo, 1), _month_end(y, mo), s, "month")
    if m := _QUARTER.match(s):
        y, q = int(m[1]), int(m[2])
        m0 = 3 * (q - 1) + 1
        return Period(date(y, m0, 1), _month_end(y, m0 + 2), s, "quarter")
    if m := _YEAR.match(s):
        y = int(m[1])
        return Period(date(y, 1, 1), date(y, 12, 31), s, "year")
    if m := _FISCAL.match(s):
        y = int(m[1])
        if fiscal_start == 1:
            return Period(date(y, 1, 1), date(y, 12, 31), s, "fiscal")
        ey, em = _add_months(y, fiscal_start, -1)
        return Period(date(y - 1, fiscal_start, 1), _month_end(ey, em), s, "fiscal")
    if m := _ROLLING.match(s):
        y, mo = int(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise ValueError(f"'{label}' has no month {mo}")
        sy, sm = _add_months(y, mo, -11)
        return Period(date(sy, sm, 1), _month_end(y, mo), s, "rolling12")
    raise ValueError(
        f"'{label}' is not a period: write YYYY-MM, YYYY-Qn, YYYY, FYyyyy or R12-YYYY-MM"
    )


def period_of_month(month: date, grain: str, *, fiscal_start: int = 7) -> str:
    """The label of the period (of a non-rolling grain) that contains ``month``."""
    y, m = month.year, month.month
    if grain in ("month",):
        return f"{y:04d}-{m:02d}"
    if grain == "rolling12":
        return f"R12-{y:04d}-{m:02d}"
    if grain == "quarter":
        return f"{y:04d}-Q{(m - 1) // 3 + 1}"
    if grain == "year":
        return f"{y:04d}"
    if grain == "fiscal":
        fy = y + 1 if (fiscal_start > 1 and m >= fiscal_start) else y
        return f"FY{fy:04d}"
    raise ValueError(f"unknown grain {grain!r}; use one of {', '.join(GRAINS)}")


def period_expr(month: pl.Expr, grain: str, *, fiscal_start: int = 7) -> pl.Expr:
    """Polars expression: month (a Date, first of month) -> period label of ``grain``.

    For ``rolling12`` this gives the label of the window *ending* in that month;
    the engine spreads each month over the 12 windows it belongs to.
    """
    y = month.dt.year()
    m = month.dt.month()
    ys = y.cast(pl.String).str.zfill(4)
    ms = m.cast(pl.String).str.zfill(2)
    if grain == "month":
        return pl.concat_str([ys, pl.lit("-"), ms])
    if grain == "rolling12":
        return pl.concat_str([pl.lit("R12-"), ys, pl.lit("-"), ms])
    if grain == "quarter":
        q = ((m - 1) // 3 + 1).cast(pl.String)
        return pl.concat_str([ys, pl.lit("-Q"), q])
    if grain == "year":
        return ys
    if grain == "fiscal":
        fy = pl.when(pl.lit(fiscal_start > 1) & (m >= fiscal_start)).then(y + 1).otherwise(y)
        return pl.concat_str([pl.lit("FY"), fy.cast(pl.String).str.zfill(4)])
    raise ValueError(f"unknown grain {grain!r}; use one of {', '.join(GRAINS)}")


def months_of(period: Period) -> list[date]:
    out: list[date] = []
    y, m = period.start.year, period.start.month
    while date(y, m, 1) <= period.end:
        out.append(date(y, m, 1))
        y, m = _add_months(y, m, 1)
    return out


def periods_touching(months: list[date], grain: str, *, fiscal_start: int = 7) -> set[str]:
    """Labels of every period of ``grain`` that contains any of ``months``."""
    out: set[str] = set()
    for mo in months:
        if grain == "rolling12":
            for k in range(12):
                y, m = _add_months(mo.year, mo.month, k)
                out.add(f"R12-{y:04d}-{m:02d}")
        else:
            out.add(period_of_month(mo, grain, fiscal_start=fiscal_start))
    return out


def month_count(period: Period) -> int:
    return len(months_of(period))


#: Month names (index 1 to 12) of the languages periods are written in.
MONTH_NAMES: dict[str, tuple[str, ...]] = {
    "en": tuple(calendar.month_name),
    "es": ("", "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
}


def _display_es(s: str) -> str:
    """Spanish label: 'octubre de 2026', 'T3 2026', '2026', 'año fiscal 2027',
    '12 meses hasta octubre de 2026'."""
    months = MONTH_NAMES["es"]
    if m := _MONTH.match(s):
        return f"{months[int(m[2])]} de {m[1]}"
    if m := _QUARTER.match(s):
        return f"T{m[2]} {m[1]}"
    if m := _FISCAL.match(s):
        return f"año fiscal {m[1]}"
    if m := _ROLLING.match(s):
        return f"12 meses hasta {months[int(m[2])]} de {m[1]}"
    return s


def display_label(label: str, language: str = "en") -> str:
    """Human label: 'Oct 2026', 'Q3 2026', '2026', 'FY2027', '12 months to Oct 2026'.

    ``language="es"`` gives the Spanish label (see :func:`_display_es`).
    """
    s = str(label)
    if language == "es":
        return _display_es(s)
    if language != "en":
        raise ValueError(f"no period labels in language '{language}'; use one of "
                         f"{', '.join(MONTH_NAMES)}")
    if m := _MONTH.match(s):
        return f"{calendar.month_abbr[int(m[2])]} {m[1]}"
    if m := _QUARTER.match(s):
        return f"Q{m[2]} {m[1]}"
    if m := _ROLLING.match(s):
        return f"12 months to {calendar.month_abbr[int(m[2])]} {m[1]}"
    return s


def month_name(d: date) -> str:
    """'June 2027'."""
    return f"{calendar.month_name[d.month]} {d.year}"


def previous_year_label(label: str, *, fiscal_start: int = 7) -> str | None:
    """The same period one year earlier."""
    p = parse_period(label, fiscal_start=fiscal_start)
    s = p.label
    if m := _MONTH.match(s):
        return f"{int(m[1]) - 1:04d}-{m[2]}"
    if m := _QUARTER.match(s):
        return f"{int(m[1]) - 1:04d}-Q{m[2]}"
    if m := _YEAR.match(s):
        return f"{int(m[1]) - 1:04d}"
    if m := _FISCAL.match(s):
        return f"FY{int(m[1]) - 1:04d}"
    if m := _ROLLING.match(s):
        return f"R12-{int(m[1]) - 1:04d}-{m[2]}"
    return None


def parse_feed_period(values: pl.Expr, grain: str) -> pl.Expr:
    """Polars expression: a feed's period text -> Date of its first month (null when invalid).

    month accepts ``YYYY-MM`` and ``YYYY-MM-DD``; quarter ``YYYY-Qn``; year ``YYYY``.
    """
    s = values.cast(pl.String).str.strip_chars()
    if grain == "month":
        ym = s.str.extract(r"^(\d{4}-\d{2})(?:-\d{2})?$", 1)
        return (ym + "-01").str.to_date("%Y-%m-%d", strict=False)
    if grain == "quarter":
        y = s.str.extract(r"^(\d{4})-Q([1-4])$", 1)
        q = s.str.extract(r"^(\d{4})-Q([1-4])$", 2).cast(pl.Int32, strict=False)
        mm = ((q - 1) * 3 + 1).cast(pl.String).str.zfill(2)
        return pl.concat_str([y, pl.lit("-"), mm, pl.lit("-01")]).str.to_date("%Y-%m-%d", strict=False)
    if grain == "year":
        y = s.str.extract(r"^(\d{4})$", 1)
        return (y + "-01-01").str.to_date("%Y-%m-%d", strict=False)
    raise ValueError(f"unknown feed grain {grain!r}; use one of {', '.join(FEED_GRAINS)}")


def grain_covers(kpi_grain: str, feed_grain: str) -> bool:
    """Whether a KPI of ``kpi_grain`` can be computed from a feed of ``feed_grain``."""
    order = {"month": 1, "quarter": 3, "year": 12}
    if feed_grain == "month":
        return True
    if feed_grain == "quarter":
        return kpi_grain in ("quarter", "year")
    return kpi_grain == "year" and order[feed_grain] == 12
