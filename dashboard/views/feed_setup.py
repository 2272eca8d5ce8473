"""Set up a feed: a data steward's guided set-up from a sample of the agency's file.

URL: ``feed-setup``. Data stewards and administrators. StatDesk proposes the feed, its
columns and types, its shape and the race labels mapped to SPD 15 codes
(:func:`metrics.ingest.propose.propose`, the same as ``statdesk feeds propose``), says
what it is unsure of, shows the first observations the proposal gives on the file, and
writes the definitions files only when the steward confirms.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import streamlit as st

from dashboard import components as ui
from dashboard import state
from dashboard.auth import current_viewer
from metrics.access import AccessDenied, can_open
from metrics.definitions import validate
from metrics.definitions.loader import ID_PATTERN
from metrics.definitions.shapes import SOME_OTHER_RACE
from metrics.groups import GROUP_CODES, label
from metrics.ingest.propose import Proposal, first_observations, propose, write_proposal

LEAVE_OUT = "(leave out)"

viewer = current_viewer()
st.title("Set up a feed from a sample file")
if not can_open(viewer, "feed-setup"):
    st.error("Setting up feeds is open to data stewards and administrators only.")
    st.stop()

ws = state.workspace()
reg = state.full_register()
defs = ws.root / "definitions"
st.write("Give StatDesk a sample of the file the agency sends, as they export it. StatDesk "
         "proposes how to read it; nothing is written until you confirm below.")

inbox = ws.root / "inbox"
choices = sorted(p.name for p in inbox.glob("*") if p.suffix.lower() in (".csv", ".xlsx", ".parquet")) \
    if inbox.is_dir() else []
upload = st.file_uploader("Sample file (CSV, XLSX or Parquet)", type=["csv", "xlsx", "parquet"],
                          key="setup-upload")
picked = st.selectbox("…or a file already in the workspace's inbox", ["", *choices],
                      key="setup-inbox")
c1, c2 = st.columns(2)
with c1:
    feed_id = st.text_input("Feed id", key="setup-feed-id",
                            help="Short id, letters, digits and underscores, e.g. doh_outcomes.")
with c2:
    agencies = sorted(reg.agencies)
    agency = st.selectbox("Agency that sends it", agencies, key="setup-agency",
                          format_func=lambda a: reg.agencies[a].name)

if upload is None and not picked:
    st.info("Choose a sample file to begin.")
    st.stop()
if not feed_id:
    st.info("Give the feed an id.")
    st.stop()
if ".." in feed_id or not ID_PATTERN.match(feed_id):
    st.error(f"'{ui.escape(feed_id)}' cannot be a feed id: use letters, digits, '_', '-' or "
             "'.', starting with a letter or digit (at most 64 characters).")
    st.stop()
if feed_id in reg.feeds:
    st.error(f"The register already has a feed '{ui.escape(feed_id)}' (feeds.csv). Choose "
             "another id.")
    st.stop()

if upload is not None:
    tmp = Path(tempfile.mkdtemp(prefix="statdesk-setup-")) / f"{feed_id}{Path(upload.name).suffix}"
    tmp.write_bytes(upload.getvalue())
    sample = tmp
else:
    sample = inbox / picked

try:
    first = propose(sample, feed_id, agency_id=agency or "", regions=sorted(reg.regions))
except Exception as exc:  # noqa: BLE001 - any unreadable sample is said plainly
    st.error(f"StatDesk cannot read {ui.escape(sample.name)}: "
             f"{ui.escape(str(exc).splitlines()[0])}. Send CSV (UTF-8), XLSX or Parquet.")
    st.stop()
measures = first.measures or ["(none)"]
c3, c4 = st.columns(2)
with c3:
    num = st.selectbox("Numerator (what is counted)", measures, key="setup-numerator",
                       index=measures.index(first.feed["numerator_column"])
                       if first.feed["numerator_column"] in measures else 0)
with c4:
    den = st.selectbox("Denominator (what it is divided by)", measures, key="setup-denominator",
                       index=measures.index(first.feed["denominator_column"])
                       if first.feed["denominator_column"] in measures else 0)
proposal = propose(sample, feed_id, agency_id=agency or "", numerator=num, denominator=den,
                   regions=sorted(reg.regions))

st.subheader("What StatDesk proposes")
questions = [q for q in proposal.questions if not q.startswith("Numerator and denominator")]
if questions:
    st.warning("StatDesk was not sure about these; decide before writing:\n\n"
               + "\n".join(f"- {q}" for q in questions))
st.write("**feeds.csv**")
ui.table(pl.DataFrame([proposal.feed]), key="setup-feed")
st.write("**feed_columns.csv** (columns and types)")
ui.table(pl.DataFrame(proposal.columns), key="setup-columns")
if proposal.shape is not None:
    st.write("**feed_shapes.csv** (how the file is laid out)")
    ui.table(pl.DataFrame([proposal.shape], schema={k: pl.String for k in proposal.shape}),
             key="setup-shape")
st.write("**code_maps.csv**: the agency's race labels and the SPD 15 group each is counted in")
options = [LEAVE_OUT, *GROUP_CODES, SOME_OTHER_RACE]
maps = pl.DataFrame(proposal.code_maps or [],
                    schema={"feed_id": pl.String, "column": pl.String, "from_value": pl.String,
                            "to_value": pl.String})
edited = st.data_editor(
    maps, hide_index=True, key="setup-codes",
    disabled=["feed_id", "column", "from_value"],
    column_config={"to_value": st.column_config.SelectboxColumn(
        "SPD 15 group", options=options,
        help="; ".join(f"{c} = {label(c)}" for c in GROUP_CODES)
        + f"; {SOME_OTHER_RACE} = Some other race (in the total, never a group)")})
edited = edited if isinstance(edited, pl.DataFrame) else pl.from_pandas(edited)
code_maps = [r for r in edited.to_dicts() if r["to_value"] not in (None, LEAVE_OUT)]
final = Proposal(proposal.feed, proposal.columns, proposal.shape, code_maps, proposal.questions,
                 proposal.regions, proposal.measures)

if st.button("Show the first observations", key="setup-preview"):
    with st.spinner("Reading the file with the proposal…"):
        try:
            obs, summary = first_observations(final, sample, received_on=state.today())
        except Exception as exc:  # noqa: BLE001 - the proposal cannot run yet: say why
            st.error("The proposal cannot be run on the file yet: "
                     f"{ui.escape(str(exc).splitlines()[0])}")
        else:
            st.code(summary, language=None)
            if obs.height:
                st.write(f"First observations ({num} / {den} x 100; latest period first):")
                ui.table(obs, key="setup-observations")
            else:
                st.warning("No observation could be computed: see the check above.")

st.subheader("Write the definitions")
st.write(f"The rows above are added to the files in `{defs}`; the existing rows are kept.")
sure = st.checkbox("I have checked the proposal and the first observations", key="setup-sure")
if st.button("Write the definitions files", key="setup-write", disabled=not sure):
    try:
        paths = write_proposal(final, defs, acting=state.viewer())
    except (ValueError, AccessDenied) as exc:
        st.error(ui.escape(str(exc)))
        st.stop()
    _, issues = validate(defs)
    errors = [str(i) for i in issues if i.level == "error"]
    st.success("Written: " + ", ".join(p.name for p in paths) + ".")
    if errors:
        st.warning("The definitions now need these changes before StatDesk can use them:")
        st.code("\n".join(errors), language=None)
    else:
        st.write("The definitions validate. Add a KPI for the feed in kpis.csv, then ingest the "
                 f"file: `statdesk ingest {feed_id} FILE`.")
