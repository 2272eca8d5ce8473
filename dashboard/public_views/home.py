"""Public home: the priority outcomes, their status in words and a plain-language summary."""

from __future__ import annotations

import html

import polars as pl
import streamlit as st

from dashboard import public_figures as pf
from dashboard.htmltable import figures_html
from dashboard.plaintext import plain
from dashboard.public_views.data import SnapshotMissing, month_text, show_missing, snapshot
from metrics.public_html import largest_gap, svg_line

try:
    snap = snapshot()
except SnapshotMissing as exc:
    show_missing(exc)
    raise

st.title("Equity snapshot: the state's priority outcomes")
st.write(f"Data current through {month_text(snap.month)}. Published "
         f"{snap.manifest.get('published_at', '')[:10]} (version {snap.manifest.get('version', '')}).")
st.write("Each outcome below shows where the state stands against its target, in words, and "
         "how the figure differs by race and ethnicity. Follow a link for the detail, the map "
         "by region, the methodology and the data.")

by_priority: dict[str, list[dict]] = {}
for k in sorted(snap.kpis.values(), key=lambda k: (k.get("priority_order", 99), k["name"])):
    by_priority.setdefault(k["priority"], []).append(k)

summaries = snap.summaries.get("en", {})
summaries_es = snap.summaries.get("es", {})
COLOURS = {"met": "green", "on track": "green", "at risk": "orange", "off track": "red"}

for priority, kpis in by_priority.items():
    st.header(plain(priority))
    for k in kpis:
        s = snap.status.get(k["kpi_id"], {})
        st.subheader(plain(k["name"]))
        rows = snap.observations.filter(pl.col("kpi_id") == k["kpi_id"])
        trend = rows.filter((pl.col("region") == "all") & (pl.col("group") == "all")).sort(
            "period_end")
        points = [(p, None if h else v) for p, v, h in trend.select(
            "period", "value", "suppressed").rows()]
        left, mid, right = st.columns([1, 1, 2])
        word = s.get("status", "no data")
        with left:
            st.html(figures_html([(f"Statewide, {s.get('period_display') or s.get('period') or 'no data'}",
                                   pf.fmt(k, s.get("value")))]))
            st.markdown(f"**:{COLOURS.get(word, 'gray')}[Status: {plain(word)}.]**")
        with mid:
            st.html(svg_line(points, label=f"{k['name']}: trend, {len(points)} periods; hidden "
                                           "periods are gaps", spark=True))
        with right:
            latest = rows.filter(pl.col("period") == s.get("period"))
            st.write(plain(html.unescape(largest_gap(lambda v, k=k: pf.fmt(k, v), latest,
                                                     snap.groups))))
        st.write(plain(s.get("explanation", "")))
        st.write(plain(summaries.get(k["kpi_id"], {}).get("text", "")))
        if resumen := pf.spanish_summary(summaries_es.get(k["kpi_id"], {}).get("text", ""), "h4"):
            st.markdown(resumen, unsafe_allow_html=True)
        st.page_link("public_views/outcome.py", label=f"{k['name']}: details, map and data",
                     query_params={"kpi": k["kpi_id"]})
