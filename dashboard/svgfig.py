"""Plotly figures drawn as inline SVG on the server: no JavaScript, no external references.

``to_svg(fig)`` draws a ``go.Figure`` of ``dashboard/figures*.py`` and
``dashboard/public_figures.py`` as one self-contained ``<svg>`` element (a page can then show
the chart at once and load the interactive Plotly version only on demand);
``figure_html(fig)`` wraps it in a ``<figure>`` with the description as its caption.

What is drawn: scatter traces (lines, markers, text, fills, error bars, gaps), bars
(vertical and horizontal, grouped, stacked or overlaid, with patterns, text and error
bars), heatmaps (colour scale, cell text, a hatch under cells without a value, colour
bar), choropleth maps on a plain background, shapes, annotations, a title with its
subtitle, a horizontal legend and linear, date and category axes, with subplots. The
defaults (colours, paddings, tick steps) follow Plotly's; text sizes are estimated from
Arial's character widths, so long labels are wrapped or cut with "…" (the full text in a
``<title>`` child) instead of running out of the picture. Any other trace type is left out
with an ``<!-- unsupported: TYPE -->`` comment: converting never raises for a figure.

Plain Python (plotly and the standard library only; no streamlit): unit-testable.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import re
import sys
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache, partial
from typing import Any

import plotly.graph_objects as go

__all__ = ["figure_html", "to_svg"]

ID = "\x00"  # stands for the SVG's id prefix until the content (and so its hash) is known
MINUS = "\u2212"
DEFAULT_HEIGHT = 400
DEFAULT_FAMILY = '"Open Sans", Arial, Helvetica, sans-serif'
DEFAULT_COLORWAY = ("#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3",
                    "#FF6692", "#B6E880", "#FF97FF", "#FECB52")
DEFAULT_LINE = "#444444"  # Plotly's Color.defaultLine
NODATA_FILL = "#f0f0f0"  # cells and regions without a value: a light fill with a grey hatch
NODATA_HATCH = "#b0b0b0"

# --- text -----------------------------------------------------------------------------

# Arial's advance widths (1/1000 em) of the printable ASCII characters, from space to "~".
_ARIAL = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584)
_WIDE = {"–": 556, "—": 1000, "…": 1000, "·": 333, MINUS: 584, "•": 350, "×": 584,
         "≥": 549, "≤": 549, "°": 400, "μ": 576, "’": 222, "‘": 222, "“": 333, "”": 333}
_SCALE = 1.04  # a little room: the browser's font may be slightly wider than Arial

# The tags Plotly reads in its text; <br> breaks the line, the others only style (dropped
# here). Any other tag is shown as text, as Plotly does.
_STYLE_TAG = re.compile(r"</?(?:b|i|em|sup|sub|s|u|a|span)(?:\s[^<>]*)?/?>", re.I)
_BR = re.compile(r"<br\s*/?>", re.I)
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SPACES = re.compile(r"\s+")


def text_width(s: str, size: float) -> float:
    """Estimated width in px of one line of text at ``size`` px (Arial's metrics)."""
    w = 0
    for c in s:
        o = ord(c)
        w += _ARIAL[o - 32] if 32 <= o < 127 else _WIDE.get(c, 600 if o < 0x2E80 else 1000)
    return w * size / 1000 * _SCALE


def _lines(text: Any) -> list[str]:
    """Plotly's pseudo-HTML as plain lines: split at <br>, style tags dropped, entities read."""
    if text is None:
        return []
    s = str(text).replace("\r", " ").replace("\n", " ")
    return [_CTRL.sub("", html.unescape(_STYLE_TAG.sub("", part))) for part in _BR.split(s)]


def _plain(text: Any) -> str:
    """One line of plain text (line breaks as spaces)."""
    return _SPACES.sub(" ", " ".join(_lines(text))).strip()


def _esc(s: Any) -> str:
    return html.escape(_CTRL.sub("", str(s)), quote=True)


def _cut(s: str, size: float, max_w: float) -> str:
    """``s`` cut with "…" to fit ``max_w`` px."""
    if text_width(s, size) <= max_w:
        return s
    lo, hi = 0, len(s)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if text_width(s[:mid].rstrip() + "…", size) <= max_w:
            lo = mid
        else:
            hi = mid - 1
    return s[:lo].rstrip() + "…"


def _wrap(s: str, size: float, max_w: float) -> list[str]:
    """``s`` broken at spaces into lines of at most ``max_w`` px (a too long word is cut)."""
    out: list[str] = []
    cur = ""
    for word in s.split(" "):
        trial = f"{cur} {word}" if cur else word
        if cur and text_width(trial, size) > max_w:
            out.append(cur)
            cur = word
        else:
            cur = trial
    out.append(cur)
    return [_cut(x, size, max_w) for x in out]


def _f(v: float) -> str:
    """A coordinate for the SVG text: at most 2 decimals, no trailing zeros."""
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


@dataclass
class Font:
    family: str
    size: float
    color: str

    def merged(self, d: Any) -> Font:
        if not isinstance(d, dict):
            return self
        size = d.get("size")
        color = d.get("color")
        return Font(str(d.get("family") or self.family),
                    float(size) if isinstance(size, (int, float)) and size > 0 else self.size,
                    color if isinstance(color, str) else self.color)


def _text(x: float, y: float, lines: Sequence[str], font: Font, base: Font, *,
          anchor: str = "start", valign: str = "baseline", full: str | None = None,
          transform: str = "", extra: str = "", color: str | None = None,
          weight: str = "") -> str:
    """A ``<text>`` of one or more lines. ``valign``: where y is: the first line's
    "baseline", the "middle" of the block, its "top" or its "bottom"."""
    n = max(len(lines), 1)
    lh = font.size * 1.2
    if valign == "middle":
        y0 = y - (n - 1) * lh / 2 + font.size * 0.35
    elif valign == "top":
        y0 = y + font.size * 0.8
    elif valign == "bottom":
        y0 = y - (n - 1) * lh - font.size * 0.25
    else:
        y0 = y
    attrs = [f'x="{_f(x)}" y="{_f(y0)}"']
    if anchor != "start":
        attrs.append(f'text-anchor="{anchor}"')
    if font.size != base.size:
        attrs.append(f'font-size="{_f(font.size)}"')
    if font.family != base.family:
        attrs.append(f'font-family="{_esc(_family(font.family))}"')
    attrs.append(_paint(color or font.color, "fill"))
    if weight:
        attrs.append(f'font-weight="{weight}"')
    if transform:
        attrs.append(f'transform="{transform}"')
    if extra:
        attrs.append(extra)
    if len(lines) <= 1:
        body = _esc(lines[0] if lines else "")
    else:
        body = "".join(f'<tspan x="{_f(x)}" dy="{"0" if i == 0 else "1.2em"}">{_esc(t)}</tspan>'
                       for i, t in enumerate(lines))
    tip = f"<title>{_esc(full)}</title>" if full else ""
    return f"<text {' '.join(attrs)}>{body}{tip}</text>"


def _family(family: str) -> str:
    """The font family to ask for: Plotly's, without Verdana (much wider than the Arial
    the sizes are estimated with), Arial added as the fallback."""
    generic = ("sans-serif", "serif", "monospace", "system-ui", "cursive", "fantasy")
    parts = [p.strip() for p in str(family).split(",") if p.strip()]
    names = [p for p in parts if p.strip("\"'").lower() not in ("verdana",) + generic]
    if not any(p.strip("\"'").lower() in ("arial", "helvetica") for p in names):
        names += ["Arial", "Helvetica"]
    return ", ".join(names + ["sans-serif"])


# --- colours ---------------------------------------------------------------------------

_NAMED = {"white": (255, 255, 255), "black": (0, 0, 0), "grey": (128, 128, 128),
          "gray": (128, 128, 128), "red": (255, 0, 0), "green": (0, 128, 0),
          "blue": (0, 0, 255), "orange": (255, 165, 0), "yellow": (255, 255, 0),
          "purple": (128, 0, 128), "lightgrey": (211, 211, 211), "lightgray": (211, 211, 211),
          "darkgrey": (169, 169, 169), "darkgray": (169, 169, 169), "silver": (192, 192, 192),
          "navy": (0, 0, 128), "teal": (0, 128, 128), "steelblue": (70, 130, 180),
          "whitesmoke": (245, 245, 245), "gainsboro": (220, 220, 220),
          "dimgrey": (105, 105, 105), "dimgray": (105, 105, 105)}
_RGB_FN = re.compile(r"^rgba?\(\s*([\d.]+)%?\s*[, ]\s*([\d.]+)%?\s*[, ]\s*([\d.]+)%?\s*"
                     r"(?:[,/]\s*([\d.]+)\s*)?\)$", re.I)
_rgba_cache: dict[str, tuple[int, int, int, float] | None] = {}


def _rgba(c: Any) -> tuple[int, int, int, float] | None:
    """A CSS colour as (r, g, b, alpha); None when it cannot be read."""
    if not isinstance(c, str):
        return None
    if c in _rgba_cache:
        return _rgba_cache[c]
    s = c.strip().lower()
    out: tuple[int, int, int, float] | None = None
    if s.startswith("#") and len(s) in (4, 5, 7, 9):
        h = s[1:]
        if len(h) in (3, 4):
            h = "".join(ch * 2 for ch in h)
        try:
            out = (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16),
                   int(h[6:8], 16) / 255 if len(h) == 8 else 1.0)
        except ValueError:
            out = None
    elif s == "transparent":
        out = (0, 0, 0, 0.0)
    elif s in _NAMED:
        out = (*_NAMED[s], 1.0)
    else:
        m = _RGB_FN.match(s)
        if m:
            r, g, b = (max(0, min(255, round(float(v)))) for v in m.groups()[:3])
            out = (r, g, b, max(0.0, min(1.0, float(m.group(4)))) if m.group(4) else 1.0)
    _rgba_cache[c] = out
    return out


def _hex(rgb: tuple[int, int, int, float] | tuple[int, int, int]) -> str:
    return f"#{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x}"


def _paint(c: Any, attr: str, opacity: float = 1.0) -> str:
    """``fill="#rrggbb"`` (with ``fill-opacity`` when not opaque) for a CSS colour."""
    if c is None or c == "none":
        return f'{attr}="none"'
    v = _rgba(c)
    if v is None:
        return f'{attr}="{_esc(c)}"'
    a = v[3] * opacity
    if a <= 0:
        return f'{attr}="none"'
    return f'{attr}="{_hex(v)}"' + (f' {attr}-opacity="{_f3(a)}"' if a < 0.999 else "")


def _sp(attr: str) -> str:
    """An optional attribute with its leading space ("" for none)."""
    return f" {attr}" if attr else ""


def _f3(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".")


def _is_dark(c: Any) -> bool:
    v = _rgba(c)
    if v is None:
        return False
    r, g, b, a = v
    if a < 1:  # over a white background
        r, g, b = (round(x * a + 255 * (1 - a)) for x in (r, g, b))
    return (r * 299 + g * 587 + b * 114) / 1000 < 128


def _contrast(c: Any) -> str:
    """Plotly's Color.contrast: white on a dark colour, dark grey on a light one."""
    return "#ffffff" if _is_dark(c) else DEFAULT_LINE


def _with_alpha(c: Any, alpha: float) -> str:
    v = _rgba(c)
    return f"rgba({v[0]},{v[1]},{v[2]},{alpha})" if v else str(c)


Scale = list[tuple[float, tuple[int, int, int, float]]]


def _colorscale(spec: Any, template_default: Any = None, reverse: bool = False) -> Scale:
    """A colour scale (named or a list of [position, colour]) as sorted (t, rgba) stops."""
    from plotly.colors import get_colorscale

    raw: Any = spec
    if isinstance(spec, str):
        try:
            raw = get_colorscale(spec)
        except Exception:
            raw = None
    if not isinstance(raw, (list, tuple)) or not raw:
        raw = template_default if isinstance(template_default, (list, tuple)) and \
            template_default else get_colorscale("Plasma")
    stops: Scale = []
    for item in raw:
        try:
            t, c = float(item[0]), _rgba(item[1])
        except (TypeError, ValueError, IndexError):
            continue
        if c is not None:
            stops.append((t, c))
    if not stops:
        stops = [(0.0, (0, 0, 0, 1.0)), (1.0, (255, 255, 255, 1.0))]
    stops.sort(key=lambda s: s[0])
    if reverse:
        stops = [(1 - t, c) for t, c in reversed(stops)]
    return stops


def _sample(scale: Scale, t: float) -> str:
    """The colour at ``t`` (0..1) of a colour scale, as "#rrggbb"."""
    t = 0.0 if math.isnan(t) else max(0.0, min(1.0, t))
    if t <= scale[0][0]:
        return _hex(scale[0][1])
    for (t0, c0), (t1, c1) in zip(scale, scale[1:], strict=False):
        if t <= t1:
            k = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            r, g, b = (round(a + (e - a) * k) for a, e in zip(c0[:3], c1[:3], strict=True))
            return _hex((r, g, b))
    return _hex(scale[-1][1])


# --- values ----------------------------------------------------------------------------

_DTYPES = {"f8": "d", "f4": "f", "i1": "b", "u1": "B", "i2": "h", "u2": "H", "i4": "i",
           "u4": "I", "i8": "q", "u8": "Q"}


def _clean(v: Any) -> Any:
    return None if isinstance(v, float) and (math.isnan(v) or math.isinf(v)) else v


def _arr(v: Any) -> list | None:
    """An array attribute as a list (None for a scalar or nothing): plain lists, tuples,
    numpy arrays and Plotly's base64 typed arrays; NaN becomes None."""
    if v is None or isinstance(v, (str, bytes)):
        return None
    if isinstance(v, dict):
        if "bdata" not in v:
            return None
        code = _DTYPES.get(str(v.get("dtype", "f8")))
        if code is None:
            return None
        a = array(code)
        a.frombytes(base64.b64decode(v["bdata"]))
        if sys.byteorder == "big":
            a.byteswap()
        flat = [_clean(x) for x in a.tolist()]
        shape = v.get("shape")
        if shape:
            dims = [int(s) for s in (shape.split(",") if isinstance(shape, str) else shape)]
            if len(dims) == 2 and dims[0] * dims[1] == len(flat):
                return [flat[i * dims[1]:(i + 1) * dims[1]] for i in range(dims[0])]
        return flat
    if hasattr(v, "tolist") and not isinstance(v, (list, tuple)):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return None


def _at(v: Any, i: int, default: Any = None) -> Any:
    """Item ``i`` of an array attribute, or the scalar itself."""
    if isinstance(v, list):
        return v[i] if i < len(v) and v[i] is not None else default
    return default if v is None else v


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return None if isinstance(v, float) and not math.isfinite(v) else float(v)
    if isinstance(v, str):
        try:
            x = float(v.strip().replace(",", ""))
        except ValueError:
            return None
        return x if math.isfinite(x) else None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


_EPOCH = datetime(1970, 1, 1)
_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:[ T](\d{1,2})(?::(\d{2})"
                   r"(?::(\d{2})(?:\.(\d{1,6})\d*)?)?)?)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?\s*$")


def _date_ms(v: Any) -> float | None:
    """A date (date, datetime or ISO string) as milliseconds since 1970 (wall time)."""
    if isinstance(v, datetime):
        return (v.replace(tzinfo=None) - _EPOCH).total_seconds() * 1000
    if isinstance(v, date):
        return (datetime(v.year, v.month, v.day) - _EPOCH).total_seconds() * 1000
    if isinstance(v, str):
        return _date_str_ms(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v) if math.isfinite(v) else None
    return None


@lru_cache(maxsize=4096)
def _date_str_ms(v: str) -> float | None:
    m = _DATE.match(v)
    if not m:
        return None
    y, mo, d, h, mi, s, frac = m.groups()
    try:
        dt = datetime(int(y), int(mo or 1), int(d or 1), int(h or 0), int(mi or 0),
                      int(s or 0), int((frac or "0").ljust(6, "0")))
    except ValueError:
        return None
    return (dt - _EPOCH).total_seconds() * 1000


def _is_date(v: Any) -> bool:
    return isinstance(v, (date, datetime)) or (isinstance(v, str) and bool(_DATE.match(v))
                                               and not v.strip().lstrip("-").isdigit())


def _ms_date(ms: float) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


# --- number and date formats -------------------------------------------------------------

_D3 = re.compile(r"^(?:(.)?([<>=^]))?([+\-( ])?([$#])?(0)?(\d+)?(,)?(?:\.(\d+))?(~)?"
                 r"([aAbcdefgGnoprsxX%])?$")
