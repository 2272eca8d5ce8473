"""The data inventory: seeding, validation, "default is to share", version check, export."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlmodel import select

from metrics.access import operator
from metrics.governance.inventory import (
    InventoryError,
    StaleEdit,
    ensure_inventory,
    export_csv,
    get,
    inventory_frame,
    save_dataset,
)
from metrics.store.tables import AuditEntry
from metrics.workspace import Workspace

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _values(ws: Workspace, dsid: str) -> dict[str, object]:
    with ws.session() as s:
        d = get(s, dsid)
    assert d is not None
    return {k: getattr(d, k) for k in ("dataset_id", "title", "description", "source_system",
                                       "agency_id", "steward", "steward_email", "classification",
                                       "restricted", "restriction_citation", "legal_basis",
                                       "cadence", "feed_ids", "keywords")}


def test_seeded_once_from_feed_contracts(demo_copy: Path) -> None:
    ws = Workspace.open(demo_copy)
    with ws.session() as s:
        assert ensure_inventory(s, ws.register, at=AT) == len(ws.register.feeds)
        assert ensure_inventory(s, ws.register, at=AT) == 0
        frame = inventory_frame(s, ws.register)
    assert sorted(frame["dataset_id"]) == sorted(ws.register.feeds)
    row = frame.filter(pl.col("dataset_id") == "doc_releases").row(0, named=True)
    assert row["agency_id"] == "doc" and row["steward"] == ws.register.feeds["doc_releases"].steward
    assert row["steward_email"] == ws.register.agencies["doc"].lead_email
    assert row["classification"] == ws.register.feeds["doc_releases"].classification
    assert row["agreement_ids"] == "dsa-doc" and row["cadence"] == "monthly"
    assert "recidivism" in row["kpis"] and row["restricted"] is False


def test_restricted_without_citation_is_refused(demo_copy: Path) -> None:
    ws = Workspace.open(demo_copy)
    with ws.session() as s:
        ensure_inventory(s, ws.register, at=AT)
    v = _values(ws, "dhs_child_welfare") | {"restricted": True, "restriction_citation": "  "}
    with ws.session() as s, pytest.raises(InventoryError) as exc:
        save_dataset(s, ws.register, v, expected_version=1, by="steward", at=AT, acting=operator())
    assert any("legal citation" in p and "Default is to share" in p for p in exc.value.problems)
    with ws.session() as s:
        assert get(s, "dhs_child_welfare").restricted is False  # nothing saved
    v["restriction_citation"] = "42 U.S.C. 5106a(b)(2)(B)(viii) (CAPTA confidentiality)"
    with ws.session() as s:
        saved = save_dataset(s, ws.register, v, expected_version=1, by="steward", at=AT, acting=operator())
    assert saved.dataset.restricted and saved.dataset.version == 2
    with ws.session() as s:
        audit = s.exec(select(AuditEntry).where(AuditEntry.entity == "dataset")).all()
    assert [a.entity_id for a in audit] == ["dhs_child_welfare"]
    assert "restricted" in audit[0].detail


def test_every_problem_is_listed(demo_copy: Path) -> None:
    ws = Workspace.open(demo_copy)
    v = {"dataset_id": "Bad Id!", "title": "", "description": "", "agency_id": "nope",
         "steward": "", "steward_email": "not-an-email", "classification": "secret",
         "cadence": "weekly", "feed_ids": "doh_vital; ghost_feed", "keywords": ""}
    with ws.session() as s, pytest.raises(InventoryError) as exc:
        save_dataset(s, ws.register, v, expected_version=None, by="x", at=AT, acting=operator())
    text = " ".join(exc.value.problems)
    for bit in ("Identifier 'Bad Id!'", "Title is required", "Agency 'nope'", "Name the data steward",
                "'not-an-email'", "Classification 'secret'", "Cadence 'weekly'", "ghost_feed",
                "at least one keyword"):
        assert bit in text


def test_version_check_refuses_a_stale_edit(demo_copy: Path) -> None:
    ws = Workspace.open(demo_copy)
    with ws.session() as s:
        ensure_inventory(s, ws.register, at=AT)
    first = _values(ws, "dhs_snap") | {"title": "SNAP decisions (steward A)"}
    second = _values(ws, "dhs_snap") | {"title": "SNAP decisions (steward B)"}
    with ws.session() as s:
        save_dataset(s, ws.register, first, expected_version=1, by="a@state.gov", at=AT, acting=operator())
    with ws.session() as s, pytest.raises(StaleEdit, match="a@state.gov"):
        save_dataset(s, ws.register, second, expected_version=1, by="b@state.gov", at=AT, acting=operator())
    with ws.session() as s:
        d = get(s, "dhs_snap")
    assert d.title == "SNAP decisions (steward A)" and d.version == 2


def test_create_and_export(demo_copy: Path) -> None:
    ws = Workspace.open(demo_copy)
    v = {"dataset_id": "dhs_tanf", "title": "TANF caseload", "description": "Monthly caseload.",
         "source_system": "eligibility system", "agency_id": "dhs", "steward": "Nadia Haddad",
         "steward_email": "nadia.haddad@dhs.lakeland.gov", "classification": "public",
         "restricted": False, "restriction_citation": "", "legal_basis": "State Data Sharing Act",
         "cadence": "monthly", "feed_ids": "", "keywords": "TANF; caseload"}
    with ws.session() as s:
        ensure_inventory(s, ws.register, at=AT)
        saved = save_dataset(s, ws.register, v, expected_version=None, by="x", at=AT, acting=operator())
        assert saved.created and saved.dataset.version == 1
        with pytest.raises(InventoryError, match="already exists"):
            save_dataset(s, ws.register, v, expected_version=None, by="x", at=AT, acting=operator())
        csv = export_csv(s, ws.register)
    df = pl.read_csv(csv.encode(), infer_schema=False)
    assert df.height == len(ws.register.feeds) + 1
    assert df.filter(pl.col("dataset_id") == "dhs_tanf")["keywords"].item() == "TANF; caseload"
