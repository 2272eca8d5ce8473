"""The demo state has the shape a results office would recognise."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlmodel import select

from metrics.engine import load_observations
from metrics.groups import GROUP_CODES
from metrics.ingest import quarantine_report
from metrics.store.tables import Batch, FeedMonth
from metrics.workspace import Workspace


@pytest.fixture(scope="module")
def ws(demo_workspace: Path) -> Workspace:
    return Workspace.open(demo_workspace, database_url=f"sqlite:///{demo_workspace / 'statdesk.db'}")


@pytest.fixture(scope="module")
def obs(ws: Workspace) -> pl.DataFrame:
    return load_observations(ws.engine)


def test_register_shape(ws: Workspace) -> None:
    reg = ws.register
    assert len(reg.agencies) >= 6
    assert len(reg.priorities) == 5
    assert len(reg.kpis) == 20
    assert sorted(reg.regions) == [f"R{i:02d}" for i in range(1, 11)]
    assert all(reg.priority_of(k) for k in reg.kpis.values())
    assert {k.agency_id for k in reg.kpis.values()} <= set(reg.agencies)


def test_regions_have_polygons(ws: Workspace) -> None:
    gj = ws.register.geojson
    assert gj is not None and gj["type"] == "FeatureCollection"
    by_id = {f["properties"]["region_id"]: f for f in gj["features"]}
    assert sorted(by_id) == sorted(ws.register.regions)
    for f in by_id.values():
        assert f["geometry"]["type"] == "Polygon"
        ring = f["geometry"]["coordinates"][0]
        assert len(ring) >= 4 and ring[0] == ring[-1]


def test_36_months(obs: pl.DataFrame) -> None:
    months = obs.filter(pl.col("kpi_id") == "prenatal_care")["period"].unique().sort()
    assert months.len() == 36
    assert (months[0], months[-1]) == ("2023-11", "2026-10")


def test_groups_spd15_with_multiracial_and_unknown(obs: pl.DataFrame) -> None:
    groups = set(obs.filter(pl.col("kpi_id") == "prenatal_care")["group"].unique())
    assert groups == {*GROUP_CODES, "all"}
    assert {"aian", "asian", "black", "hispanic", "mena", "nhpi", "white"} < groups
    assert {"multiracial", "unknown"} < groups


def test_record_level_and_linked_kpis(ws: Workspace, obs: pl.DataFrame) -> None:
    reg = ws.register
    record_feeds = [f for f in reg.feeds.values() if f.kind == "record"]
    assert record_feeds
    linked = [k for k in reg.kpis.values() if k.link is not None]
    assert [k.kpi_id for k in linked] == ["training_employment"]
    link = linked[0].link
    assert link is not None and link.window_days > 0 and reg.feeds[link.feed_id].kind == "record"
    o = obs.filter((pl.col("kpi_id") == "training_employment") & (pl.col("region") == "all")
                   & (pl.col("group") == "all"))
    assert o.height > 0 and (o["value"] > 0).all() and (o["value"] < 100).all()
    medians = obs.filter(pl.col("kpi_id") == "ui_median_days")
    assert medians.height > 0 and medians["numerator"].null_count() == medians.height


def test_a_batch_with_quarantined_rows(ws: Workspace) -> None:
    q = quarantine_report(ws)
    assert set(q["feed_id"]) == {"doe_students"}
    assert {"feed.unknown_region", "feed.unknown_group", "feed.bad_period", "feed.bad_number",
            "feed.negative_value", "feed.numerator_exceeds_denominator", "feed.missing_value",
            "feed.duplicate_key"} <= set(q["code"])
    with ws.session() as s:
        b = s.get(Batch, int(q["batch_id"][0]))
    assert b is not None and b.status == "applied" and b.rows_rejected == 10
    assert b.rows_accepted > 0


def test_small_cells_are_unreliable_in_small_regions(obs: pl.DataFrame) -> None:
    cells = obs.filter((pl.col("region") != "all") & (pl.col("group") != "all"))
    small = cells.filter(pl.col("region") == "R07")  # Pine Hills, 42,000 people
    big = obs.filter((pl.col("region") == "all") & (pl.col("group") == "all")
                     & (pl.col("kpi_id") == "prenatal_care"))
    assert small.filter(~pl.col("reliable")).height > 0
    assert big["reliable"].all()
    unreliable = cells.filter(~pl.col("reliable") & pl.col("events").is_not_null())
    assert (unreliable["events"] < 20).mean() > 0.5  # type: ignore[operator]


def test_late_feed_expired_agreement_private_kpi_and_targets(ws: Workspace) -> None:
    reg = ws.register
    with ws.session() as s:
        last = {fm.feed_id: fm.month for fm in s.exec(select(FeedMonth).order_by(FeedMonth.month))}
    assert last["hfa_evictions"] == date(2026, 8, 1)
    assert last["doh_vital"] == date(2026, 10, 1)
    assert reg.agreements["dsa-doc"].status == "expired"
    assert reg.agreements["dsa-doc"].expires is not None
    assert reg.agreements["dsa-doc"].expires < date(2026, 11, 25)
    assert not reg.kpis["repeat_maltreatment"].public
    for kid in ("ui_weekly_benefit", "eviction_filings"):
        t = reg.target_for(kid)
        assert t is None or not t.agreed
    assert sum(1 for k in reg.kpis if (t := reg.target_for(k)) is not None and t.agreed) == 18
