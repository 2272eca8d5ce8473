"""Equity review: which gaps widened or narrowed, and the disparity measures per KPI.

URL: ``equity?kpi=<id>&period=<p>&reference=<best|total|group>&region=<code>``.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import components as ui
from dashboard import figures_equity as fe
from dashboard import state
from metrics.equity import review as er
from metrics.groups import ALL, DEFAULT_APPROACH, MULTIRACIAL_APPROACH, unknown_share_finding
from metrics.groups import label as group_label
from metrics.periods import display_label

PAGE = "views/equity.py"
#: Sections whose chart is drawn on demand (far below the fold), by key: what they show.
ON_DEMAND = {"trends": "each group over time", "unknown": "race or ethnicity not reported",
             "theil": "between regions and within regions"}
DROP_ON_CHANGE = {"kpi": ("period", "reference"), "period": ("reference",),
                  "region": ("reference",), "reference": ()}
#: Columns of links in the review tables: heading shown, and the link's words.
LINK_HEADINGS = {"link": "equity review", "detail": "KPI detail"}
LINK_WORDS = {"link": "disparities", "detail": "trend and target"}

reg = state.register()
obs = state.observations()


@st.cache_data(show_spinner=False, max_entries=4)
def _review(root: str, ver: tuple[int, ...], viewer_key: tuple[str, str]) -> pl.DataFrame:
    return er.review(state.register(), state.observations())


def _set_param(name: str) -> None:
    """Widget callback: write the choice into the URL and drop what no longer applies."""
    st.query_params[name] = st.session_state[f"eq_{name}"]
    for other in DROP_ON_CHANGE[name]:
        st.query_params.pop(other, None)
        st.session_state.pop(f"eq_{other}", None)


def _reference_label(ref: str) -> str:
    names = {"best": "Best group with a reliable rate", "total": "All groups combined"}
    return names[ref] if ref in names else group_label(ref)


def _bad_request(message: str, kpi_id: str | None = None) -> None:
    st.error(ui.escape(f"{message[:1].upper()}{message[1:]}"))
    st.page_link(PAGE, label="Back to the equity review", icon=":material/arrow_back:",
                 query_params={"kpi": kpi_id} if kpi_id else None)
    ui.back_link()
    st.stop()


def _chart_and_table(fig: object, table: pl.DataFrame, key: str, summary: str, *,
                     wide: bool = False, on_demand: bool = False) -> None:
    """A text summary, then the chart with its table beside it (below it for wide charts).

    ``on_demand``: the chart and table sit in an expander and are drawn only once it is
    opened (sections far below the fold: the page draws fast, the words stay in view).
    """
    if summary:
        st.write(summary)
    if on_demand:
        box = st.expander(f"Show the chart and table: {ON_DEMAND[key]}", key=f"open_{key}", on_change="rerun",
                          icon=":material/bar_chart:")
        if not box.open:
            return
        with box:
            _chart_and_table(fig, table, key, "", wide=wide)
        return
    left, right = (st.container(), st.container()) if wide else st.columns([3, 2])
    with left:
        ui.chart(fig, key=f"chart_{key}")
    with right:
        ui.table(table, key=f"table_{key}", labels=LINK_HEADINGS, links=LINK_WORDS)


st.title("Equity review")
st.caption(f"Race and ethnicity under OMB SPD 15 (2024). Multiracial approach: "
           f"{MULTIRACIAL_APPROACH[DEFAULT_APPROACH]}")

params = st.query_params
review = _review(str(state.workspace().root), state.version(), state.viewer_key())
rate_ids = [k.kpi_id for k in er.rate_kpis(reg)]
kpi_id = params.get("kpi") or (review["kpi_id"][0] if review.height else None)
try:
    sel = er.resolve(reg, obs, kpi_id, period=params.get("period"),
                     region=params.get("region"), reference=params.get("reference"))
except er.EquityRequestError as exc:
    narrower = any(params.get(p) for p in ("period", "region", "reference"))
    _bad_request(str(exc), kpi_id if kpi_id in rate_ids and narrower else None)
    raise

ui.interactive_switch("views/equity.py")  # once the view asked for can be shown

# --- (a) every KPI ------------------------------------------------------------------
st.header("Which gaps widened or narrowed")
st.write("For each KPI with a rate, the gap between its worst-off group and the best-off group "
         "with a reliable rate, now, a year earlier and at baseline. The levels stand beside "
         "the gaps: a small gap can also mean that every group is doing badly.")
_chart_and_table(fe.review_figure(review), fe.review_table(review, reg.kpis).select(
    "KPI", "worst-off group", "gap now", "gap a year ago", "change in a year",
    "since a year ago", "since baseline", "worst-off group rate", "best-off group rate",
    "statewide", "target now", "link", "detail"), "review", fe.review_summary(review), wide=True)
full = st.expander("Full table: gaps at baseline, rate ratios and notes", key="open_review_full",
                   on_change="rerun", icon=":material/table:")
if full.open:  # drawn when opened
    with full:
        ui.table(fe.review_table(review, reg.kpis), key="review_full", labels=LINK_HEADINGS,
                 links=LINK_WORDS)

# --- selectors ----------------------------------------------------------------------
kpi = sel.kpi
st.header(f"{kpi.name}")
periods = er.periods_of(obs, kpi.kpi_id)[::-1]
regions = [ALL, *reg.regions]
table = er.group_table(obs, kpi.kpi_id, sel.period, sel.region)
reliable = [g for g in er.COMPARED if table.filter(
    (pl.col("group") == g) & (pl.col("denominator") > 0) & pl.col("reliable").fill_null(True)
).height]
references = ["best", "total", *reliable]
c1, c2, c3, c4 = st.columns(4)
c1.selectbox("KPI", rate_ids, index=rate_ids.index(kpi.kpi_id), key="eq_kpi",
             format_func=lambda k: reg.kpis[k].name, on_change=_set_param, args=("kpi",))
c2.selectbox("Period", periods, index=periods.index(sel.period), key="eq_period",
             format_func=display_label, on_change=_set_param, args=("period",))
c3.selectbox("Region", regions, index=regions.index(sel.region), key="eq_region",
             format_func=lambda r: "Statewide" if r == ALL else reg.region_name(r),
             on_change=_set_param, args=("region",))
c4.selectbox("Reference group", references, index=references.index(sel.reference),
             key="eq_reference", on_change=_set_param, args=("reference",),
             format_func=_reference_label,
             help="Groups with an unreliable rate in this period and region are not offered.")
st.page_link("views/kpi.py", label=f"KPI detail: {kpi.name}", icon=":material/trending_up:",
             query_params={"id": kpi.kpi_id})

place = "statewide" if sel.region == ALL else reg.region_name(sel.region)
when = display_label(sel.period)

@st.cache_resource(show_spinner=False, max_entries=32)
def _sections(root: str, ver: tuple[int, ...], viewer_key: tuple[str, str], kpi_id: str,
              period: str, region: str, reference: str, favourable: bool) -> dict:
    """Everything the per-KPI sections draw, computed once per choice (figures included)."""
    k = reg.kpis[kpi_id]
    place_ = "statewide" if region == ALL else reg.region_name(region)
    when_ = display_label(period)
    tbl = er.group_table(obs, kpi_id, period, region)
    d = er.kpi_disparities(reg, obs, kpi_id, period=period, region=region, reference=reference)
    rows = er.disparity_rows(d)
    ref_label = ("all groups combined" if d["reference_group"] == "total"
                 else group_label(d["reference_group"]) if d["reference_group"] else "no group")
    worst = er.worst_off(d, favourable)
    cells = er.heatmap_cells(reg, obs, k, period)
    trends = er.group_trends(reg, obs, k, region)
    shares = er.unknown_shares(reg, obs, k, period)
    dec = er.decomposition(obs, k, period)
    return {
        "d": d, "ref_label": ref_label,
        "disparity": (fe.disparity_figure(rows, k, ref_label), fe.disparity_table(rows, k),
                      fe.disparity_summary(d, k, worst)),
        "summary_table": fe.summary_table(d),
        "takes": er.what_it_would_take(d, k, tbl),
        "heatmap": (fe.heatmap_figure(cells, k, when_), fe.heatmap_table(cells),
                    fe.heatmap_summary(cells, k)),
        "trends": (fe.trends_figure(trends, k, place_), fe.trends_table(trends, k),
                   fe.trends_summary(trends, k)),
        "shares": shares,
        "unknown": (fe.unknown_figure(shares), fe.unknown_table(shares)),
        "theil": (fe.theil_figure(dec), fe.theil_table(dec, {r: reg.region_name(r)
                                                             for r in reg.regions}, k),
                  fe.theil_summary(dec)),
    }


sec = _sections(str(state.workspace().root), state.version(), state._viewer_key(), kpi.kpi_id,
                sel.period, sel.region, sel.reference, sel.favourable)

# --- (b) disparity measures ---------------------------------------------------------
st.subheader("Disparity measures")
d = sec["d"]
ref_label = sec["ref_label"]
st.info(f"**Reference: {ref_label}.** {d['reference_note']} Multiracial approach: "
        f"{DEFAULT_APPROACH} (mutually exclusive groups). {when}, {place}.")
_chart_and_table(*sec["disparity"][:2], "disparities", sec["disparity"][2])
ui.table(sec["summary_table"], key="summary_measures")
for note in d["notes"]:
    st.caption(note)

# --- (g) what it would take ---------------------------------------------------------
st.subheader("What it would take")
takes = sec["takes"]
if takes:
    st.markdown("\n".join(f"- {t['sentence']}" for t in takes))
else:
    st.write(f"No group with a reliable rate is behind {ref_label} in {when}.")

# --- (c) heatmap --------------------------------------------------------------------
st.subheader("By region and group")
_chart_and_table(*sec["heatmap"][:2], "heatmap", sec["heatmap"][2], wide=True)

# --- (d) small multiples ------------------------------------------------------------
st.subheader("Each group over time")
_chart_and_table(*sec["trends"][:2], "trends", sec["trends"][2], wide=True, on_demand=True)

# --- (e) unknown share --------------------------------------------------------------
st.subheader("Race or ethnicity not reported")
shares = sec["shares"]
state_share = shares.filter(pl.col("region") == ALL)["share"]
finding = unknown_share_finding(state_share[0] if state_share.len() else None,
                                what=kpi.noun or "records")
if finding:
    st.warning(f"Data quality: {finding}")
flagged = shares.filter(pl.col("above_warning") & (pl.col("region") != ALL))["region_name"]
if flagged.len():
    st.warning("Above 10% unknown in: " + ", ".join(flagged.to_list()) + ".")
share_text = "–" if not state_share.len() or state_share[0] is None else f"{state_share[0]:.1%}"
_chart_and_table(*sec["unknown"], "unknown",
                 f"Statewide, {share_text} of {kpi.noun or 'records'} in {when} have race or "
                 f"ethnicity unknown or not reported; {flagged.len()} regions are above 10%. "
                 "This group is kept apart and never compared.", on_demand=True)

# --- (f) Theil decomposition ----------------------------------------------------------
st.subheader("Between regions and within regions")
_chart_and_table(*sec["theil"][:2], "theil", sec["theil"][2], on_demand=True)

