"""docs/methods.md: present, served to the app, and naming every rule the code applies."""

from __future__ import annotations

from pathlib import Path

from metrics.definitions.models import STATUS_BASES
from metrics.status import Status

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "methods.md"


def test_methods_doc_names_every_status_basis_and_measure() -> None:
    text = DOC.read_text()
    for s in Status:
        assert f"| {s.value} |" in text or f"| {s.value} /" in text, s.value
    for basis in STATUS_BASES:
        assert f"`{basis}`" in text, basis
    for measure in ("Index of Disparity", "Theil", "mean log deviation", "Gini",
                    "between-group variance", "Wilson", "Byars", "Fay–Feuer"):
        assert measure in text, measure
    assert "of the planned change since the baseline" in text


def test_the_app_serves_the_methods_and_the_kpi_page_links_them() -> None:
    served = ROOT / "dashboard" / "static" / "methods.md"
    assert served.resolve() == DOC.resolve()
    page = (ROOT / "dashboard" / "views" / "kpi.py").read_text()
    assert "(app/static/methods.md)" in page
