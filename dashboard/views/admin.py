"""Users and audit log: who may sign in (add, change, deactivate), and who changed what, when.

URL: ``admin?tab=users`` (default) or ``admin?tab=audit`` with optional ``entity=`` and
``actor=`` filters on the audit log. Only administrators open this page (and, in local
mode, the one person using StatDesk on their own computer). Every typed text is shown
as text: tables are data grids, messages are escaped Markdown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
import streamlit as st

from dashboard import components as ui
from dashboard import state
from dashboard.auth import current_viewer
from metrics import audit
from metrics.access import (
    ADMIN,
    AGENCY_LEAD,
    ROLE_LABELS,
    ROLES,
    AccessDenied,
    Viewer,
    can_edit,
    can_open,
)
from metrics.users import UserError, add_user, check_user, list_users, normalise_email, remove_user

TABS = {"users": "Users", "audit": "Audit log"}
ALL = "all"
MAX_SHOWN = 2000
ss = st.session_state


def _refuse(viewer: Viewer) -> None:
    st.title("Users and audit log")
    st.error(f"{ui.escape(viewer.label)} cannot open this page: only administrators manage "
             "users and read the audit log. Ask an administrator if you need a change; "
             "pick another page in the navigation.", icon=":material/error:")
    st.stop()


viewer = current_viewer()
if not can_open(viewer, "admin"):
    _refuse(viewer)
reg = state.register()
may_edit = viewer.local or can_edit(viewer, "users")


def _actor() -> str:
    """Who is making the change, as the audit log names them."""
    return viewer.actor


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S} UTC" if at else ""


def _problems(key: str) -> None:
    problems: list[str] = ss.get(key) or []
    if problems:
        st.error("Nothing was saved. Please fix:\n\n"
                 + "\n".join(f"- {ui.escape(p)}" for p in problems), icon=":material/error:")


def _flash(key: str) -> None:
    if msg := ss.pop(key, None):
        st.success(ui.escape(msg), icon=":material/check_circle:")


# --- users ------------------------------------------------------------------------------


def users_frame(users: list[Any]) -> pl.DataFrame:
    rows = [{"E-mail": u.email, "Name": u.name, "Role": ROLE_LABELS.get(u.role, u.role),
             "Agency": reg.agencies[u.agency_id].name if u.agency_id in reg.agencies
             else u.agency_id, "Active": "yes" if u.active else "no (deactivated)",
             "Last changed": _when(u.updated_at or u.created_at), "Changed by": u.updated_by}
            for u in users]
    return pl.DataFrame(rows, schema={c: pl.String for c in (
        "E-mail", "Name", "Role", "Agency", "Active", "Last changed", "Changed by")})


def _add() -> None:
    email, role = ss["au_email"].strip(), ss["au_role"]
    agency = ss["au_agency"] if role == AGENCY_LEAD else ""
    problems = check_user(email, role, agency, reg)
    if (not viewer.local and normalise_email(email) == normalise_email(viewer.email)
            and role != ADMIN):
        problems.append("You cannot take away your own administrator role; ask another "
                        "administrator to do it.")
    if problems:
        ss["au_errors"] = problems
        return
    try:
        user = state.write(add_user, email, role, agency_id=agency, name=ss["au_name"].strip(),
                           register=reg, actor=_actor(), acting=viewer)
    except (UserError, AccessDenied) as exc:
        ss["au_errors"] = [str(exc)]
        return
    ss["au_errors"] = []
    where = f", agency {user.agency_id}" if user.agency_id else ""
    ss["au_flash"] = f"Saved {user.email}: {ROLE_LABELS[user.role]}{where}. They can sign in now."
    ss["au_email"], ss["au_name"] = "", ""


def _deactivate() -> None:
    email = ss.get("du_email")
    problems = []
    if not email:
        problems.append("Choose the user to deactivate.")
    elif not viewer.local and normalise_email(email) == normalise_email(viewer.email):
        problems.append("You cannot deactivate yourself; ask another administrator.")
    if not ss.get("du_confirm"):
        problems.append("Tick the box to confirm: the user will no longer be able to sign in.")
    if problems:
        ss["du_errors"] = problems
        return
    try:
        user = state.write(remove_user, str(email), actor=_actor(), acting=viewer)
    except (UserError, AccessDenied) as exc:
        ss["du_errors"] = [str(exc)]
        return
    ss["du_errors"] = []
    ss["du_flash"] = (f"{user.email} is deactivated and can no longer sign in. The audit log "
                      "keeps their history; adding them again reactivates them.")
    ss["du_confirm"] = False


def users_tab() -> None:
    users = state.read(list_users)
    active = [u for u in users if u.active]
    st.subheader(f"Users ({len(active)} active, {len(users) - len(active)} deactivated)")
    if viewer.local:
        st.info("Local mode: nobody signs in, so this list takes effect once sign-in is "
                "configured ([auth] in .streamlit/secrets.toml).", icon=":material/info:")
    if users:
        df = users_frame(users)
        ui.table(df, key="admin_users_table")
        ui.csv_button(df, name="statdesk-users", key="admin_users_csv", label="users (CSV)")
    else:
        st.caption("No user yet: add the first one below (or run statdesk users add).")
    if not may_edit:
        st.caption("Only administrators change users.")
        return

    add_box = ui.on_demand("Add a user, or change one's role", key="au_open",
                           icon=":material/person_add:")
    if add_box is not None:
        with add_box:
            st.caption("Adding an address that exists changes its role and agency and "
                       "reactivates it. An agency lead needs an agency; other roles have none.")
            _flash("au_flash")
            _problems("au_errors")
            with st.form("add_user"):
                a, b = st.columns(2)
                a.text_input("E-mail address", key="au_email", max_chars=254,
                             placeholder="name@agency.lakeland.gov")
                b.text_input("Name (optional)", key="au_name", max_chars=200)
                c, d = st.columns(2)
                roles: list[str] = list(ROLES)
                c.selectbox("Role", roles, key="au_role", format_func=lambda r: ROLE_LABELS[r])
                d.selectbox("Agency (agency leads only)", ["", *reg.agencies], key="au_agency",
                            format_func=lambda x: reg.agencies[x].name if x else "No agency")
                st.form_submit_button("Save user", on_click=_add, type="primary")

    box = ui.on_demand("Deactivate a user", key="du_open", icon=":material/person_off:")
    if box is None:
        return
    with box:
        _flash("du_flash")
        _problems("du_errors")
        if not active:
            st.caption("No active user.")
            return
        with st.form("deactivate_user"):
            st.selectbox("User", [u.email for u in active], key="du_email", index=None,
                         placeholder="Choose a user")
            st.checkbox("I confirm: this user will no longer be able to sign in", key="du_confirm")
            st.form_submit_button("Deactivate", on_click=_deactivate)


# --- audit log --------------------------------------------------------------------------


def _distinct(field: str) -> list[str]:
    return state.read(audit.distinct_values, field)


def audit_tab() -> None:
    st.subheader("Audit log")
    st.caption("Every change made in StatDesk or with its commands: who, what, which record "
               "and when (UTC), newest first.")
    entities = _distinct("entity")
    actors = _distinct("actor")
    c1, c2 = st.columns(2)
    entity, bad_entity = ui.choose("Entity", [ALL, *entities], name="entity", key="audit_entity",
                                   default=ALL, container=c1,
                                   format_func=lambda e: "All entities" if e == ALL else e)
    actor, bad_actor = ui.choose("Who", [ALL, *actors], name="actor", key="audit_actor",
                                 default=ALL, container=c2,
                                 format_func=lambda a: "Everyone" if a == ALL else a)
    for what, bad in (("entity", bad_entity), ("actor", bad_actor)):
        if bad is not None:
            st.warning(f"The audit log has no {what} '{ui.escape(bad)}' (from the address's "
                       f"'{what}=' part); showing every {what}.", icon=":material/warning:")
    rows = state.read(audit.entries, entity=None if entity == ALL else entity,
                      actor=None if actor == ALL else actor)
    frame = audit.audit_frame(rows)
    if frame.height == 0:
        st.info("No audit entry matches." if entities else "The audit log is empty.", icon=":material/info:")
        return
    st.caption(f"{frame.height:,} entr{'y' if frame.height == 1 else 'ies'}"
               + (f"; the newest {MAX_SHOWN:,} are shown, the download has them all."
                  if frame.height > MAX_SHOWN else "."))
    shown = frame.head(MAX_SHOWN).with_columns(
        pl.col("at").dt.strftime("%Y-%m-%d %H:%M:%S UTC")).rename(
        {"at": "When", "actor": "Who", "action": "Action", "entity": "Entity",
         "entity_id": "Record", "detail": "Detail"})
    ui.table(shown, key="admin_audit_table")
    name = "statdesk-audit" + ("" if entity == ALL else f"-{entity}")
    ui.csv_button(frame, name=name, key="admin_audit_csv", label="audit log (CSV)")


st.title("Users and audit log")
tab, bad_tab = ui.choose("Show", list(TABS), name="tab", key="admin_tab", default="users",
                         format_func=lambda t: TABS[t])
if bad_tab is not None:
    st.warning(f"There is no tab '{ui.escape(bad_tab)}'; tabs: {', '.join(TABS)}. Showing users.",
               icon=":material/warning:")
if tab == "users":
    users_tab()
else:
    audit_tab()
