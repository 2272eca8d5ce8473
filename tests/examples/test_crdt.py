"""The COVID Racial Data Tracker example workspace, run on the real published file.

Source: The COVID Tracking Project at The Atlantic, COVID Racial Data Tracker, final
release (CC BY 4.0): one row per state per report date, twice a week, cumulative counts,
race and ethnicity as column suffixes.  The file is not part of the repository; these
tests skip when it is absent.  StatDesk ingests it through ``examples/crdt/definitions``
alone (``feed_shapes.csv``): nothing is reshaped outside StatDesk.

Every expected figure below is recomputed here from the file with plain Polars: the last
report of each state in each month, Deaths_X / Cases_X x 100.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from metrics.engine import load_observations
from metrics.engine.file_totals import coverage
from metrics.ingest import ingest, quarantine_report
from metrics.workspace import Workspace
from tests.examples.realdata import real_file

ROOT = Path(__file__).resolve().parents[2]
FILE = "ctp_crdt_state_race_2020-04-12_2021-03-07.csv"
REAL, skip_without_file = real_file(FILE, "CRDT")
pytestmark = skip_without_file
KPI = "covid_deaths_per_case"


@pytest.fixture(scope="module")
def crdt(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("crdt") / "ws"
    shutil.copytree(ROOT / "examples" / "crdt", root)
    ws = Workspace.open(root, f"sqlite:///{root / 'statdesk.db'}")
    ws.init_db()
    report = ingest(ws, "crdt", REAL, received_on=date(2026, 11, 25))
    ethnicity = ingest(ws, "crdt_ethnicity", REAL, received_on=date(2026, 11, 25))
    assert ethnicity.status == "applied", ethnicity.summary()
    return ws, report


def _last_reports() -> pl.DataFrame:
    """The file's last report of each state in each month, counts as numbers."""
    raw = pl.read_csv(REAL, infer_schema=False)
    d = pl.col("Date").str.to_date("%Y%m%d")
    return (raw.with_columns(d.alias("_d"), d.dt.strftime("%Y-%m").alias("period"))
            .filter(pl.col("_d") == pl.col("_d").max().over("State", "period"))
            .with_columns([pl.col(c).cast(pl.Float64) for c in raw.columns
                           if c.startswith(("Cases_", "Deaths_"))]))


def test_the_file_goes_in_through_definitions_alone(crdt) -> None:  # type: ignore[no-untyped-def]
    ws, report = crdt
    assert report.status == "applied", report.summary()
    assert report.rows_accepted > 4000
    text = report.summary()
    # the cumulative reading and what was left out are said, with the file's own words
    assert "last report of each period is used" in text
    assert "Cases_Ethnicity_Hispanic" in text and "code_maps.csv" in text
    assert "of 'Other' (mapped to 'other': no SPD 15 category) count in the all-groups" in text
    # the only rows refused are real defects of the file, each named by its row and column
    q = quarantine_report(ws, "crdt")
    assert set(q["code"].unique().to_list()) <= {"feed.zero_denominator",
                                                 "feed.numerator_exceeds_denominator",
                                                 "feed.negative_value"}
    raw = pl.read_csv(REAL, infer_schema=False).with_row_index("row", offset=2)
    for r in q.iter_rows(named=True):
        src = raw.filter(pl.col("row") == r["row_number"]).row(0, named=True)
        assert r["column"] in src, r  # a column of the file, e.g. Cases_Asian
        assert src[r["column"]] == r["value"] or r["value"] in src.values(), r


