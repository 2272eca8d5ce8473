"""Faults users meet: a database down or busy, a full disk, two people editing the same
record, and typed text that looks like HTML. Each gives a clear message, and nothing is
lost or half-applied."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from streamlit.testing.v1 import AppTest

from metrics import audit
from metrics import commitments as cm
from metrics.access import operator
from metrics.governance import inventory as inv
from metrics.ingest import ingest
from metrics.store.tables import Commitment
from metrics.workspace import Workspace
from tests.apptest import PlainTable, frames
from tests.conftest import ROOT
from tests.pg import db_url, pg_server  # noqa: F401 - fixtures
from tests.workspace_factory import AS_OF, agg_rows, make_workspace, write_feed

STATDESK = Path(sys.executable).parent / "statdesk"
TABLES = ("batch", "feedmonth", "observation", "quarantinerow", "auditentry")
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nope"
XSS = "<script>alert(1)</script><b>x</b>"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("STATDESK_DATABASE_URL", "STATDESK_SQLITE_BUSY_TIMEOUT_MS")}
    env.update(extra)
    return env


def _statdesk(*args: str, env: dict[str, str] | None = None, preexec: Any = None
              ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(STATDESK), *args], env=env or _env(), capture_output=True,
                          text=True, timeout=180, preexec_fn=preexec)


def _state(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    with ws.engine.connect() as c:
        out = {t: [tuple(r) for r in c.exec_driver_sql(f"SELECT * FROM {t} ORDER BY id")]
               for t in TABLES}
    ws.engine.dispose()
    return out


def _stored_files(ws: Workspace) -> set[Path]:
    return {p.relative_to(ws.feed_store) for p in ws.feed_store.rglob("*")}


def _ingest_cli(ws: Workspace, feed: str, path: Path, **kw: Any) -> subprocess.CompletedProcess[str]:
    return _statdesk("ingest", feed, str(path), "--workspace", str(ws.root), "--as-of",
                     AS_OF.isoformat(), "--by", "tester", **kw)


@pytest.fixture()
def loaded(tmp_path: Path) -> tuple[Workspace, Path]:
    """A workspace with January applied, and a file revising January and adding February."""
    ws = make_workspace(tmp_path / "ws")
    assert ingest(ws, "agg", write_feed(tmp_path / "jan.csv", agg_rows(["2026-01"])),
                  received_by="tester", received_on=AS_OF).status == "applied"
    ws.engine.dispose()
    revised = agg_rows(["2026-01", "2026-02"], num=lambda t, i, j: 20 + t + i + j)
    return ws, write_feed(tmp_path / "revised.csv", revised)


# --- the database cannot be reached -------------------------------------------------------


def test_unreachable_database_gives_a_message_not_a_traceback(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    proc = _statdesk("status", "--workspace", str(ws.root),
                     env=_env(STATDESK_DATABASE_URL=UNREACHABLE))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "cannot open the database 127.0.0.1:1/nope" in proc.stderr
    assert "Connection refused" in proc.stderr or "connection failed" in proc.stderr
    assert "Check STATDESK_DATABASE_URL" in proc.stderr


def test_app_says_the_database_cannot_be_reached(demo_workspace: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    monkeypatch.setenv("STATDESK_WORKSPACE", str(demo_workspace))
    monkeypatch.setenv("STATDESK_DATABASE_URL", UNREACHABLE)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    assert errors[0].startswith("The database cannot be reached:")
    assert "Check STATDESK_DATABASE_URL" in errors[0] and "127.0.0.1" in errors[0]
    assert not at.dataframe and not at.get("plotly_chart")
    st.cache_resource.clear()


# --- the database is locked by another writer ----------------------------------------------


def test_busy_database_refuses_cleanly_then_a_rerun_applies(loaded: tuple[Workspace, Path]) -> None:
    ws, path = loaded
    before, files = _state(ws), _stored_files(ws)
    holder = sqlite3.connect(ws.root / "statdesk.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another program is writing
        holder.execute("INSERT INTO auditentry (at, actor, action, entity, entity_id, detail) "
                       "VALUES ('2026-11-25 00:00:00', 'other', 'update', 'x', '1', '')")
        proc = _ingest_cli(ws, "agg", path, env=_env(STATDESK_SQLITE_BUSY_TIMEOUT_MS="200"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "the database is busy" in proc.stderr and "try again" in proc.stderr
    assert "Nothing was applied" in proc.stderr
    assert _state(ws) == before  # no batch, no orphan month or observation, no audit entry
    assert _stored_files(ws) == files  # the staged Parquet files were removed

    again = _ingest_cli(ws, "agg", path)
    assert again.returncode == 0, again.stderr
    assert "Batch 2 applied to feed 'agg': 18 of 18 rows accepted" in again.stdout
    after = _state(ws)
    assert [r[0] for r in after["batch"]] == [1, 2]
    assert {r for r in after["feedmonth"] if r[3] == 2}  # both months now from batch 2
    with ws.session() as s:
        log = audit.entries(s, entity="batch")
    assert [(e.entity_id, e.actor, e.action) for e in log] == [("2", "tester", "ingest"),
                                                                ("1", "tester", "ingest")]
    assert log[0].detail.startswith("applied agg revised.csv: 18 of 18 rows accepted")
    ws.engine.dispose()


def test_busy_timeout_setting_must_be_a_number(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from metrics.store.db import busy_timeout_ms

    monkeypatch.setenv("STATDESK_SQLITE_BUSY_TIMEOUT_MS", "soon")
    with pytest.raises(ValueError, match="whole number of milliseconds, not 'soon'"):
        busy_timeout_ms()
    monkeypatch.setenv("STATDESK_SQLITE_BUSY_TIMEOUT_MS", "1500")
    assert busy_timeout_ms() == 1500
    monkeypatch.delenv("STATDESK_SQLITE_BUSY_TIMEOUT_MS")
    assert busy_timeout_ms() == 30000


# --- the disk fills -------------------------------------------------------------------------


def _small_disk() -> None:
    """In the child: files may not grow past 256 KiB, and a write past it fails (EFBIG)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))


