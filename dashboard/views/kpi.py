"""KPI detail: trend against target, by region, by race and ethnicity, region x group,
definition and governance, downloads.

URL: ``kpi?id=<kpi_id>`` with optional ``month=YYYY-MM``, ``region=<region_id>``,
``group=<group code>``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NoReturn

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import components as ui
from dashboard import downloads, figures, levels, state
from dashboard.target_form import target_form
from metrics import age_adjust
from metrics import presentation as P
from metrics.governance.quality import kpi_quality
from metrics.groups import ALL, GROUP_CODES, label
from metrics.periods import display_label, month_name, parse_period
from metrics.race_standards import race_standard_note
from metrics.scorecard import kpi_status

reg = state.register()
months = ui.months_with_data()


def kpi_picker(reg: Any, asked: str | None) -> str | None:
    """The KPI chooser at the top of the page, tied to ``?id=``; its default is the
    riskiest KPI of the latest month, so the page never opens empty."""
    order = [s.kpi_id for s in state.statuses(state.default_month())] or list(reg.kpis)
    order += [k for k in reg.kpis if k not in order]
    order = [k for k in order if k in reg.kpis]
    if not order:
        return None
    names = {k: f"{reg.kpis[k].name} ({reg.agencies[reg.kpis[k].agency_id].name})"
             if reg.kpis[k].agency_id in reg.agencies else reg.kpis[k].name for k in order}
    if asked is None:
        st.query_params["id"] = order[0]
    chosen, _ = ui.choose("KPI", order, name="id", key="kpi_pick", default=None,
                          format_func=names.__getitem__)
    return chosen


def _stop_with(message: str, *, kpi_id: str | None = None) -> NoReturn:
    st.error(ui.escape(message), icon=":material/error:")
    ui.back_link()
    if kpi_id:
        ui.kpi_link(kpi_id, f"{reg.kpis[kpi_id].name}, without the filter")
    st.stop()


asked_id = ui.param("id")
if asked_id is None or asked_id in reg.kpis:  # the picker: opens on the riskiest KPI
    asked_id = kpi_picker(reg, asked_id)
st.title(reg.kpis[asked_id].name if asked_id in reg.kpis else "KPI detail")
if asked_id is None:
    _stop_with("There is no KPI you may see yet. Ask the results office for access.")
if state.hidden_from_viewer(asked_id):
    _stop_with("You do not have access to this KPI. Ask the results office if you need it.")
if asked_id not in reg.kpis:
    _stop_with(f"There is no KPI '{asked_id}'. Check the link, or open a KPI from the stat "
               "session.")
kpi_id: str = asked_id
kpi = reg.kpis[kpi_id]
for name, allowed, what in (("month", months, "month with data"),
                            ("region", [ALL, *reg.regions], "region"),
                            ("group", [ALL, *GROUP_CODES], "race and ethnicity group")):
    asked = ui.param(name)
    if asked is not None and asked not in allowed:
        _stop_with(f"There is no {what} '{asked}' (from the address's '{name}=' part). "
                   f"Valid values: {', '.join(allowed[:12])}{' …' if len(allowed) > 12 else ''}.",
                   kpi_id=kpi_id)

ui.interactive_switch("views/kpi.py")  # only for a KPI the page can show
default_month = state.default_month()
c1, c2, c3 = st.columns(3)
month: str | None = None
if months:
    month, _ = ui.choose("Month reviewed", months, name="month", key="kpi_month",
                         format_func=display_label, default=default_month, container=c1)
region, _ = ui.choose("Region", [ALL, *reg.regions], name="region", key="kpi_region",
                      default=ALL, format_func=reg.region_name, container=c2)
group, _ = ui.choose("Race and ethnicity", [ALL, *GROUP_CODES], name="group", key="kpi_group",
                     default=ALL, container=c3,
                     format_func=lambda g: "All groups" if g == ALL else label(g))


@st.cache_data(show_spinner=False, max_entries=32)
def _model(root: str, ver: tuple[int, ...], kpi_id: str, month: str | None, region: str,
           group: str, as_of: date, viewer_key: tuple[str, str]) -> dict[str, Any]:
    """Status and every table of the page (computed once per data version and view)."""
    k = reg.kpis[kpi_id]
    obs = state.observations()
    o = obs.filter(pl.col("kpi_id") == kpi_id)
    ks = kpi_status(reg, o, k, month=month, as_of=as_of, detail=True,
                    feed_through=state.feeds_through())
    through = parse_period(month).end if month else None
    target = reg.target_for(kpi_id, region, group)
    own_target = target is not None
    target = target or reg.target_for(kpi_id)
    long = downloads.region_group_long(o, reg, k, ks.period)
    return {
        "status": ks, "target": target, "own_target": own_target, "has_data": o.height > 0,
        "trend": downloads.trend_table(o, k, target, region=region, group=group,
                                       through=through),
        "regions": downloads.region_table(o, reg, k, ks.period, group=group,
                                          statuses=ks.region_status if group == ALL else None),
        "groups": downloads.group_table(o, k, ks.period, region=region,
                                        statuses=ks.group_status if region == ALL else None),
        "cross_long": long, "cross": downloads.region_group_wide(long, k),
        "breakdown": downloads.breakdown_status_table(ks, reg),
    }


@st.cache_resource(show_spinner=False, max_entries=32)
def _figures(root: str, ver: tuple[int, ...], kpi_id: str, month: str | None, region: str,
             group: str, as_of: date, notes: tuple[tuple[date, str, str], ...],
             viewer_key: tuple[str, str]) -> dict[str, go.Figure]:
    """The page's figures, built once per view and reused as they are (never mutated):
    unpickling a Plotly figure from st.cache_data would cost more than building it."""
    m = _model(root, ver, kpi_id, month, region, group, as_of, viewer_key)
    k = reg.kpis[kpi_id]
    fmt, hb = k.format_value, k.direction == "higher"
    where = reg.region_name(region) + ("" if group == ALL else f", {label(group)}")
    when = m["status"].period_display
    sliced = region == ALL and group == ALL
    statewide = m["status"].value if sliced else None
    return {
        "trend": figures.trend_figure(
            m["trend"], m["target"], title=f"{where}: value against the target trajectory", subtitle=k.name,
            series=f"{where} value", y_title=k.unit or "value", fmt=fmt, annotations=notes,
            bounds=(0.0, k.multiplier if k.measure == "proportion" else None)),
        "map": figures.region_map(m["regions"], reg.geojson or {"features": []},
                                  title=f"By region, {when}", fmt=fmt, higher_better=hb,
                                  what=k.name, subtitle=k.name),
        "bars": figures.region_bars(m["regions"], title=f"Regions ranked, {when}", fmt=fmt,
                                    higher_better=hb, what=k.name, statewide=statewide,
                                    subtitle=k.name),
        "groups": figures.group_dots(
            m["groups"], title=f"By race and ethnicity, {reg.region_name(region)}, {when}",
            fmt=fmt, what=k.name, statewide=m["status"].value if region == ALL else None,
            subtitle=k.name),
        "cross": figures.region_group_heatmap(
            m["cross_long"], title=f"Region by race and ethnicity, {when}", fmt=fmt,
            what=k.name, higher_better=hb, subtitle=k.name),
    }


root, ver, as_of = str(state.workspace().root), state.version(), state.today()
m = _model(root, ver, kpi_id, month, region, group, as_of, state.viewer_key())
ks = m["status"]
feed = reg.feeds[kpi.feed_id]
goal = reg.goals[kpi.goal_id]
st.caption(f"{reg.priority_of(kpi).name} › {goal.name} · {reg.agencies[kpi.agency_id].name} · "
           f"KPI id `{kpi.kpi_id}`" + ("" if kpi.public else " · internal only (not published)"))

# --- header: the slice chosen (statewide, a region, a group), with its own status --------
head = levels.headline(reg, state.observations().filter(pl.col("kpi_id") == kpi_id), kpi, ks,
                       region, group)
h1, h2 = st.columns([1, 3])
with h1:
    ui.status_chip(head.status, help=f"Status of {head.where} for the period reviewed")
    ui.stale_badge(ks.stale)
with h2:
    st.markdown(ui.escape(head.explanation))
    if head.pace:
        st.markdown(f"**Pace:** {ui.escape(head.pace)}")
if head.small_numbers:
    st.warning(head.small_numbers, icon=":material/search_off:")
if kpi.age_adjusted:  # the standard used, and the crude rate beside the adjusted one
    st.caption(ui.escape(age_adjust.adjustment_note(
        kpi, state.observations().filter(pl.col("kpi_id") == kpi_id), ks.period, region, group,
        head.where)))
ui.figures_row([(f"{head.where} value, {head.period_text}", head.value_text),
                ("Pro-rated target", head.target_text),
                ("Change since a year earlier", head.change or "not known"),
                ("Data current through", P.date_words(ks.data_through, "no data"))])
st.markdown(f"**Equity gap (statewide):** {ui.escape(P.gap_word(ks.gap_status))}: "
            f"{ui.escape(ks.gap_text)}")
if not m["has_data"]:
    st.info(f"There is no data for this KPI yet: its feed '{feed.name}' has not delivered any "
            "rows that it counts. The definition is below.", icon=":material/info:")

notes = tuple(ui.kpi_annotations(kpi_id))
figs = (_figures(root, ver, kpi_id, month, region, group, as_of, notes, state.viewer_key())
        if m["has_data"] else {})
frames: dict[str, pl.DataFrame] = {}
dec = kpi.decimals


def chart(name: str, key: str) -> None:
    fig = figs[name]
    ui.chart(fig, key=key)
    st.caption(fig.layout.meta["description"])


def shown(title: str, df: pl.DataFrame, key: str, hide: tuple[str, ...] = (), *,
          on_demand: str | None = None) -> None:
    """The table with its CSV button; ``on_demand``: inside an expander of that label, drawn
    only once opened (tables that repeat what a chart or a sentence above already shows).
    The Excel download holds every table either way."""
    frames[title] = df
    if on_demand is not None:
        box = st.expander(on_demand, key=f"open_{key}", on_change="rerun",
                          icon=":material/table:")
        if not box.open:
            return
        with box:
            shown(title, df, key, hide)
        return
    ui.table(df, key=key, decimals=dec, hide=hide)
    ui.csv_button(df, name=f"{kpi_id}-{key}", key=f"{key}_csv", label=f"{title.lower()} (CSV)")


if m["has_data"]:
    where = reg.region_name(region) + ("" if group == ALL else f", {label(group)}")
    st.header(f"Trend: {where}")
    if not m["own_target"] and m["target"] is not None and m["target"].agreed \
            and (region, group) != (ALL, ALL):
        st.caption("No target of its own is set for this region or group: the statewide "
                   "target trajectory is shown.")
    left, right = st.columns([3, 2])
    with left:
        chart("trend", "kpi_trend_chart")
        if notes:
            st.caption("Annotations: " + "; ".join(
                f"{P.date_words(on)}, {kind}: {ui.escape(text)}" for on, kind, text in notes))
    with right:
        shown("Trend", m["trend"], "kpi_trend_table", hide=("Period end",))

    if "region" in kpi.disaggregations:
        st.header(f"By region, {ks.period_display}"
                  + ("" if group == ALL else f" ({label(group)})"))
        left, right = st.columns(2)
        with left:
            chart("map", "kpi_map_chart")
        with right:
            chart("bars", "kpi_region_chart")
        shown("Regions", m["regions"], "kpi_region_table")

    if "group" in kpi.disaggregations:
        st.header(f"By race and ethnicity, {ks.period_display}"
                  + ("" if region == ALL else f" ({reg.region_name(region)})"))
        left, right = st.columns([3, 2])
        with left:
            chart("groups", "kpi_group_chart")
        with right:
            shown("Groups", m["groups"], "kpi_group_table", hide=("Group code",))
        if "region" in kpi.disaggregations:
            st.header(f"Region by race and ethnicity, {ks.period_display}")
            chart("cross", "kpi_cross_chart")
            shown("Region by group", m["cross"], "kpi_cross_table",
                  on_demand="Show the table: region by race and ethnicity")
            st.caption("* rests on too few cases to be reliable; – no value.")

    if m["breakdown"].height:
        st.header("Status of each region and group")
        st.caption("Each against its own target where one is set, else the statewide target.")
        shown("Statuses", m["breakdown"], "kpi_breakdown_table")

commitments = ui.open_commitments(as_of).get(kpi_id) or []
if commitments:
    st.header("Open commitments")
    shown("Commitments", downloads.commitments_table(commitments, kpi_names=reg.kpis),
          "kpi_commitments_table")

# --- data quality ------------------------------------------------------------------------
st.header("Data quality")
quality = kpi_quality(reg, state.observations(), kpi_id, as_of=as_of,
                      feed_through=state.feeds_through())
if quality.flags:
    st.warning("Checks that need a look: " + "; ".join(
        f"{c.check}: {c.finding}" for c in quality.flags), icon=":material/warning:")
else:
    st.success("Every data-quality check passed for this KPI.", icon=":material/check_circle:")
shown("Data-quality checks", quality.frame(), "kpi_quality_table",
      on_demand="Show every data-quality check")

# --- definition and governance ---------------------------------------------------------
st.header("Definition and governance")
if (race_note := race_standard_note(feed.race_standard)) is not None:
    st.info(race_note, icon=":material/info:")
agreement = reg.agreements.get(feed.agreement_id)
target = reg.target_for(kpi_id)
lines = [
    f"**Definition:** {ui.escape(kpi.description or kpi.name)}",
    f"**Measure:** {P.MEASURE_WORDS.get(kpi.measure, kpi.measure)}, "
    f"{ui.escape(kpi.unit or 'no unit')}, {P.direction_words(kpi.direction)}, "
    f"{P.grain_words(kpi.grain)}",
    f"**Methodology:** {ui.escape(kpi.methodology or 'not written yet')}",
    "**Methods:** [how every figure, interval, status, change and gap is computed](app/static/methods.md)",
    f"**Owner:** {ui.escape(kpi.owner or 'not named')} · **Agency:** "
    f"{ui.escape(reg.agencies[kpi.agency_id].name)}",
    f"**Steward:** {ui.escape(feed.steward or 'not named')}",
    f"**Feed:** {ui.escape(feed.name)}, {P.cadence_words(feed.cadence)}, expected "
    f"{feed.lag_days} days after the period ends; classification {feed.classification}",
    f"**Legal basis:** {ui.escape(feed.legal_basis or 'not recorded')}",
]
if agreement is not None:
    expired = agreement.status == "expired" or (agreement.expires is not None
                                                 and agreement.expires < as_of)
    lines.append(f"**Agreement:** {ui.escape(agreement.name)}, expires "
                 f"{P.date_words(agreement.expires, 'never')}"
                 + (" — **expired**" if expired else ""))
if target is not None and target.agreed and target.target_value is not None:
    interim = "; ".join(f"{kpi.format_value(p.value)} by {P.date_words(p.date)}"
                        for p in target.interim)
    lines.append(
        f"**Target:** from {ui.escape(kpi.format_value(target.baseline_value))} "
        f"(baseline, {P.date_words(target.baseline_date)}) to "
        f"{ui.escape(kpi.format_value(target.target_value))} by "
        f"{month_name(target.target_date) if target.target_date else 'no date'}"
        + (f"; interim targets: {ui.escape(interim)}" if interim else ""))
    lines.append(f"**Target provenance:** set by {ui.escape(target.set_by or 'not recorded')}, "
                 f"approved by {ui.escape(target.approved_by or 'not recorded')}"
                 + (f" on {P.date_words(target.approved_on)}" if target.approved_on else "")
                 + f"; source: {ui.escape(target.source or 'not recorded')}")
else:
    lines.append("**Target:** no agreed target")
st.markdown("\n".join(f"- {line}" for line in lines))
if agreement is not None and agreement.status == "expired":
    st.warning(f"The data-sharing agreement for this feed ({agreement.name}) has expired. "
               "Renew it before the next batch is received.", icon=":material/warning:")
target_form(kpi)

if frames:
    st.divider()
    ui.download_buttons(frames, name=f"{kpi_id}-{month or 'latest'}", key="kpi_download")
ui.back_link()
