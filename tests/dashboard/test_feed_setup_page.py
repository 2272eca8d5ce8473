"""Set up a feed (AppTest): a sample in the inbox, the proposal, first observations, writing."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from metrics.definitions import validate
from tests.apptest import frames
from tests.conftest import AS_OF, ROOT

APP = str(ROOT / "dashboard" / "app.py")
SAMPLE = """Department of Health: monthly outcomes by race
Counts under 5 are suppressed (shown as *).
Report date,Region,Race/Ethnicity,Outcomes,Population
10/31/2026,R01,White,40,1000
10/31/2026,R01,Black or African American,12,400
10/31/2026,R01,Hispanic or Latino,*,300
10/31/2026,R01,Some other race,7,90
10/31/2026,R01,All races,70,1800
10/31/2026,R02,White,30,900
10/31/2026,R02,All races,45,1200
"""


@pytest.fixture()
def page(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("STATDESK_WORKSPACE", str(demo_copy))
    monkeypatch.setenv("STATDESK_AS_OF", AS_OF.isoformat())
    monkeypatch.delenv("STATDESK_DATABASE_URL", raising=False)
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    (demo_copy / "inbox").mkdir(exist_ok=True)
    (demo_copy / "inbox" / "doh_outcomes_sample.csv").write_text(SAMPLE)
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    at.switch_page("views/feed_setup.py").run()
    return at


def _table(at: AppTest, column: str):  # type: ignore[no-untyped-def]
    """The table on the page that has ``column``."""
    return next(d.value for d in frames(at) if column in d.value.columns)


def test_setup_proposes_previews_and_writes_on_confirmation(page: AppTest, demo_copy: Path) -> None:
    at = page
    assert not at.exception
    assert at.title[0].value == "Set up a feed from a sample file"
    defs = demo_copy / "definitions"
    before = (defs / "feeds.csv").read_text()
    at.selectbox(key="setup-inbox").set_value("doh_outcomes_sample.csv").run()
    at.text_input(key="setup-feed-id").input("doh_outcomes").run()
    at.selectbox(key="setup-agency").set_value("doh").run()
    at.selectbox(key="setup-numerator").set_value("Outcomes").run()
    at.selectbox(key="setup-denominator").set_value("Population").run()
    assert not at.exception
    # unsure: asked, not guessed
    assert any("'Some other race'" in w.value for w in at.warning)
    shape = _table(at, "period_format")
    assert shape["period_format"][0] == "%m/%d/%Y" and shape["total_code"][0] == "All races"
    at.button(key="setup-preview").click().run()
    assert not at.exception
    obs = _table(at, "reliable")
    got = {(r, g): v for r, g, v in zip(obs["region"], obs["group"], obs["value"], strict=True)}
    assert got[("R01", "white")] == pytest.approx(4.0)
    assert got[("R01", "all")] == pytest.approx(3.89)  # the file's own total, 70 / 1800
    assert (defs / "feeds.csv").read_text() == before  # nothing written yet
    assert at.button(key="setup-write").disabled
    at.checkbox(key="setup-sure").check().run()
    at.button(key="setup-write").click().run()
    assert not at.exception
    assert any("Written" in s.value for s in at.success)
    register, issues = validate(defs)
    assert register is not None, [str(i) for i in issues if i.level == "error"]
    feed = register.feeds["doh_outcomes"]
    assert feed.agency_id == "doh" and feed.shape is not None
    maps = pl.read_csv(defs / "code_maps.csv", infer_schema=False).filter(
        pl.col("feed_id") == "doh_outcomes")
    assert dict(maps.select("from_value", "to_value").rows()) == {
        "White": "white", "Black or African American": "black", "Hispanic or Latino": "hispanic",
        "Some other race": "other"}
