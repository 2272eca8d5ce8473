"""Race and ethnicity groups under OMB SPD 15 (revised 2024), and the 1997 mapping.

The canonical group codes follow the seven minimum categories of the 2024 revision of
Statistical Policy Directive No. 15 (89 FR 22182), in their published order, followed by
the single combined "Multiracial and/or Multiethnic" group and an explicit
"Unknown / not reported" group. Disparity measures need mutually exclusive groups, so the
default presentation approach is the single multiracial group.

Data collected under the 1997 standard (a separate Hispanic-origin question, Middle
Eastern or North African people counted within White, "Native Hawaiian or Other Pacific
Islander", "Two or more races") is never merged silently: :func:`map_1997` applies the
declared table :data:`MAPPING_1997`, and :func:`mapping_1997_note` says in plain
language what the mapping cannot do.

The share of "Unknown / not reported" is reported on its own (:func:`unknown_share`);
above :data:`UNKNOWN_SHARE_WARNING` it is a data-quality finding.
"""

from __future__ import annotations

from typing import Final, TypeVar

import polars as pl

__all__ = [
    "ALIASES_1997",
    "ALL",
    "ALL_LABEL",
    "ALL_LABEL_ES",
    "DEFAULT_APPROACH",
    "GROUP_CODES",
    "GROUP_LABELS",
    "GROUP_LABELS_ES",
    "MAPPING_1997",
    "MINIMUM_CATEGORIES",
    "MULTIRACIAL_APPROACH",
    "UNKNOWN",
    "UNKNOWN_SHARE_WARNING",
    "cell",
    "combined_code",
    "combined_note",
    "is_combined",
    "label",
    "members",
    "map_1997",
    "statewide",
    "mapping_1997_note",
    "unknown_share",
    "unknown_share_expr",
    "unknown_share_finding",
]

FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)

# --- SPD 15 (2024) -----------------------------------------------------------------

#: The seven minimum categories of SPD 15 (2024), in published order.
MINIMUM_CATEGORIES: Final[tuple[str, ...]] = (
    "aian",
    "asian",
    "black",
    "hispanic",
    "mena",
    "nhpi",
    "white",
)

UNKNOWN: Final = "unknown"
MULTIRACIAL: Final = "multiracial"

#: Every group code, in display order: the seven minimum categories, then the
#: combined multiracial group, then unknown.
GROUP_CODES: Final[tuple[str, ...]] = (*MINIMUM_CATEGORIES, MULTIRACIAL, UNKNOWN)

#: Labels exactly as published (spd15revision.gov, categories and definitions).
GROUP_LABELS: Final[dict[str, str]] = {
    "aian": "American Indian or Alaska Native",
    "asian": "Asian",
    "black": "Black or African American",
    "hispanic": "Hispanic or Latino",
    "mena": "Middle Eastern or North African",
    "nhpi": "Native Hawaiian or Pacific Islander",
    "white": "White",
    MULTIRACIAL: "Multiracial and/or Multiethnic",
    UNKNOWN: "Unknown / not reported",
}

#: The code for "everyone" (the total across groups).
ALL: Final = "all"
ALL_LABEL: Final = "All groups"

#: The same labels in Spanish, as US federal Spanish-language pages write the SPD 15
#: categories (the 2024 names: "Native Hawaiian or Pacific Islander" without "Other").
GROUP_LABELS_ES: Final[dict[str, str]] = {
    "aian": "Indígena americano o nativo de Alaska",
    "asian": "Asiático",
    "black": "Negro o afroamericano",
    "hispanic": "Hispano o latino",
    "mena": "De Oriente Medio o del Norte de África",
    "nhpi": "Nativo de Hawái o de las islas del Pacífico",
    "white": "Blanco",
    MULTIRACIAL: "Multirracial o multiétnico",
    UNKNOWN: "Desconocido o no declarado",
}
ALL_LABEL_ES: Final = "Todos los grupos"

_LABELS: Final[dict[str, tuple[dict[str, str], str]]] = {
    "en": (GROUP_LABELS, ALL_LABEL), "es": (GROUP_LABELS_ES, ALL_LABEL_ES)}


def statewide() -> pl.Expr:
    """Filter for the statewide rows: every region and every group together."""
    return (pl.col("region") == ALL) & (pl.col("group") == ALL)


def cell(obs: pl.DataFrame, period: str | None, region: str = ALL, group: str = ALL) -> dict | None:
    """The observation of one period, region and group (default: statewide), or None."""
    if period is None:
        return None
    r = obs.filter((pl.col("period") == period) & (pl.col("region") == region)
                   & (pl.col("group") == group))
    return r.row(0, named=True) if r.height else None