_SI = {-24: "y", -21: "z", -18: "a", -15: "f", -12: "p", -9: "n", -6: "µ", -3: "m", 0: "",
       3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E", 21: "Z", 24: "Y"}


def _trim(s: str) -> str:
    """Trailing zeros of the decimal part dropped ("2.50" -> "2.5", "3.0" -> "3")."""
    return re.sub(r"\.(\d*?)0+(?=\D|$)", lambda m: "." + m.group(1) if m.group(1) else "", s,
                  count=1)


def d3_format(spec: str, v: float) -> str:
    """A number in a d3-format specifier (",.0f", ".0%", ".1f", ",d", "$,.2f", ".3s", "+.1%"
    ...), negative numbers with a minus sign, as Plotly shows them."""
    m = _D3.match(spec or "")
    if not m or not math.isfinite(v):
        return _default_num(v)
    fill, align, sign, symbol, zero, width, comma, prec, tilde, kind = m.groups()
    p = int(prec) if prec is not None else None
    c = "," if comma else ""
    a = abs(v)
    suffix = ""
    if kind == "%":
        body = _fixed(a * 100, 6 if p is None else p, c)
        suffix = "%"
    elif kind == "p":
        body = _sig(a * 100, 6 if p is None else max(p, 1), c)
        suffix = "%"
    elif kind == "f":
        body = _fixed(a, 6 if p is None else p, c)
    elif kind in ("d",):
        body = _fixed(a, 0, c)
    elif kind in ("e",):
        body = re.sub(r"e([+-])0*(\d)", r"e\1\2", f"{a:.{6 if p is None else p}e}")
    elif kind in ("g", "r"):
        body = _sig(a, 6 if p is None else max(p, 1), c, kind == "g")
    elif kind == "s":
        if a == 0:
            body = _sig(0.0, 6 if p is None else max(p, 1), "")
        else:
            e3 = max(-24, min(24, int(math.floor(math.log10(a) / 3)) * 3))
            body = _sig(a / 10 ** e3, 6 if p is None else max(p, 1), "")
            if "e" not in body and abs(float(body)) >= 1000 and e3 < 24:
                e3 += 3
                body = _sig(a / 10 ** e3, 6 if p is None else max(p, 1), "")
            suffix = _SI[e3]
    elif kind in ("x", "X", "o", "b", "c", "n", "G", "a", "A"):
        body = _default_num(a)
    else:  # no type: like "g", insignificant zeros trimmed
        body = _trim(_sig(a, 12 if p is None else max(p, 1), c, True)) if p is not None \
            else _default_num(a).lstrip(MINUS)
        if comma and p is None:
            body = f"{a:,}" if a == int(a) else body
    if tilde:
        body = _trim(body)
    neg = v < 0 and any(ch not in "0.,%" for ch in body)
    sign_s = (MINUS if neg else "+" if sign == "+" else " " if sign == " " else "")
    if sign == "(" and neg:
        out = f"({'$' if symbol == '$' else ''}{body}{suffix})"
    else:
        out = f"{sign_s}{'$' if symbol == '$' else ''}{body}{suffix}"
    if width and len(out) < int(width):
        pad = int(width) - len(out)
        if zero:
            out = out[:len(sign_s)] + "0" * pad + out[len(sign_s):]
        elif align == "<":
            out = out + (fill or " ") * pad
        elif align == "^":
            out = (fill or " ") * (pad // 2) + out + (fill or " ") * (pad - pad // 2)
        else:
            out = (fill or " ") * pad + out
    return out


def _fixed(a: float, p: int, comma: str = "") -> str:
    """``a`` (not negative) with ``p`` decimals, a tie rounded up as JavaScript's toFixed
    does (Python's format rounds it to even: 1234.5 -> "1234")."""
    q = Decimal(a).quantize(Decimal(1).scaleb(-p), rounding=ROUND_HALF_UP)
    return f"{q:{comma}f}"


def _sig(a: float, digits: int, comma: str, trim_zeros: bool = False) -> str:
    """``a`` to ``digits`` significant digits in fixed notation (exponent when huge)."""
    if a == 0:
        return "0" if trim_zeros else f"{0:.{max(digits - 1, 0)}f}"
    e = math.floor(math.log10(a))
    if e >= 21 or e < -7:
        return re.sub(r"e([+-])0*(\d)", r"e\1\2", f"{a:.{max(digits - 1, 0)}e}")
    decimals = max(digits - 1 - e, 0)
    s = _fixed(a, decimals, comma)
    return _trim(s) if trim_zeros else s


def _default_num(v: float) -> str:
    """A number as Plotly's hover and text show it without a format (up to 12 digits)."""
    if v != v:
        return ""
    if v == int(v) and abs(v) < 1e16:
        s = str(int(v))
    else:
        s = _sig(abs(v), 12, "", True)
        s = ("-" if v < 0 else "") + s
    return s.replace("-", MINUS)


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TIME_DIRECTIVE = re.compile(r"%([-_0]?)([a-zA-Z%])")


def time_format(spec: str, d: datetime) -> str:
    """A date in a d3-time-format specifier ("%b %Y", "%Y-%m-%d", "%-d %B" ...)."""

    def one(m: re.Match) -> str:
        pad, k = m.groups()

        def num(v: int, width: int) -> str:
            if pad == "-":
                return str(v)
            return str(v).rjust(width, " " if pad == "_" or (k == "e" and not pad) else "0")

        return {
            "Y": lambda: str(d.year), "y": lambda: num(d.year % 100, 2),
            "m": lambda: num(d.month, 2), "d": lambda: num(d.day, 2),
            "e": lambda: num(d.day, 2), "b": lambda: _MONTHS[d.month - 1][:3],
            "B": lambda: _MONTHS[d.month - 1], "a": lambda: _DAYS[d.weekday()][:3],
            "A": lambda: _DAYS[d.weekday()], "H": lambda: num(d.hour, 2),
            "I": lambda: num((d.hour % 12) or 12, 2), "M": lambda: num(d.minute, 2),
            "S": lambda: num(d.second, 2), "p": lambda: "AM" if d.hour < 12 else "PM",
            "j": lambda: num(d.timetuple().tm_yday, 3), "q": lambda: str((d.month - 1) // 3 + 1),
            "L": lambda: num(d.microsecond // 1000, 3), "%": lambda: "%",
        }.get(k, lambda: m.group(0))()

    return _TIME_DIRECTIVE.sub(one, spec)


def _fill_template(tpl: str, values: dict[str, Any]) -> str:
    """Plotly's ``texttemplate``: %{name} and %{name:format} replaced from ``values``."""
    tpl = re.sub(r"<extra>.*?</extra>", "", tpl, flags=re.S)

    def one(m: re.Match) -> str:
        key, fmt = m.group(1).strip(), m.group(2)
        v = values.get(key)
        if v is None:
            return ""
        if fmt:
            n = _num(v) if not isinstance(v, str) else None
            if n is not None:
                return d3_format(fmt, n)
            if isinstance(v, (date, datetime)) or (isinstance(v, str) and _is_date(v)):
                ms = _date_ms(v)
                return time_format(fmt.lstrip("|"), _ms_date(ms)) if ms is not None else str(v)
        if isinstance(v, float):
            return _default_num(v)
        return str(v)

    return re.sub(r"%\{([^}:]+)(?::([^}]*))?\}", one, tpl)


# --- the drawing context ---------------------------------------------------------------


def _merge(base: Any, over: Any) -> Any:
    """``over`` laid over ``base`` (dicts merged deeply)."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base.get(k), v) if k in base else v
        return out
    return over if over is not None else base


def _get(d: Any, *path: str, default: Any = None) -> Any:
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return default if d is None else d


class _Defs:
    """Definitions shared by the drawing (patterns, gradients, clip paths), each once."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def add(self, key: str, make: Callable[[str], str]) -> str:
        """The id of the definition ``key``, made with ``make(id)`` the first time."""
        ident = f"{ID}-d{len(self.items)}" if key not in self.items else None
        if ident is not None:
            self.items[key] = make(ident)
            return ident
        m = re.search(r'id="([^"]+)"', self.items[key])
        return m.group(1) if m else ""

    def svg(self) -> str:
        return f"<defs>{''.join(self.items.values())}</defs>" if self.items else ""


def _pattern(defs: _Defs, shape: str, bg: str | None, fg: str, fgopacity: float, size: float,
             solidity: float) -> str:
    """A fill pattern like Plotly's marker.pattern; its url(#id)."""
    key = f"pat|{shape}|{bg}|{fg}|{fgopacity}|{size}|{solidity}"

    def make(ident: str) -> str:
        s = max(size, 3.0)
        w = max(0.6, s * solidity * (0.9 if shape in "/\\x" else 1.0))
        stroke = f'{_paint(fg, "stroke", fgopacity)} stroke-width="{_f(w)}"'
        fill = _paint(fg, "fill", fgopacity)
        h = _f(s)
        if shape == "/":
            body = (f'<path d="M0 {h}L{h} 0M{_f(-s / 2)} {_f(s / 2)}L{_f(s / 2)} {_f(-s / 2)}'
                    f'M{_f(s / 2)} {_f(s * 1.5)}L{_f(s * 1.5)} {_f(s / 2)}" {stroke}/>')
        elif shape == "\\":
            body = (f'<path d="M0 0L{h} {h}M{_f(-s / 2)} {_f(s / 2)}L{_f(s / 2)} {_f(s * 1.5)}'
                    f'M{_f(s / 2)} {_f(-s / 2)}L{_f(s * 1.5)} {_f(s / 2)}" {stroke}/>')
        elif shape == "x":
            body = (f'<path d="M0 {h}L{h} 0M0 0L{h} {h}M{_f(-s / 2)} {_f(s / 2)}L{_f(s / 2)} '
                    f'{_f(-s / 2)}M{_f(s / 2)} {_f(s * 1.5)}L{_f(s * 1.5)} {_f(s / 2)}'
                    f'M{_f(-s / 2)} {_f(s / 2)}L{_f(s / 2)} {_f(s * 1.5)}M{_f(s / 2)} '
                    f'{_f(-s / 2)}L{_f(s * 1.5)} {_f(s / 2)}" {stroke}/>')
        elif shape == "-":
            body = f'<path d="M0 {_f(s / 2)}H{h}" {stroke}/>'
        elif shape == "|":
            body = f'<path d="M{_f(s / 2)} 0V{h}" {stroke}/>'
        elif shape == "+":
            body = f'<path d="M0 {_f(s / 2)}H{h}M{_f(s / 2)} 0V{h}" {stroke}/>'
        else:  # "." dots
            r = max(0.6, math.sqrt(solidity * s * s / math.pi))
            body = f'<circle cx="{_f(s / 2)}" cy="{_f(s / 2)}" r="{_f(r)}" {fill}/>'
        back = f'<rect width="{h}" height="{h}" {_paint(bg, "fill")}/>' if bg else ""
        return (f'<pattern id="{ident}" patternUnits="userSpaceOnUse" width="{h}" '
                f'height="{h}">{back}{body}</pattern>')

    return f"url(#{defs.add(key, make)})"


def _nodata_pattern(defs: _Defs) -> str:
    return _pattern(defs, "/", NODATA_FILL, NODATA_HATCH, 1.0, 8.0, 0.12)


def _dash(dash: Any, width: float) -> str:
    """Plotly's dash names (or a px list) as a stroke-dasharray attribute ("" for solid)."""
    if not dash or dash == "solid":
        return ""
    d = max(width, 3.0) if width > 0 else 3.0
    pat = {"dot": (d, d), "dash": (3 * d, 3 * d), "longdash": (5 * d, 5 * d),
           "dashdot": (3 * d, d, d, d), "longdashdot": (5 * d, 2 * d, d, 2 * d)}.get(str(dash))
    if pat is None:
        nums = [float(x) for x in re.findall(r"[\d.]+", str(dash))]
        if not nums:
            return ""
        pat = tuple(nums)
    return f' stroke-dasharray="{",".join(_f(x) for x in pat)}"'


def _stroke(color: Any, width: float, dash: Any = None, opacity: float = 1.0) -> str:
    if width <= 0 or color is None:
        return 'stroke="none"'
    return (f'{_paint(color, "stroke", opacity)} stroke-width="{_f(width)}"'
            f'{_dash(dash, width)}')


# --- axes ------------------------------------------------------------------------------

ONE_DAY = 86_400_000.0
ONE_AVG_MONTH = ONE_DAY * 365.25 / 12
ONE_AVG_YEAR = ONE_DAY * 365.25


@dataclass
class _Axis:
    id: str  # "x", "x2", "y" ...
    lay: dict
    font: Font
    type: str = "linear"
    cats: list = field(default_factory=list)
    cat_index: dict = field(default_factory=dict)
    lo: float = 0.0
    hi: float = 1.0
    rev: bool = False
    a: float = 0.0  # pixel of the start of the axis (x: left, y: bottom)
    b: float = 1.0  # pixel of its end (x: right, y: top)
    pos: float = 0.0  # where the axis line is (x axis: a y pixel; y axis: an x pixel)
    side: str = "bottom"
    ticks: list = field(default_factory=list)  # (linear value, [lines], full text or None)
    label_font: Font | None = None
    angle: float = 0.0
    group: str = ""  # the axis whose range it shares (matches)

    @property
    def letter(self) -> str:
        return self.id[0]

    @property
    def visible(self) -> bool:
        return self.lay.get("visible", True) is not False

    @property
    def length(self) -> float:
        return abs(self.b - self.a)

    def d2l(self, v: Any) -> float | None:
        """A data value in the axis's linear units (None when it has no place)."""
        if v is None:
            return None
        if self.type == "category":
            key = _cat_key(v)
            i = self.cat_index.get(key)
            if i is None and isinstance(v, (int, float)) and not isinstance(v, bool):
                return float(v)  # a category axis also takes positions as numbers
            return None if i is None else float(i)
        if self.type == "date":
            return _date_ms(v)
        if self.type == "log":
            x = _num(v)
            return math.log10(x) if x is not None and x > 0 else None
        return _num(v)

    def l2p(self, v: float) -> float:
        span = self.hi - self.lo or 1.0
        k = (v - self.lo) / span
        if self.rev:
            k = 1 - k
        return self.a + k * (self.b - self.a)

    def d2p(self, v: Any) -> float | None:
        x = self.d2l(v)
        return None if x is None else self.l2p(x)


Extent = tuple[float, float, float, bool]  # value, padding px below and above, padded


def _pad_at(cands: list[Extent], v: float, length: float, side: int) -> float:
    """The padding (px) wanted at the end of a range where the value ``v`` lies: the
    largest of the points there (their marker or text size, and 5% of the axis when
    padded); ``side`` 1 for the low end, 2 for the high end."""
    tol = max(abs(v) * 1e-12, 1e-12)
    return max((c[side] + (0.05 * length if c[3] else 0.0) for c in cands
                if abs(c[0] - v) <= tol), default=0.0)


def _cat_key(v: Any) -> Any:
    if isinstance(v, float) and v == int(v):
        return int(v)
    if isinstance(v, (list, dict)):
        return str(v)
    return v


def _autotype(values: Iterable[Any], numbers_strict: bool) -> str:
    ndate = nnum = ncat = 0
    seen = 0
    for v in values:
        if v is None:
            continue
        seen += 1
        if seen > 1000:
            break
        if isinstance(v, bool):
            ncat += 1
        elif isinstance(v, (int, float)):
            nnum += 1
        elif _is_date(v):
            ndate += 1
        elif isinstance(v, str) and not numbers_strict and _num(v) is not None:
            nnum += 1
        else:
            ncat += 1
    if ndate > 2 * nnum and ndate >= ncat:
        return "date"
    if ncat > 2 * nnum or (ncat and not nnum):
        return "category"
    return "linear"


def _nice_step(rough: float, steps: Sequence[float] = (1.0, 2.0, 2.5, 5.0, 10.0)) -> float:
    """The smallest nice step (1, 2, 2.5 or 5 x 10^k) at least ``rough``."""
    if rough <= 0 or not math.isfinite(rough):
        return 1.0
    base = 10 ** math.floor(math.log10(rough))
    k = rough / base
    return next((s for s in steps if s >= k - 1e-9), 10.0) * base


def _tick_decimals(step: float) -> int:
    for d in range(0, 16):
        if abs(round(step, d) - step) <= abs(step) * 1e-9:
            return d
    return 15


def _format_linear(ax: _Axis, vals: list[float], step: float) -> list[str]:
    """Tick labels of a linear axis: its tickformat, else Plotly's way (k, M, B suffixes
    from 10,000 up, only the decimals the step needs)."""
    lay = ax.lay
    fmt = lay.get("tickformat")
    if fmt:
        return [d3_format(str(fmt), v) for v in vals]
    exp = 0
    biggest = max((abs(v) for v in vals), default=0.0)
    if lay.get("exponentformat", "B") in ("B", "SI") and biggest > 0:
        e = math.floor(math.log10(biggest) + 1e-9)
        if abs(e) > 3 and e > 0:
            exp = 3 * round((e - 1) / 3)
    scale = 10.0 ** exp
    dec = _tick_decimals(step / scale) if step > 0 else 2
    suffix = {3: "k", 6: "M", 9: "B", 12: "T"}.get(exp, "" if exp == 0 else f"e{exp}")
    out = []
    for v in vals:
        x = v / scale
        if abs(x) < step / scale * 1e-6:
            x = 0.0
        s = f"{abs(x):.{dec}f}"
        s = _trim(s) if "." in s else s
        out.append(("" if x >= 0 or s.strip("0.") == "" else MINUS) + s + (suffix if x else ""))
    return out


def _affix(ax: _Axis, labels: list[str]) -> list[str]:
    pre, suf = str(ax.lay.get("tickprefix") or ""), str(ax.lay.get("ticksuffix") or "")
    if not pre and not suf:
        return labels
    n = len(labels)

    def show(which: str, i: int) -> bool:
        mode = ax.lay.get(which, "all")
        return mode == "all" or (mode == "first" and i == 0) or (mode == "last" and i == n - 1)

    return [(pre if show("showtickprefix", i) else "") + s
            + (suf if show("showticksuffix", i) else "") for i, s in enumerate(labels)]


def _date_ticks(ax: _Axis, nt: float) -> list[tuple[float, str]]:
    lo, hi = ax.lo, ax.hi
    rough = (hi - lo) / max(nt, 1)
    fmt = ax.lay.get("tickformat")
    out: list[tuple[float, str]] = []
    dtick = ax.lay.get("dtick")
    months = 0
    step_ms = 0.0
    if isinstance(dtick, str) and dtick.startswith("M") and dtick[1:].isdigit():
        months = int(dtick[1:])
    elif isinstance(dtick, (int, float)) and dtick > 0:
        step_ms = float(dtick)
    elif 2 * rough > ONE_AVG_YEAR:
        months = 12 * max(1, round(_nice_step(rough / ONE_AVG_YEAR, (2.0, 5.0, 10.0))))
    elif 2 * rough > ONE_AVG_MONTH:
        months = next((s for s in (1, 2, 3, 6, 12) if s >= rough / ONE_AVG_MONTH), 12)
    elif 2 * rough > ONE_DAY:
        step_ms = ONE_DAY * next((s for s in (1, 2, 3, 7, 14) if s >= rough / ONE_DAY), 14)
    elif 2 * rough > 3_600_000:
        step_ms = 3_600_000 * next((s for s in (1, 2, 3, 6, 12) if s >= rough / 3_600_000), 12)
    else:
        step_ms = max(1000.0, _nice_step(rough))
    if months:
        d0 = _ms_date(lo)
        m = (d0.year - 2000) * 12 + d0.month - 1
        m = m - (m % months)
        while True:
            y, mo = 2000 + m // 12, m % 12 + 1
            if y > 9999:
                break
            ms = (datetime(y, mo, 1) - _EPOCH).total_seconds() * 1000
            if ms > hi + 1:
                break
            if ms >= lo - 1:
                out.append((ms, time_format(fmt, _ms_date(ms)) if fmt else (
                    str(y) if months % 12 == 0 else time_format("%b %Y", _ms_date(ms)))))
            m += months
            if len(out) > 60:
                break
        return out
    start = (datetime(2000, 1, 2) - _EPOCH).total_seconds() * 1000 if step_ms >= 7 * ONE_DAY \
        else 0.0
    v = start + math.ceil((lo - start) / step_ms) * step_ms
    last_year = None
    while v <= hi + 1 and len(out) <= 60:
        d = _ms_date(v)
        if fmt:
            label = time_format(fmt, d)
        elif step_ms >= ONE_DAY:
            label = time_format("%b %-d", d) + ("" if d.year == last_year else f"<br>{d.year}")
        elif step_ms >= 60_000:
            label = time_format("%H:%M", d) + ("" if d.year == last_year else
                                               time_format("<br>%b %-d, %Y", d))
        else:
            label = time_format("%H:%M:%S", d)
        last_year = d.year
        out.append((v, label))
        v += step_ms
    return out


def _compute_ticks(ax: _Axis) -> None:
    """Tick positions and label lines of an axis for its range and length."""
    lay = ax.lay
    ax.ticks = []
    if not ax.visible:
        return
    length = max(ax.length, 1.0)
    tickvals = _arr(lay.get("tickvals"))
    pairs: list[tuple[float, str]] = []
    if lay.get("tickmode") == "array" or tickvals is not None:
        texts = _arr(lay.get("ticktext")) or []
        for i, tv in enumerate(tickvals or []):
            lv = ax.d2l(tv)
            if lv is None:
                continue
            label = str(texts[i]) if i < len(texts) and texts[i] is not None else (
                _format_linear(ax, [lv], abs(lv) or 1)[0] if ax.type == "linear" else str(tv))
            pairs.append((lv, label))
    elif ax.type == "category":
        n = len(ax.cats)
        nticks = _num(lay.get("nticks")) or 0.0
        min_px = ax.font.size * 1.2
        nt = nticks if nticks else length / min_px
        span = ax.hi - ax.lo
        every = int(_num(lay.get("dtick")) or max(1, math.ceil(span / max(nt, 1))))
        pairs = [(float(i), str(ax.cats[i])) for i in range(0, n, max(every, 1))]
    elif ax.type == "date":
        nticks = _num(lay.get("nticks")) or 0.0
        nt = nticks if nticks else min(max(length / 80 if ax.letter == "x" else length / 40,
                                           4), 9) + 1
        pairs = _date_ticks(ax, nt)
    else:
        nticks = _num(lay.get("nticks")) or 0.0
        nt = nticks if nticks else min(max(length / (80 if ax.letter == "x" else 40), 4), 9) + 1
        dtick = _num(lay.get("dtick"))
        step = dtick if dtick and dtick > 0 and lay.get("tickmode") != "auto" else \
            _nice_step((ax.hi - ax.lo) / nt)
        if ax.type == "log" and step < 1 and not dtick:
            step = 1.0
        tick0 = _num(lay.get("tick0")) or 0.0
        first = tick0 + math.ceil((ax.lo - tick0) / step - 1e-9) * step
        vals: list[float] = []
        v = first
        while v <= ax.hi + step * 1e-9 and len(vals) < 200:
            vals.append(0.0 if abs(v) < step * 1e-9 else v)
            v = first + len(vals) * step
        if ax.type == "log":
            labels = [_format_linear(ax, [10 ** x], 10 ** x)[0] for x in vals]
        else:
            labels = _format_linear(ax, vals, step)
        pairs = list(zip(vals, labels, strict=True))
    step_n = int(lay.get("ticklabelstep") or 1)
    labels = _affix(ax, [p[1] for p in pairs])
    ax.ticks = [(p[0], _lines(lab), None) for i, (p, lab) in enumerate(zip(pairs, labels,
                                                                          strict=True))
                if ax.lo - 1e-9 * abs(ax.hi - ax.lo) <= p[0] <= ax.hi + 1e-9 * abs(ax.hi - ax.lo)
                and i % step_n == 0]


# --- the figure ------------------------------------------------------------------------

CARTESIAN = {"scatter", "scattergl", "bar", "heatmap"}
MAPS = {"choroplethmap", "choroplethmapbox"}


@dataclass
class _Trace:
    i: int
    d: dict
    type: str
    color: str
    visible: bool  # drawn (False for "legendonly")
    xa: str = "x"
    ya: str = "y"


@dataclass
class _Bar:
    pos: float  # linear position (category index, number, ms)
    lo: float  # linear value where the bar starts
    hi: float  # where it ends (the tip)
    value: float  # its value
    width: float  # in position units
    offset: float  # of its centre from pos
    i: int  # point index
    slot: float = 1.0  # the room of one position (bars and gaps)


class _Renderer:
    def __init__(self, fig: go.Figure, width: int) -> None:
        d = fig.to_dict()
        self.layout: dict = d.get("layout") or {}
        tpl = self.layout.pop("template", None) or {}
        self.tl: dict = tpl.get("layout") or {}
        self.td: dict = tpl.get("data") or {}
        self.raw_traces: list[dict] = d.get("data") or []
        self.W = float(max(int(width), 120))
        height = self.layout.get("height")
        self.H = float(height) if isinstance(height, (int, float)) and height > 10 \
            else float(DEFAULT_HEIGHT)
        self.defs = _Defs()
        self.comments: list[str] = []
        f = _merge(self.tl.get("font") or {}, self.layout.get("font") or {})
        size = f.get("size")
        self.font = Font(_family(f.get("family") or DEFAULT_FAMILY),
                         float(size) if isinstance(size, (int, float)) and size > 0 else 12.0,
                         f.get("color") or DEFAULT_LINE)
        self.colorway = self.lay("colorway") or list(DEFAULT_COLORWAY)
        self.traces: list[_Trace] = []
        self.axes: dict[str, _Axis] = {}
        self.bars: dict[int, list[_Bar]] = {}
        self.cbars: list[dict] = []
        self._xy: dict[int, tuple[list, list]] = {}
        self._xyz: dict[int, tuple[list, list, list[list]]] = {}
        self._lin: dict[tuple[int, str, int], list[float | None]] = {}
        self.need_t = 0.0
        self.plot = (80.0, 100.0, self.W - 160, self.H - 180)

    # -- layout attributes, with the template's defaults --
    def lay(self, *path: str, default: Any = None) -> Any:
        v = _get(self.layout, *path)
        if v is None:
            v = _get(self.tl, *path)
        return default if v is None else v

    # -- traces --
    def prepare_traces(self) -> None:
        for i, t in enumerate(self.raw_traces):
            kind = str(t.get("type") or "scatter")
            tdef = self.td.get(kind)
            if isinstance(tdef, list) and tdef and isinstance(tdef[0], dict):
                t = _merge({k: v for k, v in tdef[0].items() if k != "type"}, t)
            vis = t.get("visible", True)
            if vis is False:
                continue
            color = self.colorway[i % len(self.colorway)] if self.colorway else "#1f77b4"
            tr = _Trace(i, t, "scatter" if kind == "scattergl" else kind, color,
                        vis is not False and vis != "legendonly")
            if tr.type in CARTESIAN:
                tr.xa = str(t.get("xaxis") or "x")
                tr.ya = str(t.get("yaxis") or "y")
            self.traces.append(tr)

    def scatter_xy(self, tr: _Trace) -> tuple[list, list]:
        hit = self._xy.get(tr.i)
        if hit is None:
            hit = self._xy[tr.i] = self._scatter_xy(tr)
        return hit

    def _scatter_xy(self, tr: _Trace) -> tuple[list, list]:
        t = tr.d
        x, y = _arr(t.get("x")), _arr(t.get("y"))
        if x is None and y is None:
            return [], []
        if x is None:
            assert y is not None
            n = len(y)
        elif y is None:
            n = len(x)
        else:
            n = min(len(x), len(y))
        if x is None:
            x0, dx = _num(t.get("x0")) or 0.0, _num(t.get("dx")) or 1.0
            x = [x0 + dx * k for k in range(n)]
        if y is None:
            y0, dy = _num(t.get("y0")) or 0.0, _num(t.get("dy")) or 1.0
            y = [y0 + dy * k for k in range(n)]
        return x[:n], y[:n]

    def heat_xyz(self, tr: _Trace) -> tuple[list, list, list[list]]:
        hit = self._xyz.get(tr.i)
        if hit is None:
            hit = self._xyz[tr.i] = self._heat_xyz(tr)
        return hit

    def _heat_xyz(self, tr: _Trace) -> tuple[list, list, list[list]]:
        t = tr.d
        z = _arr(t.get("z")) or []
        rows = [(_arr(r) or []) if not isinstance(r, (int, float)) else [r] for r in z]
        if t.get("transpose"):
            ncol = max((len(r) for r in rows), default=0)
            rows = [[r[j] if j < len(r) else None for r in rows] for j in range(ncol)]
        ncol = max((len(r) for r in rows), default=0)
        rows = [[_num(v) for v in r] + [None] * (ncol - len(r)) for r in rows]
        x = _arr(t.get("x"))
        y = _arr(t.get("y"))
        if x is None:
            x0, dx = _num(t.get("x0")) or 0.0, _num(t.get("dx")) or 1.0
            x = [x0 + dx * k for k in range(ncol)]
        if y is None:
            y0, dy = _num(t.get("y0")) or 0.0, _num(t.get("dy")) or 1.0
            y = [y0 + dy * k for k in range(len(rows))]
        return x, y, rows

    def bar_pv(self, tr: _Trace) -> tuple[list, list, bool]:
        """Positions, values and whether the bars lie horizontally."""
        x, y = self.scatter_xy(tr)
        horizontal = tr.d.get("orientation") == "h"
        return (y, x, True) if horizontal else (x, y, False)

    # -- axes --
    def axis_layout(self, ident: str) -> dict:
        key = f"{ident[0]}axis{ident[1:]}"
        return _merge(self.tl.get(f"{ident[0]}axis") or {}, self.layout.get(key) or {})

    def build_axes(self) -> None:
        ids: set[str] = set()
        for k in self.layout:
            m = re.fullmatch(r"([xy])axis(\d*)", k)
            if m:
                ids.add(m.group(1) + (m.group(2) if m.group(2) not in ("", "1") else ""))
        cart = [t for t in self.traces if t.type in CARTESIAN]
        for t in cart:
            ids.update((t.xa, t.ya))
        others = [t for t in self.traces if t.type not in CARTESIAN]
        if not cart and others and not any(k.startswith(("xaxis", "yaxis"))
                                           for k in self.layout):
            return  # a map (or an unsupported trace) alone: no cartesian axes
        if not cart and not others:
            ids.update(("x", "y"))
        ids.update({"x", "y"} if any(i.startswith("x") for i in ids) or
                   any(i.startswith("y") for i in ids) else set())
        for ident in sorted(ids, key=lambda s: (s[0], int(s[1:] or 1))):
            lay = self.axis_layout(ident)
            ax = _Axis(ident, lay, self.font.merged(lay.get("tickfont")))
            ax.side = str(lay.get("side") or ("bottom" if ident[0] == "x" else "left"))
            self.axes[ident] = ax
        for ax in self.axes.values():  # the range shared through "matches"
            seen = {ax.id}
            g = ax.id
            while True:
                nxt = self.axes.get(str(self.axes[g].lay.get("matches") or ""))
                if nxt is None or nxt.id in seen:
                    break
                seen.add(nxt.id)
                g = nxt.id
            ax.group = g
        numbers_strict = self.lay("autotypenumbers") == "strict"
        for gid in {a.group for a in self.axes.values()}:
            members = [a for a in self.axes.values() if a.group == gid]
            values = list(self.axis_values(members))
            kind = next((str(a.lay["type"]) for a in members if a.lay.get("type") not in
                         (None, "-")), None) or _autotype(values, numbers_strict)
            cats: list = []
            if kind == "category":
                lay = next((a.lay for a in members if a.lay.get("categoryorder")), members[0].lay)
                order = lay.get("categoryorder", "trace")
                index: dict = {}
                if order == "array":
                    for v in _arr(lay.get("categoryarray")) or []:
                        if v is not None and _cat_key(v) not in index:
                            index[_cat_key(v)] = len(cats)
                            cats.append(v)
                for v in values:
                    if v is not None and _cat_key(v) not in index:
                        index[_cat_key(v)] = len(cats)
                        cats.append(v)
                if order in ("category ascending", "category descending"):
                    cats.sort(key=lambda c: (isinstance(c, str), c),
                              reverse=order == "category descending")
            for a in members:
                a.type = kind if kind in ("linear", "log", "date", "category") else "linear"
                a.cats = cats
                a.cat_index = {_cat_key(c): i for i, c in enumerate(cats)}

    def axis_values(self, members: list[_Axis]) -> Iterable[Any]:
        ids = {a.id for a in members}
        for t in self.traces:
            if t.type not in CARTESIAN:
                continue
            if t.type == "heatmap":
                x, y, _ = self.heat_xyz(t)
                if t.xa in ids:
                    yield from x
                if t.ya in ids:
                    yield from y
                continue
            x, y = self.scatter_xy(t)
            if t.xa in ids:
                yield from x
            if t.ya in ids:
                yield from y

    # -- autorange --
    def extents(self) -> dict[str, list[Extent]]:
        """Per axis group: (linear value, padding px below, above, padded) of everything
        to show."""
        ext: dict[str, list[Extent]] = {a.group: [] for a in self.axes.values()}

        def add(axis_id: str, vals: Iterable[float | None], pad: float | tuple[float, float],
                padded: bool) -> None:
            ax = self.axes.get(axis_id)
            if ax is None:
                return
            lo, hi = pad if isinstance(pad, tuple) else (pad, pad)
            if ax.rev or (ax.lay.get("autorange") == "reversed"):
                lo, hi = hi, lo
            lst = ext[ax.group]
            for v in vals:
                if v is not None and math.isfinite(v):
                    lst.append((v, lo, hi, padded))

        for t in self.traces:
            if not t.visible or t.type not in CARTESIAN:
                continue
            xa, ya = self.axes.get(t.xa), self.axes.get(t.ya)
            if xa is None or ya is None:
                continue
            if t.type == "scatter":
                self.scatter_extents(t, xa, ya, add)
            elif t.type == "bar":
                horiz = t.d.get("orientation") == "h"
                room = self.bar_text_room(t, horiz)
                for b in self.bars.get(t.i, []):
                    pa, va = (ya, xa) if horiz else (xa, ya)
                    add(pa.id, [b.pos - b.slot / 2, b.pos + b.slot / 2], 0, False)
                    add(va.id, [b.lo], 0, False)
                    # room past the end for text written outside the bar, as Plotly keeps
                    tip = room.get(b.i, 0.0)
                    add(va.id, [b.hi], (tip, 0.0) if b.hi < b.lo else (0.0, tip), True)
                    lo_e, hi_e = self.error_span(t.d.get("error_x" if pa is ya else "error_y"),
                                                 b.value, b.i)
                    if lo_e is not None and hi_e is not None:
                        add(va.id, [b.hi - b.value + lo_e, b.hi - b.value + hi_e], 0, True)
            elif t.type == "heatmap":
                x, y, z = self.heat_xyz(t)
                if not z:
                    continue
                for axis, vals, n in ((xa, x, len(z[0])), (ya, y, len(z))):
                    edges = self.cell_edges(axis, vals, n)
                    add(axis.id, [e for e in edges if e is not None], 0, False)
        for s in self.layout.get("shapes") or []:
            if not isinstance(s, dict):
                continue
            for letter in ("x", "y"):
                ref = str(s.get(f"{letter}ref") or letter)
                if ref in self.axes:
                    ax = self.axes[ref]
                    add(ref, [ax.d2l(s.get(f"{letter}0")), ax.d2l(s.get(f"{letter}1"))], 0, False)
        for a in self.layout.get("annotations") or []:
            if not isinstance(a, dict) or a.get("visible") is False:
                continue
            laid = self.annotation_layout(a)
            w = h = 0.0
            if laid is not None:
                lines, font, _full = laid
                w = max(text_width(s, font.size) for s in lines) + 4
                h = len(lines) * font.size * 1.2 + 2
            for letter, size in (("x", w), ("y", h)):
                ref = str(a.get(f"{letter}ref") or letter)
                if ref not in self.axes or a.get(letter) is None:
                    continue
                anchor = a.get(f"{letter}anchor") or "auto"
                lo_side = {"left": 0.0, "right": size, "bottom": 0.0, "top": size}.get(
                    anchor, size / 2)
                hi_side = size - lo_side
                if a.get("showarrow", True) is not False:
                    lo_side = hi_side = 0.0
                v = self.axes[ref].d2l(a.get(letter))
                add(ref, [v], (lo_side, hi_side), False)
        return ext

    def scatter_extents(self, t: _Trace, xa: _Axis, ya: _Axis,
                        add: Callable[[str, Iterable[float | None], Any, bool], None]) -> None:
        x, y = self.scatter_xy(t)
        mode = self.mode(t, len(x))
        markers = "markers" in mode
        size = max((_num(s) or 0 for s in (_arr(_get(t.d, "marker", "size")) or [])),
                   default=_num(_get(t.d, "marker", "size")) or 6.0) if markers else 0.0
        ppad = size / 2 + 1 if markers else 0.0
        fill = str(t.d.get("fill") or "none")
        has_text = "text" in mode
        ex, ey = t.d.get("error_x"), t.d.get("error_y")
        xs, ys = self.lin(t, xa, 0), self.lin(t, ya, 1)
        x_padded = bool(markers or has_text or self.err_visible(ex))
        if fill in ("tonexty", "tozeroy"):
            x_padded = self.err_visible(ey)
        y_padded = fill not in ("tonextx", "tozerox")
        pts = [(a, b) for a, b in zip(xs, ys, strict=True) if a is not None and b is not None]
        add(xa.id, [p[0] for p in pts], ppad if x_padded else 0, x_padded)
        add(ya.id, [p[1] for p in pts], ppad, y_padded)
        if fill == "tozeroy":
            add(ya.id, [0.0], 0, False)
        if fill == "tozerox":
            add(xa.id, [0.0], 0, False)
        for err, axis, vals in ((ex, xa, xs), (ey, ya, ys)):
            if not self.err_visible(err):
                continue
            for k, (v, other) in enumerate(zip(vals, ys if axis is xa else xs, strict=True)):
                if v is None or other is None:
                    continue
                lo, hi = self.error_span(err, v, k)
                if lo is not None:
                    add(axis.id, [lo, hi], 0, True)

    def bar_text_room(self, t: _Trace, horiz: bool) -> dict[int, float]:
        """Per bar: the px its "outside" text takes past the bar's end (for the range)."""
        pos = t.d.get("textposition")
        texts = _arr(t.d.get("text"))
        if pos not in ("outside",) and not (isinstance(pos, list) and "outside" in pos):
            return {}
        size = self.font.merged(t.d.get("textfont")).size
        out = {}
        for k in range(len(texts) if texts is not None else len(self.bar_pv(t)[0])):
            if _at(_arr(pos), k, pos) != "outside":
                continue
            raw = _at(texts, k, t.d.get("text") if texts is None else None)
            lines = _lines(raw)
            if not lines:
                continue
            out[k] = 3 + (min(max(text_width(x, size) for x in lines), self.W * 0.3) if horiz
                          else len(lines) * size * 1.2)
        return out

    @staticmethod
    def err_visible(err: Any) -> bool:
        return isinstance(err, dict) and err.get("visible", True) is not False and (
            err.get("array") is not None or err.get("value") is not None
            or err.get("type") == "sqrt")

    def error_span(self, err: Any, v: float, i: int) -> tuple[float | None, float | None]:
        """The low and high ends of the error bar at a value (None when there is none)."""
        if not self.err_visible(err):
            return None, None
        kind = err.get("type") or ("data" if err.get("array") is not None else "percent")
        symmetric = err.get("symmetric")
        if symmetric is None:
            symmetric = err.get("arrayminus") is None and err.get("valueminus") is None
        if kind == "data":
            up = _num(_at(_arr(err.get("array")), i))
            down = up if symmetric else _num(_at(_arr(err.get("arrayminus")), i))
        elif kind == "constant":
            up = _num(err.get("value")) or 0.0
            down = up if symmetric else _num(err.get("valueminus")) or 0.0
        elif kind == "sqrt":
            up = down = math.sqrt(abs(v))
        else:
            up = abs(v) * (_num(err.get("value")) or 10.0) / 100
            down = up if symmetric else abs(v) * (_num(err.get("valueminus")) or 10.0) / 100
        if up is None and down is None:
            return None, None
        return v - (down or 0.0), v + (up or 0.0)

    def cell_edges(self, ax: _Axis, vals: list, n: int) -> list[float | None]:
        """The n + 1 edges of heatmap cells on an axis (linear units)."""
        lv = [ax.d2l(v) for v in vals]
        if len(lv) == n + 1 and ax.type != "category":
            return lv
        lv = (lv + [None] * n)[:n]
        if ax.type == "category":
            first = lv[0] if lv and lv[0] is not None else 0.0
            out: list[float | None] = [first - 0.5]
            out += [(v if v is not None else float(k)) + 0.5 for k, v in enumerate(lv)]
            return out
        known = [v for v in lv if v is not None]
        if not known:
            return [None] * (n + 1)
        edges: list[float | None] = []
        for k in range(n + 1):
            a = lv[k - 1] if 0 < k <= n else None
            b = lv[k] if k < n else None
            if a is not None and b is not None:
                edges.append((a + b) / 2)
            elif b is not None:
                nxt = lv[k + 1] if k + 1 < n and lv[k + 1] is not None else None
                edges.append(b - ((nxt - b) / 2 if nxt is not None else 0.5))
            elif a is not None:
                prv = lv[k - 2] if k >= 2 and lv[k - 2] is not None else None
                edges.append(a + ((a - prv) / 2 if prv is not None else 0.5))
            else:
                edges.append(None)
        return edges

    def autorange(self, ext: dict[str, list[Extent]]) -> None:
        for gid in {a.group for a in self.axes.values()}:
            members = [a for a in self.axes.values() if a.group == gid]
            lead = self.axes[gid]
            lay = lead.lay
            rng = lay.get("range")
            auto = lay.get("autorange")
            rev = any(a.lay.get("autorange") == "reversed" for a in members)
            length = max(lead.length, 30.0)
            cands = ext.get(gid, [])
            lo = hi = None
            if cands:
                vmin = min(c[0] for c in cands)
                vmax = max(c[0] for c in cands)
                plo, phi = (_pad_at(cands, vmin, length, 1), _pad_at(cands, vmax, length, 2))
                if lay.get("rangemode") == "tozero" and lead.type == "linear":
                    if vmin > 0:
                        vmin, plo = 0.0, 0.0
                    if vmax < 0:
                        vmax, phi = 0.0, 0.0
                span = vmax - vmin
                if span <= 0:
                    d = abs(vmin) * 0.05 if vmin else 1.0
                    if lead.type == "date":
                        d = ONE_DAY * 30
                    lo, hi = vmin - d, vmax + d
                else:
                    room = max(length - plo - phi, length * 0.2)
                    lo = vmin - span * plo / room
                    hi = vmax + span * phi / room
                if lay.get("rangemode") == "nonnegative" and lead.type == "linear":
                    lo = max(lo, 0.0)
                    hi = max(hi, lo + 1e-9)
            if lo is None or hi is None:
                if lead.type == "date":
                    lo = (datetime(2000, 1, 1) - _EPOCH).total_seconds() * 1000
                    hi = (datetime(2001, 1, 1) - _EPOCH).total_seconds() * 1000
                else:
                    lo, hi = -1.0, (6.0 if lead.letter == "x" else 4.0)
            if isinstance(rng, (list, tuple)) and len(rng) == 2 and auto not in (True,
                                                                                  "reversed"):
                r0, r1 = (lead.d2l(rng[0]) if lead.type != "log" else _num(rng[0]),
                          lead.d2l(rng[1]) if lead.type != "log" else _num(rng[1]))
                if lead.type == "category":
                    r0, r1 = _num(rng[0]), _num(rng[1])
                if r0 is not None and r1 is not None and r0 != r1:
                    rev = r0 > r1
                    lo, hi = min(r0, r1), max(r0, r1)
                elif r0 is not None:
                    lo = r0
                elif r1 is not None:
                    hi = r1
            for a in members:
                a.lo, a.hi, a.rev = float(lo), float(hi), bool(rev)

    def constrain_scale(self) -> None:
        """``scaleanchor``: as many px per unit on both axes (the range of one is widened)."""
        for ax in self.axes.values():
            other = self.axes.get(str(ax.lay.get("scaleanchor") or ""))
            if other is None or other is ax:
                continue
            ratio = _num(ax.lay.get("scaleratio")) or 1.0
            sa = ax.length / max(ax.hi - ax.lo, 1e-12)
            so = other.length / max(other.hi - other.lo, 1e-12)
            if sa > ratio * so:  # widen this axis
                span = ax.length / (ratio * so)
                mid = (ax.lo + ax.hi) / 2
                ax.lo, ax.hi = mid - span / 2, mid + span / 2
            else:
                span = other.length * ratio / sa
                mid = (other.lo + other.hi) / 2
                other.lo, other.hi = mid - span / 2, mid + span / 2

    # -- bars --
    def layout_bars(self) -> None:
        """Where every bar lies: grouped, stacked or overlaid as the layout says."""
        self.bars = {}
        mode = self.lay("barmode", default="group")
        gap = _num(self.lay("bargap"))
        gap = 0.2 if gap is None else gap
        groupgap = _num(self.lay("bargroupgap")) or 0.0
        groups: dict[tuple[str, str, bool], list[_Trace]] = {}
        for t in self.traces:
            if t.type == "bar" and t.visible and t.xa in self.axes and t.ya in self.axes:
                groups.setdefault((t.xa, t.ya, t.d.get("orientation") == "h"), []).append(t)
        for (xa_id, ya_id, horiz), traces in groups.items():
            pa = self.axes[ya_id if horiz else xa_id]
            per: list[tuple[_Trace, list[tuple[int, float, float]]]] = []
            positions: set[float] = set()
            for t in traces:
                p, v, _ = self.bar_pv(t)
                pts = []
                for k, (pp, vv) in enumerate(zip(p, v, strict=True)):
                    lp, lv = pa.d2l(pp), _num(vv)
                    if lp is not None and lv is not None:
                        pts.append((k, lp, lv))
                        positions.add(lp)
                per.append((t, pts))
            ordered = sorted(positions)
            dpos = min((b - a for a, b in zip(ordered, ordered[1:], strict=False) if b > a),
                       default=1.0)
            if pa.type == "category":
                dpos = 1.0
            band = dpos * (1 - gap)
            at_pos: dict[float, list[int]] = {}
            for ti, (_t, pts) in enumerate(per):
                for _k, lp, _lv in pts:
                    if ti not in at_pos.setdefault(lp, []):
                        at_pos[lp].append(ti)
            stack_pos: dict[float, float] = {}
            stack_neg: dict[float, float] = {}
            for ti, (t, pts) in enumerate(per):
                width_attr = _arr(t.d.get("width"))
                offset_attr = _arr(t.d.get("offset"))
                base_attr = t.d.get("base")
                out: list[_Bar] = []
                for k, lp, lv in pts:
                    w = band
                    off = 0.0
                    if mode == "group":
                        slots = at_pos[lp]
                        n = len(slots)
                        w = band / n
                        off = -band / 2 + w * (slots.index(ti) + 0.5)
                        w *= 1 - groupgap
                    wk = _num(_at(width_attr, k, t.d.get("width") if width_attr is None
                                  else None))
                    if wk:
                        w = wk
                    ok = _num(_at(offset_attr, k, t.d.get("offset") if offset_attr is None
                                  else None))
                    if ok is not None:
                        off = ok + w / 2
                    base = _num(_at(_arr(base_attr), k, base_attr if not isinstance(
                        base_attr, list) else None)) or 0.0
                    if mode in ("stack", "relative"):
                        book = stack_neg if (lv < 0 and mode == "relative") else stack_pos
                        start = book.get(lp, base)
                        book[lp] = start + lv
                        out.append(_Bar(lp, start, start + lv, lv, w, off, k, dpos))
                    else:
                        out.append(_Bar(lp, base, base + lv, lv, w, off, k, dpos))
                self.bars[t.i] = out

    # -- the whole picture --
    def mode(self, t: _Trace, n: int) -> str:
        m = t.d.get("mode")
        if isinstance(m, str) and m:
            return m
        return "lines+markers" if n < 20 else "lines"

    def render(self) -> str:
        self.prepare_traces()
        self.build_axes()
        for t in self.traces:
            if t.type not in CARTESIAN and t.type not in MAPS:
                self.comments.append(f"<!-- unsupported: {_esc(t.type).replace('--', '- -')} -->")
        title_lines, sub_lines, title_font, sub_font = self.title_parts()
        legend_items = self.legend_items()
        self.collect_colorbars()
        # margins: as declared, widened (as Plotly's automargin does) until everything fits
        m = self.layout.get("margin") or {}
        declared: dict[str, float] = {}
        for k, dflt in (("l", 80.0), ("r", 80.0), ("t", 100.0), ("b", 80.0)):
            v = _num(m.get(k))
            declared[k] = dflt if v is None else v
        ml, mr, mt, mb = declared["l"], declared["r"], declared["t"], declared["b"]
        title_h = self.title_height(title_lines, sub_lines, title_font, sub_font)
        legend_above = bool((_num(self.lay("legend", "y")) or 0) > 1)
        H = self.H
        self.ml, self.mr, self.mt, self.mb = ml, mr, mt, mb
        legend_h = 0.0
        for _ in range(4):
            pw = max(self.W - ml - mr, 20.0)
            legend_rows = self.legend_rows(legend_items)
            legend_h = sum(r[1] for r in legend_rows) + (8 if legend_rows else 0)
            ph = H - mt - mb
            if ph < max(40.0, 0.3 * self.H):  # never a sliver of a plot: a taller picture
                H = mt + mb + max(40.0, 0.3 * self.H)
                ph = H - mt - mb
            self.lay_out(ml, mt, pw, ph)
            need = self.needs(ml, mt, pw, ph)
            self.need_t = need["t"]
            top = title_h + (legend_h if legend_above else 0) + need["t"] + 6
            below = need["b"] + (0 if legend_above else legend_h)
            nml = max(declared["l"], need["l"] + 4 if need["l"] > 0 else 0.0)
            nmr = max(declared["r"], need["r"] + 4 if need["r"] > 0 else 0.0)
            nmt = max(declared["t"], top if top > 6 else 0.0)
            nmb = max(declared["b"], below + 4 if below > 0 else 0.0)
            if (abs(nml - ml) < 0.5 and abs(nmr - mr) < 0.5 and abs(nmt - mt) < 0.5
                    and abs(nmb - mb) < 0.5):
                break
            ml, mr, mt, mb = nml, nmr, nmt, nmb
            self.ml, self.mr, self.mt, self.mb = ml, mr, mt, mb
        else:  # still moving after the last round: laid out once more on the last margins
            self.lay_out(ml, mt, max(self.W - ml - mr, 20.0), max(H - mt - mb, 40.0))
        self.H = H
        body = self.draw(title_lines, sub_lines, title_font, sub_font, legend_items,
                         legend_above, title_h, legend_h)
        return body

    def lay_out(self, ml: float, mt: float, pw: float, ph: float) -> None:
        """Axes placed in the plot area, bars laid, ranges and ticks worked out."""
        self.place(ml, mt, pw, ph)
        self.plot = (ml, mt, pw, ph)
        self.layout_bars()
        self.autorange(self.extents())
        self.constrain_scale()
        for ax in self.axes.values():
            _compute_ticks(ax)
            self.fit_labels(ax)

    # -- title --
    def title_parts(self) -> tuple[list[str], list[str], Font, Font]:
        t = self.layout.get("title")
        text = t.get("text") if isinstance(t, dict) else t
        size = _num(_get(t, "font", "size")) if isinstance(t, dict) else None
        font = self.font.merged(_merge(self.tl.get("title", {}).get("font") if isinstance(
            self.tl.get("title"), dict) else None, _get(t, "font") if isinstance(t, dict)
            else None))
        font = Font(font.family, size or round(self.font.size * 1.4), font.color)
        sub = _get(t, "subtitle", "text") if isinstance(t, dict) else None
        sfont = self.font.merged(_get(t, "subtitle", "font") if isinstance(t, dict) else None)
        x = self.title_x()
        max_w = self.W - max(x[0], 4) - 8 if x[1] == "start" else self.W - 12
        lines = [w for ln in _lines(text) for w in _wrap(ln, font.size, max_w)] if text else []
        sub_lines = [w for ln in _lines(sub) for w in _wrap(ln, sfont.size, max_w)] if sub else []
        return lines, sub_lines, font, sfont

    def title_x(self) -> tuple[float, str]:
        t = self.layout.get("title")
        x = _num(_get(t, "x")) if isinstance(t, dict) else None
        if x is None:
            x = _num(self.lay("title", "x"))
        x = 0.5 if x is None else x
        anchor = _get(t, "xanchor", default="auto") if isinstance(t, dict) else "auto"
        if anchor == "auto":
            anchor = "left" if x < 1 / 3 else "right" if x > 2 / 3 else "center"
        px = x * self.W
        if anchor == "left":
            return max(px, 6.0), "start"
        if anchor == "right":
            return min(px, self.W - 6), "end"
        return px, "middle"

    def title_height(self, lines: list[str], sub: list[str], font: Font, sfont: Font) -> float:
        if not lines and not sub:
            return 0.0
        return 8 + len(lines) * font.size * 1.2 + (len(sub) * sfont.size * 1.25 + 2 if sub
                                                    else 0)

    # -- plot area and axes --
    def place(self, ml: float, mt: float, pw: float, ph: float) -> None:
        for ax in self.axes.values():
            dom = _arr(ax.lay.get("domain")) or [0.0, 1.0]
            d0, d1 = (_num(dom[0]) or 0.0), (_num(dom[1]) if len(dom) > 1 else 1.0)
            d1 = 1.0 if d1 is None else d1
            if ax.letter == "x":
                ax.a, ax.b = ml + d0 * pw, ml + d1 * pw
            else:
                ax.a, ax.b = mt + (1 - d0) * ph, mt + (1 - d1) * ph
        for ax in self.axes.values():
            anchor = self.axes.get(str(ax.lay.get("anchor") or ""))
            if anchor is None:
                anchor = self.axes.get("y" if ax.letter == "x" else "x")
            pos_free = _num(ax.lay.get("position"))
            if ax.letter == "x":
                if anchor is not None and anchor.letter == "y":
                    ax.pos = anchor.b if ax.side == "top" else anchor.a
                else:
                    p = pos_free or 0.0
                    ax.pos = mt + (1 - p) * ph
            else:
                if anchor is not None and anchor.letter == "x":
                    ax.pos = anchor.b if ax.side == "right" else anchor.a
                else:
                    p = pos_free or 0.0
                    ax.pos = ml + p * pw

    def labels_shown(self, ax: _Axis) -> bool:
        return ax.visible and ax.lay.get("showticklabels", True) is not False and bool(ax.ticks)

    def fit_labels(self, ax: _Axis) -> None:
        """Tick label angle and cut: no label longer than its room, the full text kept."""
        font = ax.font
        ax.label_font = font
        if not self.labels_shown(ax):
            ax.angle = 0.0
            return
        angle = _num(ax.lay.get("tickangle"))
        widths = [max((text_width(s, font.size) for s in t[1]), default=0.0) for t in ax.ticks]
        if ax.letter == "y":
            ax.angle = 0.0
            limit = self.W * 0.45
        else:
            spacing = min((abs(ax.l2p(b[0]) - ax.l2p(a[0])) for a, b in
                           zip(ax.ticks, ax.ticks[1:], strict=False)), default=ax.length)
            if ax.type != "category" and not angle:
                # numbers and dates too close to be read side by side: every other one, as
                # a longer tick step would give
                while len(ax.ticks) > 2 and max(widths, default=0) > spacing * 0.9:
                    keep = range(0, len(ax.ticks), 2)
                    ax.ticks = [ax.ticks[i] for i in keep]
                    widths = [widths[i] for i in keep]
                    spacing *= 2
            if angle is None:
                angle = 0.0
                if max(widths, default=0) > spacing * 0.95 and len(ax.ticks) > 1:
                    angle = -30.0 if spacing * 0.5 >= font.size * 1.1 else -90.0
            ax.angle = angle
            if angle == 0:
                limit = max(spacing * 0.95, 30.0) if len(ax.ticks) > 1 else self.W * 0.5
            else:
                limit = min(self.H * 0.28 / max(abs(math.sin(math.radians(angle))), 0.2),
                            self.W * 0.36)
        cut = []
        for v, lines, _full in ax.ticks:
            short = [_cut(s, font.size, limit) for s in lines]
            cut.append((v, short, " ".join(lines) if short != lines else None))
        ax.ticks = cut

    def label_box(self, ax: _Axis) -> tuple[float, float]:
        """Width and height of the widest tick label block (as drawn, rotated)."""
        font = ax.label_font or ax.font
        w = max((max((text_width(s, font.size) for s in t[1]), default=0.0) for t in ax.ticks),
                default=0.0)
        n = max((len(t[1]) for t in ax.ticks), default=1)
        h = font.size * (1.2 * (n - 1) + 1.0)
        if ax.angle:
            a = math.radians(abs(ax.angle))
            return w * math.cos(a) + h * math.sin(a), w * math.sin(a) + h * math.cos(a)
        return w, h

    def axis_title(self, ax: _Axis) -> tuple[list[str], Font]:
        t = ax.lay.get("title")
        text = t.get("text") if isinstance(t, dict) else t
        if not text or not ax.visible:
            return [], ax.font
        size = _num(_get(t, "font", "size")) if isinstance(t, dict) else None
        f = self.font.merged(_get(t, "font") if isinstance(t, dict) else None)
        f = Font(f.family, size or round(self.font.size * 1.2), f.color)
        room = ax.length if ax.letter == "x" else max(ax.length, 60.0)
        lines = [w for ln in _lines(text) for w in _wrap(ln, f.size, max(room, 60.0))]
        return lines, f

    def ticklen(self, ax: _Axis) -> float:
        return (_num(ax.lay.get("ticklen")) or 5.0) if ax.lay.get("ticks") in ("outside",) \
            else 0.0

    def axis_extent(self, ax: _Axis) -> float:
        """How far from its line the axis's labels and title reach (px)."""
        e = 0.0
        if self.labels_shown(ax):
            w, h = self.label_box(ax)
            e = self.ticklen(ax) + 4 + (h if ax.letter == "x" else w)
        lines, f = self.axis_title(ax)
        if lines:
            standoff = _num(_get(ax.lay, "title", "standoff"))
            e += (10.0 if standoff is None else standoff) + len(lines) * f.size * 1.2
        return e

    def needs(self, ml: float, mt: float, pw: float, ph: float) -> dict[str, float]:
        """The room needed outside the plot area on each side (px)."""
        need = {"l": 0.0, "r": 0.0, "t": 0.0, "b": 0.0}
        plot_r, plot_b = ml + pw, mt + ph
        for ax in self.axes.values():
            if not ax.visible:
                continue
            e = self.axis_extent(ax)
            if ax.letter == "y":
                if ax.side == "right":
                    need["r"] = max(need["r"], ax.pos + e - plot_r)
                else:
                    need["l"] = max(need["l"], e - (ax.pos - ml))
            else:
                if ax.side == "top":
                    need["t"] = max(need["t"], e - (ax.pos - mt))
                else:
                    need["b"] = max(need["b"], ax.pos + e - plot_b)
                if self.labels_shown(ax):  # labels reaching past the ends of the axis
                    font = ax.label_font or ax.font
                    for v, lines, _ in ax.ticks:
                        p = ax.l2p(v)
                        w = max((text_width(s, font.size) for s in lines), default=0.0)
                        if ax.angle < 0:
                            left, right = p - w * math.cos(math.radians(ax.angle)), p + 4
                        elif ax.angle > 0:
                            left, right = p - 4, p + w * math.cos(math.radians(ax.angle))
                        else:
                            left, right = p - w / 2, p + w / 2
                        need["l"] = max(need["l"], ml - left)
                        need["r"] = max(need["r"], right - plot_r)
        for cb in self.cbars:
            need["r"] = max(need["r"], self.colorbar_width(cb, pw) + 2)
        need["t"] = max(need["t"], self.annotation_overhang(ml, mt, pw, ph))
        return need

    def annotation_overhang(self, ml: float, mt: float, pw: float, ph: float) -> float:
        """How far paper-placed annotations (subplot titles) reach above the plot area."""
        top = 0.0
        for _a, box in self.annotation_boxes():
            _x, y_top, _w, _h = box[:4]
            top = max(top, mt - y_top)
        return top

    # -- legend --
    def legend_items(self) -> list[_Trace]:
        shown = self.layout.get("showlegend")
        items = []
        for t in self.traces:
            sl = t.d.get("showlegend")
            if t.type in ("heatmap",) or t.type in MAPS:
                if sl is not True:
                    continue
            elif sl is False:
                continue
            if t.type not in CARTESIAN and t.type not in MAPS:
                continue
            items.append(t)
        if shown is False or (shown is None and len(items) < 2):
            return []
        stacked = self.lay("barmode") in ("stack", "relative") and any(
            t.type == "bar" for t in items)
        order = self.lay("legend", "traceorder", default="reversed" if stacked else "normal")
        if "reversed" in str(order):
            items.reverse()
        return items

    def legend_font(self) -> Font:
        return self.font.merged(self.lay("legend", "font"))

    def legend_label(self, t: _Trace) -> list[str]:
        name = t.d.get("name")
        lines = _lines(name if name not in (None, "") else f"trace {t.i}")
        return lines or [""]

    def legend_rows(self, items: list[_Trace]) -> list[tuple[list[tuple[_Trace, float,
                                                                          list[str],
                                                                          str | None]], float]]:
        """Items in rows that fit the width: [(item, width, lines, full text)], row height."""
        if not items:
            return []
        font = self.legend_font()
        avail = self.W - 20
        rows: list[tuple[list, float]] = []
        cur: list = []
        used = 0.0
        for t in items:
            lines = self.legend_label(t)
            short = [_cut(s, font.size, avail * 0.8 - 46) for s in lines]
            w = 46 + max(text_width(s, font.size) for s in short) + 14
            if cur and used + w > avail:
                rows.append((cur, 0.0))
                cur, used = [], 0.0
            cur.append((t, w, short, " ".join(lines) if short != lines else None))
            used += w
        if cur:
            rows.append((cur, 0.0))
        return [(r, max(20.0, max(len(it[2]) for it in r) * font.size * 1.25 + 6)) for r, _ in rows]

    # -- colour bars --
    def collect_colorbars(self) -> None:
        self.cbars = []
        owners: dict[str, bool] = {}
        for t in self.traces:
            if not t.visible:
                continue
            if t.type == "heatmap" and t.d.get("showscale", True) is not False \
                    and not t.d.get("coloraxis"):
                _x, _y, z = self.heat_xyz(t)
                zmin, zmax, scale = self.heat_scale(t, z)
                self.cbars.append({"scale": scale, "min": zmin, "max": zmax,
                                   "cb": t.d.get("colorbar") or {}})
            elif t.type == "scatter" and _get(t.d, "marker", "showscale") is True:
                mk = t.d.get("marker") or {}
                vals = [v for v in (_num(c) for c in (_arr(mk.get("color")) or [])) if v is
                        not None]
                cmin = _num(mk.get("cmin"))
                cmax = _num(mk.get("cmax"))
                lo = cmin if cmin is not None else min(vals, default=0.0)
                hi = cmax if cmax is not None else max(vals, default=1.0)
                self.cbars.append({"scale": _colorscale(mk.get("colorscale"), self.lay(
                    "colorscale", "sequential"), bool(mk.get("reversescale"))),
                    "min": lo, "max": hi, "cb": mk.get("colorbar") or {}})
            ca = t.d.get("coloraxis") or (_get(t.d, "marker", "coloraxis"))
            if ca and ca not in owners:
                owners[str(ca)] = True
                spec = self.layout.get(str(ca)) or {}
                if spec.get("showscale", True) is not False:
                    lo, hi = self.coloraxis_range(str(ca))
                    self.cbars.append({"scale": self.coloraxis_scale(str(ca)), "min": lo,
                                       "max": hi, "cb": spec.get("colorbar") or {}})

    def coloraxis_scale(self, name: str) -> Scale:
        spec = self.layout.get(name) or {}
        return _colorscale(spec.get("colorscale"), self.lay("colorscale", "sequential"),
                           bool(spec.get("reversescale")))

    def coloraxis_range(self, name: str) -> tuple[float, float]:
        spec = self.layout.get(name) or {}
        vals: list[float] = []
        for t in self.traces:
            if t.d.get("coloraxis") == name:
                vals += [v for v in (_num(z) for z in _arr(t.d.get("z")) or []) if v is not None]
        lo = _num(spec.get("cmin"))
        hi = _num(spec.get("cmax"))
        lo = min(vals, default=0.0) if lo is None else lo
        hi = max(vals, default=1.0) if hi is None else hi
        mid = _num(spec.get("cmid"))
        if mid is not None:
            d = max(hi - mid, mid - lo)
            lo, hi = mid - d, mid + d
        return lo, hi

    def heat_scale(self, t: _Trace, z: list[list]) -> tuple[float, float, Scale]:
        vals = [v for r in z for v in r if v is not None]
        zmin, zmax = _num(t.d.get("zmin")), _num(t.d.get("zmax"))
        auto = t.d.get("zauto") is not False and (zmin is None or zmax is None)
        lo = min(vals, default=0.0)
        hi = max(vals, default=1.0)
        if not auto:
            lo, hi = zmin or 0.0, zmax or 1.0
        else:
            lo = zmin if zmin is not None else lo
            hi = zmax if zmax is not None else hi
        mid = _num(t.d.get("zmid"))
        if mid is not None and auto:
            d = max(hi - mid, mid - lo)
            lo, hi = mid - d, mid + d
        tdef = self.td.get("heatmap")
        default = tdef[0].get("colorscale") if isinstance(tdef, list) and tdef else None
        scale = _colorscale(t.d.get("colorscale"), default or self.lay("colorscale",
                                                                        "sequential"),
                            bool(t.d.get("reversescale")))
        return lo, hi, scale

    def colorbar_width(self, cb: dict, pw: float) -> float:
        spec = cb["cb"]
        thick = _num(spec.get("thickness")) or 30.0
        labels = self.colorbar_ticks(cb, 300.0)
        w = max((text_width(s, self.font.size) for _v, s in labels), default=0.0)
        title = _get(spec, "title", "text") if isinstance(spec.get("title"), dict) else \
            spec.get("title")
        tw = text_width(_plain(title), self.font.size) if title else 0.0
        return 10 + max(thick + 4 + w + 4, tw) + 6

    def colorbar_ticks(self, cb: dict, length: float) -> list[tuple[float, str]]:
        spec = cb["cb"]
        lo, hi = float(cb["min"]), float(cb["max"])
        tv = _arr(spec.get("tickvals"))
        if tv is not None:
            tt = _arr(spec.get("ticktext")) or []
            return [(float(v), _plain(tt[i]) if i < len(tt) and tt[i] is not None else
                     _default_num(float(v))) for i, v in enumerate(tv) if _num(v) is not None]
        if hi <= lo:
            return [(lo, _default_num(lo))]
        nt = min(max(length / 60, 4), 6)
        step = _nice_step((hi - lo) / nt)
        first = math.ceil(lo / step - 1e-9) * step
        vals: list[float] = []
        v = first
        while v <= hi + step * 1e-9 and len(vals) < 20:
            vals.append(0.0 if abs(v) < step * 1e-9 else v)
            v = first + len(vals) * step
        fake = _Axis("y", {k: spec.get(k) for k in ("tickformat", "tickprefix", "ticksuffix",
                                                     "exponentformat") if spec.get(k)},
                     self.font)
        labels = _affix(fake, _format_linear(fake, vals, step))
        return list(zip(vals, [_plain(s) for s in labels], strict=True))

    # -- drawing --
    def draw(self, title_lines: list[str], sub_lines: list[str], title_font: Font,
             sub_font: Font, legend_items: list[_Trace], legend_above: bool,
             title_h: float, legend_h: float) -> str:
        out: list[str] = []
        ml, mt, pw, ph = self.plot
        paper = self.lay("paper_bgcolor", default="#ffffff")
        out.append(f'<rect width="{_f(self.W)}" height="{_f(self.H)}" {_paint(paper, "fill")}/>')
        subplots = self.subplots()
        plot_bg = self.lay("plot_bgcolor", default="#ffffff")
        for xa, ya in subplots:
            x0, x1 = sorted((xa.a, xa.b))
            y0, y1 = sorted((ya.a, ya.b))
            out.append(f'<rect x="{_f(x0)}" y="{_f(y0)}" width="{_f(x1 - x0)}" '
                       f'height="{_f(y1 - y0)}" {_paint(plot_bg, "fill")}/>')
        out.append(self.draw_grids(subplots))
        out.append(self.draw_shapes("below"))
        for xa, ya in subplots:
            out.append(self.draw_subplot(xa, ya))
        for t in self.traces:
            if t.type in MAPS:
                out.append(self.draw_map(t))
        out.append(self.draw_axes())
        out.append(self.draw_shapes("above"))
        out.append(self.draw_annotations())
        out.append(self.draw_colorbars())
        out.append(self.draw_legend(legend_items, legend_above, title_h))
        out.append(self.draw_title(title_lines, sub_lines, title_font, sub_font))
        out.extend(self.comments)
        return "".join(out)

    def subplots(self) -> list[tuple[_Axis, _Axis]]:
        pairs: list[tuple[_Axis, _Axis]] = []
        for t in self.traces:
            if t.type in CARTESIAN and t.xa in self.axes and t.ya in self.axes:
                p = (self.axes[t.xa], self.axes[t.ya])
                if p not in pairs:
                    pairs.append(p)
        for ax in self.axes.values():  # axes without traces (an empty subplot)
            if ax.letter == "x":
                other = self.axes.get(str(ax.lay.get("anchor") or "y"))
                if other is not None and other.letter == "y" and \
                        not any(p[0] is ax for p in pairs) and not any(p[1] is other
                                                                       for p in pairs):
                    pairs.append((ax, other))
        return pairs

    def clip(self, xa: _Axis, ya: _Axis) -> str:
        x0, x1 = sorted((xa.a, xa.b))
        y0, y1 = sorted((ya.a, ya.b))
        key = f"clip|{_f(x0)}|{_f(y0)}|{_f(x1)}|{_f(y1)}"
        ident = self.defs.add(key, lambda i: (
            f'<clipPath id="{i}"><rect x="{_f(x0)}" y="{_f(y0)}" width="{_f(x1 - x0)}" '
            f'height="{_f(y1 - y0)}"/></clipPath>'))
        return f'clip-path="url(#{ident})"'

    def draw_grids(self, subplots: list[tuple[_Axis, _Axis]]) -> str:
        out: list[str] = []
        for xa, ya in subplots:
            for ax, other in ((xa, ya), (ya, xa)):
                if not ax.visible:
                    continue
                o0, o1 = sorted((other.a, other.b))
                if ax.lay.get("showgrid", True) is not False and ax.ticks:
                    gc = ax.lay.get("gridcolor") or "#eeeeee"
                    gw = _num(ax.lay.get("gridwidth")) or 1.0
                    d = []
                    for v, _l, _ in ax.ticks:
                        if ax.type == "linear" and v == 0 and self.zeroline_on(ax):
                            continue
                        p = ax.l2p(v)
                        d.append(f"M{_f(p)} {_f(o0)}V{_f(o1)}" if ax.letter == "x"
                                 else f"M{_f(o0)} {_f(p)}H{_f(o1)}")
                    if d:
                        out.append(f'<path d="{"".join(d)}" fill="none" '
                                   f'{_stroke(gc, gw, ax.lay.get("griddash"))}/>')
                if self.zeroline_on(ax):
                    p = ax.l2p(0.0)
                    zc = ax.lay.get("zerolinecolor") or DEFAULT_LINE
                    zw = _num(ax.lay.get("zerolinewidth")) or 1.0
                    d0 = f"M{_f(p)} {_f(o0)}V{_f(o1)}" if ax.letter == "x" else \
                        f"M{_f(o0)} {_f(p)}H{_f(o1)}"
                    out.append(f'<path d="{d0}" {_stroke(zc, zw)}/>')
        return "".join(out)

    def zeroline_on(self, ax: _Axis) -> bool:
        return (ax.type == "linear" and ax.visible and ax.lay.get("zeroline", True) is not False
                and ax.lo <= 0 <= ax.hi)

    def draw_axes(self) -> str:
        out: list[str] = []
        base = self.font
        for ax in self.axes.values():
            if not ax.visible:
                continue
            if ax.lay.get("showline"):
                lc = ax.lay.get("linecolor") or DEFAULT_LINE
                lw = _num(ax.lay.get("linewidth")) or 1.0
                d = f"M{_f(ax.a)} {_f(ax.pos)}H{_f(ax.b)}" if ax.letter == "x" else \
                    f"M{_f(ax.pos)} {_f(ax.a)}V{_f(ax.b)}"
                out.append(f'<path d="{d}" {_stroke(lc, lw)}/>')
            tl = self.ticklen(ax)
            sign = -1 if ax.side in ("top", "left") else 1
            if tl and ax.ticks:
                tc = ax.lay.get("tickcolor") or DEFAULT_LINE
                d = "".join(f"M{_f(ax.l2p(v))} {_f(ax.pos)}v{_f(sign * tl)}" if ax.letter == "x"
                            else f"M{_f(ax.pos)} {_f(ax.l2p(v))}h{_f(sign * tl)}"
                            for v, _l, _ in ax.ticks)
                out.append(f'<path d="{d}" {_stroke(tc, 1)}/>')
            font = ax.label_font or ax.font
            if self.labels_shown(ax):
                parts = []
                for v, lines, full in ax.ticks:
                    p = ax.l2p(v)
                    if ax.letter == "x":
                        y = ax.pos + sign * (tl + 4)
                        if ax.angle:
                            anchor = "end" if ax.angle < 0 else "start"
                            yy = y + (font.size * 0.45 if sign > 0 else -font.size * 0.45)
                            parts.append(_text(p, yy, lines, font, base, anchor=anchor,
                                               valign="middle", full=full,
                                               transform=f"rotate({_f(ax.angle)} {_f(p)} "
                                                         f"{_f(yy)})"))
                        else:
                            parts.append(_text(p, y, lines, font, base, anchor="middle",
                                               valign="top" if sign > 0 else "bottom",
                                               full=full))
                    else:
                        x = ax.pos + sign * (tl + 4)
                        parts.append(_text(x, p, lines, font, base,
                                           anchor="end" if sign < 0 else "start",
                                           valign="middle", full=full))
                out.append(f'<g class="sd-ticks" data-axis="{ax.id}">{"".join(parts)}</g>')
            lines, tf = self.axis_title(ax)
            if lines:
                w, h = self.label_box(ax) if self.labels_shown(ax) else (0.0, 0.0)
                standoff = _num(_get(ax.lay, "title", "standoff"))
                standoff = 10.0 if standoff is None else standoff
                if ax.letter == "x":
                    mid = (ax.a + ax.b) / 2
                    if sign > 0:
                        y = ax.pos + tl + 4 + h + standoff
                        out.append(_text(mid, y, lines, tf, base, anchor="middle", valign="top"))
                    else:
                        y = ax.pos - tl - 4 - h - standoff
                        out.append(_text(mid, y, lines, tf, base, anchor="middle",
                                         valign="bottom"))
                else:
                    mid = (ax.a + ax.b) / 2
                    x = ax.pos + sign * (tl + 4 + w + standoff)
                    n = len(lines)
                    block = n * tf.size * 1.2
                    # rotated -90: the text's "top" faces left
                    cx = x - block / 2 if sign < 0 else x + block / 2
                    out.append(_text(cx, mid, lines, tf, base, anchor="middle", valign="middle",
                                     transform=f"rotate(-90 {_f(cx)} {_f(mid)})"))
        return "".join(out)

    # -- subplot traces --
    def draw_subplot(self, xa: _Axis, ya: _Axis) -> str:
        traces = [t for t in self.traces if t.visible and t.type in CARTESIAN
                  and self.axes.get(t.xa) is xa and self.axes.get(t.ya) is ya]
        if not traces:
            return ""
        clip = self.clip(xa, ya)
        out: list[str] = []
        heat = [t for t in traces if t.type == "heatmap"]
        if heat:
            out.append(self.draw_nodata(heat, xa, ya, clip))
        for t in heat:
            out.append(self.guard(t, partial(self.draw_heatmap, t, xa, ya, clip)))
        for t in traces:
            if t.type == "bar":
                out.append(self.guard(t, partial(self.draw_bar, t, xa, ya, clip)))
        scat = [t for t in traces if t.type == "scatter"]
        prev: list[tuple[float, float]] | None = None
        fills: list[str] = []
        for t in scat:
            pts = self.scatter_points(t, xa, ya)
            fills.append(self.guard(t, partial(self.scatter_fill, t, pts, prev, xa, ya, clip)))
            flat = [p for p in pts if p is not None]
            if flat:
                prev = flat
        out.extend(fills)
        for t in scat:
            out.append(self.guard(t, partial(self.draw_scatter, t, xa, ya, clip)))
        return "".join(out)

    def guard(self, t: _Trace, draw: Callable[[], str]) -> str:
        """A trace's drawing; one that fails is left out with a comment (never raises)."""
        try:
            return draw()
        except Exception as e:  # noqa: BLE001 - a chart must not break the page
            return f"<!-- not drawn: {_esc(t.type)} ({_esc(type(e).__name__)}) -->"

    def scatter_points(self, t: _Trace, xa: _Axis, ya: _Axis) -> list[tuple[float, float] | None]:
        xs, ys = self.lin(t, xa, 0), self.lin(t, ya, 1)
        return [None if a is None or b is None else (xa.l2p(a), ya.l2p(b))
                for a, b in zip(xs, ys, strict=True)]

    def lin(self, t: _Trace, ax: _Axis, which: int) -> list[float | None]:
        """The trace's x (``which`` 0) or y (1) values in the axis's linear units."""
        key = (t.i, ax.id, which)
        hit = self._lin.get(key)
        if hit is None:
            hit = self._lin[key] = [ax.d2l(v) for v in self.scatter_xy(t)[which]]
        return hit

    def scatter_fill(self, t: _Trace, pts: list[tuple[float, float] | None],
                     prev: list[tuple[float, float]] | None, xa: _Axis, ya: _Axis,
                     clip: str) -> str:
        fill = str(t.d.get("fill") or "none")
        if fill == "none":
            return ""
        color = t.d.get("fillcolor") or _with_alpha(self.line_color(t), 0.5)
        segs = self.segments(t, pts)
        d = ""
        if fill == "toself":
            d = "".join("M" + "L".join(f"{_f(x)} {_f(y)}" for x, y in s) + "Z"
                        for s in segs if len(s) > 1)
        elif fill in ("tozeroy", "tozerox") or (fill in ("tonexty", "tonextx") and not prev):
            for s in segs:
                if len(s) < 1:
                    continue
                if fill.endswith("y"):
                    z = ya.l2p(min(max(0.0, ya.lo), ya.hi))
                    poly = [(s[0][0], z), *s, (s[-1][0], z)]
                else:
                    z = xa.l2p(min(max(0.0, xa.lo), xa.hi))
                    poly = [(z, s[0][1]), *s, (z, s[-1][1])]
                d += "M" + "L".join(f"{_f(x)} {_f(y)}" for x, y in poly) + "Z"
        elif fill in ("tonexty", "tonextx") and prev:
            flat = [p for p in pts if p is not None]
            poly = flat + list(reversed(prev))
            d = "M" + "L".join(f"{_f(x)} {_f(y)}" for x, y in poly) + "Z" if len(poly) > 2 else ""
        if not d:
            return ""
        return (f'<path class="sd-fill" data-trace="{t.i}" d="{d}" {_paint(color, "fill")} '
                f'stroke="none" {clip}/>')

    def segments(self, t: _Trace, pts: list[tuple[float, float] | None]) -> list[list[tuple[
            float, float]]]:
        if t.d.get("connectgaps"):
            flat = [p for p in pts if p is not None]
            return [flat] if flat else []
        segs: list[list[tuple[float, float]]] = [[]]
        for p in pts:
            if p is None:
                if segs[-1]:
                    segs.append([])
            else:
                segs[-1].append(p)
        return [s for s in segs if s]

    def line_color(self, t: _Trace) -> str:
        c = _get(t.d, "line", "color")
        if isinstance(c, str):
            return c
        mc = _get(t.d, "marker", "color")
        return mc if isinstance(mc, str) else t.color

    def marker_color(self, t: _Trace, i: int) -> str:
        mk = t.d.get("marker") or {}
        c = mk.get("color")
        arr = _arr(c)
        if arr is not None:
            v = arr[i] if i < len(arr) else None
            if isinstance(v, str):
                return v
            n = _num(v)
            if n is not None:  # numbers through the marker's colour scale
                nums = [x for x in (_num(a) for a in arr) if x is not None]
                lo = _num(mk.get("cmin"))
                hi = _num(mk.get("cmax"))
                lo = min(nums) if lo is None else lo
                hi = max(nums) if hi is None else hi
                scale = _colorscale(mk.get("colorscale"), self.lay("colorscale", "sequential"),
                                    bool(mk.get("reversescale")))
                return _sample(scale, (n - lo) / (hi - lo) if hi > lo else 0.5)
            return _get(t.d, "line", "color") or t.color
        if isinstance(c, str):
            return c
        lc = _get(t.d, "line", "color")
        return lc if isinstance(lc, str) else t.color

    def draw_scatter(self, t: _Trace, xa: _Axis, ya: _Axis, clip: str) -> str:
        d = t.d
        pts = self.scatter_points(t, xa, ya)
        mode = self.mode(t, len(pts))
        out: list[str] = []
        if "lines" in mode:
            lw = _num(_get(d, "line", "width"))
            lw = 2.0 if lw is None else lw
            if lw > 0:
                shape = _get(d, "line", "shape", default="linear")
                paths = []
                for s in self.segments(t, pts):
                    if len(s) < 2:
                        continue
                    paths.append("M" + self.line_path(s, shape))
                if paths:
                    out.append(f'<path class="sd-line" d="{"".join(paths)}" fill="none" '
                               f'{_stroke(self.line_color(t), lw, _get(d, "line", "dash"), _num(d.get("opacity")) or 1.0)} '
                               f'stroke-linejoin="round" {clip}/>')
        noclip = d.get("cliponaxis") is False
        out.append(self.draw_errors(t, pts, xa, ya, "" if noclip else clip))
        if "markers" in mode:
            out.append(self.draw_markers(t, pts, "" if noclip else clip))
        if "text" in mode:
            out.append(self.draw_point_text(t, pts, "" if noclip else clip))
        name = _esc(_plain(d.get("name") or ""))
        return (f'<g class="sd-trace sd-scatter" data-trace="{t.i}" data-name="{name}">'
                f'{"".join(out)}</g>')

    @staticmethod
    def line_path(s: list[tuple[float, float]], shape: str) -> str:
        if shape in ("hv", "vh", "hvh", "vhv"):
            parts = [f"{_f(s[0][0])} {_f(s[0][1])}"]
            for (x0, y0), (x1, y1) in zip(s, s[1:], strict=False):
                if shape == "hv":
                    parts.append(f"{_f(x1)} {_f(y0)}")
                elif shape == "vh":
                    parts.append(f"{_f(x0)} {_f(y1)}")
                elif shape == "hvh":
                    xm = (x0 + x1) / 2
                    parts += [f"{_f(xm)} {_f(y0)}", f"{_f(xm)} {_f(y1)}"]
                else:
                    ym = (y0 + y1) / 2
                    parts += [f"{_f(x0)} {_f(ym)}", f"{_f(x1)} {_f(ym)}"]
                parts.append(f"{_f(x1)} {_f(y1)}")
            return "L".join(parts)
        return "L".join(f"{_f(x)} {_f(y)}" for x, y in s)

    def draw_errors(self, t: _Trace, pts: list[tuple[float, float] | None], xa: _Axis,
                    ya: _Axis, clip: str) -> str:
        out = []
        x, y = self.scatter_xy(t)
        for key, axis, raw in (("error_x", xa, x), ("error_y", ya, y)):
            err = t.d.get(key)
            if not isinstance(err, dict) or not self.err_visible(err):
                continue
            color = err.get("color") or self.marker_color(t, 0)
            thick = _num(err.get("thickness"))
            thick = 2.0 if thick is None else thick
            cap = _num(err.get("width"))
            cap = 4.0 if cap is None else cap
            d = []
            for i, p in enumerate(pts):
                v = axis.d2l(raw[i]) if i < len(raw) else None
                if p is None or v is None:
                    continue
                lo, hi = self.error_span(err, v, i)
                if lo is None or hi is None:
                    continue
                a, b = axis.l2p(lo), axis.l2p(hi)
                if key == "error_x":
                    d.append(f"M{_f(a)} {_f(p[1])}H{_f(b)}")
                    if cap:
                        d.append(f"M{_f(a)} {_f(p[1] - cap)}v{_f(2 * cap)}"
                                 f"M{_f(b)} {_f(p[1] - cap)}v{_f(2 * cap)}")
                else:
                    d.append(f"M{_f(p[0])} {_f(a)}V{_f(b)}")
                    if cap:
                        d.append(f"M{_f(p[0] - cap)} {_f(a)}h{_f(2 * cap)}"
                                 f"M{_f(p[0] - cap)} {_f(b)}h{_f(2 * cap)}")
            if d:
                out.append(f'<path class="sd-error" d="{"".join(d)}" fill="none" '
                           f'{_stroke(color, thick)}{_sp(clip)}/>')
        return "".join(out)

    def draw_markers(self, t: _Trace, pts: list[tuple[float, float] | None], clip: str) -> str:
        mk = t.d.get("marker") or {}
        sizes, symbols = _arr(mk.get("size")), _arr(mk.get("symbol"))
        opac = _arr(mk.get("opacity"))
        line = mk.get("line") or {}
        lws, lcs = _arr(line.get("width")), _arr(line.get("color"))
        lc_scalar = line.get("color") if isinstance(line.get("color"), str) else None
        trace_line = _get(t.d, "line", "color")
        out = []
        for i, p in enumerate(pts):
            if p is None:
                continue
            size = _num(_at(sizes, i, mk.get("size") if sizes is None else None))
            size = 6.0 if size is None else size
            sym = _at(symbols, i, mk.get("symbol") if symbols is None else None) or "circle"
            color = self.marker_color(t, i)
            op = _num(_at(opac, i, mk.get("opacity") if opac is None else None))
            op = 1.0 if op is None else op
            lw = _num(_at(lws, i, line.get("width") if lws is None else None)) or 0.0
            lc = _at(lcs, i, lc_scalar) if lcs is not None else lc_scalar
            if lc is None:
                lc = trace_line if isinstance(trace_line, str) and trace_line != color \
                    else DEFAULT_LINE
            out.append(_marker(p[0], p[1], size, sym, color, op, lw, lc))
        return f'<g class="sd-markers"{_sp(clip)}>{"".join(out)}</g>' if out else ""

    def draw_point_text(self, t: _Trace, pts: list[tuple[float, float] | None],
                        clip: str) -> str:
        d = t.d
        texts = _arr(d.get("text"))
        tpl = d.get("texttemplate")
        tpos = _arr(d.get("textposition"))
        tf = d.get("textfont") or {}
        sizes, colors = _arr(tf.get("size")), _arr(tf.get("color"))
        mk = d.get("marker") or {}
        msizes = _arr(mk.get("size"))
        x, y = self.scatter_xy(t)
        mode = self.mode(t, len(pts))
        out = []
        for i, p in enumerate(pts):
            if p is None:
                continue
            raw = _at(texts, i, d.get("text") if texts is None else None)
            if tpl:
                tp = _at(_arr(tpl), i, tpl if not isinstance(tpl, list) else None)
                raw = _fill_template(str(tp), {"x": x[i], "y": y[i], "text": raw}) if tp else raw
            if raw is None or raw == "":
                continue
            lines = _lines(raw)
            size = _num(_at(sizes, i, tf.get("size") if sizes is None else None)) or self.font.size
            color = _at(colors, i, tf.get("color") if colors is None else None) or self.font.color
            font = Font(_family(str(tf["family"])) if tf.get("family") else self.font.family,
                        size, color)
            pos = str(_at(tpos, i, d.get("textposition") if tpos is None else None)
                      or "middle center")
            ms = _num(_at(msizes, i, mk.get("size") if msizes is None else None)) or 6.0
            r = ms / 2 if "markers" in mode else 0.0
            vert, _, horiz = pos.partition(" ")
            horiz = horiz or "center"
            gap = r + 3
            if horiz == "right":
                tx, anchor = p[0] + gap, "start"
            elif horiz == "left":
                tx, anchor = p[0] - gap, "end"
            else:
                tx, anchor = p[0], "middle"
            if vert == "top":
                ty, valign = p[1] - (r + 3), "bottom"
            elif vert == "bottom":
                ty, valign = p[1] + (r + 3), "top"
            else:
                ty, valign = p[1], "middle"
            out.append(_text(tx, ty, lines, font, self.font, anchor=anchor, valign=valign))
        return f'<g class="sd-text"{_sp(clip)}>{"".join(out)}</g>' if out else ""

    def bar_fill(self, t: _Trace, i: int) -> tuple[str, str]:
        """The fill attribute of bar ``i`` (colour or pattern) and its plain colour."""
        mk = t.d.get("marker") or {}
        color = self.marker_color(t, i)
        op = _num(_at(_arr(mk.get("opacity")), i, mk.get("opacity") if not isinstance(
            mk.get("opacity"), list) else None))
        op = 1.0 if op is None else op
        pat = mk.get("pattern") or {}
        shape = _at(_arr(pat.get("shape")), i, pat.get("shape") if not isinstance(
            pat.get("shape"), list) else None)
        if shape:
            overlay = pat.get("fillmode") == "overlay"
            fg = _at(_arr(pat.get("fgcolor")), i, pat.get("fgcolor") if not isinstance(
                pat.get("fgcolor"), list) else None) or (_contrast(color) if overlay else color)
            bg = _at(_arr(pat.get("bgcolor")), i, pat.get("bgcolor") if not isinstance(
                pat.get("bgcolor"), list) else None) or (color if overlay else "#ffffff")
            fgo = _num(pat.get("fgopacity"))
            fgo = (0.5 if overlay else 1.0) if fgo is None else fgo
            size = _num(pat.get("size")) or 8.0
            sol = _num(pat.get("solidity"))
            sol = 0.3 if sol is None else sol
            url = _pattern(self.defs, str(shape), bg, fg, fgo, size, sol)
            return f'fill="{url}"' + (f' fill-opacity="{_f3(op)}"' if op < 1 else ""), color
        return _paint(color, "fill", op), color

    def draw_bar(self, t: _Trace, xa: _Axis, ya: _Axis, clip: str) -> str:
        d = t.d
        horiz = d.get("orientation") == "h"
        pa, va = (ya, xa) if horiz else (xa, ya)
        mk = d.get("marker") or {}
        line = mk.get("line") or {}
        lws, lcs = _arr(line.get("width")), _arr(line.get("color"))
        rects, texts, errs = [], [], []
        tx = _arr(d.get("text"))
        tpl = d.get("texttemplate")
        tpos = d.get("textposition") or "auto"
        tf = d.get("textfont") or {}
        p_raw, v_raw, _ = self.bar_pv(t)
        noclip = d.get("cliponaxis") is False
        for b in self.bars.get(t.i, []):
            c = b.pos + b.offset
            p0, p1 = pa.l2p(c - b.width / 2), pa.l2p(c + b.width / 2)
            v0, v1 = va.l2p(b.lo), va.l2p(b.hi)
            if horiz:
                x0, x1, y0, y1 = min(v0, v1), max(v0, v1), min(p0, p1), max(p0, p1)
            else:
                x0, x1, y0, y1 = min(p0, p1), max(p0, p1), min(v0, v1), max(v0, v1)
            fill, color = self.bar_fill(t, b.i)
            lw = _num(_at(lws, b.i, line.get("width") if lws is None else None)) or 0.0
            lc = _at(lcs, b.i, line.get("color") if lcs is None else None) or DEFAULT_LINE
            stroke = f" {_stroke(lc, lw)}" if lw > 0 else ""
            rects.append(f'<rect class="sd-bar" x="{_f(x0)}" y="{_f(y0)}" '
                         f'width="{_f(max(x1 - x0, 0))}" height="{_f(max(y1 - y0, 0))}" '
                         f'{fill}{stroke}/>')
            raw = _at(tx, b.i, d.get("text") if tx is None else None)
            if tpl:
                tp = _at(_arr(tpl), b.i, tpl if not isinstance(tpl, list) else None)
                if tp:
                    raw = _fill_template(str(tp), {
                        "x": (v_raw if horiz else p_raw)[b.i], "y": (p_raw if horiz else
                                                                      v_raw)[b.i],
                        "value": b.value, "text": raw, "label": p_raw[b.i]})
            pos = _at(_arr(tpos), b.i, tpos if not isinstance(tpos, list) else None) or "auto"
            if raw not in (None, "") and pos != "none":
                texts.append(self.bar_text(t, b, _lines(raw), str(pos), tf, color,
                                           (x0, y0, x1, y1), horiz, pa, va, noclip))
            err = d.get("error_x" if horiz else "error_y")
            if isinstance(err, dict) and self.err_visible(err):
                lo, hi = self.error_span(err, b.value, b.i)
                if lo is not None and hi is not None:
                    a, e = va.l2p(b.hi - b.value + lo), va.l2p(b.hi - b.value + hi)
                    cap = _num(err.get("width"))
                    cap = 4.0 if cap is None else cap
                    mid = pa.l2p(c)
                    if horiz:
                        errs.append(f"M{_f(a)} {_f(mid)}H{_f(e)}" + (
                            f"M{_f(a)} {_f(mid - cap)}v{_f(2 * cap)}M{_f(e)} {_f(mid - cap)}"
                            f"v{_f(2 * cap)}" if cap else ""))
                    else:
                        errs.append(f"M{_f(mid)} {_f(a)}V{_f(e)}" + (
                            f"M{_f(mid - cap)} {_f(a)}h{_f(2 * cap)}M{_f(mid - cap)} {_f(e)}"
                            f"h{_f(2 * cap)}" if cap else ""))
        out = [f'<g class="sd-bars" {clip}>{"".join(rects)}</g>']
        if errs:
            err = d.get("error_x" if horiz else "error_y") or {}
            thick = _num(err.get("thickness"))
            out.append(f'<path class="sd-error" d="{"".join(errs)}" fill="none" '
                       f'{_stroke(err.get("color") or DEFAULT_LINE, 2.0 if thick is None else thick)}'
                       f'{_sp("" if noclip else clip)}/>')
        if texts:
            out.append(f'<g class="sd-text"{_sp("" if noclip else clip)}>{"".join(texts)}</g>')
        name = _esc(_plain(d.get("name") or ""))
        return (f'<g class="sd-trace sd-bar-trace" data-trace="{t.i}" data-name="{name}">'
                f'{"".join(out)}</g>')

    def bar_text(self, t: _Trace, b: _Bar, lines: list[str], pos: str, tf: dict, color: str,
                 box: tuple[float, float, float, float], horiz: bool, pa: _Axis, va: _Axis,
                 noclip: bool) -> str:
        """A bar's text inside it (made a little smaller if need be) or past its end, in
        view either way: where there is no room outside, inside, and the other way round."""
        x0, y0, x1, y1 = box
        d = t.d
        inside_tf = _merge(tf, d.get("insidetextfont") or {})
        outside_tf = _merge(tf, d.get("outsidetextfont") or {})
        size = self.font.merged(tf).size
        along, across = ((x1 - x0), (y1 - y0)) if horiz else ((y1 - y0), (x1 - x0))
        pad = 3.0
        tip, root = va.l2p(b.hi), va.l2p(b.lo)
        direction = 1.0 if tip >= root else -1.0  # which way the bar grows on the screen
        xa, ya = (va, pa) if horiz else (pa, va)
        px0, px1 = sorted((xa.a, xa.b))
        py0, py1 = sorted((ya.a, ya.b))
        if horiz:
            edge = (self.W - 4 if noclip else px1) if direction > 0 else px0
        else:
            edge = py1 if direction > 0 else py0
        room_out = abs(edge - tip) - pad

        def block(ls: list[str], sc: float) -> tuple[float, float]:
            """(along the bar, across it) of the text in px."""
            w = max(text_width(x, size * sc) for x in ls)
            h = len(ls) * size * sc * 1.2
            return (w, h) if horiz else (h, w)

        def fits(where: str, ls: list[str], sc: float) -> bool:
            a, c = block(ls, sc)
            if where == "inside":
                return a + 2 * pad <= along and c <= across + 1
            return a <= room_out and (not horiz or c <= across * 1.3)

        def scaled(where: str, lowest: float) -> float | None:
            a, c = block(lines, 1.0)
            room_a = (along - 2 * pad) if where == "inside" else room_out
            sc = min(room_a / a if a else 1.0, (across + 1) / c if where == "inside" and c
                     else 1.0, 1.0)
            return sc if sc >= lowest else None

        def wrapped(sc: float) -> list[str] | None:
            if not horiz:
                return None
            ws = [x for ln in lines for x in _wrap(ln, size * sc, max(room_out, 1.0))]
            ok = len(ws) > len(lines) and not any(x.endswith("…") for x in ws)
            return ws if ok and fits("outside", ws, sc) else None

        tries: list[str] = {"inside": ["in", "in-scaled", "out", "out-wrap", "out-scaled",
                                       "out-wrap-small"],
                            "outside": ["out", "out-wrap", "out-scaled", "out-wrap-small", "in",
                                        "in-scaled"]}.get(pos, ["in", "out", "out-wrap",
                                                                "out-scaled", "in-scaled",
                                                                "out-wrap-small"])
        place, scale, full = "", 1.0, None
        for attempt in tries:
            where = "inside" if attempt.startswith("in") else "outside"
            if attempt in ("in", "out") and fits(where, lines, 1.0):
                place = where
            elif attempt.endswith("-scaled"):
                sc = scaled(where, 0.65 if where == "inside" else 0.75)
                if sc is not None:
                    place, scale = where, sc
            elif attempt.startswith("out-wrap"):
                sc = 1.0 if attempt == "out-wrap" else 0.8
                ws = wrapped(sc)
                if ws is not None:
                    place, scale, lines = where, sc, ws
            if place:
                break
        if not place:  # cut short where there is the more room, the full text kept
            scale = 0.85
            inside_room = along - 2 * pad if horiz else across - 2
            place = "inside" if inside_room > room_out and pos != "outside" else "outside"
            room = max(inside_room if place == "inside" else room_out, 24.0)
            full = " ".join(lines)
            lines = [_cut(full, size * scale, room)]
        if place == "inside":
            f = self.font.merged(inside_tf)
            c = inside_tf.get("color")
            fcolor = c if isinstance(c, str) else _contrast(color)
        else:
            f = self.font.merged(outside_tf)
            c = outside_tf.get("color")
            fcolor = c if isinstance(c, str) else self.font.color
        f = Font(f.family, f.size * scale, fcolor)
        anchor_in = d.get("insidetextanchor") or "end"
        if place == "inside" and anchor_in == "middle":
            return _text((x0 + x1) / 2, (y0 + y1) / 2, lines, f, self.font, anchor="middle",
                         valign="middle", full=full)
        if place == "inside":
            at = root + pad * direction if anchor_in == "start" else tip - pad * direction
            # the text starts at its point when it lies toward the bar's growth from it
            forward = (anchor_in == "start")
        else:
            at = tip + pad * direction
            forward = True
        if horiz:
            anchor = ("start" if direction > 0 else "end") if forward else (
                "end" if direction > 0 else "start")
            return _text(at, (y0 + y1) / 2, lines, f, self.font, anchor=anchor, valign="middle",
                         full=full)
        valign = ("top" if direction > 0 else "bottom") if forward else (
            "bottom" if direction > 0 else "top")
        return _text((x0 + x1) / 2, at, lines, f, self.font, anchor="middle", valign=valign,
                     full=full)

    def draw_nodata(self, heat: list[_Trace], xa: _Axis, ya: _Axis, clip: str) -> str:
        """A light hatch under the cells that have no value in any heatmap of the subplot."""
        grids = []
        for t in heat:
            x, y, z = self.heat_xyz(t)
            if not z:
                continue
            grids.append((self.cell_edges(xa, x, len(z[0])), self.cell_edges(ya, y, len(z)), z,
                          _num(t.d.get("xgap")) or 0.0, _num(t.d.get("ygap")) or 0.0))
        if not grids:
            return ""
        filled: set[tuple[float, float]] = set()
        cells: dict[tuple[float, float], tuple[float, float, float, float]] = {}
        for xe, ye, z, xg, yg in grids:
            for r, row in enumerate(z):
                for c, v in enumerate(row):
                    a0, a1, b0, b1 = xe[c], xe[c + 1], ye[r], ye[r + 1]
                    if a0 is None or a1 is None or b0 is None or b1 is None:
                        continue
                    key = (round(a0, 6), round(b0, 6))
                    if v is not None:
                        filled.add(key)
                    elif key not in cells:
                        cells[key] = self.cell_rect(xa, ya, a0, a1, b0, b1, xg, yg)
        empty = [box for key, box in cells.items() if key not in filled]
        if not empty:
            return ""
        url = _nodata_pattern(self.defs)
        rects = "".join(f'<rect class="sd-nodata" x="{_f(a)}" y="{_f(b)}" width="{_f(w)}" '
                        f'height="{_f(h)}"/>' for a, b, w, h in empty)
        return f'<g fill="{url}" {clip}>{rects}</g>'

    @staticmethod
    def cell_rect(xa: _Axis, ya: _Axis, x0: float, x1: float, y0: float, y1: float, xg: float,
                  yg: float) -> tuple[float, float, float, float]:
        a, b = sorted((xa.l2p(x0), xa.l2p(x1)))
        c, e = sorted((ya.l2p(y0), ya.l2p(y1)))
        a, b = a + xg / 2, b - xg / 2
        c, e = c + yg / 2, e - yg / 2
        return a, c, max(b - a, 0.0), max(e - c, 0.0)

    def draw_heatmap(self, t: _Trace, xa: _Axis, ya: _Axis, clip: str) -> str:
        d = t.d
        x, y, z = self.heat_xyz(t)
        if not z or not z[0]:
            return ""
        zmin, zmax, scale = self.heat_scale(t, z)
        if d.get("coloraxis"):
            scale = self.coloraxis_scale(str(d["coloraxis"]))
            zmin, zmax = self.coloraxis_range(str(d["coloraxis"]))
        xe = self.cell_edges(xa, x, len(z[0]))
        ye = self.cell_edges(ya, y, len(z))
        xg, yg = _num(d.get("xgap")) or 0.0, _num(d.get("ygap")) or 0.0
        texts = _arr(d.get("text"))
        tpl = d.get("texttemplate")
        tf = d.get("textfont") or {}
        size = _num(tf.get("size")) or self.font.size
        tcolor = tf.get("color") if isinstance(tf.get("color"), str) and tf.get("color") != \
            "auto" else None
        opacity = _num(d.get("opacity"))
        rects, labels = [], []
        for r, row in enumerate(z):
            for c, v in enumerate(row):
                a0, a1, b0, b1 = xe[c], xe[c + 1], ye[r], ye[r + 1]
                if v is None or a0 is None or a1 is None or b0 is None or b1 is None:
                    continue
                a, b, w, h = self.cell_rect(xa, ya, a0, a1, b0, b1, xg, yg)
                color = _sample(scale, (v - zmin) / (zmax - zmin) if zmax > zmin else 0.5)
                rects.append(f'<rect class="sd-cell" x="{_f(a)}" y="{_f(b)}" width="{_f(w)}" '
                             f'height="{_f(h)}" fill="{color}"/>')
                if not tpl:
                    continue
                trow = texts[r] if texts is not None and r < len(texts) else None
                tval = trow[c] if isinstance(trow, list) and c < len(trow) else None
                label = _fill_template(str(tpl), {
                    "z": v, "text": tval, "x": x[c] if c < len(x) else c,
                    "y": y[r] if r < len(y) else r})
                lines = [s for s in _lines(label)]
                if not any(lines):
                    continue
                widest = max(text_width(s, size) for s in lines)
                fsize = size
                if widest > w - 2:
                    fsize = max(size * (w - 2) / widest, 6.0)
                if len(lines) * fsize * 1.2 > h:
                    fsize = max(min(fsize, h / (len(lines) * 1.2)), 6.0)
                f = Font(self.font.family, fsize, tcolor or _contrast(color))
                labels.append(_text(a + w / 2, b + h / 2, lines, f, self.font, anchor="middle",
                                    valign="middle"))
        op = f' opacity="{_f3(opacity)}"' if opacity is not None and opacity < 1 else ""
        name = _esc(_plain(d.get("name") or ""))
        return (f'<g class="sd-trace sd-heatmap" data-trace="{t.i}" data-name="{name}"{op}>'
                f'<g {clip}>{"".join(rects)}</g>'
                + (f'<g class="sd-text" {clip}>{"".join(labels)}</g>' if labels else "")
                + "</g>")

    # -- maps --
    def draw_map(self, t: _Trace) -> str:
        return self.guard(t, partial(self._draw_map, t))

    def _draw_map(self, t: _Trace) -> str:
        d = t.d
        geo = d.get("geojson")
        if not isinstance(geo, dict):
            return f"<!-- unsupported: {_esc(t.type)} without inline geojson -->"
        sub = str(d.get("subplot") or ("map" if t.type == "choroplethmap" else "mapbox"))
        spec = self.layout.get(sub) or {}
        dom = spec.get("domain") or {}
        dx, dy = _arr(dom.get("x")) or [0.0, 1.0], _arr(dom.get("y")) or [0.0, 1.0]
        ml, mt, pw, ph = self.plot
        x0, x1 = ml + (_num(dx[0]) or 0.0) * pw, ml + (_num(dx[1]) or 1.0) * pw
        y0, y1 = mt + (1 - (_num(dy[1]) or 1.0)) * ph, mt + (1 - (_num(dy[0]) or 0.0)) * ph
        center = spec.get("center") or {}
        lon0, lat0 = _num(center.get("lon")) or 0.0, _num(center.get("lat")) or 0.0
        zoom = _num(spec.get("zoom")) or 1.0
        world = 512 * 2 ** zoom

        def merc(lon: float, lat: float) -> tuple[float, float]:
            lat = max(min(lat, 85.05), -85.05)
            mx = (lon + 180) / 360 * world
            my = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat)))
                  / math.pi) / 2 * world
            return mx, my

        cx, cy = merc(lon0, lat0)
        ox, oy = (x0 + x1) / 2 - cx, (y0 + y1) / 2 - cy
        key = str(d.get("featureidkey") or "id")
        feats: dict[str, dict] = {}
        for f in geo.get("features") or []:
            if not isinstance(f, dict):
                continue
            fid: Any = f
            for part in key.split("."):
                fid = fid.get(part) if isinstance(fid, dict) else None
            if fid is not None:
                feats[str(fid)] = f
        locs = _arr(d.get("locations")) or []
        z = _arr(d.get("z")) or []
        names = _arr(d.get("hovertext")) or _arr(d.get("text")) or []
        ca = d.get("coloraxis")
        if ca:
            scale = self.coloraxis_scale(str(ca))
            lo, hi = self.coloraxis_range(str(ca))
        else:
            vals = [v for v in (_num(a) for a in z) if v is not None]
            zmin, zmax = _num(d.get("zmin")), _num(d.get("zmax"))
            lo = min(vals, default=0.0) if zmin is None else zmin
            hi = max(vals, default=1.0) if zmax is None else zmax
            scale = _colorscale(d.get("colorscale"), self.lay("colorscale", "sequential"),
                                bool(d.get("reversescale")))
        mk = d.get("marker") or {}
        op = _num(mk.get("opacity"))
        line = mk.get("line") or {}
        lw = _num(line.get("width"))
        lw = 1.0 if lw is None else lw
        lc = line.get("color") if isinstance(line.get("color"), str) else DEFAULT_LINE
        clip_id = self.defs.add(f"clip|{_f(x0)}|{_f(y0)}|{_f(x1)}|{_f(y1)}", lambda i: (
            f'<clipPath id="{i}"><rect x="{_f(x0)}" y="{_f(y0)}" width="{_f(x1 - x0)}" '
            f'height="{_f(y1 - y0)}"/></clipPath>'))
        style = str(spec.get("style") or "basic")
        bg = "#ffffff" if style in ("white-bg", "basic", "carto-positron", "light") else "#f2f2f2"
        out = [f'<rect x="{_f(x0)}" y="{_f(y0)}" width="{_f(x1 - x0)}" height="{_f(y1 - y0)}" '
               f'fill="{bg}"/>']
        if style != "white-bg":
            out.append("<!-- map tiles not drawn -->")
        regions = []
        for i, loc in enumerate(locs):
            f = feats.get(str(loc))
            if f is None:
                continue
            path = _geo_path(f.get("geometry") or {}, merc, ox, oy)
            if not path:
                continue
            v = _num(z[i]) if i < len(z) else None
            if v is None:
                fill = f'fill="{_nodata_pattern(self.defs)}"'
            else:
                fill = _paint(_sample(scale, (v - lo) / (hi - lo) if hi > lo else 0.5), "fill",
                              1.0 if op is None else op)
            tip = names[i] if i < len(names) and names[i] is not None else loc
            regions.append(f'<path class="sd-region" d="{path}" {fill} fill-rule="evenodd" '
                           f'{_stroke(lc, lw)}><title>{_esc(_plain(tip))}</title></path>')
        out.append(f'<g clip-path="url(#{clip_id})">{"".join(regions)}</g>')
        return f'<g class="sd-trace sd-map" data-trace="{t.i}">{"".join(out)}</g>'

    # -- shapes and annotations --
    def ref_px(self, ref: str, v: Any, letter: str) -> float | None:
        """A shape or annotation coordinate in px for its reference (axis, domain, paper)."""
        ml, mt, pw, ph = self.plot
        ref = ref or letter
        n = _num(v)
        if ref == "paper":
            if n is None:
                return None
            return ml + n * pw if letter == "x" else mt + (1 - n) * ph
        if ref.endswith(" domain"):
            ax = self.axes.get(ref.split(" ")[0])
            if ax is None or n is None:
                return None
            lo, hi = (ax.a, ax.b)
            return lo + n * (hi - lo)
        ax = self.axes.get(ref)
        if ax is None:
            return None
        return ax.d2p(v)

    def draw_shapes(self, layer: str) -> str:
        out = []
        default_line = self.lay("shapedefaults", "line", "color", default=DEFAULT_LINE)
        for s in self.layout.get("shapes") or []:
            if not isinstance(s, dict) or s.get("visible") is False:
                continue
            if (s.get("layer") or "above") != layer:
                continue
            kind = s.get("type") or ("path" if s.get("path") else "rect")
            xr, yr = str(s.get("xref") or "x"), str(s.get("yref") or "y")
            x0, x1 = self.ref_px(xr, s.get("x0"), "x"), self.ref_px(xr, s.get("x1"), "x")
            y0, y1 = self.ref_px(yr, s.get("y0"), "y"), self.ref_px(yr, s.get("y1"), "y")
            line = s.get("line") or {}
            lw = _num(line.get("width"))
            lw = 2.0 if lw is None else lw
            stroke = _stroke(line.get("color") or default_line, lw, line.get("dash"))
            op = _num(s.get("opacity"))
            opa = f' opacity="{_f3(op)}"' if op is not None and op < 1 else ""
            clip = ""
            xa_id, ya_id = xr.split(" ")[0], yr.split(" ")[0]
            if xa_id in self.axes and ya_id in self.axes:
                clip = " " + self.clip(self.axes[xa_id], self.axes[ya_id])
            if kind == "path" or None in (x0, x1, y0, y1):
                if kind == "path":
                    out.append("<!-- unsupported: path shape -->")
                continue
            assert x0 is not None and x1 is not None and y0 is not None and y1 is not None
            cls = ' class="sd-shape"'
            if kind == "line":
                out.append(f'<path{cls} d="M{_f(x0)} {_f(y0)}L{_f(x1)} {_f(y1)}" {stroke}'
                           f'{opa}{clip}/>')
            elif kind == "circle":
                out.append(f'<ellipse{cls} cx="{_f((x0 + x1) / 2)}" cy="{_f((y0 + y1) / 2)}" '
                           f'rx="{_f(abs(x1 - x0) / 2)}" ry="{_f(abs(y1 - y0) / 2)}" '
                           f'{_paint(s.get("fillcolor") or "none", "fill")} {stroke}{opa}{clip}/>')
            else:
                a, b = sorted((x0, x1))
                c, e = sorted((y0, y1))
                out.append(f'<rect{cls} x="{_f(a)}" y="{_f(c)}" width="{_f(b - a)}" '
                           f'height="{_f(e - c)}" '
                           f'{_paint(s.get("fillcolor") or "none", "fill")} {stroke}{opa}{clip}/>')
        return "".join(out)

    def annotation_layout(self, a: dict) -> tuple[list[str], Font, str | None] | None:
        """The annotation's lines (wrapped, made smaller or cut to fit its room), font and
        full text (when cut)."""
        text = a.get("text")
        if text in (None, ""):
            return None
        font = self.font.merged(a.get("font"))
        lines = _lines(text)
        room = self.annotation_room(a)
        if max(text_width(s, font.size) for s in lines) <= room:
            return lines, font, None
        most = max(len(lines), 2)
        size = font.size
        while True:
            wrapped = [w for ln in lines for w in _wrap(ln, size, room)]
            if len(wrapped) <= most and not any(w.endswith("…") for w in wrapped):
                return wrapped, Font(font.family, size, font.color), None
            if size <= max(9.0, font.size * 0.75):
                break
            size = max(size - 1, 9.0, font.size * 0.75)
        wrapped = wrapped[:most]
        if not wrapped[-1].endswith("…"):
            wrapped[-1] = _cut(wrapped[-1] + " …", size, room) if len(wrapped) == most else \
                wrapped[-1]
        return wrapped, Font(font.family, size, font.color), " ".join(lines)

    def annotation_room(self, a: dict) -> float:
        """The width an annotation may take: a subplot title its subplot's, any other the
        picture's."""
        _ml, _mt, pw, _ph = self.plot
        if str(a.get("xref") or "x") == "paper":
            x = _num(a.get("x"))
            for ax in self.axes.values():
                if ax.letter != "x" or x is None:
                    continue
                dom = _arr(ax.lay.get("domain")) or [0.0, 1.0]
                d0, d1 = _num(dom[0]) or 0.0, _num(dom[1]) or 1.0
                if abs((d0 + d1) / 2 - x) < 1e-6 and d1 - d0 < 0.999:
                    gap = 0.04 * pw
                    return (d1 - d0) * pw + gap
        return self.W - 8

    def annotation_box(self, a: dict) -> tuple[float, float, float, float, list[str], Font,
                                               str | None, str] | None:
        """(left, top, width, height, lines, font, full text, anchor) of an annotation in px."""
        laid = self.annotation_layout(a)
        if laid is None:
            return None
        lines, font, full = laid
        xr, yr = str(a.get("xref") or "x"), str(a.get("yref") or "y")
        px, py = self.ref_px(xr, a.get("x", 0.5), "x"), self.ref_px(yr, a.get("y", 0.5), "y")
        if px is None or py is None:
            return None
        if a.get("showarrow", True) is not False:  # the text where the arrow starts
            dx, dy = _num(a.get("ax")), _num(a.get("ay"))
            px += dx if dx is not None and a.get("axref", "pixel") == "pixel" else -10.0
            py += dy if dy is not None and a.get("ayref", "pixel") == "pixel" else -30.0
        px += _num(a.get("xshift")) or 0.0
        py -= _num(a.get("yshift")) or 0.0
        pad = _num(a.get("borderpad"))
        pad = 1.0 if pad is None else pad
        w = max(text_width(s, font.size) for s in lines) + 2 * pad + 2
        h = len(lines) * font.size * 1.2 + 2 * pad
        xanchor = a.get("xanchor") or "auto"
        yanchor = a.get("yanchor") or "auto"
        nx, ny = _num(a.get("x")), _num(a.get("y"))
        if xanchor == "auto":
            xanchor = "center"
            if xr == "paper" and a.get("showarrow") is False and nx is not None:
                xanchor = "left" if nx < 1 / 3 else "right" if nx > 2 / 3 else "center"
        if yanchor == "auto":
            yanchor = "middle"
            if yr == "paper" and a.get("showarrow") is False and ny is not None:
                yanchor = "bottom" if ny < 1 / 3 else "top" if ny > 2 / 3 else "middle"
        left = px if xanchor == "left" else px - w if xanchor == "right" else px - w / 2
        top = py if yanchor == "top" else py - h if yanchor == "bottom" else py - h / 2
        left = min(max(left, 2.0), max(self.W - 2 - w, 2.0))  # kept inside the picture
        return left, top, w, h, lines, font, full, xanchor

    def annotation_boxes(self) -> list[tuple[dict, Any]]:
        """Each visible annotation with its box (those that can be placed)."""
        out = []
        for a in self.layout.get("annotations") or []:
            if not isinstance(a, dict) or a.get("visible") is False:
                continue
            box = self.annotation_box(a)
            if box is not None:
                out.append((a, box))
        return out

    def draw_annotations(self) -> str:
        out = []
        for a, box in self.annotation_boxes():
            left, top, w, h, lines, font, full, xanchor = box
            parts = []
            bg, border = a.get("bgcolor"), a.get("bordercolor")
            bw = _num(a.get("borderwidth")) or 1.0
            no_stroke = 'stroke="none"'
            bgc, bdc = _rgba(bg), _rgba(border)
            if (bgc is not None and bgc[3] > 0) or (bdc is not None and bdc[3] > 0):
                parts.append(f'<rect x="{_f(left)}" y="{_f(top)}" width="{_f(w)}" '
                             f'height="{_f(h)}" {_paint(bg or "none", "fill")} '
                             f'{_stroke(border, bw) if border else no_stroke}/>')
            align = a.get("align") or "center"
            if len(lines) == 1:
                align = {"left": "left", "right": "right"}.get(xanchor, "center")
            pad = _num(a.get("borderpad"))
            pad = 1.0 if pad is None else pad
            if align == "left":
                tx, anchor = left + pad + 1, "start"
            elif align == "right":
                tx, anchor = left + w - pad - 1, "end"
            else:
                tx, anchor = left + w / 2, "middle"
            parts.append(_text(tx, top + pad, lines, font, self.font, anchor=anchor,
                               valign="top", full=full))
            op = _num(a.get("opacity"))
            opa = f' opacity="{_f3(op)}"' if op is not None and op < 1 else ""
            out.append(f'<g class="sd-annotation"{opa}>{"".join(parts)}</g>')
        return "".join(out)

    # -- legend, colour bars, title --
    def draw_legend(self, items: list[_Trace], above: bool, title_h: float) -> str:
        rows = self.legend_rows(items)
        if not rows:
            return ""
        font = self.legend_font()
        ml, mt, pw, ph = self.plot
        total_h = sum(r[1] for r in rows)
        if above:
            y = max(title_h + 4, mt - total_h - 4 - self.need_t)
        else:
            bottom_axes = max((ax.pos + self.axis_extent(ax) for ax in self.axes.values()
                               if ax.letter == "x" and ax.visible and ax.side != "top"),
                              default=mt + ph)
            y = max(bottom_axes, mt + ph) + 8
        widest = max(sum(it[1] for it in r[0]) for r in rows)
        x_start = ml if ml + widest <= self.W - 10 else 10.0
        out = []
        for row, rh in rows:
            x = x_start
            cy = y + rh / 2
            for t, w, lines, full in row:
                sw = self.swatch(t, x, cy)
                op = ' opacity="0.5"' if not t.visible else ""
                label = _text(x + 46, cy, lines, font, self.font, valign="middle", full=full)
                out.append(f'<g class="sd-legend-item" data-trace="{t.i}"{op}>{sw}{label}</g>')
                x += w
            y += rh
        return f'<g class="sd-legend">{"".join(out)}</g>'

    def swatch(self, t: _Trace, x: float, cy: float) -> str:
        d = t.d
        if t.type == "bar":
            fill, _c = self.bar_fill(t, 0)
            mk = d.get("marker") or {}
            lw = _num(_at(_arr(_get(mk, "line", "width")), 0, _get(mk, "line", "width"))) or 0.0
            lc = _at(_arr(_get(mk, "line", "color")), 0, _get(mk, "line", "color")) or DEFAULT_LINE
            stroke = _stroke(lc, min(lw, 2.0)) if lw > 0 else 'stroke="none"'
            return (f'<rect x="{_f(x + 13)}" y="{_f(cy - 7)}" width="14" height="14" '
                    f'{fill} {stroke}/>')
        if t.type in ("heatmap",) or t.type in MAPS:
            return (f'<rect x="{_f(x + 13)}" y="{_f(cy - 7)}" width="14" height="14" '
                    f'fill="{_sample(self.heat_scale(t, [])[2], 0.5)}"/>')
        x_, _y = self.scatter_xy(t)
        mode = self.mode(t, len(x_))
        out = []
        width = _num(_get(d, "line", "width"))
        lw_line = 2.0 if width is None else width
        if d.get("fill") not in (None, "none"):
            color = d.get("fillcolor") or _with_alpha(self.line_color(t), 0.5)
            out.append(f'<rect x="{_f(x + 6)}" y="{_f(cy - 6)}" width="28" height="12" '
                       f'{_paint(color, "fill")}/>')
        if "lines" in mode and lw_line > 0:
            out.append(f'<path d="M{_f(x + 5)} {_f(cy)}H{_f(x + 35)}" '
                       f'{_stroke(self.line_color(t), min(lw_line, 5.0), _get(d, "line", "dash"))}/>')
        if "markers" in mode:
            mk = d.get("marker") or {}
            size = _num(_at(_arr(mk.get("size")), 0, mk.get("size")))
            size = min(6.0 if size is None else size, 16.0)
            sym = _at(_arr(mk.get("symbol")), 0, mk.get("symbol")) or "circle"
            lwm = _num(_at(_arr(_get(mk, "line", "width")), 0, _get(mk, "line", "width"))) or 0.0
            lc = _at(_arr(_get(mk, "line", "color")), 0, _get(mk, "line", "color"))
            color = self.marker_color(t, 0)
            if lc is None:
                tl = _get(d, "line", "color")
                lc = tl if isinstance(tl, str) and tl != color else DEFAULT_LINE
            out.append(_marker(x + 20, cy, size, sym, color, 1.0, min(lwm, 3.0), lc))
        if not out and "text" in mode:
            out.append(_text(x + 20, cy, ["Aa"], self.font, self.font, anchor="middle",
                             valign="middle"))
        return "".join(out)

    def draw_colorbars(self) -> str:
        if not self.cbars:
            return ""
        ml, mt, pw, ph = self.plot
        x = ml + pw + 10
        out = []
        for cb in self.cbars:
            spec = cb["cb"]
            thick = _num(spec.get("thickness")) or 30.0
            frac = _num(spec.get("len"))
            length = ph * (1.0 if frac is None else min(frac, 1.0)) \
                if spec.get("lenmode", "fraction") == "fraction" else (frac or ph)
            title = spec.get("title")
            ttext = _get(title, "text") if isinstance(title, dict) else title
            tlines = _lines(ttext) if ttext else []
            th = len(tlines) * self.font.size * 1.2 + 4 if tlines else 0.0
            y0 = mt + (ph - length) / 2 + th
            h = max(length - th, 20.0)
            stops = "".join(f'<stop offset="{_f3(tt)}" stop-color="{_hex(c)}"/>'
                            for tt, c in cb["scale"])
            gid = self.defs.add(f"grad|{stops}", partial(_gradient, stops))
            parts = [f'<rect x="{_f(x)}" y="{_f(y0)}" width="{_f(thick)}" height="{_f(h)}" '
                     f'fill="url(#{gid})"/>']
            lo, hi = float(cb["min"]), float(cb["max"])
            labels = []
            ticks = []
            for v, s in self.colorbar_ticks(cb, h):
                if hi > lo and not (lo - 1e-9 * (hi - lo) <= v <= hi + 1e-9 * (hi - lo)):
                    continue
                yy = y0 + h - ((v - lo) / (hi - lo) if hi > lo else 0.5) * h
                ticks.append(f"M{_f(x + thick)} {_f(yy)}h3")
                labels.append(_text(x + thick + 5, yy, [s], self.font, self.font,
                                    valign="middle"))
            if ticks:
                parts.append(f'<path d="{"".join(ticks)}" {_stroke(DEFAULT_LINE, 1)}/>')
            parts += labels
            if tlines:
                parts.append(_text(x, y0 - 6, tlines, self.font, self.font, valign="bottom"))
            out.append(f'<g class="sd-colorbar">{"".join(parts)}</g>')
            x += self.colorbar_width(cb, pw)
        return "".join(out)

    def draw_title(self, lines: list[str], sub: list[str], font: Font, sfont: Font) -> str:
        if not lines and not sub:
            return ""
        x, anchor = self.title_x()
        block = len(lines) * font.size * 1.2 + (len(sub) * sfont.size * 1.25 + 2 if sub else 0)
        declared_t = _num(_get(self.layout, "margin", "t"))
        room = min(declared_t if declared_t is not None else 100.0, self.mt)
        top = max(6.0, (room - block) / 2) if block + 12 <= room else 6.0
        top = max(6.0, min(top, self.mt - self.need_t - block - 4))
        out = [_text(x, top, lines, font, self.font, anchor=anchor, valign="top")] if lines \
            else []
        if sub:
            sy = top + len(lines) * font.size * 1.2 + 2
            out.append(_text(x, sy, sub, Font(sfont.family, sfont.size, sfont.color), self.font,
                             anchor=anchor, valign="top", extra='opacity="0.85"'))
        return f'<g class="sd-title">{"".join(out)}</g>'


