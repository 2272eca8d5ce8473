"""The CDC AtlasPlus HIV example workspace, run on the real published file.

Source: CDC NCHHSTP AtlasPlus, HIV diagnoses by state x race/ethnicity x year,
2008-2022 (public domain).  The file is not part of the repository; these tests
skip when it is absent.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from metrics.engine import load_observations
from metrics.ingest import ingest, quarantine_report
from metrics.workspace import Workspace
from tests.examples.realdata import real_file

ROOT = Path(__file__).resolve().parents[2]
FILE = "cdc_atlasplus_hiv_diagnoses_state_race_2008-2022.csv"
REAL, skip_without_file = real_file(FILE, "CDC AtlasPlus")
pytestmark = skip_without_file


@pytest.fixture(scope="module")
def cdc(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("cdc") / "ws"
    shutil.copytree(ROOT / "examples" / "cdc-hiv", root)
    ws = Workspace.open(root, f"sqlite:///{root / 'statdesk.db'}")
    ws.init_db()
    report = ingest(ws, "cdc_hiv", REAL, received_on=date(2026, 11, 25))
    return ws, report


def test_defects_are_reported_by_code_and_the_rest_applies(cdc) -> None:  # type: ignore[no-untyped-def]
    ws, report = cdc
    raw = pl.read_csv(REAL, infer_schema=False)
    assert report.status == "applied"
    assert report.rows_total == raw.height
    codes = report.error_counts()
    # "Data not available" cases and territories with population "NA"
    assert set(codes) == {"feed.not_available"}
    na_rows = raw.filter((pl.col("Cases") == "Data not available") | (pl.col("Population") == "NA"))
    assert report.rows_rejected == na_rows.height
    assert report.rows_accepted == raw.height - na_rows.height
    q = quarantine_report(ws, "cdc_hiv")
    assert set(q["value"].unique().to_list()) == {"Data not available", "NA"}


def test_covid_labelled_year_and_thousands_separators_are_parsed(cdc) -> None:  # type: ignore[no-untyped-def]
    ws, _ = cdc
    obs = load_observations(ws.engine, ["hiv_diagnoses"])
    assert sorted(obs["period"].unique().to_list()) == [str(y) for y in range(2008, 2023)]
    # Alabama, White, 2022: 167 cases of 2,819,309 people (thousands separators in the file)
    al = obs.filter((pl.col("period") == "2022") & (pl.col("region") == "01")
                    & (pl.col("group") == "white")).row(0, named=True)
    assert al["numerator"] == 167 and al["denominator"] == 2_819_309
    assert al["value"] == pytest.approx(167 / 2_819_309 * 100_000)


def test_rates_match_cases_over_population_for_every_accepted_row(cdc) -> None:  # type: ignore[no-untyped-def]
    ws, _ = cdc
    obs = load_observations(ws.engine, ["hiv_diagnoses"]).filter(
        (pl.col("region") != "all") & (pl.col("group") != "all"))
    groups = {"American Indian/Alaska Native": "aian", "Asian": "asian",
              "Black/African American": "black", "Hispanic/Latino": "hispanic",
              "Native Hawaiian/Other Pacific Islander": "nhpi", "White": "white",
              "Multiracial": "multiracial"}
    raw = (pl.read_csv(REAL, infer_schema=False)
           .filter((pl.col("Cases") != "Data not available") & (pl.col("Population") != "NA"))
           .select(pl.col("Year").str.slice(0, 4).alias("period"), pl.col("FIPS").alias("region"),
                   pl.col("Race/Ethnicity").replace_strict(groups).alias("group"),
                   pl.col("Cases").str.replace_all(",", "").cast(pl.Float64).alias("cases"),
                   pl.col("Population").str.replace_all(",", "").cast(pl.Float64).alias("pop"),
                   pl.col("Rate per 100000").cast(pl.Float64, strict=False).alias("published")))
    joined = raw.join(obs, on=["period", "region", "group"], how="left")
    assert joined["value"].null_count() == 0, "every accepted row has an observation"
    exact = joined.select(
        (pl.col("value") - pl.col("cases") / pl.col("pop") * 100_000).abs().max()).item()
    assert exact < 1e-9
    # CDC publishes rates rounded to one decimal
    diff = joined.filter(pl.col("published").is_not_null()).select(
        (pl.col("value") - pl.col("published")).abs().max()).item()
    assert diff <= 0.05 + 1e-9


def test_statewide_rates_are_recomputed_from_counts(cdc) -> None:  # type: ignore[no-untyped-def]
    ws, _ = cdc
    obs = load_observations(ws.engine, ["hiv_diagnoses"])
    inner = obs.filter((pl.col("region") != "all") & (pl.col("group") != "all"))
    nat = inner.filter(pl.col("period") == "2022").select(
        pl.col("numerator").sum(), pl.col("denominator").sum()).row(0)
    top = obs.filter((pl.col("period") == "2022") & (pl.col("region") == "all")
                     & (pl.col("group") == "all")).row(0, named=True)
    assert top["numerator"] == nat[0] and top["denominator"] == nat[1]
    assert top["value"] == pytest.approx(nat[0] / nat[1] * 100_000)
