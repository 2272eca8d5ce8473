"""Small HTML pieces shared by the static public site and the public app (no heavy imports).

``svg_line``: a line chart as inline SVG, in time order, a hidden or missing point a gap;
``largest_gap``: the highest and lowest group figures among reliable, published ones.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

__all__ = ["largest_gap", "svg_line"]


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def svg_line(points: Sequence[tuple[str, float | None]], *, label: str, width: int = 600,
              height: int = 220, spark: bool = False) -> str:
    """A line chart in time order; a missing or hidden point is a gap in the line."""
    vals = [v for _, v in points if v is not None]
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    if hi == lo:
        hi, lo = hi + 1, lo - 1
    pad = 4 if spark else 40
    n = max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return (pad + i * (width - 2 * pad) / n,
                height - pad - (v - lo) / (hi - lo) * (height - 2 * pad))

    segs: list[list[tuple[float, float]]] = [[]]
    for i, (_p, v) in enumerate(points):
        if v is None:
            if segs[-1]:
                segs.append([])
            continue
        segs[-1].append(xy(i, v))
    paths = "".join(
        f'<polyline fill="none" stroke="#0b4f8a" stroke-width="{2 if spark else 3}" '
        f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in seg)}"/>'
        + ("".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#0b4f8a"/>'
                   for x, y in seg) if not spark else "")
        for seg in segs if seg)
    axis = "" if spark else (
        f'<text x="{pad}" y="{height - 8}" font-size="12">{_e(points[0][0])}</text>'
        f'<text x="{width - pad}" y="{height - 8}" font-size="12" text-anchor="end">'
        f'{_e(points[-1][0])}</text>'
        f'<text x="2" y="{pad - 8}" font-size="12">{_e(_num(hi))}</text>'
        f'<text x="2" y="{height - pad + 4}" font-size="12">{_e(_num(lo))}</text>')
    return (f'<svg role="img" aria-label="{_e(label)}" viewBox="0 0 {width} {height}" '
            f'width="{width if not spark else 160}" height="{height if not spark else 48}">'
            f"<title>{_e(label)}</title>{axis}{paths}</svg>")


def _num(v: float) -> str:
    return f"{v:,.1f}"


def largest_gap(fmt: Callable[[Any], str], rows: pl.DataFrame, groups: dict[str, str]) -> str:
    """The highest and lowest group figures among reliable, published ones (HTML-escaped)."""
    ok = rows.filter(~pl.col("suppressed") & pl.col("reliable").fill_null(False)
                     & (pl.col("group") != "all") & (pl.col("group") != "unknown")
                     & pl.col("value").is_not_null()).sort("value")
    if ok.height < 2:
        return "Too few reliable group figures to compare."
    low, high = ok.row(0, named=True), ok.row(-1, named=True)
    return (f"Largest gap between groups with reliable figures: "
            f"{_e(groups.get(high['group'], high['group']))} {_e(fmt(high['value']))}, "
            f"{_e(groups.get(low['group'], low['group']))} {_e(fmt(low['value']))}.")
