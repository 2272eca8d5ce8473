"""About the data: privacy protection in words, the race and ethnicity standard, statuses."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.htmltable import html_table
from dashboard.public_views.data import SnapshotMissing, month_text, show_missing, snapshot

try:
    snap = snapshot()
except SnapshotMissing as exc:
    show_missing(exc)
    raise

t = snap.threshold
st.title("About the data and methods")
st.write(f"This snapshot (version {snap.manifest.get('version', '')}) holds data current through "
         f"{month_text(snap.month)}. Every figure comes from the files listed below; nothing "
         "else is read.")

st.header("How privacy is protected")
st.write(f"Counts from 1 to {t - 1} are never published, and neither is any figure from which "
         f"such a count could be worked out. Zero is published. When a count of people or "
         f"events is below {t}, its rate or percentage is not shown either. When almost everyone "
         f"in a group has the outcome (fewer than {t} do not), the figure is not shown, because "
         "it would tell you about the few who do not.")
st.write("Figures are first combined before anything is hidden: statewide figures are "
         "published for every group and every period, and regions are published as "
         "twelve-month figures (by group and in total), where counts are larger. Groups too "
         "small to publish in most periods on their own are published together for each "
         "period (named as combined, for example American Indian or Alaska Native and Native "
         "Hawaiian or Pacific Islander) and each on its own as a twelve-month figure. The pages "
         "say which each figure is.")
st.write("Hiding only the small figures is not enough: a hidden number could be worked out by "
         "subtracting published figures from a published total, or from the figures of other "
         "periods (months inside a twelve-month figure, overlapping twelve-month windows) or of "
         "other measures counting the same people. So other figures are hidden too, choosing "
         "the ones that lose least (a statewide total is hidden only if its own count is "
         f"small). Before publication, every hidden count from 1 to {t - 1} (and every figure "
         f"hidden because fewer than {t} people do not have the outcome) is checked against "
         "everything the snapshot publishes at once, by linear programming: its smallest and "
         f"largest possible values must be at least {t} apart (for a percentage of fewer than "
         f"{t} people, anywhere from zero to all of them). A snapshot that fails the check is "
         "not published. A hidden figure publishes nothing about itself: no value, interval or "
         "reliability flag.")
st.write("Wherever a figure is hidden, the tables and charts say why, for example "
         f"\"suppressed: fewer than {t}\" or \"suppressed: to protect another small cell\".")
cells = snap.manifest.get("cells_suppressed", {})
st.write(f"In this snapshot, {cells.get('primary', 0):,} figures are hidden because they are "
         f"small and {cells.get('complementary', 0):,} more to protect them.")

st.header("Race and ethnicity")
st.write("Groups follow the federal standard for race and ethnicity (OMB Statistical Policy "
         "Directive No. 15, revised March 2024): one combined question in which people may "
         "select all that apply, with seven minimum categories. A person who selects more than "
         "one category is counted once, in \"Multiracial and/or Multiethnic\", so the groups do "
         "not overlap. \"Unknown / not reported\" is shown as its own group. Data collected under "
         "the 1997 standard were mapped to these groups explicitly.")
st.html(html_table(pl.DataFrame({"Code": list(snap.groups), "Group": list(snap.groups.values())})))

st.header("How statuses are set")
rules = snap.rules.get("rules", {})
st.write(snap.rules.get("trajectory", ""))
for word, rule in rules.items():
    st.markdown(f"- **{word}**: {rule}")
st.write(snap.rules.get("change", ""))

st.header("Files and metadata")
st.write("Everything shown on this site can be downloaded. The catalog file follows the "
         "DCAT-US 1.1 schema; the manifest lists the SHA-256 checksum of every file.")
for name, label, mime in (
        ("observations.csv", "All published observations (CSV)", "text/csv"),
        ("data_dictionary.csv", "Data dictionary (CSV)", "text/csv"),
        ("kpis.json", "Measure definitions (JSON)", "application/json"),
        ("targets.json", "Approved targets (JSON)", "application/json"),
        ("status_rules.json", "Status rules (JSON)", "application/json"),
        ("status.json", "Statuses (JSON)", "application/json"),
        ("data.json", "DCAT-US catalog (data.json)", "application/json"),
        ("manifest.json", "Manifest with checksums (JSON)", "application/json")):
    st.download_button(label, snap.file(name), file_name=name, mime=mime, key=f"about-dl-{name}")