def test_every_state_month_all_groups_is_the_files_own_total(crdt) -> None:  # type: ignore[no-untyped-def]
    ws, _ = crdt
    obs = load_observations(ws.engine, [KPI]).filter(
        (pl.col("region") != "all") & (pl.col("group") == "all"))
    want = (_last_reports()
            .filter(pl.col("Cases_Total").is_not_null() & pl.col("Deaths_Total").is_not_null())
            .filter(pl.col("Cases_Total") > 0)
            .select("period", pl.col("State").alias("region"),
                    (pl.col("Deaths_Total") / pl.col("Cases_Total") * 100).alias("want"),
                    pl.col("Deaths_Total").alias("deaths"), pl.col("Cases_Total").alias("cases")))
    got = obs.join(want, on=["period", "region"], how="full", coalesce=True)
    assert got.height == want.height > 500
    assert got.filter(pl.col("value").is_null() | pl.col("want").is_null()).height == 0
    diff = (got["value"] - got["want"]).abs().max()
    assert diff is not None and float(diff) < 1e-9  # type: ignore[arg-type]
    assert (got["numerator"] == got["deaths"]).all() and (got["denominator"] == got["cases"]).all()
    # the figures: New York 2.89 deaths per 100 cases, not 0.35 rebuilt from groups
    ny = got.filter((pl.col("region") == "NY") & (pl.col("period") == "2021-03")).row(0, named=True)
    assert round(ny["value"], 2) == 2.89


def test_national_figure_is_the_sum_of_the_states_totals(crdt) -> None:  # type: ignore[no-untyped-def]
    ws, _ = crdt
    obs = load_observations(ws.engine, [KPI]).filter(
        (pl.col("region") == "all") & (pl.col("group") == "all"))
    # Idaho's report of 2020-04-29 has 60 deaths and 0 cases: quarantined, not in the sum
    lr = _last_reports().filter(pl.col("Cases_Total").is_not_null()
                                & pl.col("Deaths_Total").is_not_null() & (pl.col("Cases_Total") > 0))
    q = quarantine_report(ws, "crdt").filter(pl.col("column") == "Cases_Total")
    assert q.select("code", "value").rows() == [("feed.zero_denominator", "0")]
    want = lr.group_by("period").agg(pl.col("Deaths_Total").sum(), pl.col("Cases_Total").sum())
    got = obs.join(want, on="period")
    assert got.height == obs.height == 12
    assert ((got["value"] - got["Deaths_Total"] / got["Cases_Total"] * 100).abs() < 1e-9).all()
    march = got.filter(pl.col("period") == "2021-03").row(0, named=True)
    assert round(march["value"], 2) == 1.82  # not 1.72 as rebuilt from the race groups


def test_every_state_month_black_is_deaths_black_over_cases_black(crdt) -> None:  # type: ignore[no-untyped-def]
    ws, _ = crdt
    obs = load_observations(ws.engine, [KPI]).filter(
        (pl.col("region") != "all") & (pl.col("group") == "black"))
    want = (_last_reports()
            .filter(pl.col("Cases_Black").is_not_null() & pl.col("Deaths_Black").is_not_null()
                    & (pl.col("Cases_Black") > 0) & (pl.col("Deaths_Black") <= pl.col("Cases_Black")))
            .select("period", pl.col("State").alias("region"),
                    (pl.col("Deaths_Black") / pl.col("Cases_Black") * 100).alias("want")))
    got = obs.join(want, on=["period", "region"], how="full", coalesce=True)
    assert got.height == want.height > 400
    assert got.filter(pl.col("value").is_null() | pl.col("want").is_null()).height == 0
    assert ((got["value"] - got["want"]).abs() < 1e-9).all()


def test_groups_coverage_of_the_files_total(crdt) -> None:  # type: ignore[no-untyped-def]
    ws, _ = crdt
    cov = coverage(load_observations(ws.engine, [KPI]))
    ny = cov.filter((pl.col("region") == "NY") & (pl.col("period") == "2021-03")).row(0, named=True)
    lr = _last_reports().filter((pl.col("State") == "NY") & (pl.col("period") == "2021-03")).row(
        0, named=True)
    groups = ("White", "Black", "Latinx", "Asian", "AIAN", "NHPI", "Multiracial", "Unknown")
    cases = sum(lr[f"Cases_{g}"] for g in groups if lr[f"Cases_{g}"] is not None
                and lr[f"Deaths_{g}"] is not None)
    assert ny["total"] == lr["Cases_Total"]
    assert ny["coverage"] == pytest.approx(cases / lr["Cases_Total"])


