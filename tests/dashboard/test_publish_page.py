"""Staff Publish page (AppTest): preview, suppression report, audit, publish."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from metrics.store.tables import Publication
from metrics.workspace import Workspace
from tests.apptest import frames, shown_figures
from tests.conftest import AS_OF, ROOT

APP = str(ROOT / "dashboard" / "app.py")
KPIS = ["graduation_rate", "prenatal_care"]


@pytest.fixture()
def page(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("STATDESK_WORKSPACE", str(demo_copy))
    monkeypatch.setenv("STATDESK_AS_OF", AS_OF.isoformat())
    monkeypatch.delenv("STATDESK_DATABASE_URL", raising=False)
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    at.switch_page("views/publish.py").run()
    return at


def test_publish_page_previews_audits_and_publishes(page: AppTest, demo_copy: Path) -> None:
    at = page
    assert not at.exception
    assert at.title[0].value == "Publish the public equity snapshot"
    assert any("repeat_maltreatment" in i.value for i in at.info)  # said not to be published
    assert "repeat_maltreatment" not in at.multiselect(key="publish-kpis").options
    assert not shown_figures(at)  # nothing computed before Preview
    at.multiselect(key="publish-kpis").set_value(KPIS).run()
    at.button(key="publish-preview").click().run()
    assert not at.exception
    metrics = shown_figures(at)
    primary = int(metrics["Cells suppressed: primary"].replace(",", ""))
    complementary = int(metrics["Cells suppressed: complementary"].replace(",", ""))
    assert metrics["KPIs"] == "2" and primary > 0 and complementary > 0
    report = frames(at)[0].value
    assert sorted(report["kpi_id"]) == KPIS
    assert int(report["primary"].sum()) == primary
    loss = frames(at)[1].value  # cells and people hidden, by level
    by_level = dict(zip(loss["level"], loss["cells_hidden"], strict=True))
    assert by_level["statewide total"] == 0
    assert sum(by_level.values()) == primary + complementary

    # the public pages themselves, rendered from the preview: the home page's tiles ...
    iframes = [e.proto.srcdoc for e in at.get("iframe")]
    assert len(iframes) == 1 and '<ul class="tiles">' in iframes[0]
    assert "Births with prenatal care" in iframes[0] and "<svg" in iframes[0]
    assert any("rendered from this preview in" in c.value for c in at.caption)
    # ... and an outcome page, chosen from the list
    at.selectbox(key="publish-preview-page").set_value("kpi/prenatal_care.html").run()
    frame = at.get("iframe")[0].proto.srcdoc
    assert "<h1>" in frame and "Births with prenatal care" in frame and "<table" in frame

    at.button(key="publish-audit").click().run()
    audit = frames(at)[-1].value
    assert {"low", "high", "width", "required", "ok"} <= set(audit.columns)
    assert "value" not in audit.columns  # the hidden count itself is not shown
    # every hidden small count is audited over all linked tables (complements need no audit)
    assert len(audit) >= primary and audit["ok"].all()

    assert any("every one passes" in m.value for m in at.markdown)

    at.button(key="publish-button").click().run()
    assert not at.exception
    assert at.success and "Published version 2026-10-v1" in at.success[0].value
    folder = demo_copy / "published" / "2026-10-v1"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["published_by"] == "local user"
    assert manifest["cells_suppressed"] == {"primary": primary, "complementary": complementary}
    assert at.json and json.loads(at.json[0].value)["version"] == "2026-10-v1"
    with Workspace.open(demo_copy).session() as s:
        rows = s.exec(select(Publication)).all()
    assert [(r.version, r.published_by) for r in rows] == [("2026-10-v1", "local user")]
