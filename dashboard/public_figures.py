"""Figures and tables of the public site, built from snapshot files only.

Plain functions (no streamlit): each chart has a table of the same figures and a text
alternative. A suppressed figure is always labelled with its reason, in the chart
(a marked, labelled placeholder) and in the table. Colour is never the only cue: values
are written on the bars, unreliable figures are hatched and say so, and the target line
is dashed and named.
"""

from __future__ import annotations

import html
import math
from typing import Any

import plotly.express as px
import plotly.graph_objects as go
import polars as pl

from metrics.intervals import MIN_EVENTS

BLUE = "#0072B2"  # Okabe-Ito
ORANGE = "#E69F00"
GREY = "#595959"
FONT = {"family": "Source Sans Pro, sans-serif", "size": 14, "color": "#1a1a1a"}


def fmt(kpi: dict[str, Any], v: float | None) -> str:
    """A value in the KPI's units ("79.8%", "5.5 per 1,000 live births", "$489")."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    d = int(kpi.get("decimals", 1))
    unit = kpi.get("unit", "")
    if unit == "%":
        return f"{v:,.{d}f}%"
    if unit == "$":
        return f"${v:,.{d}f}"
    return f"{v:,.{d}f} {unit}".strip()


def spanish_summary(text: str, heading: str = "h2") -> str:
    """The Spanish summary as HTML: the heading "Resumen", then the text, both marked
    ``lang="es"`` so that a screen reader reads them in Spanish. Escaped; "" without text."""
    if not text:
        return ""
    return (f'<{heading} lang="es">Resumen</{heading}>'
            f'<p lang="es">{html.escape(text)}</p>')


def cell_text(kpi: dict[str, Any], row: dict[str, Any]) -> str:
    """What a table cell shows: the value, or why it is not shown."""
    if row.get("suppressed"):
        return str(row.get("suppression_reason") or "suppressed")
    if row.get("value") is None:
        return "no data"
    return fmt(kpi, row["value"])


def _ci_text(kpi: dict[str, Any], row: dict[str, Any]) -> str:
    if row.get("suppressed") or row.get("ci_low") is None or row.get("ci_high") is None:
        return ""
    return f"{fmt(kpi, row['ci_low'])} to {fmt(kpi, row['ci_high'])}"


def breakdown_table(kpi: dict[str, Any], rows: pl.DataFrame, key: str,
                    names: dict[str, str], heading: str) -> pl.DataFrame:
    """Table beside a chart: one row per group or region, the value or the reason it is hidden."""
    out = []
    for r in rows.iter_rows(named=True):
        out.append({heading: names.get(r[key], r[key]), "Value": cell_text(kpi, r),
                    "95% confidence interval": _ci_text(kpi, r),
                    "Reliability": ("" if r.get("suppressed") else
                                    ("reliable" if r.get("reliable") else
                                     f"unreliable: fewer than {MIN_EVENTS} events"))})
    return pl.DataFrame(out, schema={heading: pl.String, "Value": pl.String,
                                     "95% confidence interval": pl.String,
                                     "Reliability": pl.String})


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(title={"text": title}, font=FONT, height=height, plot_bgcolor="white",
                      margin={"l": 10, "r": 40, "t": 60, "b": 40}, showlegend=True,
                      legend={"orientation": "h", "y": -0.15})
    return fig


def group_chart(kpi: dict[str, Any], rows: pl.DataFrame, names: dict[str, str],
                period_label: str) -> go.Figure:
    """Horizontal bars by group with 95% intervals; hidden groups as labelled placeholders."""
    fig = go.Figure()
    shown = rows.filter(~pl.col("suppressed") & pl.col("value").is_not_null())
    for reliable, pattern, name in ((True, "", "Reliable"), (False, "/", f"Unreliable (fewer than {MIN_EVENTS} events)")):
        part = shown.filter(pl.col("reliable") == reliable)
        if part.height == 0:
            continue
        v = part.get_column("value").to_list()
        fig.add_bar(
            y=[names.get(g, g) for g in part.get_column("group")], x=v, orientation="h",
            name=name, marker={"color": BLUE if reliable else ORANGE,
                               "pattern": {"shape": pattern}},
            text=[fmt(kpi, x) + ("" if reliable else " (unreliable)") for x in v],
            textposition="inside", insidetextanchor="start",
            textfont={"color": "white" if reliable else "black"},
            error_x={"type": "data", "symmetric": False, "color": GREY,
                     "array": [(h - x) if h is not None else 0 for h, x in
                               zip(part.get_column("ci_high").to_list(), v, strict=True)],
                     "arrayminus": [(x - lo) if lo is not None else 0 for lo, x in
                                    zip(part.get_column("ci_low").to_list(), v, strict=True)]})
    hidden = rows.filter(pl.col("suppressed") | pl.col("value").is_null())
    if hidden.height:
        fig.add_scatter(
            y=[names.get(g, g) for g in hidden.get_column("group")], x=[0] * hidden.height,
            mode="markers+text", name="Not shown (privacy)",
            marker={"symbol": "x-thin-open", "size": 12, "color": GREY, "line": {"width": 2}},
            text=[cell_text(kpi, r) for r in hidden.iter_rows(named=True)],
            textposition="middle right", cliponaxis=False)
    fig.update_xaxes(title=kpi.get("unit") or "value", rangemode="tozero", gridcolor="#dddddd")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, f"{kpi['name']} by race and ethnicity, {period_label}",
                   height=120 + 40 * max(rows.height, 1))


def region_map(kpi: dict[str, Any], rows: pl.DataFrame, geojson: dict[str, Any],
               names: dict[str, str], period_label: str) -> go.Figure:
    """Choropleth of regions on a plain background (no map tiles, works offline)."""
    df = rows.select(
        "region", "value",
        Region=pl.col("region").replace_strict(names, default=pl.col("region")),
        Figure=pl.struct(rows.columns).map_elements(lambda r: cell_text(kpi, r),
                                                    return_dtype=pl.String)).to_pandas()
    lon, lat = _centre(geojson)
    fig = px.choropleth_map(df, geojson=geojson, featureidkey="properties.region_id",
                            locations="region", color="value", hover_name="Region",
                            hover_data={"Figure": True, "value": False, "region": False},
                            color_continuous_scale="Cividis", map_style="white-bg",
                            center={"lon": lon, "lat": lat}, zoom=5.2, opacity=0.9)
    fig.update_layout(coloraxis_colorbar={"title": {"text": kpi.get("unit") or "value"}})
    return _layout(fig, f"{kpi['name']} by region, {period_label}", height=480)


def _centre(geojson: dict[str, Any]) -> tuple[float, float]:
    xs: list[float] = []
    ys: list[float] = []

    def walk(c: Any) -> None:
        if c and isinstance(c[0], (int, float)):
            xs.append(float(c[0]))
            ys.append(float(c[1]))
        else:
            for x in c:
                walk(x)
    for f in geojson.get("features", []):
        walk(f.get("geometry", {}).get("coordinates", []))
    if not xs:
        return 0.0, 0.0
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def trend_chart(kpi: dict[str, Any], rows: pl.DataFrame, target: dict[str, Any] | None,
                labels: dict[str, str]) -> go.Figure:
    """Statewide figure over time with its 95% band, and the approved target (dashed)."""
    # every period in time order; a hidden period is a gap in the line, not moved to the end
    rows = rows.sort("period_end")
    shown = rows.with_columns(pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c)
                              for c in ("value", "ci_low", "ci_high"))
    x = [labels.get(p, p) for p in rows.get_column("period")]
    fig = go.Figure()
    fig.add_scatter(x=x, y=shown.get_column("value").to_list(), mode="lines+markers",
                    name="Statewide", line={"color": BLUE, "width": 3}, connectgaps=False,
                    marker={"symbol": "circle", "size": 7},
                    error_y={"type": "data", "symmetric": False, "color": GREY, "thickness": 1,
                             "array": (shown.get_column("ci_high") - shown.get_column("value")).to_list(),
                             "arrayminus": (shown.get_column("value") - shown.get_column("ci_low")).to_list()})
    hidden = rows.filter(pl.col("suppressed"))
    if hidden.height:
        fig.add_scatter(x=[labels.get(p, p) for p in hidden.get_column("period")],
                        y=[None] * hidden.height, mode="markers", name="Not shown (privacy)",
                        marker={"symbol": "x-thin-open", "color": GREY})
    if target and target.get("target_value") is not None:
        fig.add_scatter(x=[x[0], x[-1]] if x else [], y=[target["target_value"]] * (2 if x else 0),
                        mode="lines", name=f"Target {fmt(kpi, target['target_value'])} "
                                           f"by {target.get('target_date', '')}",
                        line={"color": ORANGE, "dash": "dash", "width": 2})
    fig.update_yaxes(title=kpi.get("unit") or "value", gridcolor="#dddddd")
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=x)
    return _layout(fig, f"{kpi['name']}, statewide, over time", height=420)


def describe_groups(kpi: dict[str, Any], rows: pl.DataFrame, names: dict[str, str],
                    period_label: str) -> str:
    """Text alternative of the group chart."""
    shown = rows.filter(~pl.col("suppressed") & pl.col("value").is_not_null()).sort("value")
    parts = [f"{names.get(r['group'], r['group'])} {fmt(kpi, r['value'])}"
             for r in shown.iter_rows(named=True)]
    hidden = rows.height - shown.height
    text = f"Bar chart of {kpi['name'].lower()} by race and ethnicity, {period_label}. "
    text += ("From lowest to highest: " + "; ".join(parts) + ". ") if parts else "No group figures are shown. "
    if hidden:
        text += f"{hidden} group figure(s) are not shown to protect privacy."
    return text.strip()


def describe_regions(kpi: dict[str, Any], rows: pl.DataFrame, names: dict[str, str],
                     period_label: str) -> str:
    shown = rows.filter(~pl.col("suppressed") & pl.col("value").is_not_null()).sort("value")
    text = f"Map of {kpi['name'].lower()} by region, {period_label}. "
    if shown.height:
        lo, hi = shown.row(0, named=True), shown.row(-1, named=True)
        text += (f"Lowest: {names.get(lo['region'], lo['region'])} {fmt(kpi, lo['value'])}; "
                 f"highest: {names.get(hi['region'], hi['region'])} {fmt(kpi, hi['value'])}. ")
    hidden = rows.height - shown.height
    if hidden:
        text += f"{hidden} region figure(s) are not shown to protect privacy. "
    return (text + "Every region's figure is in the table beside the map.").strip()


def describe_trend(kpi: dict[str, Any], rows: pl.DataFrame, labels: dict[str, str]) -> str:
    shown = rows.filter(~pl.col("suppressed") & pl.col("value").is_not_null()).sort("period_end")
    if shown.height == 0:
        return f"Line chart of {kpi['name'].lower()} over time: no published figures."
    a, b = shown.row(0, named=True), shown.row(-1, named=True)
    return (f"Line chart of {kpi['name'].lower()}, statewide, from {labels.get(a['period'], a['period'])} "
            f"({fmt(kpi, a['value'])}) to {labels.get(b['period'], b['period'])} "
            f"({fmt(kpi, b['value'])}), with the target as a dashed line.")
