"""Cached access to the workspace for the pages (one engine, data keyed on its version).

Pages call these helpers and never open the database themselves: :func:`read` runs a
library read in a fresh session, :func:`write` runs a library write as the viewer (the
library checks the viewer's role itself), and every cache of data filtered for the viewer
is keyed by :func:`viewer_key`.  Every write is audited, so :func:`version` moves and the
caches follow.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any, TypeVar

import polars as pl
import streamlit as st
from sqlalchemy.exc import OperationalError

from metrics.access import Viewer, filter_observations, visible_kpi_ids
from metrics.definitions import Register
from metrics.engine import load_observations
from metrics.errors import ValidationFailed
from metrics.feedstate import feed_through
from metrics.scorecard import KpiStatus, latest_month, scorecard
from metrics.store import data_version
from metrics.workspace import Workspace


def ui_text(text: str) -> str:
    from dashboard.plaintext import plain

    return plain(text)


def database_url() -> str | None:
    """STATDESK_DATABASE_URL, else [database] url in .streamlit/secrets.toml, else None."""
    url = os.environ.get("STATDESK_DATABASE_URL")
    if url:
        return url
    try:
        return st.secrets.get("database", {}).get("url")  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - no secrets file
        return None


@st.cache_resource(show_spinner=False)
def _workspace(root: str, url: str | None) -> Workspace:
    ws = Workspace.open(root, url)
    ws.init_db()
    return ws


def workspace() -> Workspace:
    """The workspace; stops the page with a clear message when the database cannot be reached."""
    try:
        return _workspace(os.environ.get("STATDESK_WORKSPACE", "data/demo"), database_url())
    except OperationalError:
        url = database_url() or "the workspace's SQLite file"
        where = url.split("@")[-1] if "@" in url else url.split("///")[-1]  # never the password
        st.error(f"The database cannot be reached: {ui_text(where)} did not answer or could not "
                 "be opened. Check STATDESK_DATABASE_URL "
                 "(or [database] url in .streamlit/secrets.toml) and that the database server "
                 "is running, then reload the page.", icon=":material/error:")
        st.stop()
        raise


@st.cache_resource(show_spinner=False, max_entries=4)
def _register(root: str, ver: tuple[int, ...]) -> Register:
    """The definitions with the targets agreed in the app, once per data version."""
    from metrics.target_edits import effective_register

    ws = workspace()
    with ws.session() as s:
        return effective_register(ws.definitions_register, s)


def full_register() -> Register:
    """The validated register, every KPI; stops the page listing the problems if invalid."""
    ws = workspace()
    try:
        return _register(str(ws.root), version())
    except ValidationFailed as exc:
        st.error("The definitions have problems, so nothing can be shown. "
                 "Fix them and run `statdesk validate`:")
        st.code("\n".join(str(i) for i in exc.issues))
        st.stop()
        raise


#: Where the sign-in gate (:func:`dashboard.auth.gate`) keeps the viewer of the session.
VIEWER_KEY = "statdesk_viewer"
T = TypeVar("T")


def read(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(session, *args, **kwargs)`` in a fresh database session: how pages read."""
    try:
        with workspace().session() as s:
            return fn(s, *args, **kwargs)
    finally:
        _forget_version()  # some reads seed a table the first time (an audited write)


