"""Commitments in a real browser: recorded through the form, still there after a reload and
a server restart; the briefing packet downloads as a PDF with real text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from metrics import commitments as cm
from metrics.access import operator
from metrics.workspace import Workspace
from tests.e2e.conftest import main_text, python_errors, start_server, stop_server, wait_for_app
from tests.pdftext import pdf_text

pytestmark = pytest.mark.e2e

TEXT = "Run FAFSA nights in every high school <b>before</b> March"


@pytest.fixture()
def private(demo_copy: Path, browser: Any) -> Iterator[dict[str, Any]]:
    """A server on a private copy of the demo workspace, with one stat session."""
    ws = Workspace.open(demo_copy)
    with ws.session() as s:
        stat = cm.create_session(s, held_on=date(2026, 11, 20), period="2026-10", by="ana",
                                 register=ws.register, acting=operator())
    proc, base, _log = start_server(demo_copy)
    state = {"proc": proc, "base": base, "ws": ws, "session_id": stat.id, "root": demo_copy}
    try:
        yield state
    finally:
        stop_server(state["proc"])


def _goto(page: Any, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    wait_for_app(page, timeout=120)


def _shown_as_text(page: Any) -> None:
    """The commitment is in the page as typed: its markup is text, not a <b> element."""
    squeeze = lambda t: re.sub(r"\s+", "", t)  # noqa: E731 - text nodes are joined by spaces
    assert squeeze(TEXT) in squeeze(main_text(page))
    assert page.locator('[data-testid="stMain"] b').count() == 0


def test_commitment_survives_reload_and_restart(page: Any, private: dict[str, Any]) -> None:
    url = f"{private['base']}/commitments?session={private['session_id']}"
    _goto(page, url)
    assert python_errors(page) == []
    page.get_by_label("What will be done").fill(TEXT)
    page.get_by_label("Owner (a person)").fill("Grace Kim")
    page.get_by_role("button", name="Record commitment").click()
    page.get_by_text("Commitment #1 recorded for Grace Kim.").wait_for(timeout=60_000)
    wait_for_app(page)
    _shown_as_text(page)

    page.reload(wait_until="domcontentloaded")
    wait_for_app(page, timeout=120)
    page.get_by_text("Commitments made at this session (1)").wait_for(timeout=60_000)
    _shown_as_text(page)

    stop_server(private["proc"])
    private["proc"], private["base"], _ = start_server(private["root"])
    _goto(page, f"{private['base']}/commitments?session={private['session_id']}")
    page.get_by_text("Commitments made at this session (1)").wait_for(timeout=60_000)
    _shown_as_text(page)
    assert python_errors(page) == []
    with private["ws"].session() as s:
        [v] = cm.list_commitments(s, as_of=date(2026, 11, 25))
    assert (v.text, v.owner, v.status) == (TEXT, "Grace Kim", "open")


def test_packet_downloads_as_pdf_with_text(page: Any, private: dict[str, Any],
                                           tmp_path: Path) -> None:
    _goto(page, f"{private['base']}/commitments?session={private['session_id']}")
    with page.expect_download(timeout=180_000) as info:
        page.get_by_role("button", name="Packet (PDF)").click()
    download = info.value
    assert download.suggested_filename.endswith("-packet.pdf")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF"), data[:200]
    text = pdf_text(data)
    assert "Data current through 31 October 2026" in text
    assert "Drug overdose death rate" in text
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Packet (HTML)").click()
    html = Path(info.value.path()).read_text(encoding="utf8")
    assert '<html lang="en">' in html and "https://" not in html


def test_commitment_recorded_by_keyboard_alone(page: Any, private: dict[str, Any]) -> None:
    from tests.e2e.test_keyboard_browser import tab_to

    page.set_viewport_size({"width": 1366, "height": 768})
    _goto(page, f"{private['base']}/commitments?session={private['session_id']}")
    tab_to(page, lambda f: f["tag"] == "TEXTAREA" and f["label"] == "What will be done")
    page.keyboard.type("Open two more prenatal clinics in Harbor")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Owner (a person)"
    page.keyboard.type("Ana Ruiz")
    tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Record commitment", limit=12)
    page.keyboard.press("Enter")
    page.get_by_text("Commitment #1 recorded for Ana Ruiz.").wait_for(timeout=60_000)
    with private["ws"].session() as s:
        [v] = cm.list_commitments(s, as_of=date(2026, 11, 25), session_id=private["session_id"])
    assert (v.text, v.owner) == ("Open two more prenatal clinics in Harbor", "Ana Ruiz")
