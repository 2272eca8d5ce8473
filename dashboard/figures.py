"""Plotly figures of the internal app: plain functions, no Streamlit (unit-testable).

Colours come from the Okabe-Ito palette, and colour is never the only signal: statuses
carry their word and an icon, unreliable points a hollow marker and a label, targets a
dash pattern, the reference group a distinct symbol. Every figure has a title and a
one-sentence description generated from its numbers (``*_alt`` functions), stored in
``fig.layout.meta["description"]`` and shown under the chart.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import plotly.express as px
import plotly.graph_objects as go
import polars as pl

from metrics import presentation as P
from metrics.presentation import OKABE_ITO
from metrics.targets import Target, trajectory

Fmt = Callable[[float | None], str]

@dataclass(frozen=True)
class StatusStyle:
    colour: str  # Okabe-Ito hex, for figures
    icon: str  # Material icon shown beside the word (never emoji)
    symbol: str  # Plotly marker symbol
    badge: str  # Streamlit badge colour name


STATUS_STYLE: dict[str, StatusStyle] = {
    k: StatusStyle(v.colour, v.icon, v.symbol, v.badge) for k, v in P.STATUS_LOOK.items()}
STATUS_ORDER: tuple[str, ...] = P.STATUS_ORDER
WEAK = "too few cases"  # the Reliability word of an unreliable value
NEUTRAL = P.NEUTRAL


def status_style(status: str) -> StatusStyle:
    v = P.status_look(status)
    return StatusStyle(v.colour, v.icon, v.symbol, v.badge)


def status_label(status: str) -> str:
    """The status as a table shows it: its word, e.g. 'Off track' (cells cannot draw icons;
    the word is never colour alone)."""
    return P.status_word(status)


def _finish(fig: go.Figure, title: str, description: str, height: int = 380,
            subtitle: str = "") -> go.Figure:
    head: dict = {"text": title} | ({"subtitle": {"text": subtitle}} if subtitle else {})
    fig.update_layout(title=head, meta={"description": description},
                      height=height, margin={"l": 10, "r": 10, "t": 60, "b": 10},
                      font={"size": 13}, legend={"orientation": "h", "y": -0.2})
    return fig


def _rows(df: pl.DataFrame) -> list[dict]:
    return df.to_dicts() if df.height else []


def _noun(what: str) -> str:
    """'Eviction filing rate' -> 'eviction filing rate' (acronyms such as 'UI' are kept)."""
    return what[:1].lower() + what[1:] if what[1:2].islower() else what


def _weak(row: dict) -> bool:
    """The row's value rests on too few cases to be reliable."""
    return row.get("Reliability") == WEAK


# --- trend ---------------------------------------------------------------------------


def target_knots(target: Target | None) -> list[tuple[date, float, str]]:
    """Baseline, dated interim targets and final target as (date, value, kind)."""
    if target is None or not target.agreed or target.baseline_date is None \
            or target.baseline_value is None or target.target_date is None \
            or target.target_value is None:
        return []
    out = [(target.baseline_date, float(target.baseline_value), "Baseline")]
    out += [(p.date, float(p.value), "Interim target") for p in sorted(target.interim,
                                                                        key=lambda p: p.date)
            if target.baseline_date < p.date < target.target_date]
    out.append((target.target_date, float(target.target_value), "Final target"))
    return out


def trend_alt(trend: pl.DataFrame, target: Target | None, *, series: str, fmt: Fmt) -> str:
    pts = [r for r in _rows(trend) if r["Value"] is not None]
    if not pts:
        return f"No values to show yet for {series}."
    first, last = pts[0], pts[-1]
    verb = "rose" if last["Value"] > first["Value"] else (
        "fell" if last["Value"] < first["Value"] else "held")
    text = (f"{series} {verb} from {fmt(first['Value'])} in {first['Period']} "
            f"to {fmt(last['Value'])} in {last['Period']}")
    goal = trajectory(target, [last["Period end"]])[0] if target is not None else None
    text += (f", against a target trajectory of {fmt(goal)} for that period" if goal is not None
             else ", with no agreed target to compare against")
    weak = sum(1 for r in pts if _weak(r))
    if weak:
        text += f"; {weak} of {len(pts)} points rest on too few cases"
    return text + "."


def plain_text(text: str) -> str:
    """User text for a Plotly label: Plotly reads a few HTML tags, so none may get through."""
    return html.escape(text, quote=False)


