"""Stat session page (AppTest on the demo state): scorecard, filters, month, commitments."""

from __future__ import annotations

import html
import re
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from metrics.access import operator
from tests.apptest import as_text, frames, html_blocks, shown_figures, use_workspace
from tests.conftest import AS_OF, ROOT

APP = str(ROOT / "dashboard" / "app.py")
STATUS_WORDS = ("not met", "off track", "at risk", "uncertain", "on track", "met", "no data",
                "too few cases", "no agreed target")


def _run(*, open_table: bool = True, **params: str) -> AppTest:
    """The session page; ``open_table``: with the full scorecard table opened, as a user does."""
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    if open_table:
        at.session_state["session_table_open"] = True
        at.run()
        assert not at.exception, at.exception
    return at


def test_full_table_is_drawn_only_when_opened(app_env: Path) -> None:
    at = _run(open_table=False)
    assert ("The scorecard as one table, with every column, and its downloads (CSV, Excel)"
            in [e.label for e in at.expander])
    assert not at.get("download_button")  # drawn with the table
    assert _scorecard(at).empty  # the grid is not sent until the expander is opened
    at.session_state["session_table_open"] = True
    at.run()
    assert not at.exception
    assert len(_scorecard(at)) == 20
    assert [b.label for b in at.get("download_button")] == [
        "Download scorecard (CSV)", "Download all tables (Excel)"]


def _scorecard(at: AppTest) -> pd.DataFrame:
    found = [d.value for d in frames(at) if "Rule" in d.value.columns]
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame()


def _expected(workspace: Path, month: str) -> dict[str, str]:
    from metrics.engine import load_observations
    from metrics.feedstate import feed_through
    from metrics.scorecard import scorecard
    from metrics.workspace import Workspace

    ws = Workspace.open(workspace)
    with ws.session() as s:
        through = feed_through(s, ws.register)
    return {k.kpi_id: k.status for k in scorecard(
        ws.register, load_observations(ws.engine), month=month, as_of=AS_OF,
        feed_through=through)}


def scorecard_rows(at: Any) -> dict[str, tuple[str, str]]:
    """KPI id -> (status word of its badge, link of its name) in the room's scorecard
    tables, as the browser gets them."""
    out = {}
    for e in at.get("html"):
        for m in re.finditer(r'<tr class="sd-row" data-kpi="([^"]+)"><td><span class="sd-badge"'
                             r'[^>]*><span class="sd-icon" aria-hidden="true">[a-z_]+</span>'
                             r'([^<]+)</span>.*?<a href="([^"]+)"', str(e.proto.body)):
            out[m.group(1)] = (html.unescape(m.group(2)), html.unescape(m.group(3)))
    return out


def test_scorecard_shows_all_20_kpis_with_their_status_words(app_env: Path) -> None:
    at = _run()
    card = _scorecard(at)
    expected = _expected(app_env, "2026-10")
    assert len(expected) == 20
    assert sorted(card["KPI id"]) == sorted(expected)
    for kid, status in zip(card["KPI id"], card["Status"], strict=True):
        assert status == expected[kid].capitalize()  # the word, never colour alone
    # every row of the room view shows its status as a badge: a Material icon and the word
    rows = scorecard_rows(at)
    assert sorted(rows) == sorted(expected)
    for kid, (word, link) in rows.items():
        assert word == expected[kid].capitalize()
        assert link == f"kpi?id={kid}&month=2026-10"
    assert [h.value for h in at.subheader] == [
        "Healthy people and families", "Economic opportunity", "Education from cradle to career",
        "Safe communities", "Housing and human services"]
    # within each priority, riskiest first, each with its rule in words and a detail link
    assert card["Rule"].str.len().min() > 10
    assert card["Detail"].str.startswith("kpi?id=").all()
    assert all("month=2026-10" in u for u in card["Detail"])
    # counts at the top add up and name every status
    counts = {k.lower(): int(v) for k, v in shown_figures(at).items()}
    assert set(counts) == set(STATUS_WORDS)
    assert sum(counts.values()) == 20
    assert counts["no agreed target"] == 2  # ui_weekly_benefit and eviction_filings
    # the late feed makes eviction filings stale; data current through is shown
    row = card[card["KPI id"] == "eviction_filings"].iloc[0]
    assert "stale" in row["Freshness"]
    assert pd.Timestamp(row["Data current through"]).date() == date(2026, 8, 31)
    assert {"Trend", "Equity gap", "Equity gap detail", "Target (pro-rated)", "Pace"} <= set(
        card.columns)