def write(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn(session, *args, acting=<the viewer>, **kwargs)``: how pages write.

    The library refuses (AccessDenied) what the viewer's role does not allow.
    """
    kwargs.setdefault("acting", viewer())
    _forget_version()
    try:
        with workspace().session() as s:
            return fn(s, *args, **kwargs)
    finally:
        _forget_version()


def viewer() -> Viewer:
    """The viewer the sign-in gate established; the entry page runs the gate before any page."""
    found = st.session_state.get(VIEWER_KEY)
    if not isinstance(found, Viewer):
        st.error("Sign in first: open StatDesk from its start page.")
        st.stop()
        raise RuntimeError("unreachable")  # st.stop() ends the run
    return found


def _viewer_key() -> tuple[str, str]:
    v = viewer()
    return v.role, v.agency_id


def viewer_key() -> tuple[str, str]:
    """What a cache of data filtered for the viewer must be keyed on (role and agency)."""
    return _viewer_key()


def register() -> Register:
    """The register as this viewer may see it: KPIs they may not see are left out."""
    full = full_register()
    ids = visible_kpi_ids(full, viewer())
    if len(ids) == len(full.kpis):
        return full
    return replace(full, kpis={k: v for k, v in full.kpis.items() if k in ids},
                   targets=tuple(t for t in full.targets if t.kpi_id in ids))


def hidden_from_viewer(kpi_id: str) -> bool:
    """True when the KPI exists but this viewer may not see it (say so, show nothing of it)."""
    return kpi_id in full_register().kpis and kpi_id not in register().kpis


#: Where the data version read in the current script run is kept (see :func:`version`).
_RUN_MEMO = "_statdesk_run_memo"


def _run_token() -> object | None:
    """An object that lives exactly as long as the current script run (None outside one)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return None if ctx is None else getattr(ctx, "parallel_coordinator", None)


def _forget_version() -> None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is not None and hasattr(ctx, _RUN_MEMO):
        delattr(ctx, _RUN_MEMO)


def version() -> tuple[int, ...]:
    """The data version, read once per script run (a page asks for it a dozen times).

    Every read or write through :func:`read` and :func:`write` reads it afresh afterwards,
    so a page that writes and then reads in the same run sees the new version.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    token = _run_token()
    memo = getattr(ctx, _RUN_MEMO, None) if ctx is not None else None
    if memo is not None and token is not None and memo[0] is token:
        return memo[1]  # type: ignore[no-any-return]
    with workspace().session() as s:
        ver = data_version(s)
    if ctx is not None and token is not None:
        setattr(ctx, _RUN_MEMO, (token, ver))  # holds the token: its id cannot be reused
    return ver


@st.cache_data(show_spinner=False, max_entries=8)
def _observations(root: str, ver: tuple[int, ...]) -> pl.DataFrame:
    return load_observations(workspace().engine)


@st.cache_resource(show_spinner=False, max_entries=16)
def _visible_observations(root: str, ver: tuple[int, ...],
                          viewer_key: tuple[str, str]) -> pl.DataFrame:
    """The observations this kind of viewer may see (Polars frames are never mutated, so one
    copy is shared by every run of the same viewer key and data version)."""
    return filter_observations(_observations(root, ver), full_register(), viewer())


def observations() -> pl.DataFrame:
    return _visible_observations(str(workspace().root), version(), _viewer_key())


@st.cache_data(show_spinner=False, max_entries=8)
def _feed_through(root: str, ver: tuple[int, ...]) -> dict[str, date]:
    ws = workspace()
    with ws.session() as s:
        return feed_through(s, ws.register)


def feeds_through() -> dict[str, date]:
    return _feed_through(str(workspace().root), version())


def today() -> date:
    """The date the app computes for (STATDESK_AS_OF pins it, for demos and tests)."""
    pinned = os.environ.get("STATDESK_AS_OF")
    return date.fromisoformat(pinned) if pinned else date.today()


@st.cache_data(show_spinner=False, max_entries=16)
def _scorecard(root: str, ver: tuple[int, ...], month: str | None, as_of: date,
               detail: bool, viewer_key: tuple[str, str]) -> list[KpiStatus]:
    return scorecard(register(), observations(), month=month, as_of=as_of,
                     feed_through=feeds_through(), detail=detail)


def statuses(month: str | None, *, detail: bool = False) -> list[KpiStatus]:
    """Every KPI this viewer may see, with its status for ``month``."""
    return _scorecard(str(workspace().root), version(), month, today(), detail, _viewer_key())


def default_month() -> str | None:
    """The latest closed month with data."""
    return latest_month(observations())
