"""The Commitments and sessions page (AppTest) on a private copy of the demo workspace."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics import commitments as cm
from metrics.access import operator
from metrics.annotations import list_annotations
from metrics.workspace import Workspace
from tests.apptest import frames, open_box
from tests.conftest import AS_OF, ROOT

PAGE = "views/commitments.py"
RECORD = "FormSubmitter:new_commitment-Record commitment"
SAVE = "FormSubmitter:update_commitment-Save status"


@pytest.fixture()
def ws(copy_env: Path) -> Workspace:
    return Workspace.open(copy_env)


def _open(session_id: int | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=90)
    at.run()
    if session_id is not None:
        at.query_params["session"] = str(session_id)
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    parts = [x.value for kind in ("markdown", "subheader", "success", "warning", "error", "caption",
                                  "text", "info") for x in at.get(kind)]
    return "\n".join(str(p) for p in parts).replace("\\", "")


def _frames(at: AppTest) -> list:
    """The tables shown."""
    return [t.value for t in frames(at)]


def test_create_session_then_record_a_commitment(ws: Workspace) -> None:
    at = _open()
    assert "No stat session yet" in _texts(at)
    assert not at.date_input  # the form is drawn once opened
    open_box(at, "ns_open")
    at.date_input(key="ns_date").set_value(date(2026, 11, 20))
    at.selectbox(key="ns_focus").set_value("agency:doe")
    at.button(key="FormSubmitter:new_session-Create session").click().run()
    assert not at.exception
    sid = int(at.query_params["session"][0] if isinstance(at.query_params["session"], list)
              else at.query_params["session"])
    text = _texts(at)
    assert "Stat session #1 created." in text and "agency: Department of Education" in text

    # a refused form says what is wrong and keeps what was typed
    at.text_area(key="cm_text").input("Run FAFSA <b>nights</b> in every high school")
    at.date_input(key="cm_due").set_value(date(2026, 11, 1))
    at.button(key=RECORD).click().run()
    errors = " ".join(e.value for e in at.error).replace("\\", "")
    assert "Nothing was saved" in errors and "Name the person" in errors
    assert "before the session (20 Nov 2026)" in errors
    assert at.text_area(key="cm_text").value == "Run FAFSA <b>nights</b> in every high school"
    with ws.session() as s:
        assert cm.list_commitments(s, as_of=AS_OF) == []

    at.text_input(key="cm_owner").input("Grace Kim")
    at.date_input(key="cm_due").set_value(date(2026, 12, 15))
    at.multiselect(key="cm_kpis").select("fafsa_completion")
    at.button(key=RECORD).click().run()
    assert not at.error and "Commitment #1 recorded for Grace Kim." in _texts(at)
    assert at.text_area(key="cm_text").value == ""  # cleared for the next one
    [mine] = _frames(at)
    assert mine["Commitment"].to_list() == ["Run FAFSA <b>nights</b> in every high school"]
    assert mine["Status"].to_list() == ["open"] and mine["Agency"].to_list() == ["Department of Education"]
    assert mine["Due"].to_list() == ["15 Dec 2026"] and "Carried forward" not in mine.columns
    with ws.session() as s:
        [v] = cm.list_commitments(s, as_of=AS_OF, session_id=sid)
    assert (v.owner, v.due_on, v.kpi_ids, v.agency_id) == ("Grace Kim", date(2026, 12, 15),
                                                           "fafsa_completion", "doe")


def _seed(ws: Workspace) -> tuple[int, int, int]:
    """An October session with a now-overdue commitment, and a November session."""
    with ws.session() as s:
        october = cm.create_session(s, held_on=date(2026, 10, 14), period="2026-09", by="ana",
                                    register=ws.register, acting=operator())
        c = cm.create_commitment(s, session_id=october.id, text="Open three prenatal clinics",
                                 owner="Dr. Amara Osei", due_on=date(2026, 11, 1),
                                 kpi_ids="prenatal_care", register=ws.register, acting=operator())
        november = cm.create_session(s, held_on=date(2026, 11, 20), period="2026-10", by="ana",
                                     register=ws.register, acting=operator())
    return october.id, c.id, november.id


def test_open_commitments_carry_forward_and_overdue_is_shown(ws: Workspace) -> None:
    _october, cid, november = _seed(ws)
    at = _open(november)
    text = _texts(at)
    assert "Carried forward from earlier sessions (1)" in text
    assert "1 commitment(s) here are overdue as of 25 Nov 2026." in text
    [carried] = [f for f in _frames(at) if "Carried forward" in f.columns]
    assert carried["Commitment"].to_list() == ["Open three prenatal clinics"]
    assert carried["Carried forward"].to_list() == ["↻ from 14 Oct 2026"]
    assert carried["Overdue"].to_list() == ["overdue by 24 days"]
    landing = _open()
    assert "Overdue commitments (1)" in _texts(landing)


def test_update_status_and_a_clash_is_refused(ws: Workspace) -> None:
    _october, cid, november = _seed(ws)
    at = _open(november)
    at.selectbox(key="up_status").set_value("in progress")
    at.text_input(key="up_note").input("two sites leased")
    at.button(key=SAVE).click().run()
    assert not at.error, [e.value for e in at.error]
    assert "Commitment #1 is now 'in progress'." in _texts(at)
    [carried] = [f for f in _frames(at) if "Carried forward" in f.columns]
    assert carried["Status"].to_list() == ["in progress"]
    assert carried["Latest note"].to_list() == ["two sites leased"]

    # someone else closes it after this page was drawn: our save is refused, nothing overwritten
    with ws.session() as s:
        cm.update_status(s, cid, status="done", note="all three open", by="dee@health.gov",
                         expected_version=2, as_of=date(2026, 11, 24), acting=operator())
    at.selectbox(key="up_status").set_value("dropped")
    at.text_input(key="up_note").input("no budget")
    at.button(key=SAVE).click().run()
    errors = " ".join(e.value for e in at.error).replace("\\", "")
    assert "Commitment #1 was changed by dee@health.gov at" in errors
    assert "reload and try again" in errors
    with ws.session() as s:
        [v] = cm.list_commitments(s, as_of=AS_OF)
        assert (v.status, v.version, v.last_note) == ("done", 3, "all three open")
        assert [a.kind for a in list_annotations(s, "prenatal_care")] == ["commitment"]
    # after the refusal the page shows the latest state, so "did it move?" appears
    assert "Did it move?" in _texts(at)


def test_annotation_form(ws: Workspace) -> None:
    *_, november = _seed(ws)
    at = open_box(_open(november), "an_open")
    at.selectbox(key="an_kpi").set_value("prenatal_care")
    at.date_input(key="an_date").set_value(date(2026, 7, 1))
    at.selectbox(key="an_kind").set_value("policy")
    at.button(key="FormSubmitter:new_annotation-Add annotation").click().run()
    assert "Write what happened" in " ".join(e.value for e in at.error)
    at.text_input(key="an_text").input("Postpartum coverage extended")
    at.button(key="FormSubmitter:new_annotation-Add annotation").click().run()
    assert not at.error
    with ws.session() as s:
        [a] = list_annotations(s, "prenatal_care")
    assert (a.on_date, a.kind, a.text, a.public) == (date(2026, 7, 1), "policy",
                                                     "Postpartum coverage extended", False)


def test_downloads_are_offered_and_a_bad_session_is_explained(ws: Workspace) -> None:
    *_, november = _seed(ws)
    at = _open(november)
    keys = {b.key for b in at.get("download_button")}
    assert {"dl_packet_html", "dl_packet_pdf", "dl_memo_html", "dl_memo_pdf"} <= keys
    bad = _open(4242)
    assert "There is no stat session '4242'" in " ".join(e.value for e in bad.error).replace("\\", "")
    assert not bad.exception
