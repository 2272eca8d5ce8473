"""Data health and Catalog pages in a real browser (Debian's Chromium)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import main_text, open_page, python_errors, wait_for_app, wait_for_charts

pytestmark = pytest.mark.e2e


def test_data_health_in_the_browser(app_server: str, page: Any) -> None:
    open_page(page, app_server, "/data-health")
    text = main_text(page)
    assert "Data health" in text and "Programme health" in text
    assert "Late by 26 days" in text and "Eviction court filings" in text
    assert python_errors(page) == []

    open_page(page, app_server, "/data-health?feed=doe_students")
    assert wait_for_charts(page, 2) >= 2
    text = main_text(page)
    assert "Student information system extract" in text and "Quality checks" in text
    with page.expect_download() as dl:
        page.get_by_text("Download the error report (CSV) for the agency").click()
    head = Path(dl.value.path()).read_text(encoding="utf-8").splitlines()[0]
    assert head == "file,row_number,column,value,code,message"
    assert python_errors(page) == []


def test_catalog_in_the_browser(app_server: str, page: Any) -> None:
    open_page(page, app_server, "/catalog?tab=agreements")
    text = main_text(page)
    assert "Sharing agreements" in text and "dsa-doc" in text and "Expires in 67 days" in text
    page.get_by_text("Data roadmap", exact=True).click()
    wait_for_app(page)
    page.wait_for_function("() => location.search.includes('tab=roadmap')")
    assert "Name a data steward in every agency" in main_text(page)
    open_page(page, app_server, "/catalog?tab=inventory")
    assert "Download data.json (DCAT-US 1.1)" in main_text(page)
    assert python_errors(page) == []
