"""Frozen, typed models of the register staff maintain.

These are what the rest of StatDesk works with; they are built only by
:mod:`metrics.definitions.loader`, after every file has validated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from metrics.targets import Target

MEASURES = ("proportion", "rate", "count", "sum", "mean", "median")
#: Measures whose value is events over a population: groups can be compared by rate.
RATE_MEASURES = ("proportion", "rate")
DIRECTIONS = ("higher", "lower")
STATUS_BASES = ("latest", "rolling12", "latest_quarter", "same_month_last_year")
"""What a KPI's status is judged on: its latest period, or (monthly KPIs of counts, rates
and proportions) the latest 12 months or the latest 3 months pooled, or (monthly KPIs) the
latest month's change since the same month a year earlier against a year of planned
change."""
FEED_KINDS = ("aggregate", "record")
CADENCES = {"monthly": 1, "quarterly": 3, "annual": 12}
CLASSIFICATIONS = ("public", "internal", "confidential")
COLUMN_TYPES = ("string", "int", "float", "date", "bool")
REPORTS = ("single", "cumulative", "increments", "additive")
#: how the agency asked race and ethnicity (see metrics.race_standards)
RACE_STANDARDS = ("2024", "1997", "1997-race-alone", "1997-ethnicity")
TOTAL_SOURCES = ("groups", "file")
DEFAULT_MULTIPLIER = {"proportion": 100.0, "rate": 100000.0, "count": 1.0, "sum": 1.0,
                      "mean": 1.0, "median": 1.0}


@dataclass(frozen=True)
class Agency:
    agency_id: str
    name: str
    lead: str = ""
    lead_email: str = ""
    bureau_code: str = ""  # federal OMB bureau code (NNN:NN) for DCAT-US, if the agency has one
    program_code: str = ""  # federal program code (NNN:NNN), likewise


@dataclass(frozen=True)
class Region:
    region_id: str
    name: str
    parent: str = ""


@dataclass(frozen=True)
class Priority:
    priority_id: str
    name: str
    description: str = ""
    order: int = 0


@dataclass(frozen=True)
class Goal:
    goal_id: str
    priority_id: str
    name: str


@dataclass(frozen=True)
class FeedColumn:
    name: str
    type: str = "string"
    required: bool = True
    allowed: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    description: str = ""


@dataclass(frozen=True)
class FeedShape:
    """How an agency's file is laid out, when it is not one row per period, region and group.

    Declared in ``feed_shapes.csv``; applied by :mod:`metrics.ingest.shape` before the
    contract's checks, which then see the long table the contract describes.
    """

    header_row: int = 1  # spreadsheet row of the column names; rows above are notes
    notes_below: bool = False  # rows after the table with only a first cell are notes
    period_format: str = ""  # e.g. %Y%m%d: the period column is a date in this format
    reports: str = "single"  # single | cumulative (last report of a period) | increments
    # (the last report's increase over the period before) | additive (reports summed)
    wide_measures: tuple[str, ...] = ()  # column prefixes, e.g. Cases;Deaths
    wide_separator: str = "_"
    wide_into: str = ""  # the column that receives the suffixes (e.g. the race column)
    total_code: str = ""  # the value (or suffix) of the file's own all-groups figure
    region_total_code: str = ""  # the region value of the file's own all-regions figure
    suppressed: tuple[str, ...] = ()  # markers of values suppressed by the agency
    rate_column: str = ""  # a published rate, when the file gives no denominator
    rate_per: float | None = None  # the rate's multiplier (e.g. 100000): denominator = count / rate x per

    @property
    def is_wide(self) -> bool:
        return bool(self.wide_measures)

    def wide_column(self, measure: str, suffix: str) -> str:
        return f"{measure}{self.wide_separator}{suffix}"


@dataclass(frozen=True)
class Feed:
    """A feed contract: what an agency sends, how often, under what agreement."""

    feed_id: str
    name: str
    agency_id: str
    kind: str  # aggregate | record
    period_column: str
    period_grain: str = "month"  # for aggregate feeds: month | quarter | year
    date_format: str = "%Y-%m-%d"  # for record-level feeds: the period column is a date
    period_pattern: str = ""  # optional regex with one group, applied before parsing
    region_column: str = "region"
    group_column: str = "group"
    numerator_column: str = "numerator"
    denominator_column: str = "denominator"
    person_key: str = ""
    cadence: str = "monthly"
    lag_days: int = 30
    steward: str = ""
    classification: str = "internal"
    legal_basis: str = ""
    agreement_id: str = ""
    na_values: tuple[str, ...] = ()
    thousands: str = ""
    race_standard: str = "2024"  # "1997": collected under the 1997 standard (see groups.MAPPING_1997)
    description: str = ""
    columns: tuple[FeedColumn, ...] = ()
    code_maps: tuple[tuple[str, str, str], ...] = ()  # (column, from_value, to_value)
    shape: FeedShape | None = None  # declared in feed_shapes.csv
    location: str = ""  # empty: the workspace store; else the engine holding the records (a URL)
    location_table: str = ""  # the table there

    @property
    def has_file_totals(self) -> bool:
        return self.shape is not None and bool(self.shape.total_code
                                               or self.shape.region_total_code)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> FeedColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def collected_under_1997(self) -> bool:
        return self.race_standard == "1997"

    def code_map(self, column: str) -> dict[str, str]:
        return {f: t for c, f, t in self.code_maps if c == column}


@dataclass(frozen=True)
class Link:
    """Numerator of a linked KPI: records of the KPI's feed followed into another feed."""

    feed_id: str
    key: str  # person key, same column name in both feeds
    date_column: str  # date column in the linked feed
    window_days: int
    filter: str = ""