def test_month_parameter_changes_the_period_reviewed(app_env: Path) -> None:
    at = _run(month="2025-06")
    card = _scorecard(at)
    row = card[card["KPI id"] == "prenatal_care"].iloc[0]
    assert row["Period"] == "Jun 2025"
    assert at.selectbox(key="session_month").value == "2025-06"
    expected = _expected(app_env, "2025-06")
    assert dict(zip(card["KPI id"], [s.lower() for s in card["Status"]],
                    strict=True)) == expected
    assert any("Jun 2025" in c.value for c in at.caption)


def test_priority_parameter_and_agency_widget_filter_the_scorecard(app_env: Path) -> None:
    at = _run(priority="economy")
    card = _scorecard(at)
    assert [h.value for h in at.subheader] == ["Economic opportunity"]
    assert len(card) == 5 and set(card["Agency"]) == {"Department of Labor and Workforce"}

    at = _run()
    at.selectbox(key="session_agency").set_value("hfa").run()
    assert not at.exception
    card = _scorecard(at)
    assert sorted(card["KPI id"]) == ["eviction_filings", "homelessness"]
    assert at.query_params["agency"] == "hfa"  # the view has a shareable URL
    assert sum(int(v) for v in shown_figures(at).values()) == 2


def test_bad_parameters_say_what_is_wrong_and_fall_back(app_env: Path) -> None:
    at = _run(open_table=False, month="2031-01", priority="moon")
    errors = " ".join(e.value for e in at.error)
    assert "2031-01" in errors and "moon" in errors
    at.session_state["session_table_open"] = True
    at.run()
    assert len(_scorecard(at)) == 20


