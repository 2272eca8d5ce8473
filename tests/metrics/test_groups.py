"""Tests for metrics.groups: SPD 15 (2024) codes, the 1997 mapping, the unknown share."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.exceptions import InvalidOperationError

from metrics import groups
from metrics.groups import (
    ALL,
    DEFAULT_APPROACH,
    GROUP_CODES,
    GROUP_LABELS,
    MAPPING_1997,
    MULTIRACIAL_APPROACH,
    UNKNOWN_SHARE_WARNING,
    label,
    map_1997,
    mapping_1997_note,
    unknown_share,
    unknown_share_expr,
    unknown_share_finding,
)

# The seven minimum categories in published order, names exactly as published.
# Source: OMB SPD 15 (2024 revision), 89 FR 22182 (2024-03-29); spd15revision.gov
# categories-definitions page (revised 2024-05-31), as transcribed in
# reference/omb_spd15_2024_categories.json ("minimum_categories_in_published_order").
PUBLISHED_MINIMUM_CATEGORIES = [
    "American Indian or Alaska Native",
    "Asian",
    "Black or African American",
    "Hispanic or Latino",
    "Middle Eastern or North African",
    "Native Hawaiian or Pacific Islander",
    "White",
]


def test_codes_in_published_order_with_exact_labels() -> None:
    assert GROUP_CODES == (
        "aian",
        "asian",
        "black",
        "hispanic",
        "mena",
        "nhpi",
        "white",
        "multiracial",
        "unknown",
    )
    assert [GROUP_LABELS[c] for c in GROUP_CODES[:7]] == PUBLISHED_MINIMUM_CATEGORIES
    assert GROUP_LABELS["multiracial"] == "Multiracial and/or Multiethnic"
    assert GROUP_LABELS["unknown"] == "Unknown / not reported"
    assert list(GROUP_LABELS) == list(GROUP_CODES)


def test_label() -> None:
    assert ALL == "all"
    assert label(ALL) == "All groups"
    assert label("nhpi") == "Native Hawaiian or Pacific Islander"
    for code in GROUP_CODES:
        assert label(code) == GROUP_LABELS[code]
    with pytest.raises(KeyError, match="known codes"):
        label("martian")


def test_presentation_approaches() -> None:
    assert set(MULTIRACIAL_APPROACH) == {
        "alone or in combination",
        "most frequent multiple responses",
        "single multiracial group",
    }
    assert DEFAULT_APPROACH == "single multiracial group"
    assert "mutually exclusive" in MULTIRACIAL_APPROACH[DEFAULT_APPROACH]
    assert "more than 100%" in MULTIRACIAL_APPROACH["alone or in combination"]


# --- 1997 mapping ---------------------------------------------------------------------


def test_mapping_table_is_complete_and_documented() -> None:
    assert all(set(row) == {"from_code", "from_label", "to_code", "note"} for row in MAPPING_1997)
    assert all(row["to_code"] in GROUP_CODES for row in MAPPING_1997)
    assert "mena" not in {row["to_code"] for row in MAPPING_1997}
    by_code = {row["from_code"]: row for row in MAPPING_1997}
    assert by_code["white"]["to_code"] == "white"
    assert "Middle Eastern or North African" in by_code["white"]["note"]
    assert by_code["nhopi"]["from_label"] == "Native Hawaiian or Other Pacific Islander"
    assert by_code["nhopi"]["to_code"] == "nhpi"
    assert by_code["two_or_more"]["from_label"] == "Two or more races"
    assert by_code["two_or_more"]["to_code"] == "multiracial"
    note = mapping_1997_note()
    assert "1997" in note and "Middle Eastern or North African" in note
    assert "Hispanic or Latino" in note


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "race": [
                "White",
                "White",
                "Black or African American",
                "Native Hawaiian or Other Pacific Islander",
                "Two or more races",
                None,
                "asian",
                "American Indian or Alaska Native",
                "white",
            ],
            "hisp": [False, True, True, False, False, False, False, False, None],
        }
    )


def test_map_1997_hispanic_of_any_race() -> None:
    out = map_1997(_frame(), race_col="race", hispanic_col="hisp")
    assert isinstance(out, pl.DataFrame)
    assert out.get_column("group").to_list() == [
        "white",
        "hispanic",
        "hispanic",
        "nhpi",
        "multiracial",
        "unknown",
        "asian",
        "aian",
        "unknown",  # Hispanic origin missing: no mutually exclusive group
    ]


def test_map_1997_lazy_and_without_hispanic_column() -> None:
    lf = pl.LazyFrame(
        {"race": ["Hispanic/Latino", "Black/African American", "NHOPI", "Multiracial", ""]}
    )
    out = map_1997(lf, race_col="race", group_col="g")
    assert isinstance(out, pl.LazyFrame)
    assert out.collect().get_column("g").to_list() == [
        "hispanic",
        "black",
        "nhpi",
        "multiracial",
        "unknown",
    ]


def test_map_1997_hispanic_flag_as_text_or_number() -> None:
    df = pl.DataFrame(
        {
            "race": ["White"] * 5,
            "h_txt": ["Y", "N", "Non-Hispanic", "Unknown", "Hispanic"],
            "h_num": [1, 0, 0, None, 2],
        }
    )
    txt = map_1997(df, race_col="race", hispanic_col="h_txt").get_column("group")
    assert txt.to_list() == ["hispanic", "white", "white", "unknown", "hispanic"]
    num = map_1997(df, race_col="race", hispanic_col="h_num").get_column("group")
    assert num.to_list() == ["hispanic", "white", "white", "unknown", "hispanic"]


def test_map_1997_unmapped_values_are_errors_not_merged() -> None:
    df = pl.DataFrame({"race": ["White", "Martian"], "h": ["N", "maybe"]})
    with pytest.raises(ValueError, match="Martian"):
        map_1997(df.select("race"), race_col="race")
    with pytest.raises(ValueError, match="maybe"):
        map_1997(df.with_columns(race=pl.lit("White")), race_col="race", hispanic_col="h")
    with pytest.raises(InvalidOperationError):
        map_1997(df.lazy().select("race"), race_col="race").collect()


@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [r["from_label"] for r in groups.MAPPING_1997 if r["to_code"] != "hispanic"]
                + [None]
            ),
            st.one_of(st.none(), st.booleans()),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_map_1997_properties(rows: list[tuple[str | None, bool | None]]) -> None:
    df = pl.DataFrame(
        {"race": [r for r, _ in rows], "hisp": [h for _, h in rows]},
        schema={"race": pl.String, "hisp": pl.Boolean},
    )
    out = map_1997(df, race_col="race", hispanic_col="hisp").get_column("group").to_list()
    assert len(out) == len(rows)
    for (_, hisp), code in zip(rows, out, strict=True):
        assert code in GROUP_CODES and code != "mena"
        if hisp is True:
            assert code == "hispanic"
        if hisp is None:
            assert code == "unknown"
        if hisp is False:
            assert code != "hispanic"


# --- Unknown share --------------------------------------------------------------------


def test_unknown_share() -> None:
    df = pl.DataFrame(
        {
            "group": ["white", "black", "unknown", "all"],
            "denominator": [600, 280, 120, 1000],
            "numerator": [10, 5, 15, 30],
        }
    )
    assert unknown_share(df) == pytest.approx(0.12)
    assert unknown_share(df, count_col="numerator") == pytest.approx(0.5)
    assert unknown_share(df.lazy()) == pytest.approx(0.12)
    assert unknown_share(df.filter(pl.col("group") != "unknown")) == 0.0
    assert unknown_share(df.head(0)) is None
    assert unknown_share(df.with_columns(denominator=pl.lit(0))) is None
    assert UNKNOWN_SHARE_WARNING == 0.10
    finding = unknown_share_finding(0.12)
    assert finding is not None and "12%" in finding and "10%" in finding
    assert unknown_share_finding(0.10) is None
    assert unknown_share_finding(None) is None


def test_unknown_share_expression_in_group_by() -> None:
    df = pl.DataFrame(
        {
            "region": ["a", "a", "a", "b", "b"],
            "g": ["white", "unknown", "all", "white", "black"],
            "n": [90, 10, 100, 50, 50],
        }
    )
    out = df.group_by("region").agg(unknown_share_expr(group_col="g", count_col="n")).sort("region")
    assert out.get_column("unknown_share").to_list() == pytest.approx([0.1, 0.0])


def test_statewide_rows_and_one_cell() -> None:
    import polars as pl

    from metrics.groups import ALL, cell, statewide

    obs = pl.DataFrame({"period": ["2026-10"] * 4 + ["2026-09"],
                        "region": [ALL, ALL, "R1", "R1", ALL], "group": [ALL, "asian", ALL, "asian", ALL],
                        "value": [1.0, 2.0, 3.0, 4.0, 5.0]})
    assert obs.filter(statewide())["value"].to_list() == [1.0, 5.0]
    assert cell(obs, "2026-10")["value"] == 1.0  # type: ignore[index]
    assert cell(obs, "2026-10", region="R1", group="asian")["value"] == 4.0  # type: ignore[index]
    assert cell(obs, "2026-08") is None and cell(obs, None) is None