@dataclass(frozen=True)
class Kpi:
    kpi_id: str
    name: str
    goal_id: str
    agency_id: str
    measure: str
    unit: str
    direction: str
    grain: str
    feed_id: str
    owner: str = ""
    multiplier: float = 1.0
    decimals: int = 1
    fiscal_start: int = 7
    filter: str = ""
    numerator: str = ""
    denominator: str = ""
    value: str = ""
    link: Link | None = None
    disaggregations: tuple[str, ...] = ("region", "group")
    public: bool = True
    at_risk_threshold: float = 0.9
    equity_rule: bool = False
    description: str = ""
    methodology: str = ""
    noun: str = "people"
    total_from: str = "groups"  # "file": the all-groups figure is the file's own total
    plausible_min: float | None = None  # values outside are data-quality findings
    plausible_max: float | None = None
    status_basis: str = "latest"  # see STATUS_BASES
    age_column: str = ""  # a feed column of age groups: values are age-adjusted rates
    standard_population: str = ""  # with age_column: the standard (metrics.age_adjust)
    name_es: str = ""  # the name in Spanish; empty: no Spanish summary
    unit_es: str = ""  # a unit in words ("deaths", "per 100,000") in Spanish

    @property
    def age_adjusted(self) -> bool:
        return bool(self.age_column)

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"

    @property
    def unit_in_words(self) -> bool:
        """Whether the unit is words ("deaths", "per 100,000") rather than a sign or nothing."""
        return self.unit not in ("", "%", "$")

    def format_value(self, v: float | None) -> str:
        if v is None or v != v:
            return "–"
        if self.unit == "%":
            return f"{v:,.{self.decimals}f}%"
        if self.unit == "$":
            return f"${v:,.{self.decimals}f}"
        text = f"{v:,.{self.decimals}f}"
        return f"{text} {self.unit}".strip()


@dataclass(frozen=True)
class Agreement:
    agreement_id: str
    name: str
    parties: tuple[str, ...] = ()
    purpose: str = ""
    datasets: tuple[str, ...] = ()
    legal_basis: str = ""
    effective: date | None = None
    expires: date | None = None
    status: str = "active"


@dataclass(frozen=True)
class Register:
    """Everything the definitions folder says, validated."""

    agencies: dict[str, Agency]
    regions: dict[str, Region]
    priorities: dict[str, Priority]
    goals: dict[str, Goal]
    kpis: dict[str, Kpi]
    feeds: dict[str, Feed]
    targets: tuple[Target, ...] = ()
    agreements: dict[str, Agreement] = field(default_factory=dict)
    geojson: dict | None = None
    source_dir: str = ""

    def target_for(self, kpi_id: str, region: str = "all", group: str = "all") -> Target | None:
        for t in self.targets:
            if t.kpi_id == kpi_id and t.region == region and t.group == group:
                return t
        return None

    def kpi(self, kpi_id: str) -> Kpi:
        try:
            return self.kpis[kpi_id]
        except KeyError:
            raise KeyError(f"unknown KPI '{kpi_id}'") from None

    def priority_of(self, kpi: Kpi) -> Priority:
        return self.priorities[self.goals[kpi.goal_id].priority_id]

    def kpis_of_feed(self, feed_id: str) -> list[Kpi]:
        return [k for k in self.kpis.values()
                if k.feed_id == feed_id or (k.link is not None and k.link.feed_id == feed_id)]

    def region_name(self, code: str) -> str:
        if code == "all":
            return "Statewide"
        r = self.regions.get(code)
        return r.name if r else code