#: The three SPD 15 approaches for people who select more than one category.
MULTIRACIAL_APPROACH: Final[dict[str, str]] = {
    "alone or in combination": (
        "Alone or in combination: a person who selects more than one category is "
        "counted in each category selected. Groups overlap and percentages sum to "
        "more than 100%, so disparity measures cannot be computed from them."
    ),
    "most frequent multiple responses": (
        "Most frequent multiple responses: the most common combinations (for example "
        "'Black or African American and White') are shown as their own groups, and the "
        "remaining multiple responses are combined. Groups are mutually exclusive and "
        "sum to 100%."
    ),
    "single multiracial group": (
        "Single multiracial group: a person who selects more than one category is "
        "counted once, in 'Multiracial and/or Multiethnic'. Groups are mutually "
        "exclusive and sum to 100%."
    ),
}

#: The approach StatDesk uses unless a view says otherwise (mutually exclusive groups).
DEFAULT_APPROACH: Final = "single multiracial group"


#: Joins the member codes of a combined group (``"aian+nhpi"``): a release shows groups
#: that are too small on their own, month after month, as one figure (see
#: ``metrics.publish.release``). No SPD 15 code contains it.
COMBINED_SEP: Final = "+"
_COMBINED_WORDS: Final = {"en": ("and", "combined"), "es": ("y", "combinados")}


def is_combined(code: str) -> bool:
    """Whether ``code`` is a combination of groups (``"aian+nhpi"``)."""
    return COMBINED_SEP in code


def members(code: str) -> tuple[str, ...]:
    """The groups of a combined code, or ``(code,)`` for a single group."""
    return tuple(code.split(COMBINED_SEP))


def combined_code(codes: list[str] | tuple[str, ...] | set[str]) -> str:
    """The code of a combination: its members in the standard order, joined by ``+``."""
    order = {c: i for i, c in enumerate(GROUP_CODES)}
    return COMBINED_SEP.join(sorted(set(codes), key=lambda c: (order.get(c, len(order)), c)))


def combined_note(code: str) -> str:
    """Why a combined group is shown, for the pages that show it."""
    names = [label(m) for m in members(code)]
    return (f"{', '.join(names[:-1])} and {names[-1]} are shown together in each period: "
            "each alone is too small to publish in most periods. Each is shown on its own "
            "in the 12-month figures.")


def label(code: str, language: str = "en") -> str:
    """Return the display label of a group code (``"all"`` -> ``"All groups"``).

    ``language="es"`` gives the Spanish label (``"hispanic"`` -> ``"Hispano o latino"``).

    Raises:
        KeyError: if the code is not a known group code, so that a typo never shows
            as a silent, unlabelled group.
        ValueError: if there are no labels in ``language``.
    """
    if language not in _LABELS:
        raise ValueError(f"no group labels in language '{language}'; use one of "
                         f"{', '.join(_LABELS)}")
    labels, all_label = _LABELS[language]
    if code == ALL:
        return all_label
    if is_combined(code):
        names = [label(m, language) for m in members(code)]
        conj, word = _COMBINED_WORDS[language]
        return f"{', '.join(names[:-1])} {conj} {names[-1]} ({word})"
    try:
        return labels[code]
    except KeyError:
        known = ", ".join((*GROUP_CODES, ALL))
        raise KeyError(f"unknown group code {code!r}; known codes: {known}") from None


# --- 1997 standard -> 2024 codes ------------------------------------------------------

_MENA_NOTE = (
    "Under the 1997 standard, people of Middle Eastern or North African origin were "
    "counted as White. They cannot be separated, so 'White' here includes them and "
    "'Middle Eastern or North African' has no data."
)

