"""Feed shapes: agencies' files as they export them, described in definitions only.

Real CSV files on disk, a real SQLite workspace, the real ingest and engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from metrics.definitions import validate
from metrics.engine import load_observations
from metrics.engine.file_totals import coverage
from metrics.ingest import ingest, quarantine_report
from tests.workspace_factory import AS_OF, base_tables, make_workspace, write_definitions

WEEKLY = """Agency One: weekly report of outcomes
Source: case management system; figures under 5 are suppressed
date,region,group,numerator,denominator
01/07/2026,R1,black,3,10
01/14/2026,R1,black,4,10
01/07/2026,R1,white,<5,20
01/14/2026,R1,white,5,20
01/07/2026,R1,Total,20,60
01/14/2026,R1,Total,25,60
01/07/2026,R2,black,6,30
01/14/2026,R2,black,6,30
01/07/2026,R2,Total,10,40
01/14/2026,R2,Total,10,40
Note: Total includes people of every race and of none recorded.
"""


def _tables(**shape: Any) -> dict[str, list[dict[str, Any]]]:
    t = base_tables()
    t["feeds"].append(dict(feed_id="weekly", name="Weekly outcomes", agency_id="ag1",
                           kind="aggregate", period_column="date", period_grain="month",
                           region_column="region", group_column="group",
                           numerator_column="numerator", denominator_column="denominator"))
    t["feed_columns"] += [
        dict(feed_id="weekly", column="date", type="string", required="yes"),
        dict(feed_id="weekly", column="region", type="string", required="yes"),
        dict(feed_id="weekly", column="group", type="string", required="no"),
        dict(feed_id="weekly", column="numerator", type="int", required="no", min="0"),
        dict(feed_id="weekly", column="denominator", type="int", required="no", min="0"),
    ]
    row = dict(feed_id="weekly", header_row=3, notes_below="yes", period_format="%m/%d/%Y",
               reports="additive", total_code="Total", suppressed=".;*;<5;NA")
    row.update(shape)
    t["feed_shapes"] = [row]
    for kid, src in (("weekly_file", "file"), ("weekly_groups", "groups")):
        t["kpis"].append(dict(kpi_id=kid, name=kid, goal_id="g1", agency_id="ag1",
                              measure="proportion", direction="higher", grain="month",
                              feed_id="weekly", total_from=src, unit="%"))
    return t


def _obs(ws: Any, kpi: str) -> dict[tuple[str, str], dict[str, Any]]:
    obs = load_observations(ws.engine, [kpi])
    return {(r["region"], r["group"]): r for r in obs.iter_rows(named=True)}


def test_notes_dates_reports_totals_and_suppression_from_definitions(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", _tables())
    f = tmp_path / "weekly.csv"
    f.write_text(WEEKLY)
    report = ingest(ws, "weekly", f, received_on=AS_OF)
    assert report.status == "applied", report.summary()
    # suppressed by the agency: carried, never a rejected row
    assert report.rows_rejected == 0
    assert quarantine_report(ws, "weekly").height == 0
    text = report.summary()
    assert "1 value(s) marked as suppressed by the agency" in text
    assert "1 note line(s)" in text
    obs = _obs(ws, "weekly_file")
    # two weekly reports added up per month; January 2026
    assert obs[("R1", "black")]["numerator"] == 7 and obs[("R1", "black")]["denominator"] == 20
    # white's January is unknown (one report suppressed): no figure, and not zero
    assert ("R1", "white") not in obs
    # the all-groups figure is the file's own total, not the groups added up
    assert obs[("R1", "all")]["numerator"] == 45 and obs[("R1", "all")]["denominator"] == 120
    assert obs[("all", "all")]["numerator"] == 65 and obs[("all", "all")]["denominator"] == 200
    by_groups = _obs(ws, "weekly_groups")
    assert by_groups[("R1", "all")]["numerator"] == 7
    assert by_groups[("R1", "all")]["denominator"] == 20
    assert by_groups[("all", "all")]["denominator"] == 80
    cov = coverage(load_observations(ws.engine, ["weekly_file"]))
    r1 = cov.filter(pl.col("region") == "R1").row(0, named=True)
    assert r1["coverage"] == pytest.approx(20 / 120)
    # the stored rows say which value the agency suppressed
    stored = pl.read_parquet(sorted((ws.feed_store / "weekly").rglob("*.parquet")))
    sup = stored.filter(pl.col("_shape_suppressed").is_not_null())
    assert sup.select("region", "group", "_shape_suppressed").rows() == [("R1", "white", "numerator")]
    assert sup["numerator"].to_list() == [None]
    from metrics.governance.quality import WARNING, feed_quality

    with ws.session() as s:
        checks = {c.check: c for c in feed_quality(s, str(ws.feed_store), ws.register, "weekly",
                                                   as_of=AS_OF)}
    assert checks["Suppressed by the agency"].status == WARNING
    assert checks["Suppressed by the agency"].finding.startswith(
        "1 row in force with a value the agency suppressed")


def test_cumulative_reports_keep_the_last_of_each_month(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", _tables(reports="cumulative", header_row=1,
                                                 notes_below="no"))
    f = tmp_path / "cumulative.csv"
    f.write_text("date,region,group,numerator,denominator\n"
                 "01/07/2026,R1,black,3,10\n"
                 "01/28/2026,R1,black,9,30\n"
                 "01/14/2026,R1,black,5,20\n"
                 "02/04/2026,R1,black,8,40\n"  # a cumulative count that falls: a finding
                 "01/28/2026,R1,Total,30,90\n"
                 "02/04/2026,R1,Total,31,95\n")
    report = ingest(ws, "weekly", f, received_on=AS_OF)
    assert report.status == "applied", report.summary()
    obs = load_observations(ws.engine, ["weekly_file"]).filter(
        (pl.col("region") == "R1") & (pl.col("group") == "black"))
    got = {r["period"]: (r["numerator"], r["denominator"]) for r in obs.iter_rows(named=True)}
    assert got == {"2026-01": (9, 30), "2026-02": (8, 40)}
    text = report.summary()
    assert "row 5, numerator: numerator fell from 9 (report of 2026-01-28) to 8" in text


def test_wide_file_suffixes_codes_and_errors_in_the_files_terms(tmp_path: Path) -> None:
    t = base_tables()
    t["feeds"].append(dict(feed_id="wide", name="Wide", agency_id="ag1", kind="aggregate",
                           period_column="Date", period_grain="month", region_column="State",
                           group_column="race", numerator_column="Deaths",
                           denominator_column="Cases"))
    t["feed_columns"] += [
        dict(feed_id="wide", column="Date", type="string", required="yes"),
        dict(feed_id="wide", column="State", type="string", required="yes"),
        dict(feed_id="wide", column="race", type="string", required="no"),
        dict(feed_id="wide", column="Cases", type="int", required="no", min="0"),
        dict(feed_id="wide", column="Deaths", type="int", required="no", min="0"),
    ]
    t["feed_shapes"] = [dict(feed_id="wide", period_format="%Y%m%d", reports="cumulative",
                             wide_measures="Cases;Deaths", wide_into="race", total_code="Total")]
    t["code_maps"] = [dict(feed_id="wide", column="race", from_value="Black", to_value="black"),
                      dict(feed_id="wide", column="race", from_value="White", to_value="white")]
    t["kpis"].append(dict(kpi_id="cfr", name="Deaths per 100 cases", goal_id="g1",
                          agency_id="ag1", measure="proportion", direction="lower",
                          grain="month", feed_id="wide", total_from="file", unit="per 100"))
    ws = make_workspace(tmp_path / "ws", t)
    f = tmp_path / "wide.csv"
    f.write_text("Date,State,Cases_Total,Cases_White,Cases_Black,Cases_Other,"
                 "Deaths_Total,Deaths_White,Deaths_Black,Deaths_Other\n"
                 "20260131,R1,100,50,30,20,5,2,-1,1\n"
                 "20260131,R2,80,40,,,4,2,,\n"
                 "2026-02-28,R2,90,45,,,5,2,,\n")
    report = ingest(ws, "wide", f, received_on=AS_OF)
    assert report.status == "applied"
    text = report.summary()
    assert "'Other'" in text and "Cases_Other" in text and "code_maps.csv" in text
    q = quarantine_report(ws, "wide").sort("row_number", "column")
    got = q.select("row_number", "column", "value", "code").rows()
    assert got[0][:2] == (2, "Deaths_Black")  # the file's row and column
    assert got[0][2:] == ("-1", "feed.negative_value")
    bad_date = q.filter(pl.col("code") == "feed.bad_period").row(0, named=True)
    assert bad_date["row_number"] == 4 and bad_date["column"] == "Date"
    assert "%Y%m%d" in bad_date["message"] and "feed_shapes.csv" in bad_date["message"]
    obs = _obs(ws, "cfr")
    assert obs[("R1", "all")]["numerator"] == 5 and obs[("R1", "all")]["denominator"] == 100
    assert obs[("R2", "white")]["value"] == pytest.approx(5.0)
    assert ("R2", "black") not in obs  # not reported, so no figure (and not zero)


def _issues(tmp_path: Path, t: dict[str, list[dict[str, Any]]]) -> list[str]:
    folder = write_definitions(tmp_path / "defs", t)
    _, issues = validate(folder)
    return [str(i) for i in issues if i.level == "error"]


def test_shape_mistakes_name_the_file_row_column_and_the_fix(tmp_path: Path) -> None:
    t = _tables(period_format="YYYYMMDD")
    t["feed_columns"][-1]["required"] = "yes"  # denominator required, but values may be suppressed
    t["kpis"][-2]["feed_id"] = "agg"  # total_from = file on a feed without a total
    found = _issues(tmp_path, t)
    assert any(m.startswith("feed_shapes.csv, row 2, period_format: [definitions.bad_shape] "
                            "'YYYYMMDD' is not a date format") and "%Y%m%d" in m for m in found)
    assert any(m.startswith("feed_columns.csv, row ") and "'denominator' of feed 'weekly'"
               in m and "set required to no" in m for m in found)
    row = len(t["kpis"])  # the KPI before last, counted from spreadsheet row 2
    assert any(m.startswith(f"kpis.csv, row {row}, total_from:") and "add total_code" in m
               and "feed 'agg'" in m for m in found)
    col_row = next(i for i, r in enumerate(t["feed_columns"], start=2)
                   if r["feed_id"] == "weekly" and r["column"] == "denominator")
    assert any(m.startswith(f"feed_columns.csv, row {col_row}, required:") for m in found)


def test_wide_shape_needs_its_columns_declared(tmp_path: Path) -> None:
    t = _tables(wide_measures="Cases", wide_into="race")
    found = _issues(tmp_path, t)
    assert any("wide_into" in m and "'race' is not a column of feed 'weekly'" in m for m in found)
    assert any("wide_measures" in m and "'Cases' must be a column of feed 'weekly'" in m
               for m in found)


def test_counts_with_published_rates_and_no_denominator(tmp_path: Path) -> None:
    t = base_tables()
    t["feeds"].append(dict(feed_id="rates", name="Rates", agency_id="ag1", kind="aggregate",
                           period_column="Year", period_grain="year", region_column="region",
                           group_column="group", numerator_column="Cases",
                           denominator_column="population"))
    t["feed_columns"] += [
        dict(feed_id="rates", column="Year", type="string", required="yes"),
        dict(feed_id="rates", column="region", type="string", required="yes"),
        dict(feed_id="rates", column="group", type="string", required="yes"),
        dict(feed_id="rates", column="Cases", type="int", required="no", min="0"),
        dict(feed_id="rates", column="Rate per 100000", type="float", required="no"),
        dict(feed_id="rates", column="population", type="float", required="no"),
    ]
    t["feed_shapes"] = [dict(feed_id="rates", rate_column="Rate per 100000", rate_per="100000",
                             suppressed="Data not available")]
    t["kpis"].append(dict(kpi_id="case_rate", name="Case rate", goal_id="g1", agency_id="ag1",
                          measure="rate", direction="lower", grain="year", feed_id="rates",
                          unit="per 100,000", multiplier="100000"))
    ws = make_workspace(tmp_path / "ws", t)
    f = tmp_path / "rates.csv"
    f.write_text("Year,region,group,Cases,Rate per 100000\n"
                 "2022,R1,white,167,5.9\n"
                 "2022,R1,black,0,0\n"
                 "2022,R2,white,Data not available,Data not available\n")
    report = ingest(ws, "rates", f, received_on=AS_OF)
    assert report.status == "applied" and report.rows_rejected == 0, report.summary()
    assert "denominator(s) derived from the published rate 'Rate per 100000'" in report.summary()
    obs = _obs(ws, "case_rate")
    white = obs[("R1", "white")]
    assert white["denominator"] == round(167 / 5.9 * 100_000)
    assert round(white["value"], 1) == 5.9  # the published rate, recomputed
    # a zero rate gives no denominator, and a suppressed one no figure: neither is zero
    assert ("R1", "black") not in obs and ("R2", "white") not in obs


def test_rate_shape_mistakes(tmp_path: Path) -> None:
    t = _tables(rate_column="rate", rate_per="")
    found = _issues(tmp_path, t)
    assert any("rate_column" in m and "'rate' must be a column of feed 'weekly'" in m for m in found)
    assert any("rate_per" in m and "e.g. 100000" in m for m in found)


def test_cumulative_counts_as_increments_per_month(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", _tables(reports="increments", header_row=1,
                                                 notes_below="no"))
    f = tmp_path / "cumulative.csv"
    f.write_text("date,region,group,numerator,denominator\n"
                 "01/14/2026,R1,black,5,20\n"
                 "01/28/2026,R1,black,9,30\n"
                 "02/25/2026,R1,black,12,45\n"
                 "03/04/2026,R1,black,14,50\n"
                 "03/25/2026,R1,black,20,60\n"
                 "01/28/2026,R1,Total,30,90\n"
                 "02/25/2026,R1,Total,40,120\n"
                 "03/25/2026,R1,Total,55,150\n")
    report = ingest(ws, "weekly", f, received_on=AS_OF)
    assert report.status == "applied" and report.rows_rejected == 0, report.summary()
    assert "increase since the last report of the period before" in report.summary()
    obs = load_observations(ws.engine, ["weekly_file"]).filter(pl.col("region") == "R1")
    got = {(r["period"], r["group"]): (r["numerator"], r["denominator"])
           for r in obs.iter_rows(named=True)}
    # January has no earlier report: unknown, not the cumulative count
    assert got == {("2026-02", "black"): (3, 15), ("2026-03", "black"): (8, 15),
                   ("2026-02", "all"): (10, 30), ("2026-03", "all"): (15, 30)}


def test_a_second_breakdown_is_a_filter(tmp_path: Path) -> None:
    t = _tables(header_row=1, notes_below="no", reports="single", period_format="%Y%m%d")
    t["feed_columns"].append(dict(feed_id="weekly", column="sex", type="string", required="yes",
                                  allowed="F;M"))
    t["kpis"].append(dict(kpi_id="weekly_women", name="Women", goal_id="g1", agency_id="ag1",
                          measure="proportion", direction="higher", grain="month",
                          feed_id="weekly", total_from="file", filter="sex = 'F'", unit="%"))
    ws = make_workspace(tmp_path / "ws", t)
    f = tmp_path / "by_sex.csv"
    f.write_text("date,region,group,sex,numerator,denominator\n"
                 "20260131,R1,black,F,3,10\n"
                 "20260131,R1,black,M,5,10\n"
                 "20260131,R1,Total,F,7,30\n"
                 "20260131,R1,Total,M,9,30\n")
    report = ingest(ws, "weekly", f, received_on=AS_OF)
    assert report.status == "applied" and report.rows_rejected == 0, report.summary()
    women = _obs(ws, "weekly_women")
    both = _obs(ws, "weekly_file")
    assert (women[("R1", "black")]["numerator"], women[("R1", "all")]["numerator"]) == (3, 7)
    assert (both[("R1", "black")]["numerator"], both[("R1", "all")]["numerator"]) == (8, 16)


def test_record_feed_dates_in_the_agencys_format(tmp_path: Path) -> None:
    t = base_tables()
    t["feed_shapes"] = [dict(feed_id="rec", period_format="%m/%d/%Y")]
    ws = make_workspace(tmp_path / "ws", t)
    f = tmp_path / "records.csv"
    f.write_text("case_id,person_id,event_date,region,group,paid,days\n"
                 "c1,p1,01/05/2026,R1,black,yes,10\n"
                 "c2,p2,01/20/2026,R1,white,yes,30\n"
                 "c3,p3,02/02/2026,R2,white,no,5\n"
                 "c4,p4,2026-02-03,R2,white,no,5\n")
    report = ingest(ws, "rec", f, received_on=AS_OF)
    assert report.status == "applied", report.summary()
    q = quarantine_report(ws, "rec")
    assert q.select("row_number", "column", "code").rows() == [(5, "event_date", "feed.bad_period")]
    assert "%m/%d/%Y" in q["message"][0]
    obs = load_observations(ws.engine, ["paid_share"]).filter(
        (pl.col("region") == "all") & (pl.col("group") == "all"))
    assert obs.select("period", "denominator").rows() == [("2026-01", 2.0)]


def test_indicators_in_column_names(tmp_path: Path) -> None:
    t = base_tables()
    t["feeds"].append(dict(feed_id="ind", name="Indicators", agency_id="ag1", kind="aggregate",
                           period_column="period", period_grain="month", region_column="region",
                           group_column="group", numerator_column="num",
                           denominator_column="den"))
    t["feed_columns"] += [
        dict(feed_id="ind", column="period", type="string", required="yes"),
        dict(feed_id="ind", column="region", type="string", required="yes"),
        dict(feed_id="ind", column="group", type="string", required="yes"),
        dict(feed_id="ind", column="indicator", type="string", required="yes",
             allowed="prenatal;lbw"),
        dict(feed_id="ind", column="num", type="int", required="no", min="0"),
        dict(feed_id="ind", column="den", type="int", required="no", min="0"),
    ]
    t["feed_shapes"] = [dict(feed_id="ind", wide_measures="num;den", wide_separator="_",
                             wide_into="indicator")]
    t["kpis"].append(dict(kpi_id="lbw", name="Low birth weight", goal_id="g1", agency_id="ag1",
                          measure="proportion", direction="lower", grain="month",
                          feed_id="ind", filter="indicator = 'lbw'", unit="%"))
    ws = make_workspace(tmp_path / "ws", t)
    f = tmp_path / "indicators.csv"
    f.write_text("period,region,group,num_prenatal,den_prenatal,num_lbw,den_lbw\n"
                 "2026-01,R1,black,61,78,9,80\n"
                 "2026-01,R1,white,70,90,6,91\n")
    report = ingest(ws, "ind", f, received_on=AS_OF)
    assert report.status == "applied" and report.rows_accepted == 4, report.summary()
    obs = _obs(ws, "lbw")
    assert (obs[("R1", "black")]["numerator"], obs[("R1", "black")]["denominator"]) == (9, 80)
    assert (obs[("R1", "all")]["numerator"], obs[("R1", "all")]["denominator"]) == (15, 171)


def test_the_files_all_regions_total(tmp_path: Path) -> None:
    t = _tables(header_row=1, notes_below="no", reports="single", region_total_code="Statewide")
    next(c for c in t["feed_columns"]
         if c["feed_id"] == "weekly" and c["column"] == "region")["required"] = "no"
    ws = make_workspace(tmp_path / "ws", t)
    f = tmp_path / "with_state.csv"
    f.write_text("date,region,group,numerator,denominator\n"
                 "01/31/2026,R1,black,3,10\n"
                 "01/31/2026,R1,Total,20,60\n"
                 "01/31/2026,R2,black,6,30\n"
                 "01/31/2026,R2,Total,10,40\n"
                 "01/31/2026,Statewide,black,11,50\n"
                 "01/31/2026,Statewide,Total,40,130\n")
    report = ingest(ws, "weekly", f, received_on=AS_OF)
    assert report.status == "applied" and report.rows_rejected == 0, report.summary()
    got = {k: (r["numerator"], r["denominator"]) for k, r in _obs(ws, "weekly_file").items()}
    assert got == {("R1", "black"): (3, 10), ("R2", "black"): (6, 30),
                   ("R1", "all"): (20, 60), ("R2", "all"): (10, 40),
                   ("all", "black"): (11, 50), ("all", "all"): (40, 130)}
    by_groups = {k: (r["numerator"], r["denominator"]) for k, r in _obs(ws, "weekly_groups").items()}
    assert by_groups[("all", "all")] == (9, 40) and by_groups[("R1", "all")] == (3, 10)


def test_all_regions_total_needs_an_optional_region_column(tmp_path: Path) -> None:
    found = _issues(tmp_path, _tables(region_total_code="Statewide"))
    assert any(m.startswith("feed_columns.csv, row ") and "'region' of feed 'weekly' is required"
               in m and "'Statewide'" in m for m in found)


def test_some_other_race_counts_in_the_total_never_as_a_group(tmp_path: Path) -> None:
    t = _tables(header_row=1, notes_below="no", reports="single", total_code="")
    t["kpis"] = [k for k in t["kpis"] if k["kpi_id"] != "weekly_file"]
    t["code_maps"] = [dict(feed_id="weekly", column="group", from_value="Some other race",
                           to_value="other")]
    ws = make_workspace(tmp_path / "ws", t)
    f = tmp_path / "other.csv"
    f.write_text("date,region,group,numerator,denominator\n"
                 "01/31/2026,R1,black,3,10\n"
                 "01/31/2026,R1,Some other race,2,5\n")
    report = ingest(ws, "weekly", f, received_on=AS_OF)
    assert report.status == "applied" and report.rows_rejected == 0, report.summary()
    assert "1 row(s) of 'Some other race'" in report.summary()
    got = {k: (r["numerator"], r["denominator"]) for k, r in _obs(ws, "weekly_groups").items()}
    assert got == {("R1", "black"): (3, 10), ("all", "black"): (3, 10),
                   ("R1", "all"): (5, 15), ("all", "all"): (5, 15)}


def test_other_is_a_code_for_shaped_feeds_only(tmp_path: Path) -> None:
    t = base_tables()
    t["code_maps"] = [dict(feed_id="agg", column="group", from_value="Other", to_value="other")]
    found = _issues(tmp_path, t)
    assert any(m.startswith("code_maps.csv, to_value: [definitions.unknown_reference] 'other'")
               for m in found), found


def test_a_file_without_the_declared_wide_columns_is_refused_whole(tmp_path: Path) -> None:
    t = _tables(header_row=1, notes_below="no", total_code="")
    t["kpis"] = [k for k in t["kpis"] if k["kpi_id"] != "weekly_file"]
    t["feed_columns"].append(dict(feed_id="weekly", column="race", type="string", required="no"))
    t["feed_shapes"][0].update(wide_measures="numerator;denominator", wide_into="race")
    ws = make_workspace(tmp_path / "ws", t)
    f = tmp_path / "long.csv"
    f.write_text("date,region,group,numerator,denominator\n01/31/2026,R1,black,3,10\n")
    report = ingest(ws, "weekly", f, received_on=AS_OF)
    assert report.status == "refused"
    msg = str(report.issues[0])
    assert msg.startswith("long.csv: [feed.shape] no column of the file is named numerator_…")
    assert "feed 'weekly' in feed_shapes.csv" in msg