def _gradient(stops: str, ident: str) -> str:
    return f'<linearGradient id="{ident}" x1="0" y1="1" x2="0" y2="0">{stops}</linearGradient>'


def _geo_path(geom: dict, merc: Callable[[float, float], tuple[float, float]], ox: float,
              oy: float) -> str:
    kind = geom.get("type")
    coords = geom.get("coordinates") or []
    polys = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    out = []
    for poly in polys:
        for ring in poly or []:
            pts = []
            for p in ring or []:
                try:
                    mx, my = merc(float(p[0]), float(p[1]))
                except (TypeError, ValueError, IndexError):
                    continue
                pts.append(f"{_f(mx + ox)} {_f(my + oy)}")
            if len(pts) > 2:
                out.append("M" + "L".join(pts) + "Z")
    return "".join(out)


# --- markers ---------------------------------------------------------------------------

_SYMBOL_NUMBERS = {0: "circle", 1: "square", 2: "diamond", 3: "cross", 4: "x",
                   5: "triangle-up", 6: "triangle-down", 7: "triangle-left",
                   8: "triangle-right", 13: "pentagon", 14: "hexagon", 17: "star",
                   33: "cross-thin", 34: "x-thin", 37: "line-ew", 38: "line-ns"}
_LINE_ONLY = {"cross-thin", "x-thin", "line-ew", "line-ns", "line-ne", "line-nw",
              "asterisk", "hash", "y-up", "y-down"}


