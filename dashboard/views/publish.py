"""Publish: preview the public snapshot, its suppression report and audit, then publish it.

URL: ``publish``. Governor's staff and admins only. The snapshot is written to
``<workspace>/published/<version>/`` and recorded (who, when, version, manifest hash).
"""

from __future__ import annotations

import json
import time

import polars as pl
import streamlit as st
import streamlit.components.v1 as components

from dashboard import components as ui
from dashboard import state
from dashboard.auth import current_viewer
from dashboard.plaintext import plain
from metrics.access import AccessDenied, can_edit, can_open
from metrics.publish import (
    SnapshotError,
    approved,
    build_snapshot,
    public_register,
    versions,
)
from metrics.publish.linked import information_loss, protect_linked_cached
from metrics.publish.preview import preview_pages
from metrics.publish.snapshot import feed_sources
from metrics.scorecard import latest_month
from metrics.suppression import DisclosureError, SuppressionPolicy

viewer = current_viewer()
st.title("Publish the public equity snapshot")
if not can_open(viewer, "publish"):
    st.error("Publishing is open to the governor's staff and administrators only.")
    st.page_link("views/session.py", label="Back to the stat session")
    st.stop()

reg = state.register()
ws = state.workspace()
as_of = state.today()
out_dir = ws.root / "published"
who = viewer.actor

public = sorted((k for k in reg.kpis.values() if k.public), key=lambda k: k.name)
private = sorted(k.kpi_id for k in reg.kpis.values() if not k.public)
st.write(f"The snapshot holds the public KPIs and their approved targets, after suppression of "
         f"small counts, as of {as_of:%d %B %Y}. It is written to `{out_dir}` as a new version; "
         "a published version is never changed.")
if private:
    st.info(f"Not published (not public): {', '.join(private)}.")

c1, c2 = st.columns(2)
with c1:
    threshold = int(st.number_input("Suppress counts below", min_value=2, max_value=100, value=11,
                                    step=1, key="publish-threshold",
                                    help="Counts from 1 to this number minus one are hidden."))
with c2:
    chosen = st.multiselect("KPIs to publish", [k.kpi_id for k in public],
                            default=[k.kpi_id for k in public], key="publish-kpis",
                            format_func=lambda i: reg.kpis[i].name)
if not chosen:
    st.warning("Choose at least one KPI to publish.")
    st.stop()
policy = SuppressionPolicy(threshold)
preg = public_register(reg, chosen)
obs = state.observations()
obs = obs.filter(pl.col("kpi_id").is_in(chosen) & (pl.col("period_end") <= as_of))

st.header("Preview")
if st.button("Preview the snapshot", key="publish-preview"):
    st.session_state["publish-previewed"] = True
if not st.session_state.get("publish-previewed"):
    st.write("Preview runs the suppression and its audit on the chosen KPIs (this can take a "
             "minute or two for every KPI). Nothing is written until you publish.")
    st.stop()
try:
    with st.spinner("Suppressing small counts and auditing every hidden cell..."):
        pub, truth, linked_audit = protect_linked_cached(preg, obs, policy,
                                                         sources=feed_sources(ws))
except DisclosureError as exc:
    st.error("The audit failed, so this snapshot cannot be published:")
    st.code("\n".join(exc.problems[:50]))
    st.stop()
    raise

n_comp = int((pub.get_column("suppression_reason")
              == "suppressed: to protect another small cell").sum())
n_prim = int(pub.get_column("suppressed").sum()) - n_comp
ui.figures_row([("KPIs", str(len(chosen))), ("Cells suppressed: primary", f"{n_prim:,}"),
                ("Cells suppressed: complementary", f"{n_comp:,}")])
st.caption("Primary: a count (or remainder) below the threshold. Complementary: hidden so that "
           "no hidden count can be worked out from published totals.")
