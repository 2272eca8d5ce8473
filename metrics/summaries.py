"""Plain-language summaries of a public KPI, written from the (suppressed) numbers.

Every figure in a sentence comes from the published observations, the approved target
or the status; nothing is typed by hand. Sentences are short. Groups are compared
("lowest", "highest") among reliable figures only; unreliable figures are named as such. The wording lives in
:data:`TEMPLATES`, one dictionary per language code, each with the same keys; the KPI's
own words (its name, and its unit when that is words) come from the columns named in
:data:`WORDS`. A KPI whose definitions do not give them in a language has no summary in
it (:func:`untranslated`): a sentence never mixes two languages.

Spanish ("es") keeps US number formatting (``1,234.5``), as US Spanish-language
government pages do; periods, months, groups and statuses are written in Spanish.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import polars as pl

from metrics.definitions import Kpi
from metrics.groups import ALL, UNKNOWN, label
from metrics.groups import cell as _cell
from metrics.periods import MONTH_NAMES, display_label, parse_period, previous_year_label
from metrics.targets import Target

__all__ = ["LANGUAGES", "TEMPLATES", "WORDS", "Summary", "subject", "summarise", "untranslated"]

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
        "subject": {"share": "the share of {name}", "rate_of": "the rate of {name}",
                    "count": "the number of {name}", "mean": "the {name}", "median": "the {name}",
                    "sum": "the total of {name}"},
        "measures": {"proportion": "Rates", "rate": "Rates", "count": "Counts", "sum": "Totals",
                     "mean": "Averages", "median": "Medians"},
        "months": list(MONTH_NAMES["en"]),
        "month_year": "{month} {year}",
        # a name holding one of these words is the subject as it stands ("the infant
        # mortality rate"); "head_first": only its first word counts
        "head_nouns": {"rate": "the {name}"},
        "head_first": False,
        # the period in a sentence, by grain, where it needs an article
        "period_phrase": {},
        "lowercase_groups": False,
        "and_before_i": "and",
        "contractions": {},
    },
    "es": {
        "level": "En {period}, {subject} fue de {value}.",
        "no_data": "Todavía no hay una cifra publicada de {subject}.",
        "level_hidden": "La cifra estatal de {period} no se muestra para proteger la privacidad.",
        "up": "Aumentó con respecto a un año antes, cuando fue de {previous}.",
        "down": "Disminuyó con respecto a un año antes, cuando fue de {previous}.",
        "same": "Se mantuvo igual que un año antes ({previous}).",
        "no_previous": "No hay una cifra publicada de un año antes.",
        "target": "La meta para {target_date} es de {target}.",
        "no_target": "No hay una meta acordada para este indicador.",
        "status": "Situación frente a la meta: {status}.",
        # every status the rule can give (metrics.status.Status), in words
        "status_words": {"met": "meta alcanzada",
                         "not met": "meta no alcanzada",
                         "on track": "en buen camino",
                         "at risk": "en riesgo",
                         "off track": "fuera de rumbo",
                         "uncertain": "sin certeza (los datos no permiten saberlo)",
                         "too few cases": "sin evaluar (hay muy pocos casos para que la "
                                          "cifra sea confiable)",
                         "no data": "sin evaluar (no hay cifra)",
                         "no agreed target": "sin meta acordada"},
        "groups": "{measures} fueron menores en el grupo {low} ({low_value}) y mayores en el "
                  "grupo {high} ({high_value}).",
        "groups_missing": "No hay cifras por raza y origen étnico para {period}.",
        "groups_too_few_reliable": "Hay muy pocas cifras confiables por raza y origen étnico "
                                   "para comparar los grupos en {period}.",
        "unreliable_one": "La cifra del grupo {names} se basa en muy pocos casos para ser "
                          "confiable y no se compara.",
        "unreliable_many": "Las cifras de los grupos {names} se basan en muy pocos casos para "
                           "ser confiables y no se comparan.",
        "level_unreliable": "Esta cifra se basa en muy pocos casos para ser confiable.",
        "and": "y",
        "hidden_one": "Para proteger la privacidad, no se muestra la cifra de 1 grupo pequeño "
                      "o región pequeña.",
        "hidden_many": "Para proteger la privacidad, no se muestran las cifras de {count} grupos "
                       "o regiones pequeños.",
        "subject": {"share": "la proporción de {name}", "rate_of": "la tasa de {name}",
                    "count": "el número de {name}", "mean": "el promedio de {name}",
                    "median": "la mediana de {name}", "sum": "el total de {name}"},
        "measures": {"proportion": "Las proporciones", "rate": "Las tasas",
                     "count": "Los recuentos", "sum": "Los totales", "mean": "Los promedios",
                     "median": "Las medianas"},
        "months": list(MONTH_NAMES["es"]),
        "month_year": "{month} de {year}",
        "head_nouns": {"tasa": "la {name}", "proporción": "la {name}",
                       "porcentaje": "el {name}", "número": "el {name}",
                       "cantidad": "la {name}", "promedio": "el {name}", "media": "la {name}",
                       "mediana": "la {name}", "total": "el {name}", "índice": "el {name}"},
        "head_first": True,
        "period_phrase": {"quarter": "el {period}", "fiscal": "el {period}",
                          "rolling12": "los {period}"},
        "lowercase_groups": True,  # "en el grupo hispano o latino"
        "and_before_i": "e",  # "asiático e hispano o latino"
        "contractions": {" de el ": " del ", " a el ": " al "},
    },
}
#: Languages a summary can be written in.
LANGUAGES = tuple(TEMPLATES)

#: The kpis.csv columns holding a KPI's name and unit in each language.
WORDS: dict[str, tuple[str, str]] = {"en": ("name", "unit"), "es": ("name_es", "unit_es")}


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


def untranslated(kpi: Kpi, language: str) -> tuple[str, ...]:
    """The kpis.csv columns a summary of ``kpi`` in ``language`` needs and lacks.

    Empty when the summary can be written. A KPI needs its name in the language, and its
    unit too when the unit is words ("deaths", "per 100,000"; a ``%`` or ``$`` is the same
    in every language).
    """
    name_col, unit_col = WORDS.get(language, (f"name_{language}", f"unit_{language}"))
    missing = [] if getattr(kpi, name_col, "") else [name_col]
    if kpi.unit_in_words and not getattr(kpi, unit_col, ""):
        missing.append(unit_col)
    return tuple(missing)


def _name(kpi: Kpi, language: str) -> str:
    return str(getattr(kpi, WORDS[language][0]))


def _formatter(kpi: Kpi, language: str) -> Callable[[float | None], str]:
    """The KPI's number formatting, with its unit in ``language``."""
    unit_col = WORDS[language][1]
    if unit_col == "unit" or not kpi.unit_in_words:
        return kpi.format_value
    return replace(kpi, unit=getattr(kpi, unit_col)).format_value


