"""The form on the KPI page where staff agree a new target (version-checked, audited)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import streamlit as st

from dashboard import state
from metrics.access import AccessDenied, can_edit
from metrics.definitions import Kpi
from metrics.periods import period_of_month
from metrics.target_edits import StaleTarget, TargetError, current_version, save_target


def _baseline_label(kpi: Kpi, when: date | None) -> str:
    if when is None:
        return ""
    return period_of_month(date(when.year, when.month, 1), kpi.grain, fiscal_start=kpi.fiscal_start)


def target_form(kpi: Kpi) -> None:
    """Staff and admins may change the statewide target; everyone else sees nothing here."""
    viewer = state.viewer()
    if not (viewer.local or can_edit(viewer, "target")):
        return
    # drawn only once opened: its inputs are not loaded with every KPI page
    box = st.expander("Change the target", key=f"tf_open_{kpi.kpi_id}", on_change="rerun",
                      icon=":material/edit:")
    if not box.open:
        return
    ws = state.workspace()
    key = f"target_version_{kpi.kpi_id}"  # the version the form was opened on
    now = state.read(current_version, kpi.kpi_id)
    st.session_state.setdefault(key, now)
    cur = state.full_register().target_for(kpi.kpi_id)
    with box:
        st.caption("A target agreed here takes the place of the one in the definitions; who set "
                   "and approved it is recorded, and every change goes to the audit log.")
        with st.form(f"target_form_{kpi.kpi_id}"):
            c1, c2 = st.columns(2)
            bv = c1.number_input("Baseline value", value=float(cur.baseline_value or 0.0)
                                 if cur else 0.0, format="%.4f", key=f"tf_bv_{kpi.kpi_id}")
            bp = c2.text_input("Baseline period (e.g. 2024-10, 2024-Q3, FY2025)",
                               value=_baseline_label(kpi, cur.baseline_date if cur else None),
                               key=f"tf_bp_{kpi.kpi_id}")
            tv = c1.number_input("Target value", value=float(cur.target_value or 0.0)
                                 if cur else 0.0, format="%.4f", key=f"tf_tv_{kpi.kpi_id}")
            td = c2.date_input("Target date", value=cur.target_date if cur and cur.target_date
                               else date(state.today().year + 1, 6, 30), key=f"tf_td_{kpi.kpi_id}")
            set_by = c1.text_input("Set by", value=cur.set_by if cur else "",
                                   key=f"tf_sb_{kpi.kpi_id}")
            approved_by = c2.text_input("Approved by", value=cur.approved_by if cur else "",
                                        key=f"tf_ab_{kpi.kpi_id}")
            source = st.text_input("Source or reason", value=cur.source if cur else "",
                                   key=f"tf_src_{kpi.kpi_id}")
            saved = st.form_submit_button("Save target")
        if st.button("Reload the target", key=f"tf_reload_{kpi.kpi_id}"):
            st.session_state[key] = now
            st.rerun()
    if not saved:
        return
    values = {"baseline_value": bv, "baseline_period": bp, "target_value": tv, "target_date": td,
              "set_by": set_by, "approved_by": approved_by, "source": source,
              "approved_on": state.today() if approved_by.strip() else None, "agreed": True}
    try:
        rec = state.write(save_target, ws.definitions_register, kpi.kpi_id, values,
                          expected_version=st.session_state[key],
                          by=viewer.actor, at=datetime.now(UTC), acting=viewer)
    except AccessDenied as exc:
        st.error(str(exc))
        return
    except TargetError as exc:
        st.error("The target was not saved:\n\n" + "\n".join(
            f"- **{k.replace('_', ' ')}**: {v}" for k, v in exc.problems.items()))
        return
    except StaleTarget as exc:
        st.error(str(exc))
        return
    st.session_state[key] = rec.version
    st.toast(f"Target saved (version {rec.version}); statuses now use it.")
    st.rerun()