def test_full_disk_refuses_cleanly_then_a_rerun_applies(loaded: tuple[Workspace, Path],
                                                        tmp_path: Path) -> None:
    ws, _ = loaded
    rows = [dict(case_id=uuid.uuid4().hex, person_id=uuid.uuid4().hex,
                 event_date=f"2026-01-{1 + i % 28:02d}", region="R1", group="white", paid="yes",
                 days=str(i % 50), amount=str(i), decided_date="", channel="web")
            for i in range(20_000)]  # ~1 MB of Parquet: larger than the disk allows
    path = write_feed(tmp_path / "records.csv", rows)
    before, files = _state(ws), _stored_files(ws)
    proc = _ingest_cli(ws, "rec", path, preexec=_small_disk)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "could not write the accepted rows" in proc.stderr and "disk full?" in proc.stderr
    assert "File too large" in proc.stderr and "Nothing was applied" in proc.stderr
    assert _state(ws) == before
    assert _stored_files(ws) - files <= {Path("rec")}  # the staging folder is gone

    again = _ingest_cli(ws, "rec", path)
    assert again.returncode == 0, again.stderr
    assert "20000 of 20000 rows accepted" in again.stdout
    assert any(p.suffix == ".parquet" for p in _stored_files(ws) - files)


# --- two people edit the same record ---------------------------------------------------------


def _commitment(ws: Workspace) -> int:
    with ws.session() as s:
        stat = cm.create_session(s, held_on=date(2026, 11, 20), period="2026-10", by="chief", acting=operator())
        c = cm.create_commitment(s, session_id=stat.id or 0, text="Open two more clinics",
                                 owner="Grace Kim", due_on=date(2026, 12, 15), by="chief", acting=operator())
        return c.id or 0


def _db(db_url: str, tmp_path: Path) -> Workspace:  # noqa: F811
    ws = Workspace.open(tmp_path / "ws", db_url)
    ws.init_db()
    return ws


def test_second_edit_from_the_same_version_is_refused(db_url: str, tmp_path: Path) -> None:  # noqa: F811
    ws = _db(db_url, tmp_path)
    cid = _commitment(ws)
    alice, bob = ws.session(), ws.session()
    seen_a, seen_b = alice.get(Commitment, cid), bob.get(Commitment, cid)
    assert seen_a is not None and seen_b is not None and seen_a.version == seen_b.version == 1
    cm.update_status(alice, cid, status="in progress", note="site chosen", by="alice",
                     expected_version=seen_a.version, as_of=AS_OF, acting=operator())
    with pytest.raises(cm.StaleEdit, match=r"changed by alice at .* reload and try again"):
        cm.update_status(bob, cid, status="done", note="all done", by="bob",
                         expected_version=seen_b.version, as_of=AS_OF, acting=operator())
    alice.close()
    bob.close()
    with ws.session() as s:
        now = s.get(Commitment, cid)
        assert now is not None and (now.status, now.version, now.closed_on) == ("in progress", 2, None)
        assert [(h.updated_by, h.note) for h in cm.history(s, cid)] == [("alice", "site chosen")]
        log = audit.entries(s, entity="commitment")
    assert [(e.action, e.actor) for e in log] == [("update", "alice"), ("create", "chief")]
    assert log[0].detail == "status open -> in progress (version 2): site chosen"
    ws.engine.dispose()


