"""Plain tables and headline figures drawn as HTML: what a reader sees, and what a scraper
(or a test) can read back."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from dashboard.htmltable import html_table, safe_href
from tests.apptest import PlainTable, as_text


def test_values_are_formatted_for_reading_and_kept_whole_for_machines() -> None:
    df = pl.DataFrame({
        "Region": ["Capital", "Mesa"],
        "Value": [12.345678, None],
        "Numerator": [12_345.0, 7.0],
        "Count": [3, None],
        "Period end": [date(2026, 10, 31), None],
        "Loaded": [datetime(2026, 11, 2, 8, 5), datetime(2026, 11, 3, 9, 0)],
        "Reliable": [True, False],
    })
    markup = html_table(df, decimals=1)
    t = PlainTable(markup)
    # shown: the measure's decimals, thousands separators, ISO dates, blanks for no value
    assert t.text.iloc[0].tolist() == ["Capital", "12.3", "12,345", "3", "2026-10-31",
                                       "2026-11-02 08:05", "True"]
    assert t.text.iloc[1].tolist() == ["Mesa", "", "7", "", "", "2026-11-03 09:00", "False"]
    # read back: the full values with their types
    assert t.value["Value"].iloc[0] == 12.345678 and t.value["Value"].isna().iloc[1]
    assert t.value["Numerator"].tolist() == [12_345.0, 7.0]
    assert t.value["Period end"].iloc[0].date() == date(2026, 10, 31)
    assert t.value["Reliable"].tolist() == [True, False]
    # numbers are right-aligned, their headings too
    assert '<th scope="col" data-kind="float" class="sd-num">Value</th>' in markup


def test_text_from_data_is_never_markup() -> None:
    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)> **bold** [x](javascript:y)'
    markup = html_table(pl.DataFrame({"Commitment": [hostile], "<b>heading</b>": ["x"]}))
    assert "<script>" not in markup and "<img" not in markup and "<b>heading" not in markup
    t = PlainTable(markup)
    assert t.text["Commitment"].iloc[0] == hostile  # the characters, as typed
    assert list(t.value.columns) == ["Commitment", "<b>heading</b>"]


def test_headings_shown_differ_from_column_names_only_on_screen() -> None:
    markup = html_table(pl.DataFrame({"feed_id": ["doh_vital"]}), labels={"feed_id": "Feed"})
    assert ">Feed</th>" in markup and 'data-column="feed_id"' in markup
    assert list(PlainTable(markup).value.columns) == ["feed_id"]


def test_links_are_made_only_of_addresses_inside_the_app_or_on_the_web() -> None:
    df = pl.DataFrame({"Detail": ["kpi?id=prenatal_care&month=2026-10", "javascript:alert(1)",
                                  "https://data.example.gov/x", "data:text/html,hi", None]})
    markup = html_table(df, links={"Detail": "Open ›"})
    assert markup.count("<a ") == 2
    assert '<a href="kpi?id=prenatal_care&amp;month=2026-10" target="_self">Open ›</a>' in markup
    assert 'href="https://data.example.gov/x"' in markup
    assert "href=\"javascript" not in markup and "href=\"data:" not in markup
    t = PlainTable(markup)  # the address itself is kept with the link
    assert t.value["Detail"].iloc[0] == "kpi?id=prenatal_care&month=2026-10"
    assert safe_href(" kpi?id=a ") == "kpi?id=a"
    assert safe_href("JavaScript:alert(1)") is None and safe_href("//evil.example") is None


def test_figures_say_each_label_with_its_value() -> None:
    from dashboard.htmltable import figures_html

    markup = figures_html([("On track", "12"), ("KPIs updated on time", "19 of 20", "95% of KPIs"),
                           ("Name <b>", "a & b")], icons={"On track": ":material/check_circle:"})
    text = as_text(markup)
    assert "check_circle" not in text  # the icon is a ligature, hidden from the text
    assert [x for x in text.splitlines() if x] == [
        "On track", "12", "KPIs updated on time", "19 of 20", "95% of KPIs", "Name <b>", "a & b"]
    assert "<b>" not in markup.replace("&lt;b&gt;", "")
