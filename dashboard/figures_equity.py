"""Figures, tables and text summaries of the equity review (no streamlit: unit-testable).

Colours are Okabe-Ito; every encoding by colour is doubled by text, marker shape,
pattern or dash, so nothing is told by colour alone.
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from metrics.definitions import Kpi
from metrics.equity.review import SMALL_EVENTS, fmt_gap, gap_unit
from metrics.groups import UNKNOWN_SHARE_WARNING
from metrics.groups import label as group_label
from metrics.periods import display_label

OKABE_ITO = {"orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000",
             "grey": "#999999"}
STATUS_STYLE = {  # colour, pattern (bars), symbol
    "widening": (OKABE_ITO["vermillion"], "x", "triangle-up"),
    "narrowing": (OKABE_ITO["blue"], "/", "triangle-down"),
    "stable": (OKABE_ITO["grey"], ".", "circle"),
    "too small to tell": (OKABE_ITO["yellow"], "\\", "diamond-open"),
    "no comparison": ("#DDDDDD", "", "circle-open"),
}
SEQUENTIAL = [[0.0, "#F7FBFF"], [0.5, "#6BAED6"], [1.0, "#08306B"]]  # one hue, light to dark


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(title=title, height=height, template="plotly_white",
                      margin={"l": 10, "r": 10, "t": 60, "b": 10},
                      font={"size": 13}, legend={"orientation": "h", "y": -0.15})
    return fig


def _pct(x: float | None, digits: int = 0) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}%}"


# --- (a) gaps across KPIs -------------------------------------------------------------


def _wrap(names: pl.Series, width: int = 40) -> list[str]:
    return ["<br>".join(textwrap.wrap(n, width)) for n in names]



def _signed(kpi: Kpi, v: float | None) -> str:
    return "–" if v is None else f"{v:+,.{kpi.decimals}f} {gap_unit(kpi)}".strip()


def review_table(review: pl.DataFrame, kpis: dict[str, Kpi]) -> pl.DataFrame:
    """The review as users read it: gaps in words and units, levels beside them."""
    rows = []
    for r in review.iter_rows(named=True):
        k = kpis[r["kpi_id"]]
        rows.append({
            "KPI": r["name"], "period": r["period"] or "–",
            "worst-off group": r["worst_label"] or "–",
            "compared with": r["reference_label"] or "–",
            "gap now": fmt_gap(k, r["gap_now"]),
            "gap a year ago": fmt_gap(k, r["gap_last_year"]),
            "change in a year": _signed(k, r["change_year"]),
            "relative change": _pct(r["relative_change_year"]),
            "since a year ago": r["status_year"],
            "gap at baseline": fmt_gap(k, r["gap_baseline"]),
            "since baseline": r["status_baseline"],
            "worst-off group rate": k.format_value(r["worst_rate"]),
            "best-off group rate": k.format_value(r["reference_rate"]),
            "statewide": k.format_value(r["statewide_rate"]),
            "target now": k.format_value(r["target_now"]),
            "rate ratio": "–" if r["rate_ratio"] is None else f"{r['rate_ratio']:.2f}",
            "note": r["note"] or "",
            "link": f"equity?kpi={r['kpi_id']}", "detail": f"kpi?id={r['kpi_id']}",
        })
    return pl.DataFrame(rows)


def review_figure(review: pl.DataFrame) -> go.Figure:
    """Relative change of each KPI's gap since a year earlier; status as colour, pattern, text."""
    fig = go.Figure()
    r = review.filter(pl.col("relative_change_year").is_not_null()).reverse()
    for status, (colour, pattern, _) in STATUS_STYLE.items():
        part = r.filter(pl.col("status_year") == status)
        if part.height == 0:
            continue
        fig.add_bar(
            x=(part["relative_change_year"] * 100).to_list(), y=_wrap(part["name"]),
            orientation="h", name=status, marker={"color": colour, "pattern": {"shape": pattern}},
            text=[f"{status}: {v:+.0%}" for v in part["relative_change_year"]],
            textposition="outside", cliponaxis=False,
            hovertemplate="%{y}<br>gap change: %{x:.0f}% of the gap a year ago<extra></extra>")
    fig.update_xaxes(title="change in the gap since a year earlier (% of the gap then)",
                     zeroline=True, zerolinecolor="#444")
    fig.update_yaxes(categoryorder="array", categoryarray=_wrap(r["name"]))
    if r.height:
        lo = min(0.0, float(r["relative_change_year"].min())) * 100  # type: ignore[arg-type]
        hi = max(0.0, float(r["relative_change_year"].max())) * 100  # type: ignore[arg-type]
        pad = max(hi - lo, 10.0) * 0.35
        fig.update_xaxes(range=[lo - (pad if lo < 0 else 2), hi + (pad if hi > 0 else 2)])
    return _layout(fig, "Gaps to the best-off group: change since a year earlier",
                   height=max(320, 46 * r.height + 140))


