"""Small inline SVG charts for the printed packet, drawn from the numbers (no script, no URL).

Colour-blind-safe (Okabe-Ito) and never colour alone: the value is a solid line with round
markers, the target a dashed line labelled "Target", the interval a light band.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape
from typing import TypeGuard

from metrics.presentation import OKABE_ITO

BLUE = OKABE_ITO["blue"]  # the palette of the app (metrics.presentation)
VERMILLION = OKABE_ITO["vermillion"]
GREY = "#555555"
BAND = "#cfe3f1"


def _finite(v: float | None) -> TypeGuard[float]:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def line_chart(*, chart_id: str, title: str, description: str, labels: Sequence[str],
               values: Sequence[float | None], ci_low: Sequence[float | None] = (),
               ci_high: Sequence[float | None] = (), target: Sequence[float | None] = (),
               fmt: Callable[[float], str] = lambda v: f"{v:,.3g}", width: int = 420,
               height: int = 170, tick_fmt: Callable[[float], str] | None = None,
               unit: str = "") -> str:
    """A line chart of ``values`` over ``labels`` with its interval band and target line.

    The SVG is ``role="img"`` and labelled by its ``<title>`` and ``<desc>`` (the text
    alternative); the same numbers are in the table printed beside it. Axis ticks show
    numbers (``tick_fmt``) and the ``unit`` is written once above the axis, so a long unit
    ("per 100,000") never pushes the numbers out of the picture; the left margin grows with
    the longest tick.
    """
    n = len(values)
    tid, did = f"{chart_id}-title", f"{chart_id}-desc"
    head = (f'<svg class="chart" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-labelledby="{tid} {did}"><title id="{tid}">{escape(title)}</title>'
            f'<desc id="{did}">{escape(description)}</desc>')
    pts: list[float] = [v for v in (*values, *ci_low, *ci_high, *target) if _finite(v)]
    if n == 0 or not pts:
        return (head + f'<text x="10" y="{height // 2}" font-size="12" fill="{GREY}">'
                "No data to draw.</text></svg>")
    lo, hi = min(pts), max(pts)
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.08
    lo, hi = lo - pad, hi + pad
    tick = tick_fmt or fmt
    ticks = [tick(v) for v in (hi - pad, lo + pad)]
    left = max(34, int(6.2 * max(len(t) for t in ticks)) + 10)  # 10px text: ~6 px a glyph
    right, top, bottom = 12, 22 if unit else 12, 26
    pw, ph = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (pw * i / (n - 1) if n > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph * (hi - v) / (hi - lo)

    parts = [head, f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#ffffff" '
             f'stroke="#bbbbbb" stroke-width="0.5"/>']
    if unit:
        parts.append(f'<text x="2" y="12" font-size="10" fill="{GREY}">{escape(unit)}</text>')
    for v, tick_text in zip((hi - pad, lo + pad), ticks, strict=True):  # highest, lowest
        parts.append(f'<text x="{left - 4}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end" '
                     f'fill="{GREY}">{escape(tick_text)}</text>')
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                     'stroke="#dddddd" stroke-width="0.5"/>')
    parts.append(f'<text x="{left}" y="{height - 8}" font-size="10" fill="{GREY}">'
                 f'{escape(labels[0])}</text>')
    parts.append(f'<text x="{left + pw}" y="{height - 8}" font-size="10" text-anchor="end" '
                 f'fill="{GREY}">{escape(labels[-1])}</text>')
    band = [(i, float(lo_), float(hi_)) for i, (lo_, hi_) in enumerate(zip(ci_low, ci_high, strict=False))
            if _finite(lo_) and _finite(hi_)]
    if len(band) > 1:
        upper = " ".join(f"{x(i):.1f},{y(h):.1f}" for i, _, h in band)
        lower = " ".join(f"{x(i):.1f},{y(lw):.1f}" for i, lw, _ in reversed(band))
        parts.append(f'<polygon points="{upper} {lower}" fill="{BAND}" stroke="none"/>')
    tgt = [(i, float(t)) for i, t in enumerate(target) if _finite(t)]
    if len(tgt) > 1:
        path = " ".join(f"{x(i):.1f},{y(t):.1f}" for i, t in tgt)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{VERMILLION}" '
                     'stroke-width="2" stroke-dasharray="6 4"/>')
    if tgt:
        i, t = tgt[-1]
        parts.append(f'<text x="{x(i) - 2:.1f}" y="{y(t) - 5:.1f}" font-size="10" '
                     f'text-anchor="end" fill="{VERMILLION}">Target</text>')
    run: list[str] = []
    for i, val in enumerate(values):
        if _finite(val):
            run.append(f"{x(i):.1f},{y(val):.1f}")
        elif run:
            parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{BLUE}" '
                         'stroke-width="2"/>')
            run = []
    if run:
        parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{BLUE}" '
                     'stroke-width="2"/>')
    for i, val in enumerate(values):
        if _finite(val):
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(val):.1f}" r="2.5" fill="{BLUE}"/>')
    shown = [(i, float(val)) for i, val in enumerate(values) if _finite(val)]
    if shown:
        i, v = shown[-1]
        parts.append(f'<text x="{x(i) - 4:.1f}" y="{y(v) + 14:.1f}" font-size="10" '
                     f'text-anchor="end" font-weight="bold" fill="{BLUE}">{escape(fmt(v))}</text>')
    parts.append("</svg>")
    return "".join(parts)
