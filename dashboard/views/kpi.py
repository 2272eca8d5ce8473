"""KPI detail."""

import streamlit as st

from dashboard import state

reg = state.register()
kpi_id = st.query_params.get("id")
if kpi_id not in reg.kpis:
    st.error(f"There is no KPI '{kpi_id}'.")
    st.page_link("views/session.py", label="Back to the stat session")
    st.stop()
st.title(reg.kpis[kpi_id].name)