def _symbol(sym: Any) -> tuple[str, bool]:
    """A marker symbol as (base name, open)."""
    if isinstance(sym, (int, float)) and not isinstance(sym, bool):
        n = int(sym)
        return _SYMBOL_NUMBERS.get(n % 100, "circle"), n % 200 >= 100
    s = str(sym)
    if s.isdigit():
        return _symbol(int(s))
    is_open = "-open" in s
    base = s.replace("-open", "").replace("-dot", "")
    return base, is_open


def _polygon(n: int, r: float, start: float = -90.0) -> list[tuple[float, float]]:
    return [(r * math.cos(math.radians(start + 360 * k / n)),
             r * math.sin(math.radians(start + 360 * k / n))) for k in range(n)]


def _symbol_path(base: str, r: float) -> str | None:
    """The outline of a marker symbol centred on 0, 0 (None for a circle)."""

    def poly(pts: Sequence[tuple[float, float]]) -> str:
        return "M" + "L".join(f"{_f(x)} {_f(y)}" for x, y in pts) + "Z"

    if base == "square":
        return poly([(r, r), (-r, r), (-r, -r), (r, -r)])
    if base == "diamond":
        d = r * 1.3
        return poly([(d, 0), (0, d), (-d, 0), (0, -d)])
    if base.startswith("triangle-"):
        rt, r2 = r * 2 / math.sqrt(3), r / 2
        tri = {"triangle-up": [(-rt, r2), (rt, r2), (0, -r)],
               "triangle-down": [(-rt, -r2), (rt, -r2), (0, r)],
               "triangle-left": [(r2, -rt), (r2, rt), (-r, 0)],
               "triangle-right": [(-r2, -rt), (-r2, rt), (r, 0)]}.get(base)
        return poly(tri) if tri else None
    if base == "star":
        pts = []
        for k in range(10):
            rr = r * 1.35 if k % 2 == 0 else r * 0.55
            a = math.radians(-90 + 36 * k)
            pts.append((rr * math.cos(a), rr * math.sin(a)))
        return poly(pts)
    if base == "pentagon":
        return poly(_polygon(5, r * 1.05))
    if base == "hexagon":
        return poly(_polygon(6, r * 1.05, 0))
    if base == "cross":
        c, c2 = r * 0.4, r * 1.2
        return poly([(c2, c), (c, c), (c, c2), (-c, c2), (-c, c), (-c2, c), (-c2, -c),
                     (-c, -c), (-c, -c2), (c, -c2), (c, -c), (c2, -c)])
    if base == "x":
        a, b = r * 0.8 / math.sqrt(2) * 1.5, r * 0.8 / math.sqrt(2) * 0.5
        return poly([(0, b), (a - b, a), (a, a - b), (b, 0), (a, -a + b), (a - b, -a),
                     (0, -b), (-a + b, -a), (-a, -a + b), (-b, 0), (-a, a - b), (-a + b, a)])
    if base in ("x-thin", "asterisk"):
        d = r * 1.1
        extra = f"M0 {_f(-d * 1.2)}V{_f(d * 1.2)}M{_f(-d * 1.2)} 0H{_f(d * 1.2)}" \
            if base == "asterisk" else ""
        return f"M{_f(d)} {_f(d)}L{_f(-d)} {_f(-d)}M{_f(d)} {_f(-d)}L{_f(-d)} {_f(d)}{extra}"
    if base == "cross-thin":
        d = r * 1.4
        return f"M0 {_f(d)}V{_f(-d)}M{_f(d)} 0H{_f(-d)}"
    if base == "line-ew":
        return f"M{_f(r * 1.4)} 0H{_f(-r * 1.4)}"
    if base == "line-ns":
        return f"M0 {_f(r * 1.4)}V{_f(-r * 1.4)}"
    if base == "line-ne":
        return f"M{_f(r)} {_f(-r)}L{_f(-r)} {_f(r)}"
    if base == "line-nw":
        return f"M{_f(r)} {_f(r)}L{_f(-r)} {_f(-r)}"
    return None


