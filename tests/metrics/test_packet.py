"""Briefing packet and follow-up memo: accessible offline HTML, PDF with real text, CLI."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from metrics import packet as pk
from metrics.access import operator
from metrics.commitments import CommitmentView
from metrics.engine import load_observations
from metrics.feedstate import feed_through
from metrics.scorecard import scorecard
from metrics.store.tables import StatSession
from metrics.workspace import Workspace
from tests.conftest import AS_OF, chromium_path
from tests.pdftext import pdf_pages, pdf_text

MONTH = "2026-10"


def _need_chromium() -> None:
    if chromium_path() is None:
        if os.environ.get("STATDESK_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is missing (STATDESK_REQUIRE_BROWSER=1)")
        pytest.skip("Debian's chromium is not installed: the PDF cannot be printed")


def _view(i: int, text: str, due: date, *, kpis: str = "prenatal_care", agency: str = "doh",
          status: str = "open", session_id: int = 1) -> CommitmentView:
    late = (AS_OF - due).days if status in ("open", "in progress") else 0
    return CommitmentView(id=i, session_id=session_id, made_on=date(2026, 10, 14),
                          session_title="October session", text=text, owner="Dr. Amara Osei",
                          agency_id=agency, due_on=due, kpi_ids=kpis, status=status, closed_on=None,
                          version=1, overdue=late > 0, days_overdue=max(late, 0),
                          last_note="", last_updated_by="ana",
                          last_updated_at=datetime(2026, 10, 14, tzinfo=UTC))


@pytest.fixture(scope="module")
def inputs(demo_workspace: Path) -> dict[str, Any]:
    ws = Workspace.open(demo_workspace)
    obs = load_observations(ws.engine)
    with ws.session() as s:
        through = feed_through(s, ws.register)
    statuses = scorecard(ws.register, obs, month=MONTH, as_of=AS_OF, feed_through=through)
    views = [_view(1, "Open <script>alert(1)</script> clinics & vans", date(2026, 11, 1)),
             _view(2, "FAFSA completion nights", date(2026, 12, 15), kpis="fafsa_completion",
                   agency="doe")]
    html = pk.build_packet_html(ws.register, obs, statuses, views, month=MONTH, as_of=AS_OF)
    return {"register": ws.register, "obs": obs, "statuses": statuses, "views": views, "html": html}


def test_packet_is_self_contained_and_accessible(inputs: dict[str, Any]) -> None:
    html = inputs["html"]
    assert re.findall(r"https?://", html) == []
    assert "<script" not in html and " src=" not in html and "<link" not in html
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html
    assert html.count("<h1") == 1 and "<h2" in html and "<h3" in html
    tables = html.count("<table")
    assert tables > 20 and html.count("<caption>") == tables
    ths = re.findall(r"<th\b[^>]*>", html)
    assert ths and all('scope="col"' in t or 'scope="row"' in t for t in ths)


def test_every_chart_has_a_text_alternative(inputs: dict[str, Any]) -> None:
    html = inputs["html"]
    svgs = re.findall(r"<svg\b[^>]*>.*?</svg>", html, flags=re.S)
    assert len(svgs) == len(inputs["statuses"])
    for svg in svgs:
        assert 'role="img"' in svg
        ids = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
        for i in ids:
            text = re.search(rf'id="{i}">([^<]+)<', svg).group(1)
            assert len(text) > 10
    desc = re.search(r'<desc id="chart-overdose_deaths-desc">([^<]+)</desc>', html).group(1)
    assert "Drug overdose death rate" in desc and "dashed line is the target" in desc


def test_off_track_kpis_come_first_and_data_current_through(inputs: dict[str, Any]) -> None:
    html, statuses = inputs["html"], inputs["statuses"]
    assert "Data current through 31 October 2026" in html
    pos = {s.kpi_id: html.index(f'<article class="kpi" id="kpi-{s.kpi_id}"') for s in statuses}
    off = [pos[s.kpi_id] for s in statuses if s.status == "off track"]
    on = [pos[s.kpi_id] for s in statuses if s.status in ("on track", "met")]
    assert off and on and max(off) < min(on)
    assert html.index("Off track (") < html.index("On track (")


def test_summary_sentences_are_written_from_the_numbers(inputs: dict[str, Any]) -> None:
    html = inputs["html"]
    st = next(s for s in inputs["statuses"] if s.kpi_id == "overdose_deaths")
    sentence = (f"Drug overdose death rate was {st.value_text} in {st.period_display}, against a "
                f"pro-rated target of {st.target_text}.")
    assert sentence in html
    block = html[html.index('id="kpi-overdose_deaths"'):]
    block = block[:block.index("</article>")]
    # the table beside the chart holds the latest value
    assert f"<td class=\"num\">{st.value_text}</td>" in block
    assert "data current through 31 Oct 2026" in block


def test_commitments_in_the_packet_are_escaped_and_overdue_flagged(inputs: dict[str, Any]) -> None:
    html = inputs["html"]
    assert "Open &lt;script&gt;alert(1)&lt;/script&gt; clinics &amp; vans" in html
    assert "Overdue commitments (1)" in html and "overdue 24 days" in html
    assert "Other open commitments (1)" in html and "FAFSA completion nights" in html


def test_packet_pdf_has_the_text(inputs: dict[str, Any], tmp_path: Path) -> None:
    _need_chromium()
    out = pk.html_to_pdf(inputs["html"], tmp_path / "packet.pdf")
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "Data current through 31 October 2026" in text
    assert "Drug overdose death rate" in text and "Commitments" in text
    assert text.index("Off track (") < text.index("On track (")


def test_missing_chromium_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pk.pdf, "find_chromium", lambda: None)
    with pytest.raises(pk.PdfError, match="apt-get install chromium"):
        pk.html_to_pdf("<p>x</p>", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_memo_is_one_page_per_agency(inputs: dict[str, Any], tmp_path: Path) -> None:
    reg = inputs["register"]
    stat = StatSession(id=1, held_on=date(2026, 10, 14), period="2026-09", title="October session")
    carried = [_view(7, "Older promise", date(2026, 9, 30), agency="doe", session_id=0)]
    html = pk.followup_memo_html(reg, stat, inputs["views"], as_of=AS_OF, carried=carried)
    assert re.findall(r"https?://", html) == [] and '<html lang="en">' in html
    assert "Follow-up: stat session of 14 October 2026" in html
    doh, doe = html.index("<h2 id=\"ag-doh\">Department of Health"), html.index("<h2 id=\"ag-doe\">")
    assert doe < doh  # agencies in name order: Education before Health
    assert "Lead: Dr. Amara Osei" in html and "Still open from earlier sessions (1)" in html
    assert "overdue 56 days" in html and "&lt;script&gt;" in html
    _need_chromium()
    data = pk.html_to_pdf(html, tmp_path / "memo.pdf").read_bytes()
    assert pdf_pages(data) == 1
    text = pdf_text(data)
    assert "Department of Health" in text and "FAFSA completion nights" in text


def test_cli_sessions_commitments_memo_packet(demo_copy: Path, tmp_path: Path) -> None:
    from metrics import commitments as cm
    from metrics.cli import app

    ws = Workspace.open(demo_copy)
    with ws.session() as s:
        stat = cm.create_session(s, held_on=date(2026, 10, 14), period="2026-09", by="ana",
                                 register=ws.register, acting=operator())
        cm.create_commitment(s, session_id=stat.id, text="Open clinics", owner="Dr. Osei",
                             due_on=date(2026, 11, 1), kpi_ids="prenatal_care", register=ws.register, acting=operator())
        cm.create_commitment(s, session_id=stat.id, text="FAFSA nights", owner="Grace Kim",
                             due_on=date(2026, 12, 1), kpi_ids="fafsa_completion", register=ws.register, acting=operator())
    run = CliRunner().invoke
    env = {"STATDESK_WORKSPACE": str(demo_copy)}
    r = run(app, ["sessions"], env=env)
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[1].startswith(f"{stat.id},2026-10-14,2026-09,all") and ",2,ana" in r.output
    r = run(app, ["commitments", "--overdue", "--as-of", "2026-11-25"], env=env)
    assert r.exit_code == 0 and "Open clinics" in r.output and "FAFSA nights" not in r.output
    r = run(app, ["commitments", "--as-of", "2026-11-25"], env=env)
    assert "Open clinics" in r.output and "FAFSA nights" in r.output
    r = run(app, ["memo", "--session", "99", str(tmp_path / "m")], env=env)
    assert r.exit_code == 1 and "no stat session #99" in r.output
    r = run(app, ["packet", "--period", "2026-Q3", str(tmp_path / "p")], env=env)
    assert r.exit_code == 1 and "takes a month" in r.output
    r = run(app, ["packet", "--period", MONTH, "--as-of", "2026-11-25", "--no-pdf",
                  str(tmp_path / "out" / "packet.html")], env=env)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "packet.html").read_text().count("Open clinics") >= 1
    _need_chromium()
    r = run(app, ["memo", "--session", str(stat.id), "--as-of", "2026-11-25", str(tmp_path / "memo")],
            env=env)
    assert r.exit_code == 0, r.output
    assert "Grace Kim" in pdf_text((tmp_path / "memo.pdf").read_bytes())
    assert (tmp_path / "memo.html").exists()