report = (pub.group_by("kpi_id").agg(
    rows=pl.len(),
    primary=(pl.col("suppressed") & (pl.col("suppression_reason")
                                     != "suppressed: to protect another small cell")).sum(),
    complementary=(pl.col("suppression_reason")
                   == "suppressed: to protect another small cell").sum())
    .with_columns(KPI=pl.col("kpi_id").replace_strict({k: v.name for k, v in preg.kpis.items()}),
                  target=pl.col("kpi_id").map_elements(
                      lambda i: "approved" if approved(preg.target_for(i)) else "no agreed target",
                      return_dtype=pl.String))
    .select("KPI", "kpi_id", "target", "rows", "primary", "complementary").sort("KPI"))
st.subheader("Suppression report by KPI")
ui.table(report, key="publish-report")
st.subheader("Information lost, by level")
st.write("Statewide figures are published by group for each period; regions by twelve months. "
         "People hidden: the counts of the hidden cells, summed within a level.")
ui.table(pl.DataFrame(information_loss(truth, pub)), key="publish-loss")

st.subheader("The public pages, as they will look")
# rendered once per preview (choosing another page reruns the page, not the rendering)
pages_key = (tuple(chosen), threshold, as_of.isoformat(), int(pub.hash_rows(seed=3).sum()))
kept = st.session_state.get("publish-pages")
if kept is not None and kept[0] == pages_key:
    pages, took = kept[1], kept[2]
else:
    started = time.perf_counter()
    through = state.feeds_through()
    pages = preview_pages(preg, pub, month=latest_month(obs) or f"{as_of:%Y-%m}", as_of=as_of,
                          feed_through=through, threshold=policy.threshold)
    took = time.perf_counter() - started
    st.session_state["publish-pages"] = (pages_key, pages, took)
names = {f"kpi/{k}.html": preg.kpis[k].name for k in preg.kpis}
shown = st.selectbox("Page", [p for p in pages if p.endswith("index.html")]
                     + sorted((p for p in pages if p.startswith("kpi/")),
                              key=lambda p: names.get(p, p)) + ["about.html"],
                     format_func=lambda p: {"index.html": "Home: a tile per outcome",
                                            "about.html": "About the data"}.get(
                         p, f"Outcome: {names.get(p, p)}"), key="publish-preview-page")
components.html(pages[shown], height=720, scrolling=True)
st.caption(f"The static site `statdesk publish` writes beside the data files, rendered from "
           f"this preview in {took:.1f} s ({len(pages)} pages). Links between pages work once "
           "it is published.")

st.subheader("Audit of every hidden cell")
st.write("For each hidden count, linear programming finds the smallest and largest value it "
         "could take given everything published; the interval must be at least "
         f"{policy.band:g} wide (or the cell's whole possible range).")
if st.button("Show the audit table", key="publish-audit"):
    with st.spinner("Running the audit (linear programming over every hidden cell)..."):
        audited = linked_audit.intervals.rename({"table": "count"})
    ui.table(audited.select("kpi_id", "period", "grain", "region", "group", "count", "low",
                            "high", "width", "required", "ok"), key="publish-audit-table")
    bad = audited.filter(~pl.col("ok")).height
    st.write(f"{audited.height:,} hidden counts audited; {bad} fail." if bad else
             f"{audited.height:,} hidden counts audited; every one passes.")

st.header("Publish")
existing = versions(out_dir)
if existing:
    st.write(f"Published versions: {', '.join(p.name for p in existing)}.")
if not can_edit(viewer, "publication"):
    st.info("You may preview the snapshot but not publish it.")
    st.stop()
if st.button("Publish this snapshot", type="primary", key="publish-button"):
    try:
        with st.spinner("Writing and checking the snapshot..."):
            result = build_snapshot(ws, out_dir, policy=policy, as_of=as_of, published_by=who,
                                    kpi_ids=chosen, acting=viewer)
    except (DisclosureError, SnapshotError, AccessDenied) as exc:
        st.error(f"Nothing was published: {plain(str(exc))}")
        st.stop()
        raise
    st.success(f"Published version {result.version} to {result.path} "
               f"({result.primary:,} primary and {result.complementary:,} complementary cells "
               f"suppressed). Manifest SHA-256: {result.manifest_hash}")
    st.code(f"statdesk serve-public {out_dir}", language="bash")
    st.subheader("Manifest")
    st.json(json.dumps(result.manifest), expanded=False)
