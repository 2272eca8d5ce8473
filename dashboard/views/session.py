"""Stat session: the month's scorecard."""

import streamlit as st

from dashboard import state

st.title("Stat session")
reg = state.register()
month = state.default_month()
for s in state.statuses(month):
    st.write(f"**{s.name}** — {s.status}: {s.value_text}")
