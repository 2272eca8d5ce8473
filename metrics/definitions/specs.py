"""The columns of every table of the register (what staff may write, and its type)."""

from __future__ import annotations

import polars as pl

from metrics.periods import FEED_GRAINS, GRAINS

from .fields import Field
from .models import (
    CADENCES,
    CLASSIFICATIONS,
    COLUMN_TYPES,
    DIRECTIONS,
    FEED_KINDS,
    MEASURES,
    RACE_STANDARDS,
    REPORTS,
    STATUS_BASES,
    TOTAL_SOURCES,
)

POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(), "int": pl.Int64(), "float": pl.Float64(), "date": pl.Date(),
    "bool": pl.Boolean(),
}

SPECS: dict[str, list[Field]] = {
    "agencies": [Field("agency_id", required=True), Field("name", required=True),
                 Field("lead", default=""), Field("lead_email", default=""),
                 Field("bureau_code", default=""), Field("program_code", default="")],
    "regions": [Field("region_id", required=True), Field("name", required=True),
                Field("parent", default="")],
    "priorities": [Field("priority_id", required=True), Field("name", required=True),
                   Field("description", default=""), Field("order", "int", default=0)],
    "goals": [Field("goal_id", required=True), Field("priority_id", required=True),
              Field("name", required=True)],
    "kpis": [
        Field("kpi_id", required=True), Field("name", required=True),
        Field("goal_id", required=True), Field("agency_id", required=True),
        Field("measure", "choice", required=True, choices=MEASURES),
        Field("unit", default=""), Field("direction", "choice", required=True, choices=DIRECTIONS),
        Field("grain", "choice", default="month", choices=GRAINS),
        Field("fiscal_start", "int", default=7), Field("feed_id", required=True),
        Field("owner", default=""), Field("multiplier", "float"), Field("decimals", "int", default=1),
        Field("filter", default=""), Field("numerator", default=""), Field("denominator", default=""),
        Field("value", default=""), Field("link_feed", default=""), Field("link_key", default=""),
        Field("link_date", default=""), Field("link_window_days", "int"),
        Field("link_filter", default=""),
        Field("disaggregations", "list", default=("region", "group")),
        Field("public", "bool", default=True), Field("at_risk_threshold", "float", default=0.9),
        Field("equity_rule", "bool", default=False), Field("description", default=""),
        Field("methodology", default=""), Field("noun", default="people"),
        Field("total_from", "choice", default="groups", choices=TOTAL_SOURCES),
        Field("plausible_min", "float"), Field("plausible_max", "float"),
        Field("status_basis", "choice", default="latest", choices=STATUS_BASES),
        Field("age_column", default=""), Field("standard_population", default=""),
        Field("name_es", default=""), Field("unit_es", default=""),
    ],
    "targets": [
        Field("kpi_id", required=True), Field("region", default="all"), Field("group", default="all"),
        Field("baseline_value", "float"), Field("baseline_period", "period"),
        Field("target_value", "float"), Field("target_date", "date"),
        Field("set_by", default=""), Field("approved_by", default=""),
        Field("approved_on", "date"), Field("source", default=""),
        Field("agreed", "bool", default=True),
    ],
    "interim_targets": [
        Field("kpi_id", required=True), Field("region", default="all"), Field("group", default="all"),
        Field("date", "date", required=True), Field("value", "float", required=True),
    ],
    "feeds": [
        Field("feed_id", required=True), Field("name", required=True),
        Field("agency_id", required=True), Field("kind", "choice", required=True, choices=FEED_KINDS),
        Field("period_column", required=True),
        Field("period_grain", "choice", default="month", choices=FEED_GRAINS),
        Field("date_format", default="%Y-%m-%d"), Field("period_pattern", default=""),
        Field("region_column", default="region"), Field("group_column", default="group"),
        Field("numerator_column", default="numerator"),
        Field("denominator_column", default="denominator"), Field("person_key", default=""),
        Field("cadence", "choice", default="monthly", choices=tuple(CADENCES)),
        Field("lag_days", "int", default=30), Field("steward", default=""),
        Field("classification", "choice", default="internal", choices=CLASSIFICATIONS),
        Field("legal_basis", default=""), Field("agreement_id", default=""),
        Field("na_values", "list", default=()), Field("thousands", default=""),
        Field("race_standard", "choice", default="2024", choices=RACE_STANDARDS),
        Field("description", default=""),
        Field("location", default=""), Field("location_table", default=""),
    ],
    "feed_columns": [
        Field("feed_id", required=True), Field("column", required=True),
        Field("type", "choice", default="string", choices=COLUMN_TYPES),
        Field("required", "bool", default=True), Field("allowed", "list", default=()),
        Field("min", "float"), Field("max", "float"), Field("description", default=""),
    ],
    "code_maps": [
        Field("feed_id", required=True), Field("column", required=True),
        Field("from_value", required=True), Field("to_value", required=True),
    ],
    "feed_shapes": [
        Field("feed_id", required=True), Field("header_row", "int", default=1),
        Field("notes_below", "bool", default=False), Field("period_format", default=""),
        Field("reports", "choice", default="single", choices=REPORTS),
        Field("wide_measures", "list", default=()), Field("wide_separator", default="_"),
        Field("wide_into", default=""), Field("total_code", default=""),
        Field("region_total_code", default=""),
        Field("suppressed", "list", default=()),
        Field("rate_column", default=""), Field("rate_per", "float"),
    ],
    "agreements": [
        Field("agreement_id", required=True), Field("name", required=True),
        Field("parties", "list", default=()), Field("purpose", default=""),
        Field("datasets", "list", default=()), Field("legal_basis", default=""),
        Field("effective", "date"), Field("expires", "date"),
        Field("status", "choice", default="active", choices=("draft", "active", "expired", "terminated")),
    ],
}
REQUIRED_FILES = ("agencies", "regions", "priorities", "goals", "kpis", "feeds", "feed_columns")
OPTIONAL_FILES = ("targets", "interim_targets", "code_maps", "agreements", "feed_shapes")


