"""One priority outcome: summary, by race and ethnicity, by region (map), over time, data."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import public_figures as pf
from dashboard.charts import chart, interactive_switch
from dashboard.htmltable import html_table
from dashboard.plaintext import plain
from dashboard.public_views.data import (
    SnapshotMissing,
    month_text,
    period_labels,
    show_missing,
    snapshot,
)
from metrics.groups import combined_note, is_combined

try:
    snap = snapshot()
except SnapshotMissing as exc:
    show_missing(exc)
    raise

kpi_id = st.query_params.get("kpi", "")
kpi = snap.kpis.get(kpi_id)
if kpi is None:
    st.title("Outcome not published")
    if kpi_id:
        st.warning("This measure is not published. Choose one of the published outcomes below.")
    else:
        st.info("Choose one of the published outcomes below.")
    for k in sorted(snap.kpis.values(), key=lambda k: (k.get("priority_order", 99), k["name"])):
        st.page_link("public_views/outcome.py", label=k["name"], query_params={"kpi": k["kpi_id"]})
    st.page_link("public_views/home.py", label="Back to all outcomes")
    st.stop()

status = snap.status.get(kpi_id, {})
period = status.get("period")
obs = snap.observations.filter(pl.col("kpi_id") == kpi_id)
labels = period_labels(obs.get_column("period").unique().to_list())
plabel = labels.get(period, "no data") if period else "no data"
target = snap.targets.get(kpi_id)

st.title(plain(kpi["name"]))
interactive_switch("public_views/outcome.py")
st.markdown(f"**Status: {plain(status.get('status', 'no data'))}.** "
            f"{plain(status.get('explanation', ''))}")
st.markdown(f"{plain(kpi['priority'])} · {plain(kpi['goal'])} · {plain(kpi['agency'])} · data current through "
           f"{status.get('data_through') or month_text(snap.month)}")

st.header("Summary")
st.write(snap.summaries.get("en", {}).get(kpi_id, {}).get("text", "No summary."))
if resumen := pf.spanish_summary(snap.summaries.get("es", {}).get(kpi_id, {}).get("text", "")):
    st.markdown(resumen, unsafe_allow_html=True)

latest = obs.filter(pl.col("period") == period) if period else obs.clear()

st.header("By race and ethnicity")
groups = latest.filter((pl.col("region") == "all") & (pl.col("group") != "all"))
if groups.height:
    left, right = st.columns([1, 1])
    with left:
        chart(pf.group_chart(kpi, groups, snap.groups, plabel), key="chart-groups")
        st.markdown(pf.describe_groups(kpi, groups, snap.groups, plabel))
    with right:
        st.html(html_table(pf.breakdown_table(kpi, groups, "group", snap.groups, "Group")))
    for code in sorted(g for g in groups.get_column("group").unique() if is_combined(g)):
        st.caption(combined_note(code))
else:
    st.write(f"No figures by race and ethnicity for {plabel}.")

st.header("By region")
win = snap.windows.filter(pl.col("kpi_id") == kpi_id)
if win.height:
    # regions are published as twelve-month figures (monthly counts are too small)
    last = win.filter(pl.col("period_end") == win.get_column("period_end").max())
    latest = last
    end = last.item(0, "period_end")
    plabel = f"the 12 months to {end:%B %Y}"
    st.caption(f"Regions are shown for {plabel}: twelve-month figures, so that fewer "
               "figures have to be hidden.")
regions = latest.filter((pl.col("group") == "all") & (pl.col("region") != "all"))
if regions.height and snap.geojson:
    left, right = st.columns([1, 1])
    with left:
        chart(pf.region_map(kpi, regions, snap.geojson, snap.regions, plabel),
              key="chart-regions")
        st.markdown(pf.describe_regions(kpi, regions, snap.regions, plabel))
    with right:
        st.html(html_table(pf.breakdown_table(kpi, regions, "region", snap.regions, "Region")))
else:
    st.write(f"No figures by region for {plabel}.")

st.header("Over time")
trend = obs.filter((pl.col("region") == "all") & (pl.col("group") == "all")).sort("period_end")
left, right = st.columns([1, 1])
with left:
    chart(pf.trend_chart(kpi, trend, target, labels), key="chart-trend")
    st.markdown(pf.describe_trend(kpi, trend, labels))
with right:
    table = pf.breakdown_table(kpi, trend.with_columns(
        pl.col("period").replace_strict(labels, default=pl.col("period"))), "period", {}, "Period")
    st.html(html_table(table))

st.header("Methodology")
st.write(kpi.get("description", ""))
st.write(kpi.get("methodology", ""))
if target:
    st.write(f"Target: {pf.fmt(kpi, target['target_value'])} by {target['target_date']}, from a "
             f"baseline of {pf.fmt(kpi, target['baseline_value'])} ({target['baseline_date']}); "
             f"set by {target['set_by']}, approved by {target['approved_by']}"
             f"{' on ' + target['approved_on'] if target.get('approved_on') else ''}.")
else:
    st.write("There is no agreed target for this measure.")
st.write(f"Data current through {status.get('data_through') or month_text(snap.month)}. "
         f"Counts from 1 to {snap.threshold - 1}, and figures from which they could be worked "
         "out, are not shown; see About the data.")
st.page_link("public_views/about.py", label="About the data and methods")

st.header("Download the data")
st.write("The files hold every figure on this page, with hidden figures marked and their reason.")
for ext, mime in (("csv", "text/csv"), ("json", "application/json"),
                  ("parquet", "application/vnd.apache.parquet")):
    name = f"kpis/{kpi_id}.{ext}"
    st.download_button(f"{kpi['name']} ({ext.upper()})", snap.file(name),
                       file_name=f"{kpi_id}.{ext}", mime=mime, key=f"dl-{ext}")
st.download_button("Data dictionary (CSV)", snap.file("data_dictionary.csv"),
                   file_name="data_dictionary.csv", mime="text/csv", key="dl-dictionary")
st.page_link("public_views/home.py", label="Back to all outcomes")