def test_edit_racing_another_write_is_refused(db_url: str, tmp_path: Path) -> None:  # noqa: F811
    """Carol's change lands between Bob's check of the version and his write."""
    ws = _db(db_url, tmp_path)
    cid = _commitment(ws)
    other = Workspace.open(ws.root, db_url)
    raced: list[str] = []

    def carol_writes_first(_conn, _cursor, statement, *_rest) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE COMMITMENT") and not raced:
            raced.append(statement)
            with other.session() as s2:
                cm.update_status(s2, cid, status="dropped", note="merged into #2", by="carol",
                                 expected_version=1, as_of=AS_OF, acting=operator())

    event.listen(ws.engine, "before_cursor_execute", carol_writes_first)
    with ws.session() as bob, pytest.raises(cm.StaleEdit, match="changed by carol"):
        cm.update_status(bob, cid, status="done", note="finished", by="bob", expected_version=1,
                         as_of=AS_OF, acting=operator())
    event.remove(ws.engine, "before_cursor_execute", carol_writes_first)
    assert raced
    with ws.session() as s:
        now = s.get(Commitment, cid)
        assert now is not None and (now.status, now.version) == ("dropped", 2)
        assert [h.updated_by for h in cm.history(s, cid)] == ["carol"]
        updates = [e.actor for e in audit.entries(s, entity="commitment") if e.action == "update"]
    assert updates == ["carol"]
    other.engine.dispose()
    ws.engine.dispose()


def test_second_inventory_save_from_the_same_version_is_refused(db_url: str,  # noqa: F811
                                                                 tmp_path: Path) -> None:
    make_workspace(tmp_path / "ws").engine.dispose()  # the definitions
    ws = _db(db_url, tmp_path)
    at = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    with ws.session() as s:
        assert inv.ensure_inventory(s, ws.register, at=at) == 3
        start = inv.get(s, "agg")
        assert start is not None
        values = {k: getattr(start, k) for k in inv.EDITABLE} | {
            "dataset_id": "agg", "steward": "Sam Steward", "steward_email": "steward@ag1.gov"}
    with ws.session() as first:
        inv.save_dataset(first, ws.register, values | {"title": "Aggregate feed (monthly)"},
                         expected_version=1, by="steward.one", at=at, acting=operator())
    with ws.session() as second, pytest.raises(inv.StaleEdit, match="saved by steward.one"):
        inv.save_dataset(second, ws.register, values | {"title": "Something else"},
                         expected_version=1, by="steward.two", at=at, acting=operator())
    with ws.session() as s:
        now = inv.get(s, "agg")
        assert now is not None and (now.title, now.version, now.updated_by) == (
            "Aggregate feed (monthly)", 2, "steward.one")
    ws.engine.dispose()


# --- typed text that looks like HTML -----------------------------------------------------------


def _unsafe(at: AppTest) -> list[str]:
    """Bodies of Markdown shown with HTML allowed, and HTML elements, that contain the text."""
    out = [m.value for kind in ("markdown", "caption") for m in at.get(kind)
           if getattr(m.proto, "allow_html", False) and ("<script" in m.value or "<b>x" in m.value)]
    out += [str(h.proto) for h in at.get("html") if "<script" in str(h.proto)]
    return out