def trend_figure(trend: pl.DataFrame, target: Target | None, *, title: str, series: str,
                 y_title: str, fmt: Fmt,
                 annotations: Sequence[tuple[date, str, str]] = (),
                 subtitle: str = "",
                 bounds: tuple[float | None, float | None] = (None, None)) -> go.Figure:
    """Value over time with its confidence band, against the target trajectory.

    ``trend`` has columns Period, Period end, Value, CI low, CI high, Reliability (see
    ``downloads.trend_table``). ``annotations`` are (date, kind, text). ``bounds`` is the
    measure's range (e.g. 0 to 100 for a percentage): the band and the axis stay inside it.
    """
    fig = go.Figure()
    lo_b, hi_b = bounds

    def clip(v: float | None) -> float | None:
        if v is None:
            return None
        v = max(v, lo_b) if lo_b is not None else v
        return min(v, hi_b) if hi_b is not None else v

    rows = [r | {"CI low": clip(r["CI low"]), "CI high": clip(r["CI high"])}
            for r in _rows(trend) if r["Value"] is not None]
    x = [r["Period end"] for r in rows]
    band = [r for r in rows if r["CI low"] is not None and r["CI high"] is not None]
    if band:
        fig.add_trace(go.Scatter(
            x=[r["Period end"] for r in band] + [r["Period end"] for r in reversed(band)],
            y=[r["CI high"] for r in band] + [r["CI low"] for r in reversed(band)],
            fill="toself", fillcolor="rgba(0,114,178,0.15)", line={"width": 0},
            mode="lines", hoverinfo="skip", name="95% confidence interval"))
    fig.add_trace(go.Scatter(
        x=x, y=[r["Value"] for r in rows], mode="lines+markers", name=series,
        line={"color": OKABE_ITO["blue"], "width": 2},
        marker={"symbol": "circle", "size": 7, "color": OKABE_ITO["blue"]},
        text=[f"{r['Period']}: {fmt(r['Value'])}" for r in rows], hoverinfo="text"))
    weak = [r for r in rows if _weak(r)]
    if weak:
        fig.add_trace(go.Scatter(
            x=[r["Period end"] for r in weak], y=[r["Value"] for r in weak],
            mode="markers+text", name="Too few cases (not reliable)", text=["too few"] * len(weak),
            textposition="top center",
            marker={"symbol": "circle-open", "size": 12, "color": OKABE_ITO["vermillion"],
                    "line": {"width": 2}}))
    knots = target_knots(target)
    if knots and target is not None:
        dates = sorted({k[0] for k in knots} | {d for d in x if knots[0][0] <= d <= knots[-1][0]})
        fig.add_trace(go.Scatter(
            x=dates, y=trajectory(target, dates), mode="lines", name="Target trajectory",
            line={"color": OKABE_ITO["black"], "dash": "dash", "width": 2}))
        symbols = {"Baseline": "square", "Interim target": "diamond", "Final target": "star"}
        for kind in ("Baseline", "Interim target", "Final target"):
            pts = [k for k in knots if k[2] == kind]
            if pts:
                fig.add_trace(go.Scatter(
                    x=[p[0] for p in pts], y=[p[1] for p in pts], mode="markers+text",
                    name=kind, text=[f"{kind}: {fmt(p[1])}" for p in pts],
                    textposition="bottom center",
                    marker={"symbol": symbols[kind], "size": 11, "color": OKABE_ITO["black"]}))
    for i, (on, kind, text) in enumerate(sorted(annotations)):
        # short labels, staggered downwards so that neighbours do not overlap; the full
        # text is in the hover and in the annotations list under the chart
        raw = f"{kind}: {text}"
        full = plain_text(raw)
        short = plain_text(raw if len(raw) <= 32 else raw[:31].rstrip() + "…")
        fig.add_vline(x=on, line={"dash": "dot", "color": OKABE_ITO["reddish_purple"]})
        fig.add_annotation(x=on, y=1 - 0.07 * (i % 3), yref="paper", text=short,
                           hovertext=full, showarrow=False, yanchor="top", xanchor="right",
                           font={"size": 11}, bgcolor="rgba(255,255,255,0.85)")
    ys = [v for r in rows for v in (r["Value"], r["CI low"], r["CI high"]) if v is not None]
    ys += [k[1] for k in knots]
    if ys and (lo_b is not None or hi_b is not None):
        pad = (max(ys) - min(ys)) * 0.08 or abs(max(ys)) * 0.05 or 1.0
        lo = min(ys) - pad if lo_b is None else max(lo_b, min(ys) - pad)
        hi = max(ys) + pad if hi_b is None else min(hi_b, max(ys) + pad)
        fig.update_yaxes(range=[lo, hi])
    fig.update_yaxes(title=y_title)
    fig.update_xaxes(title="Period end")
    return _finish(fig, title, trend_alt(trend, target, series=series, fmt=fmt), 420, subtitle)


