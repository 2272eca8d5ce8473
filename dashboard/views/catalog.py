"""Catalog and governance: the data inventory, sharing agreements and the data roadmap.

URL: ``catalog?tab=inventory|agreements|roadmap``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from dashboard import components as ui
from dashboard import downloads, state
from metrics.access import AccessDenied, can_edit
from metrics.definitions.models import CADENCES, CLASSIFICATIONS
from metrics.feedstate import last_batches
from metrics.governance import feed_health
from metrics.governance.agreements import agreement_states, agreements_frame
from metrics.governance.dcat import catalog_json
from metrics.governance.inventory import (
    RESTRICTION_RULE,
    InventoryError,
    StaleEdit,
    ensure_inventory,
    get,
    inventory_frame,
    save_dataset,
    split_list,
)
from metrics.governance.roadmap import (
    HORIZONS,
    PILLARS,
    STAGES,
    STATUSES,
    ensure_roadmap,
    list_actions,
    roadmap_frame,
    update_action,
)

TABS = {"inventory": "Data inventory", "agreements": "Sharing agreements",
        "roadmap": "Data roadmap"}
NEW = "(new dataset)"
ACTION_ICONS = {"not started": "○", "in progress": "◐", "done": "●"}

AGREEMENT_ICONS = {"expired": ":material/block:", "expiring": ":material/hourglass_bottom:"}
reg = state.register()
ws = state.workspace()
as_of = state.today()

st.title("Catalog and governance")
param = st.query_params.get("tab", "inventory")
if param not in TABS:
    st.error(f"There is no tab '{ui.escape(param)}'. Tabs: {', '.join(TABS)}.")
    st.page_link("views/catalog.py", label="Back to the data inventory", icon=":material/undo:")
    st.stop()
if st.session_state.get("_cat_tab_param") != param:  # the URL changed: follow it
    st.session_state["cat_tab"] = param
tab = st.radio("Show", list(TABS), format_func=TABS.get, horizontal=True, key="cat_tab",
               label_visibility="collapsed")
st.session_state["_cat_tab_param"] = tab
if st.query_params.get("tab") != tab:
    st.query_params["tab"] = tab


def _who() -> str:
    return state.viewer().actor


def _flash(key: str) -> None:
    msg = st.session_state.pop(key, None)
    if msg:
        st.success(msg, icon=":material/check_circle:")


def _stale(msg_key: str, button_key: str, loaded_key: str) -> None:
    """After a refused stale save: say so, and offer to reload the current version."""
    msg = st.session_state.get(msg_key)
    if not msg:
        return
    st.error(msg)
    if st.button("Reload the current version", key=button_key):
        st.session_state.pop(msg_key, None)
        st.session_state[loaded_key] = (None, None)
        st.rerun()


def _problems(exc: InventoryError) -> None:
    st.error("Not saved. Fix these and save again:\n\n" + "\n".join(f"- {p}" for p in exc.problems))


# --- inventory --------------------------------------------------------------------------
FIELDS = ("dataset_id", "title", "description", "source_system", "agency_id", "steward",
          "steward_email", "classification", "restricted", "restriction_citation", "legal_basis",
          "cadence", "feed_ids", "keywords")


def _load_dataset(dsid: str) -> None:
    """Put the stored values (or blanks) into the form and remember the version loaded."""
    ds = state.read(get, dsid) if dsid != NEW else None
    for f in FIELDS:
        v = getattr(ds, f) if ds else {"agency_id": next(iter(reg.agencies)),
                                       "classification": "internal", "cadence": "monthly",
                                       "restricted": False}.get(f, "")
        st.session_state[f"inv_{f}"] = split_list(v) if f == "feed_ids" else v
    st.session_state["inv_loaded"] = (dsid, ds.version if ds else None)
    st.session_state.pop("inv_stale", None)


def _written(stale_key: str, write: Callable[[], Any]) -> Any:
    """The record ``write`` saved, or None when it was refused: the problems are listed, or
    the refusal (no right to edit, or someone saved first) is kept for the banner."""
    try:
        return write()
    except InventoryError as exc:
        _problems(exc)
    except (AccessDenied, StaleEdit) as exc:
        st.session_state[stale_key] = f"Not saved: {exc}"
    return None


def inventory_tab() -> None:
    added = state.read(ensure_inventory, reg, at=datetime.now(UTC))  # seeds an empty inventory
    frame = state.read(inventory_frame, reg)
    if added:
        st.info(f"The inventory was empty: {added} datasets were created from the feed contracts.")
    st.caption("Every dataset the results office receives, its steward, classification, legal "
               "basis and the KPIs it serves. " + RESTRICTION_RULE)
    ui.table(frame.drop("description", "updated_at"), key="inv_table",
             labels={"last_batch": "Last batch"})
    c1, c2 = st.columns(2)
    c1.download_button("Download the inventory (CSV)", lambda: downloads.to_csv(frame),
                       file_name="data_inventory.csv", mime="text/csv", key="inv_csv",
                       on_click="ignore", icon=":material/download:")
    c2.download_button("Download data.json (DCAT-US 1.1)",
                       lambda: catalog_json(frame, reg, as_of=as_of).encode(),
                       file_name="data.json", mime="application/json", key="inv_dcat",
                       on_click="ignore", icon=":material/download:")

    if not can_edit(state.viewer(), "catalog"):
        st.caption("Data stewards and administrators edit the inventory; you may look and "
                   "download.")
        return
    box = ui.on_demand("Edit a dataset, or add one", key="inv_edit_open", icon=":material/edit:")
    if box is None:
        return
    with box:
        _flash("inv_flash")
        pick = st.selectbox("Dataset", [NEW, *frame["dataset_id"].to_list()], key="inv_pick",
                            index=1 if frame.height else 0)
        if st.session_state.get("inv_loaded", (None,))[0] != pick or "inv_title" not in st.session_state:
            _load_dataset(pick)
        loaded_version = st.session_state["inv_loaded"][1]
        with st.form("inv_form"):
            st.text_input("Identifier", key="inv_dataset_id", disabled=pick != NEW)
            st.text_input("Title", key="inv_title")
            st.text_area("Description", key="inv_description")
            st.text_input("Source system", key="inv_source_system")
            st.selectbox("Owner agency", list(reg.agencies), key="inv_agency_id",
                         format_func=lambda a: f"{reg.agencies[a].name} ({a})")
            a, b = st.columns(2)
            a.text_input("Data steward", key="inv_steward")
            b.text_input("Steward e-mail", key="inv_steward_email")
            a.selectbox("Classification", list(CLASSIFICATIONS), key="inv_classification")
            b.selectbox("Refresh cadence", list(CADENCES), key="inv_cadence")
            st.text_input("Legal basis", key="inv_legal_basis")
            st.multiselect("Feeds", list(reg.feeds), key="inv_feed_ids")
            st.text_input("Keywords (separated by ';')", key="inv_keywords")
            st.checkbox("Restricted: sharing is prohibited by law", key="inv_restricted")
            st.text_input("Legal citation that prohibits sharing (required if restricted)",
                          key="inv_restriction_citation")
            st.caption(f"Editing version {loaded_version}." if loaded_version else "New dataset.")
            submitted = st.form_submit_button("Save dataset", type="primary")
        if submitted:
            values = {f: st.session_state[f"inv_{f}"] for f in FIELDS}
            values["feed_ids"] = "; ".join(values["feed_ids"])
            saved = _written("inv_stale", lambda: state.write(
                save_dataset, reg, values, expected_version=loaded_version, by=_who(),
                at=datetime.now(UTC)))
            if saved is not None:
                st.session_state["inv_flash"] = (f"Saved '{saved.dataset.dataset_id}' "
                                                 f"(version {saved.dataset.version}).")
                st.session_state["inv_loaded"] = (None, None)
                if saved.created:
                    st.session_state["inv_pick_next"] = saved.dataset.dataset_id
                st.rerun()
        _stale("inv_stale", "inv_reload", "inv_loaded")


# --- agreements -------------------------------------------------------------------------
def agreements_tab() -> None:
    health = state.read(feed_health, reg, as_of)
    applied = state.read(last_batches)
    states = agreement_states(reg, as_of, health=health, last_applied=applied)
    st.caption(f"Judged on {as_of:%d %b %Y}. An agreement expiring within 90 days is flagged, "
               "and so is every feed still flowing under an expired agreement.")
    flagged = [s for s in states if s.flags]
    for s in flagged:
        text = f"**{s.agreement.name}** ({s.agreement.agreement_id}): " + " ".join(s.flags)
        (st.error if s.status == "expired" else st.warning)(text, icon=AGREEMENT_ICONS.get(s.status, ":material/info:"))
    if not flagged:
        st.success("No agreement expires within 90 days and none has expired.", icon=":material/check_circle:")
    frame = agreements_frame(states)
    ui.table(frame, key="agr_table")


# --- roadmap ----------------------------------------------------------------------------
def _load_action(act: Any) -> None:  # a roadmap action as the library returns it
    st.session_state["rm_status"] = act.status
    st.session_state["rm_owner"] = act.owner
    st.session_state["rm_due"] = act.due_on
    st.session_state["rm_loaded"] = (act.id, act.version)
    st.session_state.pop("rm_stale", None)


def roadmap_tab() -> None:
    state.read(ensure_roadmap)  # seeds an empty roadmap
    acts = state.read(list_actions)
    frame = state.read(roadmap_frame, as_of)
    st.caption("The actions that make data a shared asset, by stage and pillar, with the win "
               "each brings. ○ not started · ◐ in progress · ● done")
    _flash("rm_flash")
    for stage in STAGES:
        st.markdown(f"#### {stage}")
        cols = st.columns(len(PILLARS))
        for col, pillar in zip(cols, PILLARS, strict=True):
            col.markdown(f"**{pillar}**")
            for a in (x for x in acts if x.stage == stage and x.pillar == pillar):
                due = f", due {a.due_on:%d %b %Y}" if a.due_on else ""
                col.markdown(f"{ACTION_ICONS.get(a.status, '')} {a.title}  \n"
                             f"*{a.status}{', ' + a.owner if a.owner else ''}{due} · "
                             f"{HORIZONS.get(a.win_horizon, a.win_horizon)}: {a.win}*")
    if (table_box := ui.on_demand("The roadmap as a table", key="rm_table_open",
                                  icon=":material/table:")) is not None:
        with table_box:
            ui.table(frame, key="rm_table")

    if not can_edit(state.viewer(), "roadmap"):
        st.caption("Data stewards and administrators update the roadmap; you may look.")
        return
    box = ui.on_demand("Update an action", key="rm_edit_open", icon=":material/edit:")
    if box is None:
        return
    with box:
        by_id = {a.id: a for a in acts}
        pick = st.selectbox("Action", list(by_id), key="rm_pick",
                            format_func=lambda i: f"{by_id[i].stage} · {by_id[i].pillar} · "
                            f"{by_id[i].title}")
        if st.session_state.get("rm_loaded", (None,))[0] != pick or "rm_status" not in st.session_state:
            _load_action(by_id[pick])
        version = st.session_state["rm_loaded"][1]
        with st.form("rm_form"):
            st.selectbox("Status", list(STATUSES), key="rm_status")
            st.text_input("Owner", key="rm_owner")
            st.date_input("Due date", key="rm_due", format="YYYY-MM-DD")
            submitted = st.form_submit_button("Save action", type="primary")
        if submitted:
            act = _written("rm_stale", lambda: state.write(
                update_action, pick, status=st.session_state["rm_status"],
                owner=st.session_state["rm_owner"], due_on=st.session_state["rm_due"],
                expected_version=version, by=_who(), at=datetime.now(UTC)))
            if act is not None:
                st.session_state["rm_flash"] = f"Saved '{act.title}' (version {act.version})."
                st.session_state["rm_loaded"] = (None, None)
                st.rerun()
        _stale("rm_stale", "rm_reload", "rm_loaded")


if "inv_pick_next" in st.session_state:
    st.session_state["inv_pick"] = st.session_state.pop("inv_pick_next")
{"inventory": inventory_tab, "agreements": agreements_tab, "roadmap": roadmap_tab}[tab]()
