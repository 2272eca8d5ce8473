"""Public home: the priority outcomes, their status in words and a plain-language summary."""

from __future__ import annotations

import streamlit as st

from dashboard.plaintext import plain
from dashboard.public_views.data import SnapshotMissing, month_text, show_missing, snapshot

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
for priority, kpis in by_priority.items():
    st.header(plain(priority))
    for k in kpis:
        s = snap.status.get(k["kpi_id"], {})
        st.subheader(plain(k["name"]))
        st.markdown(f"**Status: {plain(s.get('status', 'no data'))}.** "
                    f"{plain(s.get('explanation', ''))}")
        st.write(plain(summaries.get(k["kpi_id"], {}).get("text", "")))
        st.page_link("public_views/outcome.py", label=f"{k['name']}: details, map and data",
                     query_params={"kpi": k["kpi_id"]})