def _marker(x: float, y: float, size: float, sym: Any, color: str, opacity: float,
            line_width: float, line_color: str) -> str:
    """One marker: filled (with its outline), hollow ("-open": no fill, the colour as the
    outline) or drawn with lines only ("x-thin")."""
    base, is_open = _symbol(sym)
    r = max(size, 0.0) / 2
    line_only = base in _LINE_ONLY
    if is_open or line_only:
        paint = f'fill="none" {_stroke(color, line_width or 1.0, None, opacity)}'
    else:
        paint = _paint(color, "fill", opacity) + (
            f" {_stroke(line_color, line_width, None, opacity)}" if line_width > 0 else "")
    path = _symbol_path(base, r)
    if path is None:
        return f'<circle class="sd-pt" cx="{_f(x)}" cy="{_f(y)}" r="{_f(r)}" {paint}/>'
    return f'<path class="sd-pt" transform="translate({_f(x)} {_f(y)})" d="{path}" {paint}/>'


# --- the entry points ------------------------------------------------------------------


def _description(fig: go.Figure) -> str:
    """``fig.layout.meta["description"]``: plain text (never read as markup)."""
    meta = fig.layout.meta
    if isinstance(meta, dict) and meta.get("description"):
        return _SPACES.sub(" ", _CTRL.sub("", str(meta["description"]))).strip()
    return ""