def subject(kpi: Kpi, language: str = "en") -> str:
    """What the KPI measures, as the subject of a sentence ("the share of births with ...")."""
    t = TEMPLATES[language]
    name = _lower_first(_name(kpi, language))
    heads = t["head_nouns"]
    words = name.split()[:1] if t["head_first"] else name.split()
    head = next((heads[w] for w in words if w in heads), None)
    if head is not None:
        return str(head).format(name=name)
    if kpi.measure == "proportion":
        key = "share"
    elif kpi.measure == "rate":
        key = "rate_of"
    else:
        key = kpi.measure
    return str(t["subject"][key]).format(name=name)


def _month_year(d: date, language: str) -> str:
    t = TEMPLATES[language]
    return str(t["month_year"]).format(month=t["months"][d.month], year=d.year)


def _period(period: str, kpi: Kpi, language: str) -> str:
    """The period as a sentence names it ("Oct 2026"; "el año fiscal 2027")."""
    shown = display_label(period, language)
    grain = parse_period(period, fiscal_start=kpi.fiscal_start).grain
    phrase = TEMPLATES[language]["period_phrase"].get(grain, "{period}")
    return str(phrase).format(period=shown)


def _group(code: str, language: str) -> str:
    """A group's label inside a sentence."""
    text = label(code, language)
    return text[:1].lower() + text[1:] if TEMPLATES[language]["lowercase_groups"] else text


_I_SOUND = re.compile(r"h?[ií](?![aeiouáéíóú])", re.IGNORECASE)


def _join(names: list[str], language: str) -> str:
    """'A', 'A and B', 'A, B and C' ("y" is "e" before an i sound in Spanish)."""
    t = TEMPLATES[language]
    if len(names) == 1:
        return names[0]
    word = t["and_before_i"] if _I_SOUND.match(names[-1]) else t["and"]
    return f"{', '.join(names[:-1])} {word} {names[-1]}"


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
    if missing := untranslated(kpi, language):
        raise ValueError(f"KPI '{kpi.kpi_id}' has no {' or '.join(missing)} in its "
                         f"definitions: no summary in '{language}'")
    t = TEMPLATES[language]
    fmt = _formatter(kpi, language)
    subj = subject(kpi, language)
    facts: dict[str, Any] = {"period": period}
    out: list[str] = []
    row = _cell(obs, period)
    if period is None or row is None:
        return Summary(kpi.kpi_id, language,
                       _contracted([t["no_data"].format(subject=subj)], language), facts)
    shown_period = _period(period, kpi, language)
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
        words = t["status_words"].get(status, status if language == "en" else None)
        if status and words:
            out.append(t["status"].format(status=words))
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
                                      low=_group(low["group"], language),
                                      low_value=fmt(low["value"]),
                                      high=_group(high["group"], language),
                                      high_value=fmt(high["value"])))
    elif unreliable.len():
        out.append(t["groups_too_few_reliable"].format(period=shown_period))
    elif "group" in kpi.disaggregations:
        out.append(t["groups_missing"].format(period=shown_period))
    if unreliable.len():
        names = [_group(u, language) for u in facts["unreliable"]]
        out.append(t["unreliable_one" if len(names) == 1 else "unreliable_many"].format(
            names=_join(names, language)))
    hidden = obs.filter((pl.col("period") == period) & pl.col("suppressed")).height
    facts["hidden"] = hidden
    if hidden == 1:
        out.append(t["hidden_one"])
    elif hidden > 1:
        out.append(t["hidden_many"].format(count=hidden))
    return Summary(kpi.kpi_id, language, _contracted(out, language), facts)


def _contracted(sentences: list[str], language: str) -> tuple[str, ...]:
    """Sentences with the language's contractions ("de el año" -> "del año")."""
    pairs = TEMPLATES[language]["contractions"].items()
    out = []
    for sentence in sentences:
        for a, b in pairs:
            sentence = sentence.replace(a, b)
        out.append(sentence)
    return tuple(out)
