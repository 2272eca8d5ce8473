"""Stat sessions and commitments on a real SQLite database (migrated with Alembic)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlmodel import Session, select

from metrics import commitments as cm
from metrics.access import operator
from metrics.annotations import list_annotations
from metrics.definitions import Register
from metrics.store import make_engine
from metrics.store.tables import Annotation, Commitment, CommitmentUpdate, StatSession

AS_OF = date(2026, 11, 25)


def _session(s: Session, register: Register, held_on: date = date(2026, 10, 14), **kw: str) -> StatSession:
    return cm.create_session(s, held_on=held_on, period=kw.pop("period", "2026-09"), by="ana",
                             register=register, **kw, acting=operator())


def _commit(s: Session, register: Register, session_id: int, **kw: object) -> Commitment:
    args: dict[str, object] = {"text": "Open three prenatal clinics", "owner": "Dr. Amara Osei",
                               "due_on": date(2026, 11, 15), "kpi_ids": ["prenatal_care"], "by": "ana"}
    args.update(kw)
    return cm.create_commitment(s, session_id=session_id, register=register, **args, acting=operator())  # type: ignore[arg-type]


def test_create_session_validates_and_lists_latest_first(session: Session, register: Register) -> None:
    first = _session(session, register, date(2026, 9, 9), period="2026-08")
    second = _session(session, register, date(2026, 10, 14), focus_kind="agency", focus_id="doh")
    assert [x.id for x in cm.list_sessions(session)] == [second.id, first.id]
    assert second.created_at is not None and second.created_at.tzinfo is not None
    with pytest.raises(cm.CommitmentError) as err:
        cm.create_session(session, held_on=date(2026, 10, 1), period="Oct 2026", focus_kind="agency",
                          focus_id="nope", register=register, acting=operator())
    assert set(err.value.problems) == {"period", "focus_id"}
    assert "YYYY-MM" in err.value.problems["period"] and "doh" in err.value.problems["focus_id"]
    assert len(cm.list_sessions(session)) == 2


def test_create_commitment_refuses_bad_input_and_writes_nothing(session: Session,
                                                                 register: Register) -> None:
    stat = _session(session, register)
    with pytest.raises(cm.CommitmentError) as err:
        _commit(session, register, stat.id, text="  ", owner="", due_on=date(2026, 10, 1),
                kpi_ids="prenatal_care;not_a_kpi")
    problems = err.value.problems
    assert set(problems) == {"text", "owner", "due_on", "kpi_ids"}
    assert "before the session" in problems["due_on"] and "14 Oct 2026" in problems["due_on"]
    assert "not_a_kpi" in problems["kpi_ids"] and "prenatal_care" not in problems["kpi_ids"]
    assert isinstance(err.value, ValueError)
    assert session.exec(select(Commitment)).all() == []
    with pytest.raises(cm.CommitmentError, match="no stat session #999"):
        _commit(session, register, 999)


def test_commitment_takes_its_agency_from_the_first_kpi(session: Session, register: Register) -> None:
    stat = _session(session, register)
    c = _commit(session, register, stat.id, kpi_ids="fafsa_completion;prenatal_care")
    assert (c.agency_id, c.kpi_ids, c.status, c.version) == ("doe", "fafsa_completion;prenatal_care",
                                                             "open", 1)
    assert c.created_at is not None and c.created_at.tzinfo is not None


def test_stale_version_is_refused_with_who_and_when(session: Session, register: Register) -> None:
    stat = _session(session, register)
    c = _commit(session, register, stat.id)
    at = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)
    cm.update_status(session, c.id, status="in progress", note="two sites leased", by="bo@health.gov",
                     expected_version=1, as_of=date(2026, 11, 20), at=at, acting=operator())
    with pytest.raises(cm.StaleEdit) as err:
        cm.update_status(session, c.id, status="dropped", note="no money", by="cy",
                         expected_version=1, as_of=date(2026, 11, 21), acting=operator())
    msg = str(err.value)
    assert "was changed by bo@health.gov at 20 Nov 2026 14:05" in msg and "reload and try again" in msg
    fresh = session.get(Commitment, c.id, populate_existing=True)
    assert (fresh.status, fresh.version, fresh.closed_on) == ("in progress", 2, None)
    notes = session.exec(select(CommitmentUpdate)).all()
    assert [(n.status, n.note) for n in notes] == [("in progress", "two sites leased")]


def test_stale_edit_from_another_connection_is_refused(session: Session, register: Register,
                                                       tmp_path: Path) -> None:
    stat = _session(session, register)
    c = _commit(session, register, stat.id)
    session.get(Commitment, c.id)  # this session now holds version 1 in memory
    other = make_engine(f"sqlite:///{tmp_path / 'statdesk.db'}")
    with Session(other) as s2:
        cm.update_status(s2, c.id, status="in progress", note="from elsewhere", by="dee",
                         expected_version=1, as_of=AS_OF, acting=operator())
    other.dispose()
    with pytest.raises(cm.StaleEdit, match="changed by dee"):
        cm.update_status(session, c.id, status="done", note="", by="ana", expected_version=1,
                         as_of=AS_OF, acting=operator())


def test_update_status_validation(session: Session, register: Register) -> None:
    stat = _session(session, register)
    c = _commit(session, register, stat.id)
    with pytest.raises(cm.CommitmentError, match="one of open, in progress, done, dropped"):
        cm.update_status(session, c.id, status="finished", by="a", expected_version=1, as_of=AS_OF, acting=operator())
    with pytest.raises(cm.CommitmentError, match="already 'open'"):
        cm.update_status(session, c.id, status="open", note=" ", by="a", expected_version=1, as_of=AS_OF, acting=operator())
    with pytest.raises(cm.CommitmentError, match="no commitment #404"):
        cm.update_status(session, 404, status="done", by="a", expected_version=1, as_of=AS_OF, acting=operator())
    assert session.get(Commitment, c.id, populate_existing=True).version == 1


def test_closing_records_the_date_and_annotates_each_linked_kpi(session: Session,
                                                               register: Register) -> None:
    stat = _session(session, register)
    c = _commit(session, register, stat.id, kpi_ids=["prenatal_care", "infant_mortality"])
    done = cm.update_status(session, c.id, status="done", note="clinics open", by="bo",
                            expected_version=1, as_of=date(2026, 11, 3), acting=operator())
    assert (done.status, done.closed_on, done.version) == ("done", date(2026, 11, 3), 2)
    for kpi in ("prenatal_care", "infant_mortality"):
        notes = list_annotations(session, kpi)
        assert [(a.kind, a.on_date, a.commitment_id) for a in notes] == [
            ("commitment", date(2026, 11, 3), c.id)]
        assert "Open three prenatal clinics" in notes[0].text
    assert list_annotations(session, "fafsa_completion") == []
    # re-opening clears the closing date; closing again does not annotate twice per close
    reopened = cm.update_status(session, c.id, status="open", note="one clinic closed", by="bo",
                                expected_version=2, as_of=date(2026, 11, 10), acting=operator())
    assert reopened.closed_on is None
    assert len(session.exec(select(Annotation)).all()) == 2


def test_overdue_depends_on_as_of(session: Session, register: Register) -> None:
    stat = _session(session, register)
    a = _commit(session, register, stat.id, due_on=date(2026, 11, 15))
    b = _commit(session, register, stat.id, due_on=date(2026, 12, 1), text="Second")
    assert cm.overdue(session, date(2026, 11, 15)) == []
    late = cm.overdue(session, date(2026, 11, 16))
    assert [(v.id, v.days_overdue) for v in late] == [(a.id, 1)]
    assert [v.id for v in cm.overdue(session, date(2026, 12, 5))] == [a.id, b.id]
    cm.update_status(session, a.id, status="done", note="", by="x", expected_version=1,
                     as_of=date(2026, 11, 20), acting=operator())
    assert [v.id for v in cm.overdue(session, date(2026, 12, 5))] == [b.id]


def test_open_by_kpi(session: Session, register: Register) -> None:
    stat = _session(session, register)
    a = _commit(session, register, stat.id, kpi_ids="prenatal_care;infant_mortality")
    b = _commit(session, register, stat.id, kpi_ids="prenatal_care", text="Second")
    cm.update_status(session, b.id, status="dropped", note="merged into #1", by="x",
                     expected_version=1, as_of=AS_OF, acting=operator())
    found = cm.open_by_kpi(session, AS_OF)
    assert {k: [v.id for v in vs] for k, vs in found.items()} == {
        "prenatal_care": [a.id], "infant_mortality": [a.id]}
    view = found["prenatal_care"][0]
    assert view.kpi_ids == "prenatal_care;infant_mortality"
    assert view.kpis == ("prenatal_care", "infant_mortality")
    assert (view.overdue, view.days_overdue) == (True, 10)  # due 15 Nov, as of 25 Nov


def test_carried_forward_until_closed_and_by_focus(session: Session, register: Register) -> None:
    s1 = _session(session, register, date(2026, 9, 9), period="2026-08")
    a = _commit(session, register, s1.id, due_on=date(2026, 10, 1), kpi_ids="prenatal_care")
    b = _commit(session, register, s1.id, due_on=date(2026, 10, 1), kpi_ids="fafsa_completion",
                text="FAFSA nights")
    closed = _commit(session, register, s1.id, due_on=date(2026, 10, 1), text="Closed early")
    cm.update_status(session, closed.id, status="done", note="", by="x", expected_version=1,
                     as_of=date(2026, 9, 30), acting=operator())
    s2 = _session(session, register, date(2026, 10, 14))
    own = _commit(session, register, s2.id)
    carried = cm.carried_forward(session, s2.id)
    assert [v.id for v in carried] == [a.id, b.id]
    assert all(v.overdue and v.days_overdue == 13 for v in carried)  # judged on the session's date
    assert own.id not in [v.id for v in carried]
    assert cm.carried_forward(session, s1.id) == []
    # a focused session gets only its agency's commitments
    s3 = _session(session, register, date(2026, 11, 18), focus_kind="agency", focus_id="doe")
    assert [v.id for v in cm.carried_forward(session, s3.id, register=register)] == [b.id]
    # once closed it no longer comes back at later sessions
    cm.update_status(session, b.id, status="done", note="", by="x", expected_version=1,
                     as_of=date(2026, 11, 1), acting=operator())
    assert cm.carried_forward(session, s3.id, register=register) == []
    assert b.id in [v.id for v in cm.carried_forward(session, s2.id)]  # it was open then


def _obs(kpi: str, rows: list[tuple[str, date, float, float, float]]) -> pl.DataFrame:
    return pl.DataFrame([{"kpi_id": kpi, "period": p, "period_end": e, "region": "all",
                          "group": "all", "value": v, "ci_low": lo, "ci_high": hi}
                         for p, e, v, lo, hi in rows])


def _view(session: Session, register: Register, closed_on: date) -> cm.CommitmentView:
    stat = _session(session, register, date(2026, 5, 12), period="2026-04")
    c = _commit(session, register, stat.id, due_on=date(2026, 7, 1))
    cm.update_status(session, c.id, status="done", note="", by="x", expected_version=1, as_of=closed_on, acting=operator())
    return cm.list_commitments(session, as_of=AS_OF)[0]


def test_did_it_move_compares_before_and_after_with_intervals(session: Session,
                                                             register: Register) -> None:
    obs = _obs("prenatal_care", [
        ("2026-03", date(2026, 3, 31), 70.0, 69.0, 71.0),
        ("2026-04", date(2026, 4, 30), 71.0, 70.0, 72.0),  # last before 12 May
        ("2026-06", date(2026, 6, 30), 90.0, 89.0, 91.0),  # before closing: ignored
        ("2026-07", date(2026, 7, 31), 74.0, 73.0, 75.0),
        ("2026-09", date(2026, 9, 30), 75.5, 74.5, 76.5),  # latest within 3 months of 20 Jul
        ("2026-10", date(2026, 10, 31), 80.0, 79.0, 81.0),  # past the window
    ])
    view = _view(session, register, date(2026, 7, 20))
    [m] = cm.did_it_move(obs, view, months=3, register=register)
    assert (m.before_period, m.before_value, m.after_period, m.after_value) == (
        "2026-04", 71.0, "2026-09", 75.5)
    assert m.difference == pytest.approx(4.5) and m.significant is True
    assert "Apr 2026: 71.0%" in m.text and "Sep 2026: 75.5%" in m.text and "4.5 points" in m.text
    # a change inside the intervals is not a clear change
    wide = obs.with_columns(pl.col("value").sub(20).alias("ci_low"), pl.col("value").add(20).alias("ci_high"))
    [w] = cm.did_it_move(wide, view, months=3, register=register)
    assert w.significant is False and "not a clear change" in w.text


def test_did_it_move_without_data_after_closing(session: Session, register: Register) -> None:
    obs = _obs("prenatal_care", [("2026-04", date(2026, 4, 30), 71.0, 70.0, 72.0)])
    [m] = cm.did_it_move(obs, _view(session, register, date(2026, 7, 20)), register=register)
    assert m.after_value is None and m.difference is None and m.significant is None
    assert "No data yet" in m.text
