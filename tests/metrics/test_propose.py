"""Proposing a feed from a sample file: the library, and ``statdesk feeds propose``."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from metrics.access import operator
from metrics.cli import app
from metrics.definitions import validate
from metrics.ingest.propose import first_observations, propose, write_proposal
from tests.workspace_factory import base_tables, write_definitions

SAMPLE = """Department of Health: monthly outcomes by race
Counts under 5 are suppressed (shown as *).
Report date,County,Race/Ethnicity,Outcomes,Population
03/31/2026,R1,White,40,1000
03/31/2026,R1,Black or African American,12,400
03/31/2026,R1,Hispanic or Latino,*,300
03/31/2026,R1,Some other race,7,90
03/31/2026,R1,All races,70,1800
03/31/2026,R2,White,30,900
03/31/2026,R2,Black or African American,9,200
03/31/2026,R2,All races,45,1200
"""


@pytest.fixture()
def sample(tmp_path: Path) -> Path:
    f = tmp_path / "doh_outcomes.csv"
    f.write_text(SAMPLE)
    return f


def test_proposal_reads_the_files_layout(sample: Path) -> None:
    p = propose(sample, "doh", numerator="Outcomes", denominator="Population",
                regions=["R1", "R2", "R3"])
    assert p.feed["period_column"] == "Report date" and p.feed["region_column"] == "County"
    assert p.feed["group_column"] == "Race/Ethnicity"
    assert (p.feed["numerator_column"], p.feed["denominator_column"]) == ("Outcomes", "Population")
    assert p.shape is not None
    assert p.shape["header_row"] == 3 and p.shape["period_format"] == "%m/%d/%Y"
    assert p.shape["total_code"] == "All races" and p.shape["suppressed"] == "*"
    codes = {m["from_value"]: m["to_value"] for m in p.code_maps}
    assert codes == {"White": "white", "Black or African American": "black",
                     "Hispanic or Latino": "hispanic", "Some other race": "other"}
    # where StatDesk is not sure, it says so rather than deciding silently
    assert any("'Some other race'" in q and "no SPD 15 category" in q for q in p.questions)
    types = {c["column"]: (c["type"], c["required"]) for c in p.columns}
    assert types["Outcomes"] == ("int", "no") and types["Population"] == ("int", "no")


def test_first_observations_of_the_proposal(sample: Path) -> None:
    p = propose(sample, "doh", numerator="Outcomes", denominator="Population",
                regions=["R1", "R2", "R3"])
    obs, summary = first_observations(p, sample)
    got = {(r["region"], r["group"]): r["value"] for r in obs.iter_rows(named=True)}
    assert got[("R1", "white")] == pytest.approx(4.0)
    assert not any(g == "other" for _, g in got)  # "Some other race" is never a group
    assert got[("R1", "all")] == pytest.approx(70 / 1800 * 100, abs=0.01)  # the file's total
    assert ("R1", "hispanic") not in got  # suppressed by the agency: no figure, not zero
    assert "1 value(s) marked as suppressed by the agency" in summary


def test_cli_proposes_and_writes_only_when_asked(sample: Path, tmp_path: Path) -> None:
    tables = base_tables()
    defs = write_definitions(tmp_path / "ws" / "definitions", tables)
    before = (defs / "feeds.csv").read_text()
    runner = CliRunner()
    args = ["feeds", "propose", str(sample), "--feed-id", "doh", "--agency", "ag1",
            "--numerator", "Outcomes", "--denominator", "Population", "-w", str(tmp_path / "ws")]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    assert "feed_shapes.csv:" in out.output and "First observations" in out.output
    assert "Nothing written" in out.output
    assert (defs / "feeds.csv").read_text() == before
    out = runner.invoke(app, [*args, "--write"], input="n\n")
    assert "Nothing written." in out.output and (defs / "feeds.csv").read_text() == before
    out = runner.invoke(app, [*args, "--write", "--yes"])
    assert out.exit_code == 0, out.output
    register, issues = validate(defs)
    assert register is not None, [str(i) for i in issues if i.level == "error"]
    feed = register.feeds["doh"]
    assert feed.shape is not None and feed.shape.total_code == "All races"
    # a second time the feed exists: refused, nothing written
    again = runner.invoke(app, [*args, "--write", "--yes"])
    assert again.exit_code != 0 and "already has a feed 'doh'" in again.output


def test_write_refuses_an_existing_feed_and_writes_nothing(sample: Path, tmp_path: Path) -> None:
    defs = write_definitions(tmp_path / "defs", base_tables())
    p = propose(sample, "agg")
    before = {f.name: f.read_text() for f in defs.iterdir()}
    with pytest.raises(ValueError, match="already has a feed 'agg'"):
        write_proposal(p, defs, acting=operator())
    assert {f.name: f.read_text() for f in defs.iterdir()} == before


ROOT = Path(__file__).resolve().parents[2]
CRDT = "ctp_crdt_state_race_2020-04-12_2021-03-07.csv"
PLACES = [Path(p) for p in (os.environ.get("STATDESK_REALDATA", ""),) if p] + [
    ROOT.parent / "shared" / "realdata"]
REAL = next((d / CRDT for d in PLACES if (d / CRDT).exists()), PLACES[0] / CRDT)


@pytest.mark.skipif(not REAL.exists(), reason=f"real CRDT file {CRDT} not found (looked in "
                    f"{', '.join(str(d) for d in PLACES)}; set STATDESK_REALDATA)")
def test_proposal_for_the_real_crdt_file_matches_the_example() -> None:
    p = propose(REAL, "crdt", numerator="Deaths", denominator="Cases")
    example = pl.read_csv(ROOT / "examples" / "crdt" / "definitions" / "feed_shapes.csv",
                          infer_schema=False).filter(pl.col("feed_id") == "crdt").row(0, named=True)
    assert p.shape is not None
    for key in ("period_format", "reports", "wide_into", "total_code"):
        assert p.shape[key] == example[key], key
    assert set(p.shape["wide_measures"].split(";")) == {"Cases", "Deaths"}
    maps = pl.read_csv(ROOT / "examples" / "crdt" / "definitions" / "code_maps.csv",
                       infer_schema=False).filter(pl.col("feed_id") == "crdt")
    assert {(m["from_value"], m["to_value"]) for m in p.code_maps} == set(
        maps.select("from_value", "to_value").rows())
    assert any("separate Hispanic-ethnicity question" in q for q in p.questions)