# --- regions --------------------------------------------------------------------------


def _ranked(df: pl.DataFrame, higher_better: bool) -> list[dict]:
    rows = [r for r in _rows(df) if r["Value"] is not None]
    return sorted(rows, key=lambda r: r["Value"], reverse=higher_better)


def region_alt(regions: pl.DataFrame, *, fmt: Fmt, higher_better: bool, what: str) -> str:
    what = _noun(what)
    rows = _ranked(regions, higher_better)
    if not rows:
        return f"No regional values of {what} for this period."
    best, worst = rows[0], rows[-1]
    text = (f"Across {len(rows)} regions, the {what} ranges from {fmt(best['Value'])} in "
            f"{best['Region']} (best) to {fmt(worst['Value'])} in {worst['Region']} (worst)")
    weak = [r["Region"] for r in rows if _weak(r)]
    if weak:
        text += f"; too few cases in {', '.join(weak)}"
    return text + "."


def _rings(geometry: dict) -> list[list[list[float]]]:
    """The outer rings of a Polygon or MultiPolygon."""
    coords = geometry.get("coordinates", [])
    if geometry.get("type") == "Polygon":
        return [coords[0]] if coords else []
    if geometry.get("type") == "MultiPolygon":
        return [poly[0] for poly in coords if poly]
    return []


def _bounds(geojson: dict) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []

    def walk(c: object) -> None:
        if isinstance(c, list) and c and isinstance(c[0], (int, float)):
            xs.append(float(c[0]))
            ys.append(float(c[1]))
        elif isinstance(c, list):
            for item in c:
                walk(item)

    for f in geojson.get("features", []):
        walk(f.get("geometry", {}).get("coordinates", []))
    return (min(xs), max(xs), min(ys), max(ys)) if xs else (-100.0, -90.0, 40.0, 45.0)


def region_map(regions: pl.DataFrame, geojson: dict, *, title: str, fmt: Fmt,
               higher_better: bool, what: str, subtitle: str = "") -> go.Figure:
    """Choropleth of the regions (offline: ``white-bg`` base map, no tiles)."""
    rows = [r for r in _rows(regions) if r["Value"] is not None]
    frame = {"region": [r["Region code"] for r in rows], "value": [r["Value"] for r in rows],
             "label": [f"{r['Region']}: {fmt(r['Value'])}"
                       + (" (too few cases)" if _weak(r) else "")
                       + (f" · {r['Status']}" if r.get("Status") else "") for r in rows]}
    # Drawn as filled outlines on plain axes: offline (no tiles, no fonts fetched), with each
    # region's name written on it, and one colour direction (better blue, worse vermillion).
    scale = P.value_scale(higher_better)
    values = [r["Value"] for r in rows]
    vmin, vmax = (min(values), max(values)) if values else (0.0, 1.0)
    by_id = {r["Region code"]: r for r in rows}
    names = {r["Region code"]: r["Region"] for r in _rows(regions)}
    fig = go.Figure()
    kx = math.cos(math.radians(sum(_bounds(geojson)[2:]) / 2))  # longitude shrinks with latitude
    for f in geojson.get("features", []):
        rid = f.get("properties", {}).get("region_id")
        r = by_id.get(rid)
        colour = (px.colors.sample_colorscale(
            scale, [(r["Value"] - vmin) / (vmax - vmin) if vmax > vmin else 0.5])[0]
            if r is not None else "#FFFFFF")
        label = next((lb for lb in frame["label"] if lb.startswith(f"{names.get(rid, rid)}:")),
                     f"{names.get(rid, rid)}: no value")
        rings = _rings(f.get("geometry", {}))
        xs: list[float | None] = []
        ys: list[float | None] = []
        for ring in rings:
            xs += [p[0] * kx for p in ring] + [None]
            ys += [p[1] for p in ring] + [None]
        fig.add_trace(go.Scatter(
            x=xs, y=ys, fill="toself", fillcolor=colour, mode="lines", showlegend=False,
            line={"color": OKABE_ITO["black"], "width": 1}, hoveron="fills", text=label,
            hoverinfo="text", name=names.get(rid, str(rid))))
        if rings:
            ring = max(rings, key=len)
            cx = sum(p[0] for p in ring) / len(ring) * kx
            cy = sum(p[1] for p in ring) / len(ring)
            fig.add_annotation(x=cx, y=cy, text=html.escape(str(names.get(rid, rid))),
                               showarrow=False, font={"size": 11, "color": "#000000"},
                               bgcolor="rgba(255,255,255,0.8)", borderpad=1)
    fig.add_trace(go.Scatter(  # the colour bar, from worse to better
        x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
        marker={"colorscale": scale, "cmin": vmin, "cmax": vmax, "color": [vmin],
                "showscale": True, "colorbar": {
                    "title": {"text": "Value"}, "thickness": 14,
                    "tickvals": [vmin, vmax],
                    "ticktext": [f"{fmt(vmin)} ({'worse' if higher_better else 'better'})",
                                 f"{fmt(vmax)} ({'better' if higher_better else 'worse'})"]}}))
    fig.update_xaxes(visible=False, scaleanchor="y", scaleratio=1)
    fig.update_yaxes(visible=False)
    fig.update_layout(plot_bgcolor="#FFFFFF", hovermode="closest")
    return _finish(fig, title, region_alt(regions, fmt=fmt, higher_better=higher_better,
                                          what=what), 420, subtitle)


