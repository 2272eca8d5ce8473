"""A minimal page behind the sign-in gate, for the browser sign-in test.

``streamlit run tests/e2e/signin_app.py`` from a folder holding ``.streamlit/secrets.toml``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dashboard.auth import gate  # noqa: E402
from dashboard.state import register  # noqa: E402
from metrics.access import visible_kpis  # noqa: E402

viewer = gate()
st.header(viewer.label)
kpis = visible_kpis(register(), viewer)
st.write(f"{len(kpis)} KPIs visible")
st.markdown("\n".join(f"- kpi:{k.kpi_id}" for k in kpis))