def review_summary(review: pl.DataFrame) -> str:
    """Text summary of the review, from the numbers."""
    counts = {s: review.filter(pl.col("status_year") == s).height
              for s in ("widening", "narrowing", "stable", "too small to tell", "no comparison")}
    parts = [f"Of {review.height} KPIs with group rates, since a year earlier "
             f"{counts['widening']} gaps widened, {counts['narrowing']} narrowed, "
             f"{counts['stable']} stayed about the same and for {counts['too small to tell']} "
             "the numbers are too small to tell"]
    if counts["no comparison"]:
        parts[0] += f" ({counts['no comparison']} without a comparison)"
    top = review.filter(pl.col("relative_change_year").is_not_null())
    if top.height:
        t = top.row(0, named=True)
        parts.append(f"The largest change: {t['name']}, where the gap for {t['worst_label']} "
                     f"went from {t['gap_last_year']:,.1f} to {t['gap_now']:,.1f} {t['unit']} "
                     f"({t['relative_change_year']:+.0%}, {t['status_year']})")
    base = review.filter(pl.col("status_baseline").is_in(["widening", "narrowing"]))
    if base.height:
        parts.append("Since baseline: " + "; ".join(
            f"{r['name']} {r['status_baseline']}" for r in base.iter_rows(named=True)))
    return ". ".join(parts) + "."


# --- (b) disparities of one KPI --------------------------------------------------------


def disparity_table(rows: pl.DataFrame, kpi: Kpi) -> pl.DataFrame:
    m = kpi.multiplier

    def ci(lo: float | None, hi: float | None, scale: float, digits: int) -> str:
        return "–" if lo is None or hi is None else f"{lo * scale:,.{digits}f} to {hi * scale:,.{digits}f}"

    return pl.DataFrame([{
        "group": r["label"] + (" (reference)" if r["is_reference"] else ""),
        "rate": kpi.format_value(r["rate"] * m),
        f"rate difference ({gap_unit(kpi)})": f"{r['rate_difference'] * m:+,.{kpi.decimals}f}",
        "difference 95% CI": ci(r["rate_difference_ci_low"], r["rate_difference_ci_high"], m,
                                kpi.decimals),
        "rate ratio": "–" if r["rate_ratio"] is None else f"{r['rate_ratio']:.2f}",
        "ratio 95% CI": ci(r["rate_ratio_ci_low"], r["rate_ratio_ci_high"], 1, 2),
        "share of population": _pct(r["population_share"], 1),
        "reliability": "reliable" if r["reliable"] else f"unreliable (fewer than {SMALL_EVENTS} "
                                                        "events or unstable)",
    } for r in rows.iter_rows(named=True)])


