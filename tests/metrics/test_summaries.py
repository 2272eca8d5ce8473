"""Plain-language summaries: every figure comes from the published numbers."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from metrics.definitions import Kpi
from metrics.summaries import LANGUAGES, TEMPLATES, WORDS, subject, summarise
from metrics.targets import Target

KPI = Kpi(kpi_id="prenatal_care", name="Births with prenatal care in the first trimester",
          goal_id="g", agency_id="a", measure="proportion", unit="%", direction="higher",
          grain="month", feed_id="f", multiplier=100, decimals=1, noun="births")
TARGET = Target(kpi_id="prenatal_care", baseline_value=73.6, baseline_date=date(2024, 7, 31),
                target_value=82.0, target_date=date(2027, 6, 30), approved_by="Chief of Staff")


def _obs(rows: list[tuple[str, str, str, float | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"kpi_id": "prenatal_care", "period": p, "region": r, "group": g, "value": v,
          "suppressed": reason is not None, "suppression_reason": reason}
         for p, r, g, v, reason in rows],
        schema={"kpi_id": pl.String, "period": pl.String, "region": pl.String, "group": pl.String,
                "value": pl.Float64, "suppressed": pl.Boolean, "suppression_reason": pl.String})


OBS = _obs([
    ("2026-10", "all", "all", 79.84, None),
    ("2025-10", "all", "all", 78.91, None),
    ("2026-10", "all", "aian", 61.12, None),
    ("2026-10", "all", "asian", 89.14, None),
    ("2026-10", "all", "white", 80.0, None),
    ("2026-10", "all", "nhpi", None, "suppressed: fewer than 11"),
    ("2026-10", "all", "unknown", 40.0, None),  # never named lowest: not a group
    ("2026-10", "R01", "nhpi", None, "suppressed: to protect another small cell"),
    ("2026-10", "R02", "nhpi", None, "suppressed: fewer than 11"),
    ("2026-10", "R01", "all", 81.0, None),
])


def test_the_example_summary() -> None:
    s = summarise(KPI, OBS, period="2026-10", target=TARGET, status="on track")
    assert s.sentences == (
        "In Oct 2026, the share of births with prenatal care in the first trimester was 79.8%.",
        "That is up from 78.9% a year earlier.",
        "The target for June 2027 is 82.0%.",
        "Against the target, it is on track.",
        "Rates were lowest for American Indian or Alaska Native (61.1%) and highest for Asian (89.1%).",
        "Figures for 3 small groups or regions are not shown to protect privacy.",
    )
    assert s.facts["hidden"] == 3 and s.facts["low"] == ("aian", 61.12)
    assert s.text.startswith("In Oct 2026, the share")


def test_sentences_follow_the_numbers() -> None:
    down = OBS.with_columns(value=pl.when((pl.col("period") == "2025-10") & (pl.col("group") == "all"))
                            .then(85.0).otherwise(pl.col("value")))
    s = summarise(KPI, down, period="2026-10", target=None)
    assert "That is down from 85.0% a year earlier." in s.sentences
    assert "There is no agreed target for this measure." in s.sentences
    same = OBS.with_columns(value=pl.when((pl.col("period") == "2025-10") & (pl.col("group") == "all"))
                            .then(79.81).otherwise(pl.col("value")))
    assert "That is the same as a year earlier (79.8%)." in summarise(
        KPI, same, period="2026-10", target=TARGET).sentences


def test_a_hidden_statewide_figure_is_never_quoted() -> None:
    hidden = OBS.with_columns(
        value=pl.when((pl.col("period") == "2026-10") & (pl.col("group") == "all")
                      & (pl.col("region") == "all")).then(None).otherwise(pl.col("value")),
        suppressed=(pl.col("period") == "2026-10") & (pl.col("group") == "all")
        & (pl.col("region") == "all") | pl.col("suppressed"))
    s = summarise(KPI, hidden, period="2026-10", target=TARGET)
    assert s.sentences[0] == "The statewide figure for Oct 2026 is not shown to protect privacy."
    assert "79.8" not in s.text


def test_too_few_groups_and_no_data() -> None:
    few = OBS.filter(~pl.col("group").is_in(["asian", "white"]))
    s = summarise(KPI, few, period="2026-10", target=TARGET)
    assert "Figures by race and ethnicity are not available for Oct 2026." in s.sentences
    assert summarise(KPI, OBS, period=None, target=TARGET).sentences == (
        "There is no published figure for the share of births with prenatal care in the first "
        "trimester yet.",)


def test_subjects_read_as_plain_english() -> None:
    def k(name: str, measure: str, unit: str = "") -> Kpi:
        return Kpi(kpi_id="x", name=name, goal_id="g", agency_id="a", measure=measure, unit=unit,
                   direction="lower", grain="month", feed_id="f")
    assert subject(k("Infant mortality rate", "rate")) == "the infant mortality rate"
    assert subject(k("People experiencing homelessness", "rate")) == "the rate of people experiencing homelessness"
    assert subject(k("Traffic fatalities", "count")) == "the number of traffic fatalities"
    assert subject(k("Average weekly benefit paid", "mean")) == "the average weekly benefit paid"
    assert subject(k("SNAP applications decided within 30 days", "proportion")) == (
        "the share of SNAP applications decided within 30 days")


def test_templates_are_per_language() -> None:
    assert LANGUAGES == ("en", "es")
    with pytest.raises(ValueError, match="no summary templates for language 'xx'"):
        summarise(KPI, OBS, period="2026-10", target=TARGET, language="xx")
    # A new language is a dictionary with the same keys, and the columns of the KPI's words.
    TEMPLATES["xx"] = {**TEMPLATES["en"], "level": "[{period}] {subject} = {value}."}
    WORDS["xx"] = ("name", "unit")
    try:
        with pytest.raises(ValueError, match="no period labels in language 'xx'"):
            summarise(KPI, OBS, period="2026-10", target=TARGET, language="xx")
        s = summarise(KPI, OBS, period=None, target=TARGET, language="xx")
        assert s.sentences == ("There is no published figure for the share of births with "
                               "prenatal care in the first trimester yet.",)
    finally:
        del TEMPLATES["xx"], WORDS["xx"]


@pytest.mark.parametrize(("status", "words"), [
    ("too few cases", "Against the target, it is not judged: too few cases to be reliable."),
    ("uncertain", "Against the target, it is uncertain: the data cannot tell."),
    ("not met", "Against the target, it is not met."),
    ("off track", "Against the target, it is off track."),
])
def test_status_sentence_reads_as_english(status: str, words: str) -> None:
    s = summarise(KPI, OBS, period="2026-10", target=TARGET, status=status)
    assert words in s.sentences


def test_only_reliable_figures_are_compared_and_unreliable_ones_are_named() -> None:
    rel = OBS.with_columns(reliable=pl.when(pl.col("suppressed")).then(None)
                           .otherwise(pl.col("group") != "aian"))
    s = summarise(KPI, rel, period="2026-10", target=TARGET, status="on track")
    # aian (61.1%) is the smallest figure but unreliable: the lowest reliable one is white
    assert s.facts["low"] == ("white", 80.0) and s.facts["high"] == ("asian", 89.14)
    assert s.facts["unreliable"] == ("aian",)
    assert "Rates were lowest for White (80.0%) and highest for Asian (89.1%)." in s.sentences
    assert ("The figure for American Indian or Alaska Native rests on too few cases to be "
            "reliable and is not compared.") in s.sentences
    assert not any("61.1%" in x for x in s.sentences)


def test_too_few_reliable_groups_are_not_compared() -> None:
    rel = OBS.with_columns(reliable=pl.when(pl.col("suppressed")).then(None)
                           .otherwise(pl.col("group").is_in(["all", "white"])))
    s = summarise(KPI, rel, period="2026-10", target=TARGET)
    assert "low" not in s.facts
    assert not any("lowest" in x for x in s.sentences)
    assert ("Too few figures by race and ethnicity are reliable to compare groups for Oct 2026."
            in s.sentences)
    assert ("The figures for American Indian or Alaska Native and Asian rest on too few cases "
            "to be reliable and are not compared.") in s.sentences


def test_an_unreliable_statewide_figure_says_so() -> None:
    rel = OBS.with_columns(reliable=pl.when(pl.col("suppressed")).then(None)
                           .otherwise(pl.col("group") != "all"))
    s = summarise(KPI, rel, period="2026-10", target=TARGET)
    i = s.sentences.index("In Oct 2026, the share of births with prenatal care in the first "
                          "trimester was 79.8%.")
    assert s.sentences[i + 1] == "This figure rests on too few cases to be reliable."
