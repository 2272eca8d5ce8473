"""Words, numbers and colours for people: one place for how StatDesk says things.

Used by the internal app, the public site and the printed packet so that a status, a
period or a colour means the same everywhere:

- status words, their Material icon (Streamlit's ``:material/...:``; never emoji, which
  show as empty boxes where no emoji font is installed) and their colours;
- one palette (Okabe-Ito, safe for colour-blind readers) and one direction: better is
  blue, worse is vermillion, on every chart and map;
- period labels in words ("12 months to Nov 2026"), grains and measures in words, names
  instead of ids, and no "None" or setting names in a sentence.

No Streamlit or Plotly here (the packet and the CLI use it too).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from metrics.periods import display_label

# --- palette ----------------------------------------------------------------------------

OKABE_ITO: dict[str, str] = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9",
    "bluish_green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
    "vermillion": "#D55E00", "reddish_purple": "#CC79A7", "grey": "#999999",
}
BETTER = OKABE_ITO["blue"]  # one direction everywhere: blue is better ...
WORSE = OKABE_ITO["vermillion"]  # ... vermillion is worse
NEUTRAL = OKABE_ITO["blue"]
MIDDLE = "#F2F2F2"
# Diverging scale for maps and heat maps, from worse (0) to better (1).
WORSE_TO_BETTER: tuple[tuple[float, str], ...] = (
    (0.0, WORSE), (0.5, MIDDLE), (1.0, BETTER))
# The same from low values to high values, given the measure's direction.


def value_scale(higher_better: bool) -> list[list[Any]]:
    """A Plotly colour scale from the lowest to the highest value: better always blue."""
    stops = WORSE_TO_BETTER if higher_better else tuple(
        (1.0 - p, c) for p, c in reversed(WORSE_TO_BETTER))
    return [[p, c] for p, c in stops]


# --- statuses ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusLook:
    word: str  # as written at the start of a sentence or in a table: "Off track"
    icon: str  # Streamlit Material icon
    colour: str  # Okabe-Ito, for figures
    ink: str  # text colour with at least 4.5:1 contrast on white (WCAG AA)
    badge: str  # Streamlit badge colour name
    css: str  # class name in printed documents
    symbol: str  # Plotly marker symbol (shape, so colour is never alone)


STATUS_LOOK: dict[str, StatusLook] = {
    "not met": StatusLook("Not met", ":material/block:", OKABE_ITO["vermillion"],
                          "#A33C00", "red", "off", "x-thin-open"),
    "off track": StatusLook("Off track", ":material/cancel:", OKABE_ITO["vermillion"],
                            "#A33C00", "red", "off", "x"),
    "at risk": StatusLook("At risk", ":material/warning:", OKABE_ITO["orange"],
                          "#7A5A00", "orange", "risk", "triangle-up"),
    "uncertain": StatusLook("Uncertain", ":material/contact_support:", OKABE_ITO["sky_blue"],
                            "#005F8F", "gray", "few", "circle-dot"),
    "too few cases": StatusLook("Too few cases", ":material/search_off:", OKABE_ITO["grey"],
                                "#4D4D4D", "gray", "few", "circle-open"),
    "no data": StatusLook("No data", ":material/hourglass_empty:", OKABE_ITO["grey"],
                          "#4D4D4D", "gray", "nodata", "circle-open"),
    "no agreed target": StatusLook("No agreed target", ":material/help:",
                                   OKABE_ITO["reddish_purple"], "#7D3A66", "violet",
                                   "notarget", "diamond"),
    "on track": StatusLook("On track", ":material/check_circle:", OKABE_ITO["bluish_green"],
                           "#00664D", "green", "on", "circle"),
    "met": StatusLook("Met", ":material/flag:", OKABE_ITO["blue"], "#005F8F", "blue", "met",
                      "star"),
}
STATUS_ORDER: tuple[str, ...] = tuple(STATUS_LOOK)  # riskiest first
_UNKNOWN = StatusLook("Unknown", ":material/radio_button_unchecked:", OKABE_ITO["grey"],
                      "#4D4D4D", "gray", "nodata", "circle")


def status_look(status: str) -> StatusLook:
    look = STATUS_LOOK.get(status) or STATUS_LOOK.get(str(status or "").strip().lower())
    if look is not None:
        return look
    word = str(status or "").strip()
    return StatusLook(word[:1].upper() + word[1:] if word else "Unknown", _UNKNOWN.icon,
                      _UNKNOWN.colour, _UNKNOWN.ink, _UNKNOWN.badge, _UNKNOWN.css,
                      _UNKNOWN.symbol)


def status_word(status: str) -> str:
    """'off track' -> 'Off track' (the word a table or a heading shows)."""
    return status_look(status).word


def status_icon(status: str) -> str:
    return status_look(status).icon


GAP_WORDS: dict[str, str] = {
    "not applicable": "No group breakdown",
    "no data": "Not enough data to compare",
}


def gap_word(gap_status: str) -> str:
    """The equity-gap status as a reader sees it ('no data' -> 'Not enough data to compare')."""
    s = str(gap_status or "")
    return GAP_WORDS.get(s, s[:1].upper() + s[1:]) or "Not enough data to compare"


# --- periods, grains, measures ------------------------------------------------------------

GRAIN_WORDS: dict[str, str] = {
    "month": "monthly", "quarter": "quarterly", "year": "calendar year",
    "fiscal": "state fiscal year", "rolling12": "rolling 12 months",
}
MEASURE_WORDS: dict[str, str] = {
    "proportion": "a share of people or cases", "rate": "a rate per population",
    "count": "a count", "mean": "an average", "median": "a median",
}
CADENCE_WORDS: dict[str, str] = {
    "monthly": "every month", "quarterly": "every quarter", "annual": "every year",
    "yearly": "every year", "weekly": "every week", "daily": "every day",
}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def period_words(label: object) -> str:
    """A period label in words: 'R12-2026-11' -> '12 months to Nov 2026', '2026-10' ->
    'Oct 2026', 'FY2027' -> 'fiscal year 2027'; empty or None -> 'no data'."""
    if label is None or str(label).strip() in ("", "None"):
        return "no data"
    s = str(label).strip()
    if s.startswith("FY") and s[2:].isdigit():
        return f"fiscal year {s[2:]}"
    return display_label(s)


def month_words(month: str | None) -> str:
    """'2026-11' -> 'November 2026'."""
    if not month:
        return "no month"
    m = _MONTH.match(month)
    return f"{calendar.month_name[int(m[2])]} {m[1]}" if m else period_words(month)


def grain_words(grain: str) -> str:
    return GRAIN_WORDS.get(grain, grain.replace("_", " "))


def cadence_words(cadence: str) -> str:
    return CADENCE_WORDS.get(cadence, cadence.replace("_", " "))


def date_words(d: date | None, missing: str = "not recorded") -> str:
    """'25 Nov 2026' (no zero padding), or ``missing``."""
    return f"{d.day} {calendar.month_abbr[d.month]} {d.year}" if d else missing


def direction_words(direction: str) -> str:
    return "higher is better" if direction == "higher" else "lower is better"


# --- names and text -----------------------------------------------------------------------


def name_of(ident: object, names: Mapping[str, Any], missing: str = "not named") -> str:
    """The name of ``ident`` from ``names`` (id -> object with ``.name``, or id -> str)."""
    if ident is None or str(ident).strip() in ("", "None"):
        return missing
    found = names.get(str(ident))
    if found is None:
        return str(ident).replace("_", " ")
    return str(getattr(found, "name", found))


def names_of(idents: object, names: Mapping[str, Any], sep: str = ";") -> str:
    """'a;b' or ['a', 'b'] -> 'Name A, Name B'."""
    if idents is None:
        return ""
    parts = idents if isinstance(idents, list | tuple) else str(idents).split(sep)
    return ", ".join(name_of(p.strip(), names) for p in parts if str(p).strip())


def text_or(value: object, missing: str = "not recorded") -> str:
    """Text for a sentence: never 'None' or an empty string."""
    if value is None:
        return missing
    s = str(value).strip()
    return s if s and s != "None" else missing


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 commitment', '3 commitments', 'no commitments'."""
    word = one if n == 1 else (many or one + "s")
    return f"{n:,} {word}" if n else f"no {many or one + 's'}"


def count_text(n: int | float | None) -> str:
    """A whole number with thousands separators ('47,880'), or 'none'."""
    if n is None:
        return "none"
    return f"{int(round(n)):,}"
