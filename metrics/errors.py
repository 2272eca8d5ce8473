"""The error catalogue: stable codes, titles and message templates.

Every problem StatDesk reports about definitions or feeds has a stable code
(``feed.unknown_region``), a short title and a message template an agency or a
member of staff can act on.  Validation collects *all* issues into a list; one
exception (:class:`ValidationFailed`) is raised at the boundary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

#: code -> (title, message template).  Templates use ``str.format`` fields.
CATALOGUE: dict[str, tuple[str, str]] = {
    # --- definitions -----------------------------------------------------
    "definitions.missing_file": (
        "Missing definitions file",
        "The file {file} is missing. Add it to the definitions folder (CSV or XLSX).",
    ),
    "definitions.unreadable_file": (
        "Unreadable definitions file",
        "{file} could not be read: {detail}. Save it as UTF-8 CSV or as XLSX.",
    ),
    "definitions.missing_column": (
        "Missing column",
        "The column '{column}' is required in {file}. Columns found: {found}.",
    ),
    "definitions.required": (
        "Required value missing",
        "'{column}' must not be empty.",
    ),
    "definitions.duplicate_id": (
        "Duplicate id",
        "The id '{value}' appears more than once; ids must be unique (first seen on row {first_row}).",
    ),
    "definitions.unknown_reference": (
        "Unknown reference",
        "'{value}' is not a known {kind}. Known: {valid}.",
    ),
    "definitions.bad_choice": (
        "Value not allowed",
        "'{value}' is not allowed here. Use one of: {valid}.",
    ),
    "definitions.bad_number": (
        "Not a number",
        "'{value}' is not a number. Write a plain number such as 72.5 (no units or commas).",
    ),
    "definitions.bad_date": (
        "Bad date",
        "'{value}' is not a date. Write dates as YYYY-MM-DD, e.g. 2027-06-30.",
    ),
    "definitions.bad_period": (
        "Bad period",
        "'{value}' is not a period. Write YYYY-MM (month), YYYY-Qn (quarter), YYYY (year), "
        "FYyyyy (fiscal year, e.g. FY2027) or R12-YYYY-MM (12 months to a month).",
    ),
    "definitions.bad_expression": (
        "Bad expression",
        "The expression '{value}' cannot be used: {detail}.",
    ),
    "definitions.unknown_column": (
        "Unknown feed column",
        "The expression '{value}' uses the column '{detail}', which the contract of feed '{feed}' does not have. Columns: {valid}.",
    ),
    "definitions.target_without_baseline": (
        "Target without a baseline",
        "A target needs a baseline value and baseline period; add them or mark the target 'no agreed target'.",
    ),
    "definitions.target_before_baseline": (
        "Target date before baseline",
        "The target date {value} is not after the baseline period; the target must lie in the future of its baseline.",
    ),
    "definitions.parent_cycle": (
        "Region hierarchy loops",
        "Region '{value}' is its own ancestor; fix the 'parent' column.",
    ),
    "definitions.bad_geojson": (
        "Bad region boundaries",
        "{detail}",
    ),
    "definitions.measure_mismatch": (
        "Measure does not fit",
        "{detail}",
    ),
    "definitions.bad_federal_code": (
        "Bad federal code",
        "'{value}' is not a {kind} ({valid}); write the agency's real code, or leave the cell "
        "empty if it has none.",
    ),
    "definitions.no_federal_codes": (
        "No federal codes",
        "{detail}",
    ),
    "definitions.bad_shape": (
        "Feed shape cannot be used",
        "{detail}",
    ),
    "feed.shape": (
        "File does not have the declared shape",
        "{detail}",
    ),
    "definitions.bad_location": (
        "Records cannot be read there",
        "The feed's location '{value}' cannot be used: {detail}.",
    ),
    "definitions.bad_id": (
        "Id not allowed",
        "'{value}' cannot be used as an id: {detail}. Use letters, digits, '_', '-' or '.', "
        "starting with a letter or digit (at most 64 characters).",
    ),
    "definitions.markup_in_name": (
        "Link or image in a name",
        "'{value}' contains {detail}; names are shown as plain text on the internal app and the "
        "public site, so they cannot hold links, images, web addresses or HTML. Write the "
        "name alone (put sources in the description or methodology).",
    ),
    "definitions.no_spanish_unit": (
        "Spanish name without a Spanish unit",
        "The KPI has a Spanish name (name_es) but its unit '{value}' has no Spanish in "
        "'unit_es', so no Spanish summary is written for it. Write the unit in Spanish, "
        "e.g. 'muertes' or 'por cada 100,000'.",
    ),
    "definitions.bad_column": (
        "Column not allowed",
        "The column '{value}' of feed '{feed}' cannot be used: {detail}.",
    ),
    "definitions.bad_encoding": (
        "Unknown text encoding",
        "{file} is not text StatDesk can read ({detail}). Save it as UTF-8 CSV or as XLSX.",
    ),
    # --- feeds -----------------------------------------------------------
    "feed.unreadable": (
        "File cannot be read",
        "The file could not be read as {kind}: {detail}. Send CSV (UTF-8), XLSX or Parquet.",
    ),
    "feed.unsupported_format": (
        "Unsupported file type",
        "'{value}' is not a supported file type. Send .csv, .xlsx or .parquet.",
    ),
    "feed.empty": (
        "Empty file",
        "The file has no data rows.",
    ),
    "feed.missing_column": (
        "Missing column",
        "The column '{column}' required by the contract is missing. Columns found: {found}.",
    ),
    "feed.missing_value": (
        "Missing value",
        "'{column}' is empty; the contract requires a value.",
    ),
    "feed.bad_period": (
        "Bad period",
        "'{value}' in '{column}' is not a valid {detail}.",
    ),
    "feed.period_in_future": (
        "Period in the future",
        "'{value}' in '{column}' is after the date the file was received.",
    ),
    "feed.unknown_region": (
        "Unknown region",
        "'{value}' is not a region code in the register. Valid codes: {valid}.",
    ),
    "feed.unknown_group": (
        "Unknown race and ethnicity code",
        "'{value}' is not in the feed's code list. Valid codes: {valid}.",
    ),
    "feed.bad_number": (
        "Not a number",
        "'{value}' in '{column}' is not a number.",
    ),
    "feed.not_available": (
        "Value not available",
        "'{value}' in '{column}' marks the figure as not available; the row cannot be used.",
    ),
    "feed.negative_value": (
        "Negative value",
        "'{value}' in '{column}' is negative; counts and populations cannot be below zero.",
    ),
    "feed.not_integer": (
        "Not a whole number",
        "'{value}' in '{column}' is not a whole number; counts must be whole.",
    ),
    "feed.zero_denominator": (
        "Zero denominator",
        "'{column}' is zero, so no rate can be computed for this row.",
    ),
    "feed.numerator_exceeds_denominator": (
        "Numerator above denominator",
        "The numerator {value} is larger than the denominator {detail}; for a proportion it cannot be.",
    ),
    "feed.duplicate_key": (
        "Duplicate row",
        "Another row of this file has the same {column} ({value}); send one row per key.",
    ),
    "feed.bad_date": (
        "Bad date",
        "'{value}' in '{column}' is not a date (expected {detail}).",
    ),
    "feed.bad_value": (
        "Value not allowed",
        "'{value}' in '{column}' is not allowed. Use one of: {valid}.",
    ),
    "feed.bad_type": (
        "Wrong type",
        "'{value}' in '{column}' is not a valid {detail}.",
    ),
    "feed.value_out_of_range": (
        "Value out of range",
        "'{value}' in '{column}' is outside the allowed range {detail}.",
    ),
    "feed.not_finite": (
        "Not a finite number",
        "'{value}' in '{column}' is not a finite number; send the figure itself (or leave the "
        "cell empty where the contract allows it).",
    ),
    "feed.integer_too_large": (
        "Whole number too large",
        "'{value}' in '{column}' is too large to be stored exactly as a whole number "
        "(the limit is {detail}); check the figure.",
    ),
    "feed.impossible_date": (
        "Impossible date",
        "'{value}' in '{column}' is not a day of the calendar; check the day and month.",
    ),
    "feed.implausible_period": (
        "Implausible period",
        "'{value}' in '{column}' is before {detail}, the earliest period StatDesk accepts; "
        "check the year.",
    ),
    "feed.bad_encoding": (
        "Unknown text encoding",
        "The file is {detail}; StatDesk reads CSV in UTF-8 (with or without BOM), UTF-16 or "
        "Windows-1252. Save it as UTF-8 CSV or as XLSX and send it again.",
    ),
    "feed.nothing_accepted": (
        "Nothing accepted",
        "None of the {value} rows could be accepted, so the batch is refused and nothing changed; "
        "see the error report, correct the file (or the contract) and send it again.",
    ),
    "feed.bad_contract": (
        "Contract cannot be applied",
        "The contract of feed '{feed}' cannot be applied to this file: {detail}. Ask a data "
        "steward to correct the definitions; nothing was applied.",
    ),
    "feed.unknown_feed": (
        "Unknown feed",
        "There is no feed '{value}' in the register. Feeds: {valid}.",
    ),
}


@dataclass(frozen=True)
class Issue:
    """One problem, located as precisely as possible."""

    code: str
    message: str
    file: str = ""
    row: int | None = None  # 1-based data row (header excluded), None for whole-file issues
    column: str = ""
    value: str = ""
    level: str = "error"  # "error" or "warning"

    @property
    def title(self) -> str:
        return CATALOGUE.get(self.code, (self.code, ""))[0]

    def location(self) -> str:
        parts = [p for p in (self.file, f"row {self.row}" if self.row else "", self.column) if p]
        return ", ".join(parts)

    def __str__(self) -> str:
        loc = self.location()
        return f"{loc}: [{self.code}] {self.message}" if loc else f"[{self.code}] {self.message}"


def issue(code: str, *, file: str = "", row: int | None = None, column: str = "",
          value: object = "", level: str = "error", **fields: object) -> Issue:
    """Build an :class:`Issue` from the catalogue's template."""
    if code not in CATALOGUE:
        raise KeyError(f"unknown error code {code!r}")
    _, template = CATALOGUE[code]
    data: dict[str, object] = {"file": file, "column": column, "value": value, "detail": "",
                               "valid": "", "found": "", "kind": "", "feed": "", "first_row": ""}
    data.update(fields)
    return Issue(code=code, message=template.format(**data), file=file, row=row,
                 column=column, value=str(value), level=level)


@dataclass
class ValidationFailed(Exception):
    """Raised at a boundary when validation found errors; carries every issue."""

    issues: list[Issue] = field(default_factory=list)
    what: str = "definitions"

    def __str__(self) -> str:
        errors = [i for i in self.issues if i.level == "error"]
        head = f"{len(errors)} problem(s) in the {self.what}:"
        return "\n".join([head, *(f"  - {i}" for i in errors)])


def errors_only(issues: Iterable[Issue]) -> list[Issue]:
    return [i for i in issues if i.level == "error"]