def region_bars(regions: pl.DataFrame, *, title: str, fmt: Fmt, higher_better: bool,
                what: str, statewide: float | None = None, subtitle: str = "") -> go.Figure:
    """Regions ranked best first, with confidence intervals and status words."""
    rows = _ranked(regions, higher_better)[::-1]  # Plotly draws bottom-up: best on top
    colours = [status_style(r["Status"]).colour if r.get("Status") else NEUTRAL for r in rows]
    text = [fmt(r["Value"]) + (f" · {r['Status']}" if r.get("Status") else "")
            + (" · too few cases" if _weak(r) else "") for r in rows]
    fig = go.Figure(go.Bar(
        y=[r["Region"] for r in rows], x=[r["Value"] for r in rows], orientation="h",
        name=what, text=text, textposition="inside", insidetextanchor="start", marker={
            "color": colours, "line": {"color": OKABE_ITO["black"], "width": 1},
            "pattern": {"shape": ["/" if _weak(r) else "" for r in rows]}},
        error_x={"type": "data", "symmetric": False, "color": OKABE_ITO["black"],
                 "array": [(r["CI high"] - r["Value"]) if r["CI high"] is not None else 0
                           for r in rows],
                 "arrayminus": [(r["Value"] - r["CI low"]) if r["CI low"] is not None else 0
                                for r in rows]}))
    if statewide is not None:
        fig.add_vline(x=statewide, line={"dash": "dash", "color": OKABE_ITO["black"]},
                      annotation_text=f"Statewide {fmt(statewide)}")
    fig.update_xaxes(title=what)
    return _finish(fig, title, region_alt(regions, fmt=fmt, higher_better=higher_better,
                                          what=what), 420, subtitle)


# --- groups ---------------------------------------------------------------------------


def group_alt(groups: pl.DataFrame, *, fmt: Fmt, what: str) -> str:
    what = _noun(what)
    rows = [r for r in _rows(groups) if r["Value"] is not None]
    if not rows:
        return f"No values of {what} by race and ethnicity for this period."
    ref = next((r for r in rows if bool(r["Reference"])), None)
    lo = min(rows, key=lambda r: r["Value"])
    hi = max(rows, key=lambda r: r["Value"])
    text = (f"By race and ethnicity, the {what} ranges from {fmt(lo['Value'])} "
            f"({lo['Group']}) to {fmt(hi['Value'])} ({hi['Group']})")
    if ref is not None:
        text += f"; the reference (best reliable) group is {ref['Group']}"
    weak = [r["Group"] for r in rows if _weak(r)]
    if weak:
        text += f"; too few cases for {', '.join(weak)}"
    return text + "."


