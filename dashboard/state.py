"""Cached access to the workspace for the pages (one engine, data keyed on its version).

Pages call these helpers and never open the database themselves.
"""

from __future__ import annotations

import os
from datetime import date

import polars as pl
import streamlit as st

from metrics.definitions import Register
from metrics.engine import load_observations
from metrics.errors import ValidationFailed
from metrics.feedstate import feed_through
from metrics.scorecard import KpiStatus, latest_month, scorecard
from metrics.store import data_version
from metrics.workspace import Workspace


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
    return _workspace(os.environ.get("STATDESK_WORKSPACE", "data/demo"), database_url())


def register() -> Register:
    """The validated register; stops the page with the list of problems if it is invalid."""
    ws = workspace()
    try:
        return ws.register
    except ValidationFailed as exc:
        st.error("The definitions have problems, so nothing can be shown. "
                 "Fix them and run `statdesk validate`:")
        st.code("\n".join(str(i) for i in exc.issues))
        st.stop()
        raise


def version() -> tuple[int, int]:
    with workspace().session() as s:
        return data_version(s)


@st.cache_data(show_spinner=False, max_entries=8)
def _observations(root: str, ver: tuple[int, int]) -> pl.DataFrame:
    return load_observations(workspace().engine)


def observations() -> pl.DataFrame:
    return _observations(str(workspace().root), version())


@st.cache_data(show_spinner=False, max_entries=8)
def _feed_through(root: str, ver: tuple[int, int]) -> dict[str, date]:
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
def _scorecard(root: str, ver: tuple[int, int], month: str | None, as_of: date,
               detail: bool) -> list[KpiStatus]:
    return scorecard(register(), observations(), month=month, as_of=as_of,
                     feed_through=feeds_through(), detail=detail)


def statuses(month: str | None, *, detail: bool = False) -> list[KpiStatus]:
    return _scorecard(str(workspace().root), version(), month, today(), detail)


def default_month() -> str | None:
    """The latest closed month with data."""
    return latest_month(observations())
