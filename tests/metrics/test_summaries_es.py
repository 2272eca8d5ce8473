"""Spanish summaries: the same facts from the same numbers, written in Spanish only."""

from __future__ import annotations

import re
import string
from dataclasses import replace
from datetime import date

import polars as pl
import pytest

from metrics.definitions import Kpi
from metrics.groups import GROUP_CODES, GROUP_LABELS_ES, label
from metrics.periods import display_label
from metrics.status import Status
from metrics.summaries import TEMPLATES, Summary, subject, summarise, untranslated
from metrics.targets import Target
from tests.metrics.test_summaries import KPI, OBS, TARGET, _obs

PRENATAL = replace(KPI, name_es="Nacimientos con atención prenatal en el primer trimestre")
INFANT = Kpi(kpi_id="infant_mortality", name="Infant mortality rate", goal_id="g",
             agency_id="a", measure="rate", unit="per 1,000 live births", direction="lower",
             grain="rolling12", feed_id="f", multiplier=1000, decimals=1, noun="infant deaths",
             name_es="Tasa de mortalidad infantil", unit_es="por cada 1,000 nacidos vivos")
INFANT_TARGET = Target(kpi_id="infant_mortality", baseline_value=6.1,
                       baseline_date=date(2024, 6, 30), target_value=5.0,
                       target_date=date(2027, 12, 31), approved_by="Chief of Staff")

#: Words of the English templates, statuses, periods, groups and units: none may appear in
#: a Spanish summary ("latino", "total" and "no" are Spanish too, so they are not listed).
ENGLISH = re.compile(
    r"\b(the|was|were|is|it|of|for|and|not|that|there|this|than|from|same|up|down|yet|"
    r"rates?|counts?|totals|averages|medians|share|number|figures?|groups?|regions?|"
    r"privacy|protect|shown|target|agreed|measure|per|years?|earlier|months|track|risk|"
    r"uncertain|judged|cases|reliable|compared|too|few|data|met|lowest|highest|statewide|"
    r"small|live|births|deaths|people|days|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|"
    r"dec|june|october|fy\d*|q\d|asian|white|black|african|hispanic|american|indian|"
    r"alaska native|native hawaiian|pacific islander|middle eastern|north african|"
    r"multiracial|multiethnic|unknown|race|ethnicity)\b", re.IGNORECASE)

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def english_words(text: str) -> list[str]:
    """English words in ``text`` (empty for a Spanish sentence)."""
    return ENGLISH.findall(text)


def numbers(text: str) -> list[str]:
    """Every number in ``text`` as written ("1,000", "79.8", "2026"), sorted."""
    return sorted(NUMBER.findall(text))


def _both(kpi: Kpi, obs: pl.DataFrame, **kw: object) -> tuple[Summary, Summary]:
    en = summarise(kpi, obs, language="en", **kw)  # type: ignore[arg-type]
    es = summarise(kpi, obs, language="es", **kw)  # type: ignore[arg-type]
    return en, es


def _with(obs: pl.DataFrame, period: str, group: str, value: float | None) -> pl.DataFrame:
    """``obs`` with the statewide-by-group row of ``period`` and ``group`` set to ``value``."""
    at = (pl.col("period") == period) & (pl.col("region") == "all") & (pl.col("group") == group)
    return obs.with_columns(value=pl.when(at).then(value).otherwise(pl.col("value")))


def _reliable_unless(obs: pl.DataFrame, *groups: str) -> pl.DataFrame:
    return obs.with_columns(reliable=pl.when(pl.col("suppressed")).then(None)
                            .otherwise(~pl.col("group").is_in(list(groups))))


def _hidden_statewide(obs: pl.DataFrame, period: str) -> pl.DataFrame:
    at = (pl.col("period") == period) & (pl.col("group") == "all") & (pl.col("region") == "all")
    return obs.with_columns(value=pl.when(at).then(None).otherwise(pl.col("value")),
                            suppressed=at | pl.col("suppressed"))


