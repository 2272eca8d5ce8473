"""Sign-in gate: who is looking at the app, called at the top of every page run.

With an ``[auth]`` section in ``.streamlit/secrets.toml`` (OIDC: client_id,
client_secret, server_metadata_url, redirect_uri, cookie_secret) visitors sign in with
``st.login`` and are looked up by e-mail in the users table (``statdesk users add``):
a signed-out visitor sees only a log-in prompt; an unknown or removed user sees a
"not authorised" message and nothing else. Without ``[auth]`` the app runs in local
mode: one person on this computer, with the governor's staff view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from dashboard.state import VIEWER_KEY, workspace
from metrics.access import ROLE_LABELS, Viewer, local_viewer
from metrics.serving import is_loopback, open_without_sign_in
from metrics.users import viewer_for


def auth_settings() -> Mapping[str, Any] | None:
    """The ``[auth]`` section of the secrets, or None when sign-in is not configured."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # noqa: BLE001 - no secrets file at all
        return None
    return section if isinstance(section, Mapping) and section else None


def _provider(settings: Mapping[str, Any]) -> str | None:
    """A named provider (``[auth.NAME]``) when ``[auth]`` has no client settings of its own."""
    if "client_id" in settings or "server_metadata_url" in settings:
        return None
    named = [k for k, v in settings.items() if isinstance(v, Mapping)]
    return named[0] if named else None


def _lookup(email: str | None) -> Viewer | None:
    with workspace().session() as s:
        return viewer_for(s, email)


def _signed_out(settings: Mapping[str, Any]) -> None:
    st.title("StatDesk")
    st.write("Governor's Office of Results. Sign in with your state account to continue.")
    provider = _provider(settings)
    st.button("Log in", key="auth_login", type="primary",
              on_click=st.login, args=(provider,) if provider else ())
    st.stop()


def _not_authorised(email: str) -> None:
    st.title("StatDesk")
    st.error(f"You are signed in as {email or 'an account without an e-mail address'}, "
             "but this account is not authorised to use StatDesk. Ask the results office "
             "to add you (statdesk users add), then log in again.")
    st.button("Log out", key="auth_logout_denied", on_click=st.logout)
    st.stop()


def _address() -> str | None:
    try:
        value = st.get_option("server.address")
    except Exception:  # noqa: BLE001 - no server (scripts, tests)
        return None
    return str(value) if value else None


def _local_guard() -> None:
    """Without sign-in, refuse to show anything on an address others can reach (fail closed)."""
    address = _address()
    if address is None or is_loopback(address) or open_without_sign_in():
        return
    st.title("StatDesk")
    st.error("Sign-in is not configured, so this app shows nothing on a network address. "
             "Configure sign-in ([auth] in .streamlit/secrets.toml), or start it with "
             "'statdesk run' on this computer only.", icon="🚫")
    st.stop()


def _sidebar(viewer: Viewer) -> None:
    with st.sidebar:
        if viewer.local:
            address = _address()
            if address is not None and not is_loopback(address):
                st.warning(f"No sign-in is configured and StatDesk is served to the network "
                           f"({address}): everyone who reaches it sees everything, as the "
                           "governor's staff do.", icon="⚠️")
                return
            st.info("Local mode: no sign-in is configured, so StatDesk listens on this "
                    "computer (127.0.0.1) only and you see everything, as the governor's "
                    "staff do.", icon=":material/lock:")
            return
        st.caption(f"Signed in as {viewer.name or viewer.email}")
        st.caption(f"Role: {ROLE_LABELS[viewer.role]}"
                   + (f" · agency {viewer.agency_id}" if viewer.agency_id else ""))
        st.button("Log out", key="auth_logout", on_click=st.logout)


def gate(*, sidebar: bool = True) -> Viewer:
    """The viewer of this run; stops the page for anyone who may not see it."""
    settings = auth_settings()
    if settings is None:
        _local_guard()
        viewer = local_viewer()
    else:
        if not st.user.is_logged_in:
            _signed_out(settings)
        email = str(st.user.get("email") or "")
        try:
            found = _lookup(email)
        except Exception:  # noqa: BLE001 - never show internals to a visitor
            st.title("StatDesk")
            st.error("Sign-in is unavailable: the list of users cannot be read right now. "
                     "Try again in a few minutes, or tell the results office.")
            st.stop()
            raise
        if found is None:
            _not_authorised(email)
            raise RuntimeError("unreachable")  # st.stop() ends the run
        viewer = found
    st.session_state[VIEWER_KEY] = viewer
    if sidebar:
        _sidebar(viewer)
    return viewer


def current_viewer() -> Viewer:
    """The viewer ``gate()`` established in this session (pages call this)."""
    viewer = st.session_state.get(VIEWER_KEY)
    return viewer if isinstance(viewer, Viewer) else gate(sidebar=False)


__all__ = ["gate", "current_viewer", "auth_settings", "VIEWER_KEY"]