#: The declared mapping from 1997-standard race codes to 2024 group codes.
#: Hispanic origin (the separate 1997 question) takes precedence over race: a person of
#: Hispanic origin is counted as Hispanic or Latino whatever race they reported.
MAPPING_1997: Final[tuple[dict[str, str], ...]] = (
    {
        "from_code": "hispanic",
        "from_label": "Hispanic or Latino (separate ethnicity question, any race)",
        "to_code": "hispanic",
        "note": (
            "Hispanic or Latino of any race is counted as Hispanic or Latino. In "
            "2024-standard data a person who reports Hispanic or Latino and another "
            "category may instead be counted as Multiracial and/or Multiethnic."
        ),
    },
    {
        "from_code": "aian",
        "from_label": "American Indian or Alaska Native",
        "to_code": "aian",
        "note": "Non-Hispanic. The 2024 definition adds Central and South American "
        "Indigenous peoples (for example Aztec, Maya).",
    },
    {
        "from_code": "asian",
        "from_label": "Asian",
        "to_code": "asian",
        "note": "Non-Hispanic.",
    },
    {
        "from_code": "black",
        "from_label": "Black or African American",
        "to_code": "black",
        "note": "Non-Hispanic.",
    },
    {
        "from_code": "nhopi",
        "from_label": "Native Hawaiian or Other Pacific Islander",
        "to_code": "nhpi",
        "note": "Non-Hispanic. Renamed 'Native Hawaiian or Pacific Islander' in 2024; same people.",
    },
    {
        "from_code": "white",
        "from_label": "White",
        "to_code": "white",
        "note": "Non-Hispanic. " + _MENA_NOTE,
    },
    {
        "from_code": "two_or_more",
        "from_label": "Two or more races",
        "to_code": MULTIRACIAL,
        "note": "Non-Hispanic, more than one race reported.",
    },
    {
        "from_code": "other",
        "from_label": "Some other race",
        "to_code": UNKNOWN,
        "note": "Not a 1997 minimum category and not assignable to a 2024 category; "
        "counted with Unknown / not reported.",
    },
    {
        "from_code": "unknown",
        "from_label": "Unknown / not reported",
        "to_code": UNKNOWN,
        "note": "Also used when race is missing, or when Hispanic origin is missing.",
    },
)

#: Other spellings found in 1997-standard feeds, mapped to a ``from_code`` above.
#: Matching is case-insensitive and ignores surrounding spaces.
ALIASES_1997: Final[dict[str, str]] = {
    "black/african american": "black",
    "hispanic/latino": "hispanic",
    "latino": "hispanic",
    "latinx": "hispanic",
    "native hawaiian/other pacific islander": "nhopi",
    "native hawaiian or pacific islander": "nhopi",
    "nhpi": "nhopi",
    "american indian/alaska native": "aian",
    "multiracial": "two_or_more",
    "two or more": "two_or_more",
    "not reported": "unknown",
    "": "unknown",  # a blank cell
}


def _lookup_1997() -> dict[str, str]:
    """Lower-cased accepted spelling -> 2024 group code."""
    to_code = {row["from_code"]: row["to_code"] for row in MAPPING_1997}
    lookup = dict(to_code)
    for row in MAPPING_1997:
        lookup[row["from_label"].lower()] = row["to_code"]
    lookup["hispanic or latino"] = "hispanic"
    for alias, from_code in ALIASES_1997.items():
        lookup[alias] = to_code[from_code]
    return lookup


_HISPANIC_TRUE = ("y", "yes", "true", "1", "hispanic", "hispanic or latino", "latino")
_HISPANIC_FALSE = (
    "n",
    "no",
    "false",
    "0",
    "non-hispanic",
    "not hispanic",
    "not hispanic or latino",
    "non-hispanic or latino",
)


def _hispanic_flag(col: str, dtype: pl.DataType) -> pl.Expr:
    """Hispanic-origin column as a nullable Boolean (strict on unrecognised strings)."""
    expr = pl.col(col)
    if dtype == pl.Boolean:
        return expr
    if dtype.is_numeric():
        return expr.cast(pl.Float64) != 0
    mapping: dict[str, bool | None] = {v: True for v in _HISPANIC_TRUE}
    mapping |= {v: False for v in _HISPANIC_FALSE}
    mapping |= {"unknown": None, "": None, "not reported": None}
    return (
        expr.cast(pl.String)
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(mapping, return_dtype=pl.Boolean)
    )


def _check_1997_values(
    frame: pl.DataFrame, race_col: str, hispanic_col: str | None, lookup: dict[str, str]
) -> None:
    """Raise ValueError naming every race or Hispanic-origin value outside the mapping."""
    values = frame.get_column(race_col).drop_nulls().cast(pl.String).unique().to_list()
    bad = sorted(v for v in values if v.strip().lower() not in lookup)
    problems = []
    if bad:
        problems.append(f"race values not in the 1997 mapping: {bad}")
    if hispanic_col is not None and frame.schema[hispanic_col] == pl.String:
        known = {*_HISPANIC_TRUE, *_HISPANIC_FALSE, "unknown", "", "not reported"}
        hvals = frame.get_column(hispanic_col).drop_nulls().unique().to_list()
        hbad = sorted(v for v in hvals if v.strip().lower() not in known)
        if hbad:
            problems.append(f"Hispanic-origin values not recognised: {hbad}")
    if problems:
        raise ValueError(
            "; ".join(problems)
            + ". Add them to the declared mapping (MAPPING_1997 / ALIASES_1997) "
            "rather than merging them silently."
        )


