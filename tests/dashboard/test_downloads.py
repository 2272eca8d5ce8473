"""Downloads hold exactly the rows and columns of the tables shown (read back with Polars)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard import downloads as D
from metrics.engine import load_observations
from metrics.feedstate import feed_through, last_batches, quarantined
from metrics.scorecard import kpi_status, scorecard
from metrics.targets import trajectory
from metrics.workspace import Workspace
from tests.conftest import AS_OF


@pytest.fixture(scope="module")
def demo(demo_workspace: Path) -> tuple[Workspace, pl.DataFrame, dict[str, date]]:
    ws = Workspace.open(demo_workspace)
    with ws.session() as s:
        through = feed_through(s, ws.register)
    return ws, load_observations(ws.engine), through


def _read_csv(data: bytes, like: pl.DataFrame) -> pl.DataFrame:
    assert data.startswith(b"\xef\xbb\xbf")
    schema = {c: (pl.String if isinstance(t, pl.List) else t) for c, t in like.schema.items()}
    return pl.read_csv(io.BytesIO(data[3:]), schema=schema)


def test_scorecard_csv_and_xlsx_hold_exactly_the_rows_shown(demo) -> None:
    ws, obs, through = demo
    statuses = scorecard(ws.register, obs, month="2026-10", as_of=AS_OF, feed_through=through)
    shown = D.scorecard_table([s for s in statuses if s.priority_id == "housing"], ws.register,
                              month="2026-10", trends=D.sparklines(obs, date(2026, 10, 31)))
    assert shown.height == 4
    back = _read_csv(D.to_csv(shown), shown)
    assert back.columns == shown.columns
    assert_frame_equal(back.drop("Trend"), shown.drop("Trend"))
    trend = shown.row(0, named=True)["Trend"]
    assert len(trend) == 12
    assert back.row(0, named=True)["Trend"] == "; ".join(str(v) for v in trend)

    book = D.to_xlsx({"Scorecard": shown})
    sheet = pl.read_excel(io.BytesIO(book), sheet_name="Scorecard")
    assert sheet.columns == shown.columns
    assert sheet.get_column("KPI id").to_list() == shown.get_column("KPI id").to_list()
    assert sheet.get_column("Status").to_list() == shown.get_column("Status").to_list()
    assert [d if d is None else d.date() if isinstance(d, datetime) else d
            for d in sheet.get_column("Data current through").to_list()] == \
        shown.get_column("Data current through").to_list()


def test_kpi_tables_round_trip_through_one_workbook(demo) -> None:
    ws, obs, through = demo
    reg = ws.register
    kpi = reg.kpis["prenatal_care"]
    o = obs.filter(pl.col("kpi_id") == "prenatal_care")
    ks = kpi_status(reg, o, kpi, month="2026-10", as_of=AS_OF, detail=True,
                    feed_through=through)
    target = reg.target_for("prenatal_care")
    long = D.region_group_long(o, reg, kpi, ks.period)
    frames = {
        "Trend": D.trend_table(o, kpi, target, through=date(2026, 10, 31)),
        "Regions": D.region_table(o, reg, kpi, ks.period, statuses=ks.region_status),
        "Groups": D.group_table(o, kpi, ks.period, statuses=ks.group_status),
        "Region by group": D.region_group_wide(long, kpi),
        "Statuses": D.breakdown_status_table(ks, reg),
    }
    trend = frames["Trend"]
    assert trend.height == 36
    expected = trajectory(target, trend.get_column("Period end").to_list())
    assert trend.get_column("Target trajectory").to_list() == [round(v, 1) for v in expected]
    regions = frames["Regions"]
    assert regions.get_column("Rank").to_list() == list(range(1, 11))
    values = regions.get_column("Value").to_list()
    assert values == sorted(values, reverse=True)  # higher is better: best first
    groups = frames["Groups"]
    assert groups.filter(pl.col("Reference") != "").get_column("Group").to_list() == ["Asian"]
    assert frames["Region by group"].height == 10

    book = D.to_xlsx(frames)
    for name, shown in frames.items():
        back = pl.read_excel(io.BytesIO(book), sheet_name=name)
        assert back.columns == shown.columns, name
        assert back.height == shown.height, name
        first = shown.columns[0]
        assert back.get_column(first).cast(pl.String).to_list() == \
            shown.get_column(first).cast(pl.String).to_list(), name
        csv = _read_csv(D.to_csv(shown), shown)
        assert_frame_equal(csv, shown, check_dtypes=False)


def test_feed_health_marks_the_late_feed(demo) -> None:
    ws, _obs, through = demo
    with ws.session() as s:
        last, held = last_batches(s), quarantined(s)
    table = D.feed_health_table(ws.register, ["hfa_evictions", "hfa_homelessness", "doe_students"],
                                through=through, last=last, quarantined=held, as_of=AS_OF)
    rows = {r["Feed id"]: r for r in table.iter_rows(named=True)}
    assert rows["hfa_evictions"]["Freshness"] == "late"
    assert rows["hfa_homelessness"]["Freshness"] == "on time"
    assert rows["doe_students"]["Rows quarantined"] == held["doe_students"] > 0
    assert rows["hfa_evictions"]["Next expected"] < AS_OF
    back = _read_csv(D.to_csv(table), table)
    assert_frame_equal(back, table)
    never = D.feed_health_table(ws.register, ["hfa_evictions"], through={}, last={},
                                quarantined={}, as_of=AS_OF)
    assert never.row(0, named=True)["Freshness"] == "late: nothing received"


@dataclass
class _Commitment:
    id: int
    text: str
    owner: str
    due_on: date
    status: str = "open"
    kpi_ids: str = "prenatal_care;infant_mortality"
    overdue: bool = False
    days_overdue: int = 0


def test_commitments_table_lists_each_commitment_once() -> None:
    a = _Commitment(1, "Mobile clinics", "A. Osei", date(2026, 12, 31))
    b = _Commitment(2, "Send the file", "T. Whitehorse", date(2026, 11, 1), overdue=True,
                    days_overdue=24)
    table = D.commitments_table([a, b, a])  # a is linked to two KPIs
    assert table.get_column("Commitment").to_list() == ["Mobile clinics", "Send the file"]
    assert table.get_column("Overdue").to_list() == ["", "24 days overdue"]
    assert table.row(0, named=True)["KPIs"] == "prenatal_care, infant_mortality"
    back = _read_csv(D.to_csv(table), table)
    assert_frame_equal(back, table)


def test_kpi_url_and_sheet_names() -> None:
    assert D.kpi_url("prenatal_care", "2026-10") == "kpi?id=prenatal_care&month=2026-10"
    assert D.kpi_url("x") == "kpi?id=x"
    long_name = "A very long table name that Excel would refuse: yes"
    book = D.to_xlsx({long_name: pl.DataFrame({"a": [1]})})
    sheets = pl.read_excel(io.BytesIO(book), sheet_id=0)
    assert list(sheets) == ["A very long table name that Exc"]
