"""The Catalog page: inventory (edit, restriction rule, stale edit), agreements, roadmap."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from streamlit.testing.v1 import AppTest

from metrics.access import operator
from metrics.governance.inventory import get, save_dataset
from metrics.governance.roadmap import list_actions
from metrics.workspace import Workspace
from tests.apptest import frames, open_box, open_view

PAGE = "views/catalog.py"
SAVE = "FormSubmitter:inv_form-Save dataset"
SAVE_ACTION = "FormSubmitter:rm_form-Save action"


def _open(tab: str | None) -> AppTest:
    return open_view(PAGE, timeout=90, **({"tab": tab} if tab is not None else {}))


def _df(at: AppTest, *columns: str):  # type: ignore[no-untyped-def]
    for d in frames(at):
        if set(columns) <= set(d.value.columns):
            return d.value
    raise AssertionError(f"no table with columns {columns}")


def test_inventory_seeded_and_downloads(copy_env: Path) -> None:
    at = _open(None)
    inv = _df(at, "dataset_id", "steward", "classification")
    assert len(inv) == 15
    assert any("created from the feed contracts" in i.value for i in at.info)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download the inventory (CSV)", "Download data.json (DCAT-US 1.1)"]


def test_restriction_rule_and_save(copy_env: Path) -> None:
    at = _open("inventory")
    assert "Edit a dataset, or add one" in [e.label for e in at.expander]
    assert not at.text_input  # the form is drawn once opened
    open_box(at, "inv_edit_open")
    at.selectbox(key="inv_pick").select("dhs_child_welfare").run()
    assert at.text_input(key="inv_title").value == "Child welfare case findings"
    at.checkbox(key="inv_restricted").check()
    at.button(key=SAVE).click().run()
    assert any("Restricted without a legal citation is refused" in e.value for e in at.error)
    ws = Workspace.open(copy_env)
    with ws.session() as s:
        assert get(s, "dhs_child_welfare").restricted is False
    at.text_input(key="inv_restriction_citation").input("42 U.S.C. 5106a (CAPTA)")
    at.button(key=SAVE).click().run()
    assert any("Saved 'dhs_child_welfare' (version 2)" in x.value for x in at.success)
    with ws.session() as s:
        d = get(s, "dhs_child_welfare")
    assert d.restricted and d.restriction_citation == "42 U.S.C. 5106a (CAPTA)"


def test_stale_edit_is_refused(copy_env: Path) -> None:
    at = open_box(_open("inventory"), "inv_edit_open")
    at.selectbox(key="inv_pick").select("dhs_snap").run()
    ws = Workspace.open(copy_env)
    with ws.session() as s:  # another steward saves first
        d = get(s, "dhs_snap")
        values = {k: getattr(d, k) for k in ("dataset_id", "description", "source_system",
                                             "agency_id", "steward", "steward_email",
                                             "classification", "restricted",
                                             "restriction_citation", "legal_basis", "cadence",
                                             "feed_ids", "keywords")}
        save_dataset(s, ws.register, values | {"title": "Other steward's title"},
                     expected_version=1, by="other@lakeland.gov",
                     at=datetime(2026, 11, 25, tzinfo=UTC), acting=operator())
    at.text_input(key="inv_title").input("My title")
    at.button(key=SAVE).click().run()
    assert any("other@lakeland.gov" in e.value and "since you opened it" in e.value
               for e in at.error)
    with ws.session() as s:
        assert get(s, "dhs_snap").title == "Other steward's title"
    at.button(key="inv_reload").click().run()
    assert at.text_input(key="inv_title").value == "Other steward's title"


def test_agreements_tab(app_env: Path) -> None:
    at = _open("agreements")
    assert any("dsa-doc" in e.value and "doc_releases" in e.value for e in at.error)
    assert any("dsa-hfa" in w.value and "Expires in 67 days" in w.value for w in at.warning)
    table = _df(at, "agreement_id", "expires", "flags")
    assert dict(zip(table["agreement_id"], table["status"], strict=True))["dsa-doc"] == "expired"


def test_roadmap_tab_edit(copy_env: Path) -> None:
    at = _open("roadmap")
    text = " ".join(m.value for m in at.markdown)
    assert "Name a data steward in every agency" in text and "Sustaining" in text
    ws = Workspace.open(copy_env)
    with ws.session() as s:
        first = list_actions(s)[0]
    open_box(at, "rm_edit_open")
    at.selectbox(key="rm_pick").select(first.id).run()
    at.selectbox(key="rm_status").select("in progress")
    at.button(key=SAVE_ACTION).click().run()
    assert any("needs an owner" in e.value for e in at.error)
    at.text_input(key="rm_owner").input("Chief Data Officer")
    at.date_input(key="rm_due").set_value(date(2027, 3, 31))
    at.button(key=SAVE_ACTION).click().run()
    assert any("version 2" in x.value for x in at.success)
    with ws.session() as s:
        act = next(a for a in list_actions(s) if a.id == first.id)
    assert (act.status, act.owner, act.due_on) == ("in progress", "Chief Data Officer",
                                                   date(2027, 3, 31))


def test_bad_tab(app_env: Path) -> None:
    at = _open("secrets")
    assert "There is no tab 'secrets'" in at.error[0].value
