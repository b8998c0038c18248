"""What the database itself refuses, whatever the code does."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from shelterbeds.domain.clock import utcnow
from shelterbeds.domain.enums import Role
from shelterbeds.domain.errors import Conflict
from shelterbeds.models import Shelter, Unit, User
from shelterbeds.services.units import transition_unit


def _unit(session):
    return session.scalar(select(Unit).join(Shelter).where(Shelter.slug == "sara-huset"))


def test_unknown_unit_status_is_refused(session, demo):
    unit = _unit(session)
    with pytest.raises((IntegrityError, StatementError)), session.begin_nested():
        session.execute(text("UPDATE units SET status = 'booked' WHERE id = :id"), {"id": unit.id})


def test_units_need_at_least_one_adult_bed(session, demo):
    unit = _unit(session)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(text("UPDATE units SET adult_beds = 0 WHERE id = :id"), {"id": unit.id})


def test_shelter_staff_must_have_a_shelter(session, demo):
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(User(email="x@example.org", role=Role.SHELTER_STAFF, organisation_id=None))
        session.flush()


def test_unit_labels_are_unique_per_shelter(session, demo):
    unit = _unit(session)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(Unit(shelter_id=unit.shelter_id, label=unit.label, adult_beds=1))
        session.flush()


def test_conditional_transition_refuses_a_stale_expectation(session, demo):
    unit = _unit(session)  # free in the demo
    with pytest.raises(Conflict) as err:
        transition_unit(
            session,
            unit,
            expected=unit.status.__class__("occupied"),
            new=unit.status,
            actor=None,
            now=utcnow(),
            source="system",
        )
    assert err.value.extra["current_status"] == "free"


def test_times_come_back_timezone_aware(session, demo):
    unit = _unit(session)
    session.expire(unit)
    assert unit.status_changed_at.tzinfo is not None
