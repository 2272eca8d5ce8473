"""Small Streamlit helpers shared by the pages: status chips, tables, URL parameters,
downloads, links back, open commitments."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, cast

import polars as pl
import streamlit as st

from dashboard import downloads, state
from dashboard.charts import INTERACTIVE, chart, interactive_switch  # noqa: F401 - re-exported
from dashboard.htmltable import figures_html, html_table
from dashboard.plaintext import plain
from metrics import presentation as P
from metrics.annotations import list_annotations
from metrics.commitments import open_by_kpi

SESSION_PAGE = "views/session.py"
KPI_PAGE = "views/kpi.py"
AGENCY_PAGE = "views/agency.py"


@st.cache_data(show_spinner=False, max_entries=4)
def _months(root: str, ver: tuple[int, ...], viewer_key: tuple[str, str]) -> list[str]:
    obs = state.observations()
    if obs.height == 0:
        return []
    ends = obs.get_column("period_end")
    lo, hi = cast(date, ends.min()), cast(date, ends.max())
    out = []
    y, m = hi.year, hi.month
    while (y, m) >= (lo.year, lo.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out


def months_with_data() -> list[str]:
    """Months with data (YYYY-MM), latest first: every month from the first period end to
    the last."""
    return _months(str(state.workspace().root), state.version(), state.viewer_key())


def escape(text: object) -> str:
    """Text for st.markdown shown literally (no emphasis, links, images or maths from data)."""
    return plain(text)


# --- status ---------------------------------------------------------------------------


def status_chip(status: str, *, help: str | None = None) -> None:
    """The status as a badge: icon, word and colour together (never colour alone)."""
    look = P.status_look(status)
    st.badge(look.word, icon=look.icon, color=look.badge,  # type: ignore[arg-type]
             help=help)


def stale_badge(stale: bool) -> None:
    if stale:
        st.badge("Stale: the next batch is overdue", icon=":material/schedule:", color="orange")


def figures_row(items: Sequence[tuple[str, str] | tuple[str, str, str]]) -> None:
    """Headline figures side by side (one element for the browser: drawn at once)."""
    st.html(figures_html(items))


def status_counts(counts: Mapping[str, int]) -> None:
    """How many KPIs have each status: the word with its icon, and the number."""
    looks = {status: P.status_look(status) for status in counts}
    st.html(figures_html([(looks[s].word, str(n)) for s, n in counts.items()],
                         icons={looks[s].word: looks[s].icon for s in counts}))


# --- charts: dashboard.charts (shared with the public app) ----------------------------

def on_demand(label: str, *, key: str, icon: str | None = None) -> Any | None:
    """An expander whose contents are drawn only once the reader opens it (forms and tables
    that most visits never use: the page appears sooner without them). Returns the expander
    to draw into when it is open, else None."""
    box = st.expander(label, key=key, on_change="rerun", icon=icon)
    return box if box.open else None


# --- tables ---------------------------------------------------------------------------


def column_config(df: pl.DataFrame, decimals: int | None = None) -> dict[str, Any]:
    """Formats by column name and type: dates, sparklines, links, measures."""
    cc: dict[str, Any] = {}
    for name, dtype in df.schema.items():
        if dtype == pl.Date:
            cc[name] = st.column_config.DateColumn(name, format="YYYY-MM-DD")
        elif isinstance(dtype, pl.Datetime):
            cc[name] = st.column_config.DatetimeColumn(name, format="YYYY-MM-DD HH:mm")
        elif isinstance(dtype, pl.List):
            cc[name] = st.column_config.LineChartColumn(name, help="Last 12 periods",
                                                        color="#0072B2")
        elif name == "Detail":
            cc[name] = st.column_config.LinkColumn(name, display_text="Open ›",
                                                   help="Open the KPI's detail page")
        elif name in ("Value", "CI low", "CI high", "Target trajectory") and decimals is not None:
            cc[name] = st.column_config.NumberColumn(name, format=f"%.{decimals}f")
        elif name in ("Numerator", "Denominator"):
            cc[name] = st.column_config.NumberColumn(name, format="%,.0f")
        elif name in ("Rule", "Explanation", "Equity gap detail", "Commitment"):
            cc[name] = st.column_config.TextColumn(name, width="large")
    return cc


#: Tables up to this many rows are drawn as plain tables (text wraps, nothing is cut, and
#: the browser draws them at once); longer ones, and tables with sparklines, as a
#: scrollable grid.
STATIC_ROWS = 60


def table(df: pl.DataFrame, *, key: str, decimals: int | None = None,
          hide: Sequence[str] = (), height: int | str = "auto",
          labels: Mapping[str, str] | None = None,
          links: Mapping[str, str] | None = None) -> None:
    """A data table of ``df`` exactly as downloaded (only formatting is added; ``labels``:
    headings shown for some columns; ``links``: columns of addresses, shown as links with
    those words). Up to :data:`STATIC_ROWS` rows without sparklines: a plain HTML table that
    wraps inside the page and that the browser draws at once; else a scrollable grid."""
    labels = labels or {}
    links = dict(links or {})
    if "Detail" in df.columns:
        links.setdefault("Detail", "Open ›")
    order = [c for c in df.columns if c not in hide] if hide else None
    static = (df.height <= STATIC_ROWS
              and not any(isinstance(t, pl.List) for t in df.dtypes))
    if static:
        st.html(html_table(df.select(order) if order else df, decimals=decimals, labels=labels,
                           links=links))
        return
    config = column_config(df, decimals) | dict(labels)
    for name, words in links.items():
        config[name] = st.column_config.LinkColumn(labels.get(name, name), display_text=words)
    st.dataframe(df, key=key, hide_index=True, column_config=config,
                 column_order=order, height=height)  # type: ignore[arg-type]


def csv_button(df: pl.DataFrame, *, name: str, key: str, label: str = "CSV") -> None:
    """Download of one table as shown (built only when pressed)."""
    st.download_button(f"Download {label}", data=lambda: downloads.to_csv(df),
                       file_name=f"{name}.csv", mime="text/csv", key=key, on_click="ignore",
                       icon=":material/download:", type="tertiary")


def download_buttons(frames: Mapping[str, pl.DataFrame], *, name: str, key: str,
                     csv_of: str | None = None) -> None:
    """CSV of one table (``csv_of``, default the first) and an XLSX of all of them.

    The bytes are built only when the button is pressed.
    """
    first = csv_of or next(iter(frames))
    c1, c2 = st.columns(2)
    with c1:
        st.download_button(f"Download {first.lower()} (CSV)",
                           data=lambda: downloads.to_csv(frames[first]),
                           file_name=f"{name}.csv", mime="text/csv", key=f"{key}_csv",
                           on_click="ignore", icon=":material/download:")
    with c2:
        st.download_button("Download all tables (Excel)", data=lambda: downloads.to_xlsx(frames),
                           file_name=f"{name}.xlsx", key=f"{key}_xlsx", on_click="ignore",
                           mime="application/vnd.openxmlformats-officedocument."
                                "spreadsheetml.sheet", icon=":material/download:")


# --- URL parameters -------------------------------------------------------------------


def param(name: str) -> str | None:
    value = st.query_params.get(name)
    return value if value not in (None, "") else None


def set_param(name: str, value: str | None, default: str | None = None) -> None:
    """Keep the URL in step with a choice (the default is left out of the URL)."""
    if value is None or value == default:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


def choose(label: str, options: Sequence[str], *, name: str, key: str,
           format_func: Callable[[str], str] = str, default: str | None = None,
           container: Any = None) -> tuple[str, str | None]:
    """A selectbox tied to the URL parameter ``name``.

    Returns (choice, bad) where ``bad`` is the parameter's value when it is not one of
    ``options`` (the page says so and falls back to ``default``).
    """
    asked = param(name)
    bad = asked if asked is not None and asked not in options else None
    start = asked if asked in options else (default if default in options else options[0])
    box = container if container is not None else st
    seen = f"{key}__url"
    if (key not in st.session_state or st.session_state[key] not in options
            or st.session_state.get(seen, "\0") != asked):
        st.session_state[key] = start  # first run, or the URL changed from outside (a link)
    value = box.selectbox(label, list(options), key=key, format_func=format_func)
    set_param(name, value, default)
    st.session_state[seen] = param(name)
    return value, bad


# --- links ----------------------------------------------------------------------------


def back_link(label: str = "Back to the stat session") -> None:
    """A way back that the viewer may open: the stat session, else (data stewards) the
    data health page."""
    from metrics.access import can_open

    if can_open(state.viewer(), "session"):
        st.page_link(SESSION_PAGE, label=label, icon=":material/arrow_back:")
    else:  # a data steward: the stat session is not theirs to open
        st.page_link("views/data_health.py", label="Back to data health",
                     icon=":material/arrow_back:")


def kpi_link(kpi_id: str, name: str, month: str | None = None, **extra: str) -> None:
    params = {"id": kpi_id} | ({"month": month} if month else {}) | extra
    st.page_link(KPI_PAGE, label=name, icon=":material/trending_up:", query_params=params)


# --- commitments and annotations ---------------------------------------------------------


def open_commitments(as_of: date) -> dict[str, list]:
    """kpi_id -> open commitments, or {} (with a warning) when they cannot be read."""
    try:
        found = state.read(open_by_kpi, as_of)
        return {k: list(v) for k, v in found.items()}
    except Exception:  # noqa: BLE001 - said in words, never a traceback or its text
        st.warning("Open commitments could not be read just now (the database did not "
                   "answer). The rest of the page is unaffected; reload the page, or see "
                   "Commitments and sessions.", icon=":material/warning:")
        return {}


def kpi_annotations(kpi_id: str) -> list[tuple[date, str, str]]:
    """(date, kind, text) of the KPI's annotations, or [] (with a warning) when they cannot be
    read."""
    out = []
    try:
        for a in state.read(list_annotations, kpi_id):
            if a.on_date is not None:
                out.append((a.on_date, str(a.kind or "event"), str(a.text or "")))
    except Exception:  # noqa: BLE001 - said in words, never a traceback or its text
        st.warning("The chart's annotations could not be read just now (the database did not "
                   "answer); reload the page to try again.", icon=":material/warning:")
        return []
    return out