def _as_period(obs: pl.DataFrame, period: str, before: str) -> pl.DataFrame:
    """The example observations moved to another grain's labels."""
    return obs.with_columns(period=pl.col("period").replace({"2026-10": period,
                                                             "2025-10": before}))


HISPANIC = pl.concat([OBS, _obs([("2026-10", "all", "hispanic", 70.2, None)])])
INFANT_OBS = _as_period(OBS, "R12-2026-10", "R12-2025-10").with_columns(
    pl.col("value") / 10, kpi_id=pl.lit("infant_mortality"))

#: (what, KPI, observations, period, target, status): every sentence the templates can write.
CASES = [
    ("example", PRENATAL, OBS, "2026-10", TARGET, "on track"),
    ("down, no target", PRENATAL, _with(OBS, "2025-10", "all", 85.0), "2026-10", None, None),
    ("same as a year earlier", PRENATAL, _with(OBS, "2025-10", "all", 79.81), "2026-10",
     TARGET, "at risk"),
    ("no previous year", PRENATAL, OBS.filter(pl.col("period") != "2025-10"), "2026-10",
     TARGET, "off track"),
    ("statewide hidden", PRENATAL, _hidden_statewide(OBS, "2026-10"), "2026-10", TARGET,
     "no data"),
    ("groups missing", PRENATAL, OBS.filter(~pl.col("group").is_in(["asian", "white"])),
     "2026-10", TARGET, "met"),
    ("one unreliable group", PRENATAL, _reliable_unless(OBS, "aian"), "2026-10", TARGET,
     "uncertain"),
    ("too few reliable", PRENATAL, _reliable_unless(HISPANIC, "aian", "asian", "hispanic"),
     "2026-10", TARGET, "too few cases"),
    ("unreliable statewide", PRENATAL, _reliable_unless(OBS, "all"), "2026-10", TARGET,
     "not met"),
    ("one hidden", PRENATAL, OBS.filter(~pl.col("region").is_in(["R01", "R02"])), "2026-10",
     TARGET, "on track"),
    ("no data", PRENATAL, OBS, None, TARGET, None),
    ("rate per 1,000, rolling 12 months", INFANT, INFANT_OBS, "R12-2026-10", INFANT_TARGET,
     "at risk"),
    ("quarter", PRENATAL, _as_period(OBS, "2026-Q3", "2025-Q3"), "2026-Q3", TARGET, "on track"),
    ("fiscal year", PRENATAL, _hidden_statewide(_as_period(OBS, "FY2027", "FY2026"), "FY2027"),
     "FY2027", TARGET, "on track"),
    ("year", PRENATAL, _as_period(OBS, "2026", "2025"), "2026", TARGET, "on track"),
]


