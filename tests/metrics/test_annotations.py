"""Annotations on KPIs: validation, internal or public, order."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from metrics.access import operator
from metrics.annotations import AnnotationError, add_annotation, list_annotations
from metrics.definitions import Register
from metrics.store.tables import Annotation


def test_add_and_list_in_date_order_public_or_all(session: Session, register: Register) -> None:
    add_annotation(session, kpi_id="prenatal_care", on_date=date(2026, 7, 1), kind="policy",
                   text="Medicaid postpartum coverage extended", public=True, by="ana",
                   register=register, at=datetime(2026, 7, 2, 9, 0, tzinfo=UTC), acting=operator())
    add_annotation(session, kpi_id="prenatal_care", on_date=date(2026, 3, 1), kind="series_break",
                   text="  New birth certificate form  ", by="ana", register=register, acting=operator())
    add_annotation(session, kpi_id="fafsa_completion", on_date=date(2026, 2, 1), kind="event",
                   text="Snow closures", register=register, acting=operator())
    every = list_annotations(session, "prenatal_care")
    assert [(a.on_date, a.kind, a.text, a.public) for a in every] == [
        (date(2026, 3, 1), "series_break", "New birth certificate form", False),
        (date(2026, 7, 1), "policy", "Medicaid postpartum coverage extended", True)]
    assert [a.kind for a in list_annotations(session, "prenatal_care", public_only=True)] == ["policy"]
    assert every[1].created_at is not None and every[1].created_at.tzinfo is not None
    assert list_annotations(session, "graduation_rate") == []


def test_bad_annotation_is_refused_with_every_problem(session: Session, register: Register) -> None:
    with pytest.raises(AnnotationError) as err:
        add_annotation(session, kpi_id="nope", on_date=None, kind="rumour", text=" ",
                       register=register, acting=operator())
    assert set(err.value.problems) == {"kpi_id", "on_date", "kind", "text"}
    assert "event, policy, series_break" in err.value.problems["kind"]
    with pytest.raises(AnnotationError, match="keep it to 500"):
        add_annotation(session, kpi_id="prenatal_care", on_date=date(2026, 1, 1), kind="event",
                       text="x" * 501, register=register, acting=operator())
    with pytest.raises(AnnotationError, match="written when a commitment is closed"):
        add_annotation(session, kpi_id="prenatal_care", on_date=date(2026, 1, 1), kind="commitment",
                       text="done", register=register, acting=operator())
    assert session.exec(select(Annotation)).all() == []


def test_a_non_public_kpi_cannot_get_a_public_annotation(session: Session,
                                                        register: Register) -> None:
    assert register.kpis["repeat_maltreatment"].public is False
    with pytest.raises(AnnotationError, match="not public"):
        add_annotation(session, kpi_id="repeat_maltreatment", on_date=date(2026, 5, 1),
                       kind="policy", text="New screening tool", public=True, register=register, acting=operator())
    a = add_annotation(session, kpi_id="repeat_maltreatment", on_date=date(2026, 5, 1),
                       kind="policy", text="New screening tool", register=register, acting=operator())
    assert a.public is False and a.id is not None
