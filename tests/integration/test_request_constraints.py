"""The database itself refuses a second hold or a second active placement on one unit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from shelterbeds.domain.clock import utcnow
from shelterbeds.domain.requests import EndReason, RequestStatus, Urgency
from shelterbeds.models import AuditEvent, Placement, PlacementRequest, Shelter, Unit, User
from shelterbeds.services import audit


def _unit(session):
    return session.scalar(
        select(Unit).join(Shelter).where(Shelter.slug == "sara-huset", Unit.label == "Lägenhet 2")
    )


def _request(session, unit, status=RequestStatus.PENDING, code="AAAAAA"):
    user = session.scalar(select(User).where(User.email == "socialjour.orebro@example.org"))
    now = utcnow()
    req = PlacementRequest(
        code=code,
        unit_id=unit.id,
        shelter_id=unit.shelter_id,
        organisation_id=user.organisation_id,
        requested_by_id=user.id,
        municipality_code="1880",
        case_ref="C-1",
        adults=1,
        children=[],
        urgency=Urgency.TODAY,
        callback_phone="+46701234567",
        status=status,
        hold_expires_at=now + timedelta(hours=1),
        created_at=now,
    )
    session.add(req)
    session.flush()
    return req


def _placement(session, req, ended=False):
    now = utcnow()
    placement = Placement(
        request_id=req.id,
        unit_id=req.unit_id,
        shelter_id=req.shelter_id,
        organisation_id=req.organisation_id,
        municipality_code="1880",
        started_at=now,
        ended_at=now if ended else None,
        end_reason=EndReason.OTHER if ended else None,
    )
    session.add(placement)
    session.flush()
    return placement


def test_two_pending_requests_on_one_unit_are_refused(session, demo):
    unit = _unit(session)
    _request(session, unit)
    with pytest.raises(IntegrityError), session.begin_nested():
        _request(session, unit, code="BBBBBB")


def test_decided_requests_do_not_block(session, demo):
    unit = _unit(session)
    _request(session, unit, RequestStatus.DECLINED)
    _request(session, unit, RequestStatus.EXPIRED, code="BBBBBB")
    _request(session, unit, code="CCCCCC")


def test_two_active_placements_on_one_unit_are_refused(session, demo):
    unit = _unit(session)
    first = _placement(session, _request(session, unit, RequestStatus.ACCEPTED))
    second = _request(session, unit, RequestStatus.ACCEPTED, code="BBBBBB")
    with pytest.raises(IntegrityError), session.begin_nested():
        _placement(session, second)
    assert first.ended_at is None


def test_ended_placements_do_not_block(session, demo):
    unit = _unit(session)
    _placement(session, _request(session, unit, RequestStatus.ACCEPTED), ended=True)
    _placement(session, _request(session, unit, RequestStatus.ACCEPTED, code="BBBBBB"))


def test_an_ended_placement_needs_a_reason(session, demo):
    req = _request(session, _unit(session), RequestStatus.ACCEPTED)
    with pytest.raises(IntegrityError), session.begin_nested():
        placement = _placement(session, req)
        placement.ended_at = utcnow()
        session.flush()


def test_request_codes_are_unique(session, demo):
    unit = _unit(session)
    _request(session, unit, RequestStatus.DECLINED)
    with pytest.raises(IntegrityError), session.begin_nested():
        _request(session, unit, RequestStatus.DECLINED)


def test_audit_events_are_append_only(session, demo):
    event = audit.record(session, None, "request.expire", "request", 1, utcnow())
    session.commit()
    event.action = "request.accept"
    with pytest.raises(RuntimeError, match="append-only"):
        session.flush()
    session.rollback()
    session.delete(session.get(AuditEvent, event.id))
    with pytest.raises(RuntimeError, match="append-only"):
        session.flush()
    session.rollback()
    assert session.get(AuditEvent, event.id).action == "request.expire"
