"""Roles on the demo register: every listing and lookup, for every role."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from metrics.access import (
    AREAS,
    ROLES,
    AccessError,
    Viewer,
    can_edit,
    can_open,
    can_see_feed,
    can_see_kpi,
    filter_kpi_ids,
    filter_observations,
    local_viewer,
    visible_feeds,
    visible_kpis,
)
from metrics.definitions import Register
from metrics.engine import load_observations
from metrics.workspace import Workspace

STAFF = Viewer("chief@gov.lakeland.gov", "governor_staff")
ADMIN = Viewer("it@gov.lakeland.gov", "admin")
DOH = Viewer("amara.osei@health.lakeland.gov", "agency_lead", "doh")
DHS = Viewer("nadia.haddad@dhs.lakeland.gov", "agency_lead", "dhs")
STEWARD = Viewer("cdo@gov.lakeland.gov", "data_steward")


@pytest.fixture(scope="module")
def ws(demo_workspace: Path) -> Workspace:
    return Workspace.open(demo_workspace, f"sqlite:///{demo_workspace / 'statdesk.db'}")


@pytest.fixture(scope="module")
def reg(ws: Workspace) -> Register:
    return ws.register


def _ids(kpis: list) -> set[str]:  # type: ignore[type-arg]
    return {k.kpi_id for k in kpis}


def test_demo_register_has_what_the_role_tests_rely_on(reg: Register) -> None:
    assert len(reg.kpis) == 20
    assert reg.kpis["repeat_maltreatment"].public is False
    assert reg.kpis["repeat_maltreatment"].agency_id == "dhs"
    assert {k.agency_id for k in reg.kpis.values()} >= {"doh", "dhs", "dlw"}


@pytest.mark.parametrize("viewer", [STAFF, ADMIN, local_viewer()], ids=["staff", "admin", "local"])
def test_staff_and_admin_see_every_kpi_and_feed(reg: Register, viewer: Viewer) -> None:
    assert _ids(visible_kpis(reg, viewer)) == set(reg.kpis)
    assert [f.feed_id for f in visible_feeds(reg, viewer)] == list(reg.feeds)
    assert all(can_see_kpi(reg, viewer, k) for k in reg.kpis)


def test_agency_lead_sees_own_kpis_and_public_ones_only(reg: Register) -> None:
    doh = _ids(visible_kpis(reg, DOH))
    expected = {k.kpi_id for k in reg.kpis.values() if k.public or k.agency_id == "doh"}
    assert doh == expected
    assert "repeat_maltreatment" not in doh  # DHS's non-public KPI
    assert not can_see_kpi(reg, DOH, "repeat_maltreatment")
    assert {k.kpi_id for k in reg.kpis.values() if k.agency_id == "doh"} <= doh
    dhs = _ids(visible_kpis(reg, DHS))
    assert "repeat_maltreatment" in dhs
    assert can_see_kpi(reg, DHS, "repeat_maltreatment")
    assert doh - dhs == set() and dhs - doh == {"repeat_maltreatment"}


def test_agency_lead_sees_own_agency_feeds_only(reg: Register) -> None:
    feeds = visible_feeds(reg, DOH)
    assert feeds and {f.agency_id for f in feeds} == {"doh"}
    assert {f.feed_id for f in feeds} == {f.feed_id for f in reg.feeds.values() if f.agency_id == "doh"}
    assert can_see_feed(reg, DOH, "doh_overdose")
    assert not can_see_feed(reg, DOH, "dhs_child_welfare")
    assert can_see_feed(reg, DHS, "dhs_child_welfare")


def test_data_steward_sees_public_kpis_every_feed_and_the_catalog(reg: Register) -> None:
    assert _ids(visible_kpis(reg, STEWARD)) == {k.kpi_id for k in reg.kpis.values() if k.public}
    assert not can_see_kpi(reg, STEWARD, "repeat_maltreatment")
    assert len(visible_feeds(reg, STEWARD)) == len(reg.feeds)
    assert can_open(STEWARD, "catalog") and not can_open(STEWARD, "publish")


@pytest.mark.parametrize("viewer", [STAFF, ADMIN, DOH, DHS, STEWARD])
def test_unknown_kpi_is_never_visible(reg: Register, viewer: Viewer) -> None:
    assert not can_see_kpi(reg, viewer, "no_such_kpi")
    assert filter_kpi_ids(["no_such_kpi", "repeat_maltreatment"], reg, viewer) == (
        ["repeat_maltreatment"] if viewer.role in ("governor_staff", "admin") or viewer is DHS else [])


@pytest.mark.parametrize("viewer", [STAFF, ADMIN, DOH, DHS, STEWARD])
def test_filter_observations_matches_visible_kpis(ws: Workspace, reg: Register, viewer: Viewer) -> None:
    obs = load_observations(ws.engine)
    assert obs.height > 0 and set(obs["kpi_id"].unique()) == set(reg.kpis)
    out = filter_observations(obs, reg, viewer)
    assert set(out["kpi_id"].unique()) == _ids(visible_kpis(reg, viewer))
    assert out.columns == obs.columns
    # every row of a visible KPI is kept, unchanged
    keep = obs.filter(pl.col("kpi_id").is_in(sorted(_ids(visible_kpis(reg, viewer)))))
    assert out.height == keep.height


def test_filter_observations_on_empty_frame(reg: Register) -> None:
    empty = pl.DataFrame(schema={"kpi_id": pl.String, "value": pl.Float64})
    assert filter_observations(empty, reg, DOH).height == 0


def test_can_edit_by_role() -> None:
    for v in (STAFF, ADMIN):
        assert can_edit(v, "commitment", "doh") and can_edit(v, "commitment")
    assert can_edit(DOH, "commitment", "doh")
    assert not can_edit(DOH, "commitment", "dhs")
    assert not can_edit(DOH, "commitment")  # a commitment with no agency belongs to staff
    assert not can_edit(STEWARD, "commitment", "doh")
    for v, ok in ((STEWARD, True), (ADMIN, True), (STAFF, False), (DOH, False)):
        assert can_edit(v, "catalog") is ok
        assert can_edit(v, "dataset") is ok
        assert can_edit(v, "agreement") is ok
    for v in (STAFF, DOH, STEWARD):
        assert not can_edit(v, "users")
    assert can_edit(ADMIN, "users")
    assert not can_edit(ADMIN, "no_such_entity")


def test_every_role_opens_the_kpi_page_and_only_staff_publish() -> None:
    for role in ROLES:
        v = Viewer("x@y.gov", role, "doh" if role == "agency_lead" else "")
        assert can_open(v, "kpi")
        assert can_open(v, "publish") is (role in ("governor_staff", "admin"))
    assert not can_open(STAFF, "no-such-page")
    assert set(AREAS) >= {"session", "kpi", "agency", "catalog", "publish", "admin"}


def test_viewer_rejects_bad_role_and_lead_without_agency() -> None:
    with pytest.raises(AccessError, match="unknown role 'boss'"):
        Viewer("x@y.gov", "boss")
    with pytest.raises(AccessError, match="without an agency"):
        Viewer("x@y.gov", "agency_lead")


def test_viewer_labels() -> None:
    assert local_viewer().label == "Local mode"
    assert local_viewer().role == "governor_staff" and local_viewer().local
    assert DOH.label == "amara.osei@health.lakeland.gov (Agency lead, doh)"
    assert Viewer("a@b.gov", "admin", name="Ada").label == "Ada (Administrator)"


def test_only_admins_open_the_admin_area() -> None:
    for role in ROLES:
        v = Viewer("x@y.gov", role, "doh" if role == "agency_lead" else "")
        assert can_open(v, "admin") is (role == "admin")
    assert AREAS["admin"] == frozenset({"admin"})


def test_local_mode_opens_every_area() -> None:
    """One person on their own computer: every page, including users and the audit log."""
    local = local_viewer()
    assert local.role == "governor_staff"
    for area in AREAS:
        assert can_open(local, area)
    assert can_open(local, "admin") and not can_open(STAFF, "admin")


def test_one_name_for_the_person_in_the_audit_log(monkeypatch: pytest.MonkeyPatch) -> None:
    from metrics.access import LOCAL_ACTOR, command_actor

    assert local_viewer().actor == LOCAL_ACTOR == "local user"
    assert Viewer(email="ana@doh.gov", role="governor_staff", name="Ana").actor == "ana@doh.gov"
    assert Viewer(email="", role="governor_staff", name="Ana").actor == "Ana"
    monkeypatch.setenv("USER", "jdoe")
    assert (command_actor("  pat "), command_actor("")) == ("pat", "jdoe")
    monkeypatch.delenv("USER")
    assert command_actor() == LOCAL_ACTOR