@pytest.mark.parametrize(("kpi", "obs", "period", "target", "status"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_spanish_says_the_same_facts_with_the_same_numbers(
        kpi: Kpi, obs: pl.DataFrame, period: str | None, target: Target | None,
        status: str | None) -> None:
    en, es = _both(kpi, obs, period=period, target=target, status=status)
    assert es.facts == en.facts
    assert len(es.sentences) == len(en.sentences)  # one sentence per fact, as in English
    assert numbers(es.text) == numbers(en.text)  # every number written exactly as in English
    bare = replace(kpi, unit="").format_value  # "79.8", "5.6": the number without its unit
    for key in ("value", "previous", "target"):
        if key in es.facts:
            assert bare(es.facts[key]) in es.text, key
    for key in ("low", "high"):
        if key in es.facts:
            code, value = es.facts[key]
            assert f"en el grupo {label(code, 'es').lower()} ({bare(value)}" in es.text.lower()
    for code in es.facts.get("unreliable", ()):
        assert label(code, "es")[1:] in es.text
    if es.facts.get("hidden", 0) > 1:
        assert f"no se muestran las cifras de {es.facts['hidden']} grupos" in es.text
    elif es.facts.get("hidden") == 1:
        assert "no se muestra la cifra de 1 grupo" in es.text
    assert english_words(es.text) == [] and english_words(en.text)
    for word in (" the ", " was ", "Rates", "months to", "on track"):
        assert word not in es.text


def test_the_example_summary_in_spanish() -> None:
    s = summarise(PRENATAL, OBS, period="2026-10", target=TARGET, status="on track",
                  language="es")
    assert s.sentences == (
        "En octubre de 2026, la proporción de nacimientos con atención prenatal en el primer "
        "trimestre fue de 79.8%.",
        "Aumentó con respecto a un año antes, cuando fue de 78.9%.",
        "La meta para junio de 2027 es de 82.0%.",
        "Situación frente a la meta: en buen camino.",
        "Las proporciones fueron menores en el grupo indígena americano o nativo de Alaska "
        "(61.1%) y mayores en el grupo asiático (89.1%).",
        "Para proteger la privacidad, no se muestran las cifras de 3 grupos o regiones pequeños.",
    )


def test_spanish_sentences_agree_in_grammar() -> None:
    """Articles before periods, "del" for "de el", "e" before an i sound, units in Spanish."""
    s = summarise(INFANT, _hidden_statewide(INFANT_OBS, "R12-2026-10"), period="R12-2026-10",
                  target=INFANT_TARGET, language="es")
    assert s.sentences[0] == ("La cifra estatal de los 12 meses hasta octubre de 2026 no se "
                              "muestra para proteger la privacidad.")
    quarter = _hidden_statewide(_as_period(OBS, "2026-Q3", "2025-Q3"), "2026-Q3")
    s = summarise(PRENATAL, quarter, period="2026-Q3", target=TARGET, language="es")
    assert s.sentences[0] == ("La cifra estatal del T3 2026 no se muestra para proteger la "
                              "privacidad.")
    s = summarise(PRENATAL, _as_period(OBS, "FY2027", "FY2026"), period="FY2027",
                  target=None, language="es")
    assert s.sentences[0].startswith("En el año fiscal 2027, la proporción de nacimientos")
    s = summarise(INFANT, INFANT_OBS, period="R12-2026-10", target=INFANT_TARGET,
                  status="at risk", language="es")
    assert s.sentences[:4] == (
        "En los 12 meses hasta octubre de 2026, la tasa de mortalidad infantil fue de 8.0 por "
        "cada 1,000 nacidos vivos.",
        "Aumentó con respecto a un año antes, cuando fue de 7.9 por cada 1,000 nacidos vivos.",
        "La meta para diciembre de 2027 es de 5.0 por cada 1,000 nacidos vivos.",
        "Situación frente a la meta: en riesgo.")
    rel = _reliable_unless(HISPANIC, "asian", "hispanic")
    s = summarise(PRENATAL, rel, period="2026-10", target=TARGET, language="es")
    assert ("Las cifras de los grupos asiático e hispano o latino se basan en muy pocos casos "
            "para ser confiables y no se comparan.") in s.sentences
    rel = _reliable_unless(OBS, "aian")
    s = summarise(PRENATAL, rel, period="2026-10", target=TARGET, language="es")
    assert ("La cifra del grupo indígena americano o nativo de Alaska se basa en muy pocos "
            "casos para ser confiable y no se compara.") in s.sentences
    count = Kpi(kpi_id="x", name="Traffic fatalities", goal_id="g", agency_id="a",
                measure="count", unit="deaths", direction="lower", grain="month", feed_id="f",
                name_es="Muertes en accidentes de tránsito", unit_es="muertes")
    assert summarise(count, OBS, period=None, target=None, language="es").sentences == (
        "Todavía no hay una cifra publicada del número de muertes en accidentes de tránsito.",)


def test_subjects_read_as_plain_spanish() -> None:
    def k(name_es: str, measure: str) -> Kpi:
        return Kpi(kpi_id="x", name="X", goal_id="g", agency_id="a", measure=measure, unit="",
                   direction="lower", grain="month", feed_id="f", name_es=name_es)
    assert subject(k("Tasa de mortalidad infantil", "rate"), "es") == "la tasa de mortalidad infantil"
    assert subject(k("Personas sin hogar", "rate"), "es") == "la tasa de personas sin hogar"
    assert subject(k("Muertes en accidentes de tránsito", "count"), "es") == (
        "el número de muertes en accidentes de tránsito")
    assert subject(k("Promedio del beneficio semanal pagado", "mean"), "es") == (
        "el promedio del beneficio semanal pagado")
    assert subject(k("Beneficio semanal pagado", "mean"), "es") == (
        "el promedio de beneficio semanal pagado")
    assert subject(k("Mediana de días hasta el primer pago", "median"), "es") == (
        "la mediana de días hasta el primer pago")
    assert subject(k("Tasa de graduación en cuatro años", "proportion"), "es") == (
        "la tasa de graduación en cuatro años")
    assert subject(k("Solicitudes del SNAP resueltas en 30 días", "proportion"), "es") == (
        "la proporción de solicitudes del SNAP resueltas en 30 días")
    assert subject(k("Beneficios pagados", "sum"), "es") == "el total de beneficios pagados"


def _placeholders(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}


def test_spanish_has_the_keys_and_placeholders_of_english() -> None:
    en, es = TEMPLATES["en"], TEMPLATES["es"]
    assert set(es) == set(en)
    for key, value in en.items():
        assert type(es[key]) is type(value), key
        if isinstance(value, str):
            assert _placeholders(es[key]) == _placeholders(value), key
    for key in ("subject", "measures"):
        assert set(es[key]) == set(en[key]), key
        for k, v in en[key].items():
            assert _placeholders(es[key][k]) == _placeholders(v), (key, k)
    assert set(en["status_words"]) <= set(es["status_words"])
    assert len(es["months"]) == len(en["months"]) == 13
    assert _placeholders(es["month_year"]) == _placeholders(en["month_year"])


@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_spanish_words(status: Status) -> None:
    words = TEMPLATES["es"]["status_words"][status.value]
    s = summarise(PRENATAL, OBS, period="2026-10", target=TARGET, status=status.value,
                  language="es")
    assert f"Situación frente a la meta: {words}." in s.sentences
    assert english_words(s.text) == []


def test_spanish_period_and_group_labels() -> None:
    assert display_label("2026-10", "es") == "octubre de 2026"
    assert display_label("2026-Q3", "es") == "T3 2026"
    assert display_label("2026", "es") == "2026"
    assert display_label("FY2027", "es") == "año fiscal 2027"
    assert display_label("R12-2026-10", "es") == "12 meses hasta octubre de 2026"
    assert display_label("2026-10") == "Oct 2026"  # English unchanged
    with pytest.raises(ValueError, match="no period labels in language 'xx'"):
        display_label("2026-10", "xx")
    assert set(GROUP_LABELS_ES) == set(GROUP_CODES)
    assert label("hispanic", "es") == "Hispano o latino"
    assert label("black", "es") == "Negro o afroamericano"
    assert label("all", "es") == "Todos los grupos"
    assert all(english_words(label(c, "es")) == [] for c in GROUP_CODES)
    with pytest.raises(KeyError, match="martian"):
        label("martian", "es")


def test_a_kpi_without_a_spanish_name_has_no_spanish_summary() -> None:
    assert untranslated(KPI, "es") == ("name_es",)
    assert untranslated(KPI, "en") == ()
    assert untranslated(PRENATAL, "es") == ()  # "%" is the same in Spanish
    with pytest.raises(ValueError, match="KPI 'prenatal_care' has no name_es"):
        summarise(KPI, OBS, period="2026-10", target=TARGET, language="es")
    # a unit in words needs its Spanish too: never "8.0 per 1,000 live births" in Spanish
    no_unit = replace(INFANT, unit_es="")
    assert untranslated(no_unit, "es") == ("unit_es",)
    assert untranslated(replace(no_unit, name_es=""), "es") == ("name_es", "unit_es")
    with pytest.raises(ValueError, match="has no unit_es"):
        summarise(no_unit, INFANT_OBS, period="R12-2026-10", target=None, language="es")
