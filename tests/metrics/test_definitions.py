"""The definitions folder: every broken definition reported with file, row, column and fix."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from metrics.definitions import load_register, validate
from metrics.errors import Issue, ValidationFailed
from tests.workspace_factory import base_tables, geojson, write_definitions

Tables = dict[str, list[dict[str, Any]]]


def _check(tmp_path: Path, mutate: Callable[[Tables], None], *, fmt: str = "csv",
           geo: dict[str, Any] | None = None) -> list[Issue]:
    tables = base_tables()
    mutate(tables)
    folder = write_definitions(tmp_path / "definitions", tables, fmt=fmt, geo=geo or geojson())
    register, issues = validate(folder)
    assert register is None, "a broken register must not load"
    with pytest.raises(ValidationFailed):
        load_register(folder)
    return issues


def _one(issues: list[Issue], code: str, **where: Any) -> Issue:
    hits = [i for i in issues if i.code == code
            and all(getattr(i, k) == v for k, v in where.items())]
    assert hits, f"no {code} at {where}; got: " + "; ".join(str(i) for i in issues)
    return hits[0]


def _kpi(t: Tables, kpi_id: str) -> dict[str, Any]:
    return next(k for k in t["kpis"] if k["kpi_id"] == kpi_id)


def test_base_register_is_valid(tmp_path: Path) -> None:
    folder = write_definitions(tmp_path / "definitions", base_tables(), geo=geojson())
    register, issues = validate(folder)
    assert [i for i in issues if i.level == "error"] == []
    assert register is not None
    assert set(register.kpis) >= {"share_a", "rate_b", "employed"}
    assert register.kpis["rate_b"].multiplier == 100000.0
    assert register.kpis["employed"].link is not None
    assert register.geojson is not None and len(register.geojson["features"]) == 3


def test_unknown_goal(tmp_path: Path) -> None:
    issues = _check(tmp_path, lambda t: _kpi(t, "rate_b").update(goal_id="g9"))
    i = _one(issues, "definitions.unknown_reference", file="kpis.csv", row=3, column="goal_id")
    assert i.value == "g9" and "g1" in i.message and "g2" in i.message


def test_duplicate_id(tmp_path: Path) -> None:
    issues = _check(tmp_path, lambda t: t["kpis"].append(dict(t["kpis"][0])))
    n = len(base_tables()["kpis"])
    i = _one(issues, "definitions.duplicate_id", file="kpis.csv", row=n + 2, column="kpi_id")
    assert "share_a" in i.message and "row 2" in i.message


def test_bad_date(tmp_path: Path) -> None:
    issues = _check(tmp_path, lambda t: t["targets"][0].update(target_date="30/06/2026"))
    i = _one(issues, "definitions.bad_date", file="targets.csv", row=2, column="target_date")
    assert "YYYY-MM-DD" in i.message and i.value == "30/06/2026"
    assert [x.code for x in issues if x.level == "error"] == ["definitions.bad_date"]  # no knock-on


def test_bad_period(tmp_path: Path) -> None:
    issues = _check(tmp_path, lambda t: t["targets"][0].update(baseline_period="2024-13"))
    i = _one(issues, "definitions.bad_period", file="targets.csv", row=2, column="baseline_period")
    assert "YYYY-MM" in i.message and "YYYY-Qn" in i.message and "FY2027" in i.message
    # the baseline is there, only badly written: not also reported as missing
    assert [x.code for x in issues if x.level == "error"] == ["definitions.bad_period"]


def test_expression_uses_column_the_contract_lacks(tmp_path: Path) -> None:
    issues = _check(tmp_path, lambda t: _kpi(t, "share_a").update(filter="indicatr = 'a'"))
    i = _one(issues, "definitions.unknown_column", file="kpis.csv", row=2, column="filter")
    assert "indicatr" in i.message and "indicator" in i.message and "'agg'" in i.message


def test_unknown_region_in_targets(tmp_path: Path) -> None:
    def mutate(t: Tables) -> None:
        t["targets"].append(dict(kpi_id="share_a", region="R9", group="all", baseline_value=1,
                                 baseline_period="2024-01", target_value=2,
                                 target_date="2026-06-30"))
    issues = _check(tmp_path, mutate)
    i = _one(issues, "definitions.unknown_reference", file="targets.csv", row=3, column="region")
    assert i.value == "R9" and "R1" in i.message and "all" in i.message


def test_target_without_baseline(tmp_path: Path) -> None:
    issues = _check(tmp_path, lambda t: t["targets"][0].update(baseline_value="",
                                                                baseline_period=""))
    i = _one(issues, "definitions.target_without_baseline", file="targets.csv", row=2)
    assert "no agreed target" in i.message


def test_no_agreed_target_needs_no_baseline(tmp_path: Path) -> None:
    t = base_tables()
    t["targets"].append(dict(kpi_id="rate_b", agreed="no"))
    register, issues = validate(write_definitions(tmp_path / "d", t, geo=geojson()))
    assert register is not None, [str(i) for i in issues]
    target = register.target_for("rate_b")
    assert target is not None and not target.agreed


def test_spanish_name_and_unit_are_optional(tmp_path: Path) -> None:
    t = base_tables()
    _kpi(t, "share_a").update(name_es="Proporción A")
    _kpi(t, "rate_b").update(name_es="Tasa B", unit_es="por cada 100,000")
    _kpi(t, "count_a").update(name_es="Número A")  # a unit in words, without its Spanish
    _kpi(t, "employed").update(name_es="")  # an empty cell is allowed
    register, issues = validate(write_definitions(tmp_path / "d", t, geo=geojson()))
    assert register is not None, [str(i) for i in issues]
    assert register.kpis["share_a"].name_es == "Proporción A"
    assert (register.kpis["rate_b"].name_es, register.kpis["rate_b"].unit_es) == (
        "Tasa B", "por cada 100,000")
    assert register.kpis["employed"].name_es == "" and register.kpis["paid_share"].name_es == ""
    i = _one(issues, "definitions.no_spanish_unit", file="kpis.csv", row=4, column="unit_es")
    assert i.level == "warning" and "'people'" in i.message
    assert [x.code for x in issues if x.code == "definitions.no_spanish_unit"] == [i.code]


def test_spanish_name_may_not_hold_markup(tmp_path: Path) -> None:
    issues = _check(tmp_path, lambda t: _kpi(t, "share_a").update(
        name_es="Proporción [aquí](https://phish.example)"))
    _one(issues, "definitions.markup_in_name", file="kpis.csv", row=2, column="name_es")


@pytest.mark.parametrize(("column", "value", "valid"), [
    ("measure", "ratio", "proportion, rate, count, sum, mean, median"),
    ("direction", "up", "higher, lower"),
    ("grain", "weekly", "month, quarter, year, fiscal, rolling12"),
])
def test_bad_choice(tmp_path: Path, column: str, value: str, valid: str) -> None:
    issues = _check(tmp_path, lambda t: _kpi(t, "count_a").update({column: value}))
    i = _one(issues, "definitions.bad_choice", file="kpis.csv", row=4, column=column)
    assert valid in i.message and value in i.message


def test_missing_required_column(tmp_path: Path) -> None:
    def mutate(t: Tables) -> None:
        for k in t["kpis"]:
            k.pop("measure")
    issues = _check(tmp_path, mutate)
    i = _one(issues, "definitions.missing_column", file="kpis.csv", column="measure")
    assert "kpi_id" in i.message  # the columns found are listed


def test_missing_file(tmp_path: Path) -> None:
    issues = _check(tmp_path, lambda t: t.update(goals=[]))
    i = _one(issues, "definitions.missing_file", file="goals.csv")
    assert "CSV or XLSX" in i.message


def test_missing_folder(tmp_path: Path) -> None:
    register, issues = validate(tmp_path / "nowhere")
    assert register is None
    _one(issues, "definitions.missing_file")


def test_unknown_agency(tmp_path: Path) -> None:
    def mutate(t: Tables) -> None:
        t["feeds"][1]["agency_id"] = "ag7"
        _kpi(t, "count_a")["agency_id"] = "ag8"
    issues = _check(tmp_path, mutate)
    i = _one(issues, "definitions.unknown_reference", file="feeds.csv", row=3, column="agency_id")
    assert "ag1" in i.message
    _one(issues, "definitions.unknown_reference", file="kpis.csv", row=4, column="agency_id",
         value="ag8")


def test_expression_with_type_error(tmp_path: Path) -> None:
    issues = _check(tmp_path, lambda t: _kpi(t, "count_a").update(numerator="region * 2"))
    i = _one(issues, "definitions.bad_expression", file="kpis.csv", row=4, column="numerator")
    assert "column types" in i.message and "region * 2" in i.message


def test_expression_that_does_not_parse(tmp_path: Path) -> None:
    issues = _check(tmp_path, lambda t: _kpi(t, "count_a").update(filter="indicator = = 'a'"))
    _one(issues, "definitions.bad_expression", file="kpis.csv", row=4, column="filter")


def test_link_to_unknown_feed(tmp_path: Path) -> None:
    issues = _check(tmp_path, lambda t: _kpi(t, "employed").update(link_feed="payroll"))
    i = _one(issues, "definitions.unknown_reference", file="kpis.csv", column="link_feed",
             value="payroll")
    assert "wages" in i.message and i.row == len(base_tables()["kpis"]) + 1


def test_link_key_missing_from_linked_feed(tmp_path: Path) -> None:
    issues = _check(tmp_path, lambda t: _kpi(t, "employed").update(link_date="paid_on"))
    i = _one(issues, "definitions.unknown_column", file="kpis.csv", column="link_date")
    assert "wage_date" in i.message


def test_mean_over_aggregate_feed_does_not_fit(tmp_path: Path) -> None:
    issues = _check(tmp_path, lambda t: _kpi(t, "count_a").update(measure="mean"))
    i = _one(issues, "definitions.measure_mismatch", file="kpis.csv", row=4, column="measure")
    assert "record-level" in i.message


def test_feed_column_missing_from_contract(tmp_path: Path) -> None:
    issues = _check(tmp_path, lambda t: t["feeds"][0].update(region_column="county"))
    i = _one(issues, "definitions.unknown_column", file="feeds.csv", row=2, column="region_column")
    assert "county" in i.message


def test_target_before_baseline(tmp_path: Path) -> None:
    issues = _check(tmp_path, lambda t: t["targets"][0].update(target_date="2023-12-31"))
    _one(issues, "definitions.target_before_baseline", file="targets.csv", row=2,
         column="target_date")


def test_region_hierarchy_loop(tmp_path: Path) -> None:
    def mutate(t: Tables) -> None:
        t["regions"][0]["parent"] = "R2"
        t["regions"][1]["parent"] = "R1"
    issues = _check(tmp_path, mutate)
    _one(issues, "definitions.parent_cycle", file="regions.csv", column="parent")


def test_geojson_with_unknown_region(tmp_path: Path) -> None:
    geo = geojson(("R1", "R2", "R4"))
    issues = _check(tmp_path, lambda t: None, geo=geo)
    i = _one(issues, "definitions.bad_geojson", file="regions.geojson", row=3,
             column="properties.region_id")
    assert "R4" in i.message and "R1, R2, R3" in i.message


def test_geojson_not_a_feature_collection(tmp_path: Path) -> None:
    folder = write_definitions(tmp_path / "d", base_tables())
    (folder / "regions.geojson").write_text("{not json")
    register, issues = validate(folder)
    assert register is None
    _one(issues, "definitions.bad_geojson", file="regions.geojson")


def test_bad_number_and_bad_bool(tmp_path: Path) -> None:
    def mutate(t: Tables) -> None:
        _kpi(t, "count_a").update(decimals="two", public="maybe")
    issues = _check(tmp_path, mutate)
    _one(issues, "definitions.bad_number", file="kpis.csv", row=4, column="decimals")
    i = _one(issues, "definitions.bad_choice", file="kpis.csv", row=4, column="public")
    assert "yes, no" in i.message


def test_required_value_missing(tmp_path: Path) -> None:
    issues = _check(tmp_path, lambda t: _kpi(t, "count_a").update(feed_id=""))
    _one(issues, "definitions.required", file="kpis.csv", row=4, column="feed_id")


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    def mutate(t: Tables) -> None:
        _kpi(t, "share_a")["goal_id"] = "nope"
        _kpi(t, "rate_b")["measure"] = "ratio"
        _kpi(t, "count_a")["filter"] = "colour = 'red'"
        t["targets"][0]["target_date"] = "soon"
        t["feeds"][0]["agency_id"] = "ag9"
        t["goals"][0]["priority_id"] = "p9"
    issues = _check(tmp_path, mutate)
    codes = {(i.file, i.row, i.column, i.code) for i in issues}
    assert ("kpis.csv", 2, "goal_id", "definitions.unknown_reference") in codes
    assert ("kpis.csv", 3, "measure", "definitions.bad_choice") in codes
    assert ("kpis.csv", 4, "filter", "definitions.unknown_column") in codes
    assert ("targets.csv", 2, "target_date", "definitions.bad_date") in codes
    assert ("feeds.csv", 2, "agency_id", "definitions.unknown_reference") in codes
    assert ("goals.csv", 2, "priority_id", "definitions.unknown_reference") in codes
    with pytest.raises(ValidationFailed) as exc:
        load_register(tmp_path / "definitions")
    text = str(exc.value)
    assert text.startswith(f"{len([i for i in issues if i.level == 'error'])} problem(s)")
    assert "kpis.csv, row 3, measure" in text


def test_xlsx_definitions_read_as_csv(tmp_path: Path) -> None:
    csv_reg, _ = validate(write_definitions(tmp_path / "c", base_tables(), geo=geojson()))
    xlsx_reg, issues = validate(write_definitions(tmp_path / "x", base_tables(), fmt="xlsx",
                                                  geo=geojson()))
    assert xlsx_reg is not None and csv_reg is not None, [str(i) for i in issues]
    assert not list((tmp_path / "x").glob("*.csv"))
    assert dataclasses.replace(xlsx_reg, source_dir="") == dataclasses.replace(csv_reg, source_dir="")


def test_xlsx_errors_located_like_csv(tmp_path: Path) -> None:
    def mutate(t: Tables) -> None:
        _kpi(t, "rate_b")["goal_id"] = "g9"
        t["targets"][0]["baseline_period"] = "2024-13"
    issues = _check(tmp_path, mutate, fmt="xlsx")
    _one(issues, "definitions.unknown_reference", file="kpis.xlsx", row=3, column="goal_id")
    _one(issues, "definitions.bad_period", file="targets.xlsx", row=2, column="baseline_period")


def test_unreadable_xlsx(tmp_path: Path) -> None:
    folder = write_definitions(tmp_path / "d", base_tables(), geo=geojson())
    (folder / "kpis.csv").unlink()
    (folder / "kpis.xlsx").write_bytes(b"this is not a spreadsheet \x00\x01\x02")
    register, issues = validate(folder)
    assert register is None
    i = _one(issues, "definitions.unreadable_file", file="kpis.xlsx")
    assert "XLSX" in i.message