def test_implausible_figures_are_findings_and_never_reliable(crdt) -> None:  # type: ignore[no-untyped-def]
    from metrics.governance.quality import PROBLEM, WARNING, kpi_quality

    ws, _ = crdt
    obs = load_observations(ws.engine, [KPI])
    # Texas, Asian residents: the file gives more than 90 deaths per 100 cases
    tx = obs.filter((pl.col("region") == "TX") & (pl.col("group") == "asian")
                    & (pl.col("period") == "2021-03")).row(0, named=True)
    assert tx["value"] > 90 and tx["reliable"] is False
    assert obs.filter(pl.col("value") > 20)["reliable"].sum() == 0  # kpis.csv: 0 to 20
    checks = {c.check: c for c in kpi_quality(ws.register, obs, KPI).checks}
    rng = checks["Plausible values"]
    assert rng.status in (WARNING, PROBLEM)
    assert rng.detail is not None and rng.detail.height == obs.filter(pl.col("value") > 20).height
    assert "outside the plausible range 0.00 per 100 cases to 20.00 per 100 cases" in rng.finding
    cov = checks["Groups cover the total"]
    want = coverage(obs).filter((pl.col("period") == "2021-03") & (pl.col("region") == "all"))
    share = want["coverage"][0]
    assert 0 < share < 1
    assert f"In 2021-03 the groups cover {share:.0%} of the file's total" in cov.finding
    low = coverage(obs).filter((pl.col("period") == "2021-03") & (pl.col("region") != "all")
                               ).sort("coverage").row(0, named=True)
    assert f"lowest: {ws.register.region_name(low['region'])}, {low['coverage']:.0%}" in cov.finding
    assert cov.status == (WARNING if min(share, low["coverage"]) < 0.9 else "ok")


def test_kpi_page_says_how_race_was_asked(crdt, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    ws, _ = crdt
    monkeypatch.setenv("STATDESK_WORKSPACE", str(ws.root))
    monkeypatch.setenv("STATDESK_AS_OF", "2021-04-15")
    monkeypatch.delenv("STATDESK_DATABASE_URL", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=600)
    at.run()
    at.query_params["id"] = KPI
    at.switch_page("views/kpi.py").run()
    assert not at.exception
    notes = [i.value for i in at.info]
    assert any("race alone: Hispanic or Latino ethnicity was asked as a separate question" in n
               for n in notes), notes
    warnings = " ".join(w.value for w in at.warning)
    assert "Plausible values:" in warnings and "groups cover" in warnings


def test_ethnicity_asked_apart_from_race_is_a_kpi_of_its_own(crdt) -> None:  # type: ignore[no-untyped-def]
    from metrics.race_standards import race_standard_note

    ws, _ = crdt
    obs = load_observations(ws.engine, ["covid_deaths_per_case_ethnicity"])
    assert set(obs["group"].unique().to_list()) == {"all", "hispanic", "unknown"}
    lr = _last_reports().with_columns([pl.col(c).cast(pl.Float64) for c in (
        "Cases_Ethnicity_NonHispanic", "Deaths_Ethnicity_NonHispanic")])
    want = (lr.filter((pl.col("Cases_Ethnicity_Hispanic") > 0)
                      & pl.col("Deaths_Ethnicity_Hispanic").is_not_null()
                      & (pl.col("Deaths_Ethnicity_Hispanic") <= pl.col("Cases_Ethnicity_Hispanic")))
            .select("period", pl.col("State").alias("region"),
                    (pl.col("Deaths_Ethnicity_Hispanic") / pl.col("Cases_Ethnicity_Hispanic")
                     * 100).alias("want")))
    got = obs.filter((pl.col("group") == "hispanic") & (pl.col("region") != "all")).join(
        want, on=["period", "region"], how="full", coalesce=True)
    assert got.height == want.height > 300
    assert ((got["value"] - got["want"]).abs() < 1e-9).all()
    # California, March 2021: the three answers add up to the all-groups figure
    ca = lr.filter((pl.col("State") == "CA") & (pl.col("period") == "2021-03")).row(0, named=True)
    cases = sum(ca[f"Cases_Ethnicity_{e}"] for e in ("Hispanic", "NonHispanic", "Unknown"))
    row = obs.filter((pl.col("region") == "CA") & (pl.col("group") == "all")
                     & (pl.col("period") == "2021-03")).row(0, named=True)
    assert row["denominator"] == cases
    note = race_standard_note(ws.register.feeds["crdt_ethnicity"].race_standard)
    assert note is not None and "asked as a separate question from race" in note