def map_1997(
    frame: FrameT,
    *,
    race_col: str,
    hispanic_col: str | None = None,
    group_col: str = "group",
) -> FrameT:
    """Add a ``group`` column of 2024 codes to 1997-standard data, by :data:`MAPPING_1997`.

    Rules, in order:

    1. If ``hispanic_col`` is given and true, the group is ``hispanic`` (any race).
    2. If ``hispanic_col`` is given and missing, the group is ``unknown``: without
       Hispanic origin, a mutually exclusive group cannot be assigned.
    3. Otherwise the race value (a ``from_code``, a ``from_label`` or an alias in
       :data:`ALIASES_1997`, case-insensitive) is mapped; a missing race is ``unknown``.
       Without ``hispanic_col``, the race column may itself hold ``hispanic``.

    ``white`` keeps people of Middle Eastern or North African origin (see
    :func:`mapping_1997_note`); ``mena`` is never produced.

    ``hispanic_col`` may be Boolean, numeric (non-zero = Hispanic) or text
    ("Y"/"N", "Yes"/"No", "Hispanic"/"Non-Hispanic", "Unknown").

    Raises:
        ValueError: for a DataFrame, if a race or Hispanic-origin value is not in the
            declared mapping (the message names the values). For a LazyFrame the same
            check fails when it is collected (``polars.exceptions.InvalidOperationError``).
            Unmapped values are an error, never merged silently.
    """
    schema = frame.collect_schema()
    lookup = _lookup_1997()
    if isinstance(frame, pl.DataFrame):
        _check_1997_values(frame, race_col, hispanic_col, lookup)
    race = (
        pl.col(race_col)
        .cast(pl.String)
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(lookup, return_dtype=pl.String)
        .fill_null(UNKNOWN)
    )
    if hispanic_col is None:
        group = race
    else:
        hisp = _hispanic_flag(hispanic_col, schema[hispanic_col])
        group = (
            pl.when(hisp.is_null())
            .then(pl.lit(UNKNOWN))
            .when(hisp)
            .then(pl.lit("hispanic"))
            .otherwise(race)
        )
    return frame.with_columns(group.alias(group_col))


def mapping_1997_note() -> str:
    """Plain-language note to show beside any figure built from 1997-standard data."""
    return (
        "These figures were collected under the 1997 race and ethnicity standard and "
        "mapped to the 2024 categories. People of Hispanic or Latino origin are counted "
        "as Hispanic or Latino whatever their race; the other groups are non-Hispanic. "
        + _MENA_NOTE
        + " 'Native Hawaiian or Other Pacific Islander' is shown as 'Native Hawaiian or "
        "Pacific Islander' and 'Two or more races' as 'Multiracial and/or Multiethnic'. "
        "Because the 2024 standard asks one combined question, counts are not fully "
        "comparable with data collected under it."
    )


# --- Unknown share ----------------------------------------------------------------------

#: Above this share of "Unknown / not reported", the unknown share is a data-quality finding.
UNKNOWN_SHARE_WARNING: Final = 0.10


def unknown_share_expr(group_col: str = "group", count_col: str = "denominator") -> pl.Expr:
    """Expression for the share of ``count_col`` in the ``unknown`` group.

    ``share = sum(count where group == "unknown") / sum(count where group != "all")``.
    Null when the total is zero. Use in ``group_by(...).agg(unknown_share_expr())``.
    """
    grp = pl.col(group_col)
    cnt = pl.col(count_col).cast(pl.Float64)
    total = cnt.filter(grp != ALL).sum()
    unknown = cnt.filter(grp == UNKNOWN).sum()
    return pl.when(total > 0).then(unknown / total).otherwise(None).alias("unknown_share")


def unknown_share(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    group_col: str = "group",
    count_col: str = "denominator",
) -> float | None:
    """Share of ``count_col`` in the ``unknown`` group, over all groups except ``"all"``.

    Returns ``None`` when there is nothing to count (empty frame or zero total).
    """
    out = frame.lazy().select(unknown_share_expr(group_col, count_col)).collect()
    value = out.item() if out.height else None
    return None if value is None else float(value)


def unknown_share_finding(share: float | None, *, what: str = "records") -> str | None:
    """Sentence for a data-quality report when ``share`` exceeds the warning level.

    Returns ``None`` when the share is unknown or at or below
    :data:`UNKNOWN_SHARE_WARNING`.
    """
    if share is None or share <= UNKNOWN_SHARE_WARNING:
        return None
    return (
        f"{share:.0%} of {what} have race or ethnicity unknown or not reported "
        f"(above {UNKNOWN_SHARE_WARNING:.0%}): group figures may be biased."
    )