def disparity_figure(rows: pl.DataFrame, kpi: Kpi, reference_label: str) -> go.Figure:
    """Rate difference (absolute) and rate ratio (relative) per group with 95% CIs, as dots.

    Reference: diamond; reliable: filled circle; unreliable: hollow circle and the word.
    """
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.06,
                        subplot_titles=(f"Rate difference ({gap_unit(kpi)})", "Rate ratio"))
    m = kpi.multiplier
    recs = list(rows.iter_rows(named=True))
    labels = [r["label"] + (" (reference)" if r["is_reference"] else "")
              + ("" if r["reliable"] else " (unreliable)") for r in recs]
    symbols = ["diamond" if r["is_reference"] else "circle" if r["reliable"] else "circle-open"
               for r in recs]
    colours = [OKABE_ITO["black"] if r["is_reference"] else
               OKABE_ITO["blue"] if r["reliable"] else OKABE_ITO["vermillion"] for r in recs]
    for col, key, scale, base in ((1, "rate_difference", m, 0.0), (2, "rate_ratio", 1.0, 1.0)):
        x = [None if r[key] is None else r[key] * scale for r in recs]
        lo = [None if r[f"{key}_ci_low"] is None else r[f"{key}_ci_low"] * scale for r in recs]
        hi = [None if r[f"{key}_ci_high"] is None else r[f"{key}_ci_high"] * scale for r in recs]
        fig.add_scatter(
            x=x, y=labels, mode="markers+text", showlegend=False,
            marker={"symbol": symbols, "color": colours, "size": 11,
                    "line": {"width": 2, "color": colours}},
            error_x={"type": "data", "symmetric": False, "color": "#555",
                     "array": [None if h is None or v is None else h - v
                               for h, v in zip(hi, x, strict=True)],
                     "arrayminus": [None if lw is None or v is None else v - lw
                                    for lw, v in zip(lo, x, strict=True)]},
            text=[("–" if v is None else f"{v:+,.{kpi.decimals}f}" if col == 1 else f"{v:.2f}")
                  for v in x], textposition="top center", cliponaxis=False,
            hovertemplate="%{y}: %{text}<extra></extra>", row=1, col=col)
        fig.add_vline(x=base, line_dash="dash", line_color="#444", row=1, col=col)
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, f"{kpi.name}: each group compared with {reference_label}",
                   height=max(340, 48 * rows.height + 140))


def summary_table(d: dict[str, Any]) -> pl.DataFrame:
    def num(v: float | None, digits: int = 3) -> str:
        return "–" if v is None else f"{v:,.{digits}f}"

    return pl.DataFrame([
        {"measure": "Index of Disparity (unweighted)", "value": num(d["index_of_disparity"], 1),
         "meaning": "average distance of the group rates from the overall rate, % of it"},
        {"measure": "Index of Disparity (population-weighted)",
         "value": num(d["index_of_disparity_weighted"], 1),
         "meaning": "the same, weighting each group by its population"},
        {"measure": "Between-group variance", "value": num(d["between_group_variance"], 5),
         "meaning": "weighted spread of the group rates around the overall rate"},
        {"measure": "Theil index", "value": num(d["theil"], 4),
         "meaning": "0 = every group has the overall rate"},
        {"measure": "Mean log deviation", "value": num(d["mean_log_deviation"], 4),
         "meaning": "0 = every group has the overall rate (undefined if a rate is 0)"},
        {"measure": "Gini coefficient", "value": num(d.get("gini"), 3),
         "meaning": "0 = every group has the same rate; toward 1 = events concentrated in "
                    "few groups"},
    ])


def disparity_summary(d: dict[str, Any], kpi: Kpi, worst: list[str]) -> str:
    m = kpi.multiplier
    ref = d["reference_group"]
    ref_text = ("all groups combined" if ref == "total" else group_label(ref)) if ref else "none"
    text = (f"Reference: {ref_text} ({kpi.format_value((d['reference_rate'] or 0) * m)}). "
            f"Overall rate {kpi.format_value((d['overall_rate'] or 0) * m)}.")
    if worst:
        w = worst[0]
        flag = (" (unreliable rate: too few events, read with care)"
                if w in d["unreliable_groups"] else "")
        text += (f" The largest gap is for {group_label(w)}{flag}: "
                 f"{kpi.format_value(d['rates'][w] * m)}, a difference of "
                 f"{fmt_gap(kpi, abs(d['rate_difference'][w]) * m)} and a rate ratio of "
                 f"{d['rate_ratio'][w]:.2f}.")
    if d["unreliable_groups"]:
        text += (" Unreliable, not used as reference: "
                 + ", ".join(group_label(g) for g in d["unreliable_groups"]) + ".")
    return text + " " + coverage_sentence(d)


