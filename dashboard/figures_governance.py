"""Plotly figures of the governance pages (no streamlit here: unit-testable).

Okabe-Ito colours, and never colour alone: rejected rows also carry a hatch pattern,
every bar a text label, and each chart has a title saying what it shows.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

BLUE, VERMILLION, ORANGE, GREEN, GREY = "#0072B2", "#D55E00", "#E69F00", "#009E73", "#999999"
STATUS_ICONS = {"on_time": "", "late": "", "missing": ""}  # words only: no emoji in cells


def _layout(fig: go.Figure, title: str, *, height: int = 360) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0}, height=height, margin={"l": 10, "r": 10,
                      "t": 50, "b": 10}, legend={"orientation": "h", "y": -0.2},
                      plot_bgcolor="white", font={"size": 13})
    fig.update_yaxes(gridcolor="#e5e5e5", zeroline=True, zerolinecolor="#bbbbbb")
    return fig


def batch_label(history: pl.DataFrame) -> pl.Series:
    return history.select(pl.format("#{} {}", pl.col("batch_id"),
                                    pl.col("received_at").dt.strftime("%Y-%m-%d"))).to_series()


def batches_figure(history: pl.DataFrame, feed_name: str) -> go.Figure:
    """Rows accepted (top panel) and rows rejected (bottom panel, its own scale) in each
    batch of a feed, oldest first: a few rejected rows stay visible beside half a million
    accepted ones, and every bar carries its full number."""
    from plotly.subplots import make_subplots

    x = batch_label(history).to_list()
    files = history["file"].to_list()
    acc, rej = history["rows_accepted"].to_list(), history["rows_rejected"].to_list()
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        row_heights=[0.55, 0.45])
    fig.add_bar(x=x, y=acc, name="Rows accepted", marker={"color": BLUE}, customdata=files,
                text=[f"{n:,}" for n in acc], textposition="outside", cliponaxis=False,
                constraintext="none",
                hovertemplate="%{x}<br>%{customdata}<br>%{y:,} accepted<extra></extra>",
                row=1, col=1)
    fig.add_bar(x=x, y=rej, name="Rows rejected (quarantined)",
                marker={"color": VERMILLION, "pattern": {"shape": "x", "fgcolor": "white"}},
                text=[f"{n:,} rejected" if n else "none" for n in rej], textposition="outside",
                cliponaxis=False, constraintext="none", customdata=files,
                hovertemplate="%{x}<br>%{customdata}<br>%{y:,} rejected<extra></extra>",
                row=2, col=1)
    top = max(acc, default=0) or 1
    fig.update_yaxes(title_text="Rows accepted", range=[0, top * 1.25], tickformat=",d",
                     row=1, col=1)
    fig.update_yaxes(title_text="Rows rejected", range=[0, (max(rej, default=0) or 1) * 1.35],
                     tickformat=",d", rangemode="nonnegative", row=2, col=1)
    fig.update_xaxes(title_text="Batch (number, date received)", row=2, col=1)
    return _layout(fig, f"Rows accepted and rejected per batch: {feed_name}", height=460)


def quarantine_figure(by_code: pl.DataFrame, feed_name: str) -> go.Figure:
    """Quarantined problems by error code (horizontal bars, largest first, labelled)."""
    df = by_code.sort("problems")
    labels = [f"{t} ({c})" for t, c in zip(df["title"].to_list(), df["code"].to_list(),
                                            strict=True)]
    fig = go.Figure(go.Bar(x=df["problems"].to_list(), y=labels, orientation="h",
                           marker={"color": ORANGE, "pattern": {"shape": "/"}},
                           text=[f"{n:,}" for n in df["problems"].to_list()],
                           textposition="outside", cliponaxis=False, constraintext="none",
                           hovertemplate="%{y}: %{x} problems<extra></extra>"))
    fig.update_layout(xaxis_title="Problems quarantined", yaxis_title=None)
    return _layout(fig, f"Quarantined problems by error code: {feed_name}",
                   height=max(220, 60 + 34 * df.height))


def status_cell(status: str, word: str) -> str:
    """Icon and word of a feed status for a table cell."""
    return f"{STATUS_ICONS.get(status, '')} {word}".strip()
