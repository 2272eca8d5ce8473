"""Plain-language summaries of a public KPI, written from the (suppressed) numbers.

Every figure in a sentence comes from the published observations, the approved target
or the status; nothing is typed by hand. Sentences are short. Groups are compared
("lowest", "highest") among reliable figures only; unreliable figures are named as such. The wording lives in
:data:`TEMPLATES`, one dictionary per language code, so that another language (``"es"``)
is added by adding its dictionary with the same keys.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from metrics.definitions import Kpi
from metrics.groups import ALL, UNKNOWN, label
from metrics.groups import cell as _cell
from metrics.periods import display_label, previous_year_label
from metrics.targets import Target

__all__ = ["LANGUAGES", "TEMPLATES", "Summary", "subject", "summarise"]

TEMPLATES: dict[str, dict[str, Any]] = {
    "en": {
        "level": "In {period}, {subject} was {value}.",
        "no_data": "There is no published figure for {subject} yet.",
        "level_hidden": "The statewide figure for {period} is not shown to protect privacy.",
        "up": "That is up from {previous} a year earlier.",
        "down": "That is down from {previous} a year earlier.",
        "same": "That is the same as a year earlier ({previous}).",
        "no_previous": "There is no published figure for a year earlier.",
        "target": "The target for {target_date} is {target}.",
        "no_target": "There is no agreed target for this measure.",
        "status": "Against the target, it is {status}.",
        "status_words": {"too few cases": "not judged: too few cases to be reliable",
                         "no data": "not judged: there is no figure",
                         "uncertain": "uncertain: the data cannot tell"},
        "groups": "{measures} were lowest for {low} ({low_value}) and highest for {high} ({high_value}).",
        "groups_missing": "Figures by race and ethnicity are not available for {period}.",
        "groups_too_few_reliable": "Too few figures by race and ethnicity are reliable to "
                                   "compare groups for {period}.",
        "unreliable_one": "The figure for {names} rests on too few cases to be reliable and "
                          "is not compared.",
        "unreliable_many": "The figures for {names} rest on too few cases to be reliable and "
                           "are not compared.",
        "level_unreliable": "This figure rests on too few cases to be reliable.",
        "and": "and",
        "hidden_one": "The figure for 1 small group or region is not shown to protect privacy.",
        "hidden_many": "Figures for {count} small groups or regions are not shown to protect privacy.",
        "subject": {"share": "the share of {name}", "rate": "the {name}", "rate_of": "the rate of {name}",
                    "count": "the number of {name}", "mean": "the {name}", "median": "the {name}",
                    "sum": "the total of {name}"},
        "measures": {"proportion": "Rates", "rate": "Rates", "count": "Counts", "sum": "Totals",
                     "mean": "Averages", "median": "Medians"},
        "months": list(calendar.month_name),
    },
}
#: Languages a summary can be written in.
LANGUAGES = tuple(TEMPLATES)


@dataclass(frozen=True)
class Summary:
    """A summary: its sentences, and the figures they were written from."""

    kpi_id: str
    language: str
    sentences: tuple[str, ...]
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def _lower_first(name: str) -> str:
    word = name.split(" ", 1)[0]
    return name if word.isupper() else name[:1].lower() + name[1:]


def subject(kpi: Kpi, language: str = "en") -> str:
    """What the KPI measures, as the subject of a sentence ("the share of births with ...")."""
    words = TEMPLATES[language]["subject"]
    name = _lower_first(kpi.name)
    if "rate" in name.split():
        key = "rate"
    elif kpi.measure == "proportion":
        key = "share"
    elif kpi.measure == "rate":
        key = "rate_of"
    else:
        key = kpi.measure
    return words[key].format(name=name)


def _month_year(d: date, language: str) -> str:
    return f"{TEMPLATES[language]['months'][d.month]} {d.year}"


def _shown(row: Mapping[str, Any] | None) -> bool:
    return row is not None and not row.get("suppressed") and row.get("value") is not None


def _reliable(row: Mapping[str, Any]) -> bool:
    """A published figure is reliable unless it is flagged otherwise."""
    return row.get("reliable") is not False


def summarise(kpi: Kpi, obs: pl.DataFrame, *, period: str | None, target: Target | None,
              status: str | None = None, language: str = "en") -> Summary:
    """Plain-language summary of ``kpi`` for ``period`` from published observations.

    Args:
        obs: the KPI's published (suppressed) observations, with ``suppressed``.
        period: the period summarised (the status period), or None when there is no data.
        target: the approved target, or None.
        status: the status word computed from the same published data.
    """
    if language not in TEMPLATES:
        raise ValueError(f"no summary templates for language '{language}'; "
                         f"available: {', '.join(LANGUAGES)}")
    t = TEMPLATES[language]
    fmt = kpi.format_value
    subj = subject(kpi, language)
    facts: dict[str, Any] = {"period": period}
    out: list[str] = []
    row = _cell(obs, period)
    if period is None or row is None:
        return Summary(kpi.kpi_id, language, (t["no_data"].format(subject=subj),), facts)
    shown_period = display_label(period)
    if _shown(row):
        facts["value"] = row["value"]
        out.append(t["level"].format(period=shown_period, subject=subj, value=fmt(row["value"])))
        if not _reliable(row):
            out.append(t["level_unreliable"])
        prev = _cell(obs, previous_year_label(period, fiscal_start=kpi.fiscal_start))
        if _shown(prev):
            assert prev is not None
            facts["previous"] = prev["value"]
            a, b = fmt(row["value"]), fmt(prev["value"])
            key = "same" if a == b else ("up" if row["value"] > prev["value"] else "down")
            out.append(t[key].format(previous=b))
        else:
            out.append(t["no_previous"])
    else:
        out.append(t["level_hidden"].format(period=shown_period))
    if target is not None and target.agreed and target.target_value is not None and target.target_date:
        facts["target"] = target.target_value
        out.append(t["target"].format(target_date=_month_year(target.target_date, language),
                                      target=fmt(target.target_value)))
        if status:
            out.append(t["status"].format(status=t["status_words"].get(status, status)))
    else:
        out.append(t["no_target"])
    groups = obs.filter((pl.col("period") == period) & (pl.col("region") == ALL)
                        & (pl.col("group") != ALL) & (pl.col("group") != UNKNOWN)
                        & ~pl.col("suppressed") & pl.col("value").is_not_null())
    # only reliable figures are compared; unreliable ones are named as such
    if "reliable" in groups.columns:
        unreliable = groups.filter(~pl.col("reliable").fill_null(True)).get_column("group")
        groups = groups.filter(pl.col("reliable").fill_null(True))
    else:
        unreliable = pl.Series("group", [], pl.String)
    facts["unreliable"] = tuple(sorted(unreliable.to_list()))
    if groups.height >= 2:
        g = groups.sort("value", "group")
        low, high = g.row(0, named=True), g.row(-1, named=True)
        facts["low"] = (low["group"], low["value"])
        facts["high"] = (high["group"], high["value"])
        out.append(t["groups"].format(measures=t["measures"][kpi.measure],
                                      low=label(low["group"]), low_value=fmt(low["value"]),
                                      high=label(high["group"]), high_value=fmt(high["value"])))
    elif unreliable.len():
        out.append(t["groups_too_few_reliable"].format(period=shown_period))
    elif "group" in kpi.disaggregations:
        out.append(t["groups_missing"].format(period=shown_period))
    if unreliable.len():
        names = [label(u) for u in facts["unreliable"]]
        joined = names[0] if len(names) == 1 else (
            f"{', '.join(names[:-1])} {t['and']} {names[-1]}")
        out.append(t["unreliable_one" if len(names) == 1 else "unreliable_many"].format(
            names=joined))
    hidden = obs.filter((pl.col("period") == period) & pl.col("suppressed")).height
    facts["hidden"] = hidden
    if hidden == 1:
        out.append(t["hidden_one"])
    elif hidden > 1:
        out.append(t["hidden_many"].format(count=hidden))
    return Summary(kpi.kpi_id, language, tuple(out), facts)