def test_open_commitments_are_shown_under_their_kpi(demo_copy: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:

    from metrics import commitments as cm
    from metrics.workspace import Workspace

    ws = Workspace.open(demo_copy)
    with ws.session() as s:
        stat = cm.create_session(s, held_on=date(2026, 11, 20), period="2026-10", acting=operator())
        cm.create_commitment(s, session_id=stat.id, text="Mobile clinics in Lakeshore",
                             owner="Dr. Amara Osei", due_on=date(2026, 12, 31),
                             kpi_ids=["prenatal_care"], register=ws.register, acting=operator())
    use_workspace(monkeypatch, demo_copy)
    at = _run()
    body = "".join(str(e.proto.body) for e in at.get("html"))
    # the KPI's second line counts it, and a disclosure under it lists it
    second = re.search(r'<tr class="sd-second" data-kpi="prenatal_care"><td colspan="5">'
                       r'(.*?)</td></tr>', body)
    assert second is not None
    line = html.unescape(second.group(1))
    assert "Equity gap" in line and "1 open commitment" in line
    assert "<summary>Open commitments (1)</summary>" in line
    assert "Mobile clinics in Lakeshore — Dr. Amara Osei, due 31 Dec 2026" in line
    assert body.count("Open commitments (") == 1  # under its own KPI only


def test_warm_rerun_is_fast(app_env: Path) -> None:
    at = _run()
    times = []
    for _ in range(5):
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
    assert not at.exception
    assert statistics.median(times) < 0.3, times


def test_every_row_shows_status_value_target_and_reason_in_words(app_env: Path) -> None:
    from metrics.engine import load_observations
    from metrics.feedstate import feed_through
    from metrics.scorecard import scorecard
    from metrics.workspace import Workspace

    at = _run()
    ws = Workspace.open(app_env)
    with ws.session() as s:
        through = feed_through(s, ws.register)
    body = html.unescape("".join(str(e.proto.body) for e in at.get("html")))
    for k in scorecard(ws.register, load_observations(ws.engine), month="2026-10", as_of=AS_OF,
                       feed_through=through):
        # the reason, in full, in its own column; the value in bold; the target
        assert f'<td class="sd-why">{k.explanation}</td>' in body, k.kpi_id
        assert f"<strong>{k.value_text}</strong>" in body
        assert f"<td>{k.target_text}</td>" in body
    words = (" ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
             + body)
    for code in ("R12-", "rolling12", "at_risk_threshold", "None"):
        assert code not in words


def test_presentation_mode_shows_one_priority_and_moves_with_buttons(app_env: Path) -> None:
    at = _run()
    at.query_params["present"] = "on"  # the "Presentation mode (projector)" link
    at.run()
    assert not at.exception
    assert [h.value for h in at.header] == ["Healthy people and families"]
    assert any("Priority 1 of 5" in c.value for c in at.caption)
    at.button(key="present_next").click().run()
    assert [h.value for h in at.header] == ["Economic opportunity"]
    at.button(key="present_prev").click().run()
    assert [h.value for h in at.header] == ["Healthy people and families"]
    assert at.button(key="present_prev").disabled


def test_what_changed_since_the_last_session_comes_first(loop_copy: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    use_workspace(monkeypatch, loop_copy)
    at = _run()
    [panel] = html_blocks(at, 'class="sd-changes"')
    lines = [x.strip() for x in as_text(panel).splitlines() if x.strip()]
    assert lines[0] == ("What changed since the last session (October stat session, "
                        "22 Oct 2026, which reviewed September 2026)")
    bodies = [h.value for h in at.get("html")]
    first_card = next(i for i, b in enumerate(bodies) if 'class="sd-card"' in b)
    assert bodies.index(panel) < first_card  # before the scorecards
    summary = next(t for t in lines if t.startswith("Since 22 Oct 2026:"))
    n_changed = int(next(t for t in lines if t.startswith("Statuses that changed"))
                    .rsplit("(", 1)[1].rstrip(")"))
    texts = lines
    assert f"{n_changed} status change" in summary
    assert "1 commitment done" in summary and "1 commitment overdue" in summary
    joined = "\n".join(texts)
    assert "Send the late eviction filings file — Tom Whitehorse, due 15 Oct 2026, 41 days " \
           "overdue" in joined
    assert "Open three prenatal clinics in Lakeshore — Dr. Amara Osei, due 31 Oct 2026, done " \
           "28 Oct 2026" in joined
    assert "Eviction court filings: the next batch is overdue" in joined
    assert "Naloxone vending machines placed in 40 public buildings" in joined
    # each status change names the KPI, both statuses and why
    from metrics.engine import load_observations
    from metrics.scorecard import scorecard
    from metrics.workspace import Workspace

    ws = Workspace.open(loop_copy)
    obs = load_observations(ws.engine)
    then = {k.kpi_id: k for k in scorecard(ws.register, obs, month="2026-09", as_of=AS_OF)}
    now = scorecard(ws.register, obs, month="2026-10", as_of=AS_OF)
    moved = [k for k in now if then[k.kpi_id].status != k.status]
    assert len(moved) == n_changed > 0
    for k in moved:
        assert any(t.startswith(f"{k.name}: {then[k.kpi_id].status} → {k.status} (")
                   for t in texts), k.kpi_id


def test_no_session_held_means_no_what_changed_panel(app_env: Path) -> None:
    at = _run()
    assert not html_blocks(at, 'class="sd-changes"')