def coverage_sentence(d: dict[str, Any]) -> str:
    """Which groups the summary measures cover, what is missing, and why the overall rate
    μ may differ from the statewide rate."""
    covered = ", ".join(group_label(g) for g in d["groups"]) or "none"
    text = f"The summary measures cover {len(d['groups'])} groups ({covered})."
    if d["excluded"]:
        text += (" Left out for lack of a usable figure (hidden or no population): "
                 + ", ".join(group_label(g) for g in d["excluded"]) + ".")
    if "unknown" in d.get("not_compared", []):
        share = d.get("unknown_share")
        share_text = f" ({share:.1%} of the population counted)" if share is not None else ""
        text += (" The overall rate is over these groups only: it leaves out Unknown / not "
                 f"reported{share_text}, so it can differ from the statewide rate.")
    return text


# --- (c) region x group heatmap -------------------------------------------------------


def heatmap_figure(cells: pl.DataFrame, kpi: Kpi, period_text: str) -> go.Figure:
    """Rates by region and group; cells without a shown value are grey and say why."""
    regions = cells["region_name"].unique(maintain_order=True).to_list()
    groups = cells["group_label"].unique(maintain_order=True).to_list()
    grid = {(r["region_name"], r["group_label"]): r for r in cells.iter_rows(named=True)}
    z = [[grid[(rg, g)]["value"] for g in groups] for rg in regions]
    masked = [[0 if grid[(rg, g)]["value"] is None else None for g in groups] for rg in regions]
    text = [[grid[(rg, g)]["text"].replace(" (unreliable)", "<br>unreliable")
             .replace(f"fewer than {SMALL_EVENTS} events", f"fewer than<br>{SMALL_EVENTS} events")
             for g in groups] for rg in regions]
    fig = go.Figure()
    shown = [[t if v is not None else "" for t, v in zip(tr, zr, strict=True)]
             for tr, zr in zip(text, z, strict=True)]
    hidden = [[t if v is None else "" for t, v in zip(tr, zr, strict=True)]
              for tr, zr in zip(text, z, strict=True)]
    fig.add_heatmap(z=z, x=groups, y=regions, colorscale=SEQUENTIAL, hoverongaps=False,
                    colorbar={"title": kpi.unit}, text=shown, texttemplate="%{text}",
                    hovertemplate="%{y}, %{x}: %{text}<extra></extra>", xgap=2, ygap=2)
    fig.add_heatmap(z=masked, x=groups, y=regions, colorscale=[[0, "#E5E5E5"], [1, "#E5E5E5"]],
                    showscale=False, hoverongaps=False, text=hidden, texttemplate="%{text}",
                    hovertemplate="%{y}, %{x}: %{text}<extra></extra>", xgap=2, ygap=2)
    fig.update_traces(textfont={"size": 11})
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickangle=-25)
    fig.update_layout(meta={"cells": len(regions) * len(groups)})
    return _layout(fig, f"{kpi.name} by region and group, {period_text}", height=560)


def heatmap_table(cells: pl.DataFrame) -> pl.DataFrame:
    return cells.pivot(on="group_label", index="region_name", values="text",
                       maintain_order=True).rename({"region_name": "region"})


def heatmap_summary(cells: pl.DataFrame, kpi: Kpi) -> str:
    regional = cells.filter((pl.col("region") != "all") & (pl.col("group") != "all"))
    shown = regional.filter(pl.col("value").is_not_null())
    small = regional.filter(pl.col("text").str.starts_with("fewer than")).height
    text = (f"{shown.height} of {regional.height} region and group cells have a rate shown; "
            f"{small} have fewer than {SMALL_EVENTS} events and "
            f"{regional.filter(pl.col('text') == 'no data').height} have no data.")
    if shown.height:
        better = kpi.direction == "higher"
        lo, hi = shown.sort("value").row(0, named=True), shown.sort("value").row(-1, named=True)
        worst, best = (lo, hi) if better else (hi, lo)
        text += (f" Lowest-performing cell: {worst['group_label']} in {worst['region_name']} "
                 f"({worst['text']}); best: {best['group_label']} in {best['region_name']} "
                 f"({best['text']}).")
    return text