def group_dots(groups: pl.DataFrame, *, title: str, fmt: Fmt, what: str,
               statewide: float | None = None, subtitle: str = "") -> go.Figure:
    """Dot per group with its confidence interval; reference group and unreliable marked."""
    rows = [r for r in _rows(groups) if r["Value"] is not None][::-1]
    fig = go.Figure()
    kinds = (("Reliable", lambda r: not _weak(r) and not bool(r["Reference"]),
              "circle", OKABE_ITO["blue"]),
             ("Reference (best reliable group)", lambda r: bool(r["Reference"]), "star",
              OKABE_ITO["bluish_green"]),
             ("Too few cases (not reliable)", lambda r: _weak(r),
              "circle-open", OKABE_ITO["vermillion"]))
    for name, keep, symbol, colour in kinds:
        sel = [r for r in rows if keep(r)]
        if not sel:
            continue
        fig.add_trace(go.Scatter(
            y=[r["Group"] for r in sel], x=[r["Value"] for r in sel], mode="markers+text",
            name=name, text=[fmt(r["Value"]) + (" (reference)" if bool(r["Reference"]) else "")
                             + (" (too few cases)" if _weak(r) else "")
                             for r in sel],
            textposition="middle right",
            marker={"symbol": symbol, "size": 13, "color": colour, "line": {"width": 2}},
            error_x={"type": "data", "symmetric": False, "color": colour,
                     "array": [(r["CI high"] - r["Value"]) if r["CI high"] is not None else 0
                               for r in sel],
                     "arrayminus": [(r["Value"] - r["CI low"]) if r["CI low"] is not None
                                    else 0 for r in sel]}))
    if statewide is not None:
        fig.add_vline(x=statewide, line={"dash": "dash", "color": OKABE_ITO["black"]},
                      annotation_text=f"All groups {fmt(statewide)}")
    fig.update_yaxes(categoryorder="array", categoryarray=[r["Group"] for r in rows])
    fig.update_xaxes(title=what)
    return _finish(fig, title, group_alt(groups, fmt=fmt, what=what), 420, subtitle)


# --- region x group -------------------------------------------------------------------


def heatmap_alt(cross: pl.DataFrame, *, fmt: Fmt, what: str) -> str:
    what = _noun(what)
    rows = [r for r in _rows(cross) if r["Value"] is not None]
    if not rows:
        return f"No values of {what} by region and group for this period."
    solid = [r for r in rows if not _weak(r)]
    lo = min(solid or rows, key=lambda r: r["Value"])
    hi = max(solid or rows, key=lambda r: r["Value"])
    return (f"Among {len(solid)} reliable region and group cells of {len(rows)}, the {what} "
            f"ranges from {fmt(lo['Value'])} ({lo['Group']} in {lo['Region']}) to "
            f"{fmt(hi['Value'])} ({hi['Group']} in {hi['Region']}); cells marked * rest on "
            "too few cases.")


def region_group_heatmap(cross: pl.DataFrame, *, title: str, fmt: Fmt, what: str,
                         higher_better: bool, subtitle: str = "") -> go.Figure:
    """Region x group grid; each cell shows its value as text (* = too few cases)."""
    regions = list(dict.fromkeys(cross.get_column("Region").to_list())) if cross.height else []
    groups = list(dict.fromkeys(cross.get_column("Group").to_list())) if cross.height else []
    cell = {(r["Region"], r["Group"]): r for r in _rows(cross)}
    z, text = [], []
    for reg in regions:
        zr, tr = [], []
        for g in groups:
            r = cell.get((reg, g))
            v = r["Value"] if r else None
            zr.append(v)
            tr.append("" if v is None else fmt(v) + ("*" if r and _weak(r) else ""))
        z.append(zr)
        text.append(tr)
    fig = go.Figure(go.Heatmap(
        z=z, x=groups, y=regions, text=text, texttemplate="%{text}", name=what,
        colorscale=P.value_scale(higher_better), xgap=2, ygap=2,  # better blue, worse red
        colorbar={"title": {"text": "Value"}, "thickness": 14}, hovertemplate="%{y} · %{x}: %{text}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickangle=-30)
    return _finish(fig, title, heatmap_alt(cross, fmt=fmt, what=what), 460, subtitle)


def sparkline(values: Sequence[float | None], *, title: str = "Last 12 periods") -> go.Figure:
    """A small line of recent values (used where a table cell cannot hold a chart)."""
    ys = [v for v in values if v is not None]
    fig = go.Figure(go.Scatter(y=ys, mode="lines", line={"color": OKABE_ITO["blue"]},
                               name="value"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    desc = (f"{len(ys)} values from {ys[0]:.4g} to {ys[-1]:.4g}." if ys else "No values.")
    _finish(fig, title, desc, 80)
    fig.update_layout(margin={"l": 0, "r": 0, "t": 20, "b": 0}, showlegend=False)
    return fig