@pytest.fixture()
def xss_ws(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Workspace, int]:
    import streamlit as st

    monkeypatch.setenv("STATDESK_WORKSPACE", str(demo_copy))
    monkeypatch.setenv("STATDESK_AS_OF", "2026-11-25")
    monkeypatch.delenv("STATDESK_DATABASE_URL", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    ws = Workspace.open(demo_copy)
    with ws.session() as s:
        stat = cm.create_session(s, held_on=date(2026, 11, 20), period="2026-10", by="chief",
                                 register=ws.register, acting=operator())
        cm.create_commitment(s, session_id=stat.id or 0, text=XSS, owner="<i>Grace</i>",
                             due_on=date(2026, 12, 15), kpi_ids=["fafsa_completion"],
                             by="chief", register=ws.register, acting=operator())
    ws.engine.dispose()
    return ws, stat.id or 0


def test_commitment_text_is_shown_as_text(xss_ws: tuple[Workspace, int]) -> None:
    _, sid = xss_ws
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120).run()
    at.query_params["session"] = str(sid)
    at.switch_page("views/commitments.py").run()
    assert not at.exception, [e.value for e in at.exception]
    tables = [t for t in frames(at) if isinstance(t, PlainTable)]
    cells = [str(v) for t in tables for v in t.text.to_numpy().ravel()]
    shown = [c for c in cells if "script" in c]
    assert shown, cells
    for cell in shown:  # the characters appear as they are, as text
        assert cell == XSS
    markup = "".join(e.proto.body for e in at.get("html"))
    assert "<script>" not in markup and "&lt;script&gt;" in markup  # no tag is rendered
    assert any(c.replace("\\", "") == "<i>Grace</i>" for c in cells)
    assert _unsafe(at) == []

    at.switch_page("views/kpi.py")
    at.query_params["id"] = "fafsa_completion"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    found = [d for d in frames(at) if "Commitment" in d.value.columns]
    tables = [d.value for d in found]
    assert len(tables) == 1 and list(tables[0]["Commitment"]) == [XSS]  # the data, unchanged
    # shown as text: the characters appear, no tag is rendered
    cells = [str(v) for v in found[0].text.to_numpy().ravel()]
    assert XSS in cells and "<script>" not in "".join(e.proto.body for e in at.get("html"))
    assert list(tables[0]["Owner"]) == ["<i>Grace</i>"]
    assert _unsafe(at) == []


# --- every change leaves its trace, written with it ----------------------------------------


def test_every_change_is_in_the_audit_log(demo_copy: Path, tmp_path: Path) -> None:
    from metrics.annotations import AnnotationError, add_annotation
    from metrics.publish.snapshot import build_snapshot

    ws = Workspace.open(demo_copy)
    with ws.session() as s:
        before = {e.id for e in audit.entries(s)}
    at = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    with ws.session() as s:
        stat = cm.create_session(s, held_on=date(2026, 11, 20), period="2026-10", by="chief",
                                 register=ws.register, at=at, acting=operator())
        c = cm.create_commitment(s, session_id=stat.id or 0, text="Run FAFSA nights",
                                 owner="Grace Kim", due_on=date(2026, 12, 15),
                                 kpi_ids=["fafsa_completion"], by="chief", register=ws.register,
                                 at=at, acting=operator())
        sid, cid = stat.id, c.id
        cm.update_status(s, c.id or 0, status="done", note="held in 40 schools", by="lead",
                         expected_version=1, as_of=AS_OF, at=at, acting=operator())
        a = add_annotation(s, kpi_id="fafsa_completion", on_date=date(2026, 9, 1), kind="policy",
                           text="New outreach rule", by="analyst", register=ws.register, at=at, acting=operator())
        aid = a.id
        with pytest.raises(AnnotationError):  # refused: nothing written, no audit entry
            add_annotation(s, kpi_id="fafsa_completion", on_date=None, kind="policy", text="",
                           by="analyst", register=ws.register, at=at, acting=operator())
    bad = tmp_path / "bad.csv"
    bad.write_text("this,is,not,the,contract\n1,2,3,4,5\n")
    refused = ingest(ws, "doe_students", bad, received_by="loader@doe", received_on=AS_OF)
    assert refused.status == "refused" and refused.batch_id is not None
    pub = build_snapshot(ws, tmp_path / "site", as_of=AS_OF, published_by="chief",
                         kpi_ids=["graduation_rate"], published_at=at, acting=operator())
    with ws.session() as s:
        new = [(e.actor, e.action, e.entity, e.entity_id, e.detail)
               for e in sorted(audit.entries(s), key=lambda e: e.id or 0)
               if e.id not in before]  # in the order the changes were made
    assert [row[:4] for row in new] == [
        ("chief", "create", "session", str(sid)),
        ("chief", "create", "commitment", str(cid)),
        ("lead", "update", "commitment", str(cid)),
        ("analyst", "create", "annotation", str(aid)),
        ("loader@doe", "ingest", "batch", str(refused.batch_id)),
        ("chief", "publish", "publication", pub.version),
    ]
    assert new[0][4] == "held 2026-11-20, reviewing 2026-10, focus all"
    assert new[1][4] == "session #1, owner Grace Kim, due 2026-12-15: Run FAFSA nights"
    assert new[2][4] == "status open -> done (version 2): held in 40 schools"
    assert new[3][4] == "fafsa_completion 2026-09-01 policy: New outreach rule"
    assert new[4][4].startswith("refused doe_students bad.csv:") and "nothing applied" in new[4][4]
    assert new[5][4].endswith(f"sha256={pub.manifest_hash}")
    ws.engine.dispose()