# --- (d) small multiples --------------------------------------------------------------


def trends_figure(trends: pl.DataFrame, kpi: Kpi, place: str) -> go.Figure:
    """One panel per group: the group's trend (solid, circles), statewide (dashed), target
    (dotted). Unreliable points are hollow."""
    groups = trends["group_label"].unique(maintain_order=True).to_list()
    cols = 4
    nrows = max(1, math.ceil(len(groups) / cols))
    fig = make_subplots(rows=nrows, cols=cols, subplot_titles=groups, shared_yaxes=True,
                        vertical_spacing=0.14, horizontal_spacing=0.04)
    for i, g in enumerate(groups):
        part = trends.filter(pl.col("group_label") == g)
        row, col = i // cols + 1, i % cols + 1
        first = i == 0
        x = part["period"].to_list()
        symbols = ["circle" if r else "circle-open" for r in part["reliable"].fill_null(True)]
        fig.add_scatter(x=x, y=part["value"].to_list(), mode="lines+markers", name=f"group ({place})",
                        line={"color": OKABE_ITO["blue"], "width": 2},
                        marker={"symbol": symbols, "size": 5}, legendgroup="g",
                        showlegend=first, row=row, col=col)
        fig.add_scatter(x=x, y=part["statewide"].to_list(), mode="lines", name="statewide, all groups",
                        line={"color": OKABE_ITO["black"], "dash": "dash", "width": 1.5},
                        legendgroup="s", showlegend=first, row=row, col=col)
        if part["target"].is_not_null().any():
            fig.add_scatter(x=x, y=part["target"].to_list(), mode="lines", name="target trajectory",
                            line={"color": OKABE_ITO["orange"], "dash": "dot", "width": 2},
                            legendgroup="t", showlegend=first, row=row, col=col)
    fig.update_yaxes(matches="y")
    fig.update_xaxes(nticks=4, tickangle=0)
    return _layout(fig, f"{kpi.name}: each group against the statewide trend and the target",
                   height=260 * nrows + 120)


def trends_table(trends: pl.DataFrame, kpi: Kpi) -> pl.DataFrame:
    wide = (trends.with_columns(pl.col("value").map_elements(kpi.format_value,
                                                             return_dtype=pl.String))
            .pivot(on="group_label", index="period", values="value", maintain_order=True))
    state = trends.select("period", "statewide", "target").unique("period", maintain_order=True)
    return wide.join(state.with_columns(
        pl.col("statewide").map_elements(kpi.format_value, return_dtype=pl.String),
        pl.col("target").map_elements(kpi.format_value, return_dtype=pl.String)),
        on="period", how="left").sort("period", descending=True)


def trends_summary(trends: pl.DataFrame, kpi: Kpi) -> str:
    if trends.height == 0:
        return "No group trend to show."
    periods = trends["period"].unique(maintain_order=True).to_list()
    last = trends.filter(pl.col("period") == periods[-1])
    state = last["statewide"].drop_nulls()
    target = last["target"].drop_nulls()
    better = kpi.direction == "higher"
    text = f"In {display_label(periods[-1])}"
    if state.len():
        s = state[0]
        ahead = last.filter((pl.col("value") > s) if better else (pl.col("value") < s))
        text += (f", {ahead.height} of {last.height} groups did better than the statewide "
                 f"figure ({kpi.format_value(s)})")
    if target.len():
        t = target[0]
        met = last.filter((pl.col("value") >= t) if better else (pl.col("value") <= t))
        text += f" and {met.height} were at or beyond the target trajectory ({kpi.format_value(t)})"
    return text + (f". Series run from {display_label(periods[0])} to "
                   f"{display_label(periods[-1])}; hollow markers are unreliable rates.")