def _title_text(fig: go.Figure) -> str:
    t = fig.layout.title
    text = _plain(t.text) if t is not None and t.text else ""
    sub = ""
    try:
        sub = _plain(t.subtitle.text) if t is not None and t.subtitle and t.subtitle.text else ""
    except (AttributeError, ValueError):
        sub = ""
    if text and sub:
        return f"{text} ({sub})"
    return text or sub or "Chart"


def to_svg(fig: go.Figure, *, width: int = 720) -> str:
    """The figure as one self-contained, accessible ``<svg>`` element (a string).

    ``role="img"``, named by its ``<title>`` (the figure's title) and ``<desc>`` (the
    description in ``fig.layout.meta["description"]``, when there is one); a ``viewBox``
    of ``width`` by the figure's height (400 by default) and ``width="100%"``, so that it
    scales to its container. No script, no external reference, no ``foreignObject``.
    """
    r = _Renderer(fig, width)
    try:
        body = r.render()
    except Exception as e:  # noqa: BLE001 - a chart must not break the page
        r.defs = _Defs()
        body = f"<!-- not drawn: {_esc(type(e).__name__)} -->"
    title = _title_text(fig)
    desc = _description(fig)
    labelled = f"{ID}-title" + (f" {ID}-desc" if desc else "")
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="sd-svg" role="img" '
            f'aria-labelledby="{labelled}" viewBox="0 0 {_f(r.W)} {_f(r.H)}" width="100%" '
            f'style="width:100%;height:auto;max-width:100%;display:block" '
            f'font-family="{_esc(r.font.family)}" font-size="{_f(r.font.size)}">'
            f'<title id="{ID}-title">{_esc(title)}</title>'
            + (f'<desc id="{ID}-desc">{_esc(desc)}</desc>' if desc else ""))
    svg = head + r.defs.svg() + body + "</svg>"
    prefix = "sd" + hashlib.sha1(svg.encode("utf8")).hexdigest()[:10]
    return svg.replace(ID, prefix)


def figure_html(fig: go.Figure, *, width: int = 720) -> str:
    """The figure's SVG in ``<figure class="sd-fig">``, its description as the caption."""
    desc = _description(fig)
    cap = f"<figcaption>{html.escape(desc)}</figcaption>" if desc else ""
    return f'<figure class="sd-fig">{to_svg(fig, width=width)}{cap}</figure>'
