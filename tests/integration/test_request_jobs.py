"""Clock jobs for requests and placements: expiry, half-hold reminders, review reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from shelterbeds.extensions import db
from shelterbeds.jobs import JobContext
from shelterbeds.jobs.requests import expire_holds, remind_half_held, remind_reviews
from shelterbeds.models import OutboxMessage, Placement, PlacementRequest
from shelterbeds.notifications.senders import RecordingSender
from tests.support.factories import SOCIALJOUR, STAFF_OREBRO
from tests.support.factories import request_body as _body
from tests.support.factories import unit_at as _unit


def ctx_at(settings, req, minutes):
    """A job context whose clock reads `minutes` after the request was made."""
    at = req.created_at + timedelta(minutes=minutes)
    return JobContext(db, settings, RecordingSender(), now=lambda: at)


@pytest.fixture
def held(client, token_for, session, demo):
    unit = _unit(session, "kvinnohuset-orebro", "Rum 1")
    r = client.post("/api/v1/requests", json=_body(unit.id), headers=token_for(SOCIALJOUR))
    assert r.status_code == 201, r.json
    return session.get(PlacementRequest, r.json["id"])


def _kinds(session, kind):
    return session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()


def test_expire_holds_job_is_idempotent_and_tells_the_requester(settings, session, held):
    assert expire_holds(ctx_at(settings, held, 10)) == 0
    assert expire_holds(ctx_at(settings, held, 61)) == 1
    assert expire_holds(ctx_at(settings, held, 62)) == 0
    session.refresh(held)
    assert held.status.value == "expired"
    assert [m.to_phone for m in _kinds(session, "request_expired")] == [held.callback_phone]


def test_half_hold_reminder_once(settings, session, held):
    assert remind_half_held(ctx_at(settings, held, 20)) == 0  # not half yet
    assert remind_half_held(ctx_at(settings, held, 31)) == 1
    assert remind_half_held(ctx_at(settings, held, 40)) == 0  # once per request and phone
    assert remind_half_held(ctx_at(settings, held, 70)) == 0  # expired: nothing to remind
    body = _kinds(session, "hold_half_passed")[0].body
    assert held.code in body


def test_review_reminder_on_the_due_day(settings, session, held, client, token_for):
    r = client.post(f"/api/v1/requests/{held.id}/accept", headers=token_for(STAFF_OREBRO))
    assert r.status_code == 200, r.json
    placement = session.scalar(select(Placement))
    placement.organisation.phone = "+46701740690"
    session.commit()
    assert remind_reviews(ctx_at(settings, held, 60 * 24 * 12)) == 0  # day 12
    assert remind_reviews(ctx_at(settings, held, 60 * 24 * 14)) == 1  # day 14: due
    assert remind_reviews(ctx_at(settings, held, 60 * 24 * 14 + 60)) == 0  # once per due date
    assert held.code in _kinds(session, "review_due")[0].body