# --- (e) unknown share, (f) Theil -----------------------------------------------------


def unknown_figure(shares: pl.DataFrame) -> go.Figure:
    above = shares["above_warning"].fill_null(False).to_list()
    fig = go.Figure()
    fig.add_bar(x=shares["region_name"].to_list(), y=(shares["share"] * 100).to_list(),
                marker={"color": [OKABE_ITO["vermillion"] if a else OKABE_ITO["sky"] for a in above],
                        "pattern": {"shape": ["x" if a else "" for a in above]}},
                text=[f"{_pct(s, 1)}{' (above 10%)' if a else ''}"
                      for s, a in zip(shares["share"], above, strict=True)],
                textposition="outside", cliponaxis=False, showlegend=False)
    fig.add_hline(y=UNKNOWN_SHARE_WARNING * 100, line_dash="dash",
                  annotation_text=f"warning level {UNKNOWN_SHARE_WARNING:.0%}")
    fig.update_yaxes(title="% unknown / not reported", rangemode="tozero")
    return _layout(fig, "Race or ethnicity unknown / not reported", height=380)


def unknown_table(shares: pl.DataFrame) -> pl.DataFrame:
    return shares.select(
        pl.col("region_name").alias("region"), pl.col("unknown").alias("unknown / not reported"),
        pl.col("total").alias("all records"),
        pl.col("share").map_elements(lambda s: _pct(s, 1), return_dtype=pl.String).alias("share"),
        pl.when(pl.col("above_warning")).then(pl.lit("above 10%: data-quality finding"))
        .otherwise(pl.lit("")).alias("finding"))


def theil_figure(dec: dict[str, Any]) -> go.Figure:
    """Between-region (solid) and within-region (hatched) parts, stacked, values as text."""
    fig = go.Figure()
    names = ["Theil index", "Mean log deviation"]
    if dec["mld"]["within_region"] is None:
        names[1] += "<br>(within part undefined: a cell rate is 0)"
    for part, colour, pattern in (("between_region", OKABE_ITO["sky"], ""),
                                  ("within_region", OKABE_ITO["orange"], "/")):
        vals = [dec["theil"][part], dec["mld"][part]]
        word = part.split("_")[0]
        fig.add_bar(x=vals, y=names, orientation="h", name=f"{word} regions",
                    marker={"color": colour, "pattern": {"shape": pattern, "fgopacity": 0.35}},
                    text=[("" if v is None else f"{word} {v:.4f}") for v in vals],
                    textposition="inside", textfont={"color": "black"},
                    insidetextanchor="middle")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="index (0 = every region and group has the overall rate)")
    _layout(fig, "Inequality between regions and within regions", height=340)
    fig.update_layout(legend={"orientation": "h", "y": 1.15, "x": 0})
    return fig


def theil_table(dec: dict[str, Any], names: dict[str, str], kpi: Kpi) -> pl.DataFrame:
    return pl.DataFrame([{
        "region": names.get(r, r), "population share": _pct(v["population_share"], 1),
        "rate": kpi.format_value(None if v["rate"] is None else v["rate"] * kpi.multiplier),
        "share of events": _pct(v["event_share"], 1),
        "Theil within the region": "–" if v["index"] is None else f"{v['index']:.4f}",
    } for r, v in dec["theil"]["regions"].items()])


def theil_summary(dec: dict[str, Any]) -> str:
    t = dec["theil"]
    if t["total"] is None or not t["total"]:
        return "The Theil index cannot be computed: no usable region and group cells."
    share = t["between_region"] / t["total"]
    text = (f"Theil index {t['total']:.4f}: {share:.0%} of it is between regions "
            f"({t['between_region']:.4f}) and {1 - share:.0%} within regions, between groups "
            f"({t['within_region']:.4f}).")
    if dec["mld"]["total"] is None:
        text += " The mean log deviation is undefined here: a cell has a rate of 0."
    return text
