"""Text from data and from the address is shown as text: no Markdown link, image or bare
address from a URL parameter or a name ever renders as one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.plaintext import plain
from tests.apptest import open_view

CRAFTED = "![x](https://tracker.example/p.png)[Official notice](https://phish.example) www.evil.example"
LIVE = re.compile(r"(?<!\\)\]\(|(?<!\\)\[|https?://|(?<!\\)www\.")  # what would render as a link


@pytest.mark.parametrize("text", [
    "![x](https://tracker.example/p.png)", "[click](http://x.example)", "<img src=x>",
    "see www.evil.example", "http://evil.example/?a=b", "**bold** _it_ `code` $x$ ~s~ |t|"])
def test_plain_leaves_nothing_to_render(text: str) -> None:
    out = plain(text)
    assert not LIVE.search(out), out
    assert out.replace("\\", "") == text  # shown as exactly the characters it is


@pytest.mark.parametrize(("view", "param"), [
    ("views/kpi.py", "id"), ("views/agency.py", "id"), ("views/data_health.py", "feed"),
    ("views/catalog.py", "tab"), ("views/session.py", "month"), ("views/equity.py", "kpi"),
    ("views/commitments.py", "session"), ("views/admin.py", "tab")])
def test_crafted_address_is_echoed_as_text(app_env: Path, view: str, param: str) -> None:
    at = open_view(view, **{param: CRAFTED})
    boxes = [e.value for e in (*at.error, *at.warning)]
    assert boxes, f"{view} said nothing about the bad '{param}'"
    echoed = [b for b in boxes if "tracker" in b]
    assert echoed, boxes
    for box in echoed:
        assert not LIVE.search(box), box
