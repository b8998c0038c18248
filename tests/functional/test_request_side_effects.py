"""What a decision sets in motion: turn-aways and episodes, SMS to the shelter and requester."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from shelterbeds.domain.clock import utcnow
from shelterbeds.models import OutboxMessage, Shelter, TurnAway, Unit, User
from shelterbeds.services.turnaways import record_turnaway
from tests.support.factories import SOCIALJOUR, STAFF_OREBRO, STAFF_SARA
from tests.support.factories import request_body as _body

CASE = "SJ-2026-500"


def _unit(session, slug, label):
    return session.scalar(
        select(Unit).join(Shelter).where(Shelter.slug == slug, Unit.label == label)
    )


def _request(client, token_for, unit, **body):
    r = client.post(
        "/api/v1/requests",
        json=_body(unit.id, case_ref=CASE, **body),
        headers=token_for(SOCIALJOUR),
    )
    assert r.status_code == 201, r.json
    return r.json


def _decline(client, token_for, staff, request_id, reason="capacity"):
    r = client.post(
        f"/api/v1/requests/{request_id}/decline", json={"reason": reason}, headers=token_for(staff)
    )
    assert r.status_code == 200, r.json
    return r.json


def test_capacity_declines_of_one_household_are_one_episode(client, token_for, demo, session):
    first = _request(client, token_for, _unit(session, "kvinnohuset-orebro", "Rum 1"))
    _decline(client, token_for, STAFF_OREBRO, first["id"])
    second = _request(client, token_for, _unit(session, "sara-huset", "Lägenhet 2"))
    _decline(client, token_for, STAFF_SARA, second["id"])

    rows = session.scalars(select(TurnAway).order_by(TurnAway.id)).all()
    assert [(t.request_id, t.channel.value, t.reason.value) for t in rows] == [
        (first["id"], "request", "capacity"),
        (second["id"], "request", "capacity"),
    ]
    assert rows[0].episode_id == rows[1].episode_id  # one household, two refusals
    assert rows[0].municipality_code == "1880"
    # The case reference itself is nowhere in the turn-away.
    assert all(CASE not in str(vars(t)) for t in rows)


def test_suitability_decline_is_not_a_turnaway(client, token_for, demo, session):
    req = _request(client, token_for, _unit(session, "kvinnohuset-orebro", "Rum 1"))
    _decline(client, token_for, STAFF_OREBRO, req["id"], reason="security")
    assert session.scalar(select(func.count()).select_from(TurnAway)) == 0


def test_a_request_is_one_turnaway_at_most(client, token_for, demo, session):
    req = _request(client, token_for, _unit(session, "kvinnohuset-orebro", "Rum 1"))
    _decline(client, token_for, STAFF_OREBRO, req["id"])
    staff = session.get(User, session.scalar(select(TurnAway)).recorded_by_id)
    with pytest.raises(IntegrityError), session.begin_nested():
        record_turnaway(
            session,
            staff,
            shelter_id=staff.shelter_id,
            adults=1,
            children=0,
            reason="capacity",
            channel="request",
            now=utcnow(),
            episode_key_secret="x",
            episode_hours=72,
            request_id=req["id"],
        )


def test_sms_to_shelter_on_request_and_to_requester_on_decision(client, token_for, demo, session):
    unit = _unit(session, "kvinnohuset-orebro", "Rum 1")
    req = _request(client, token_for, unit, callback_phone="070-174 06 99")
    shelter = session.get(Shelter, unit.shelter_id)
    to_shelter = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "new_request")
    ).all()
    assert [m.to_phone for m in to_shelter] == shelter.on_call_phones
    assert req["code"] in to_shelter[0].body
    _decline(client, token_for, STAFF_OREBRO, req["id"], reason="security")
    decided = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "request_decided")
    ).all()
    assert [m.to_phone for m in decided] == ["+46701740699"]
    for message in [*to_shelter, *decided]:
        assert CASE not in message.body and "Rum 1" not in message.body


def test_an_expired_hold_is_shown_expired_on_read_and_released_by_the_clock(
    client, token_for, demo, session
):
    """Without the clock: reading the request, or searching, shows a hold that ran out as
    over (no write); the clock's job then releases it and tells the requester."""
    from datetime import timedelta

    from sqlalchemy import update

    from shelterbeds.models import PlacementRequest
    from shelterbeds.services.holds import expire_holds

    unit = _unit(session, "sara-huset", "Lägenhet 1")
    req = _request(client, token_for, unit)
    session.execute(
        update(PlacementRequest)
        .where(PlacementRequest.id == req["id"])
        .values(hold_expires_at=utcnow() - timedelta(minutes=1))
    )
    session.commit()
    r = client.get("/api/v1/vacancies?wheelchair=1", headers=token_for(SOCIALJOUR))
    assert [u["label"] for h in r.json["results"] for u in h["units"]] == ["Lägenhet 1"]
    r = client.get(f"/api/v1/requests/{req['id']}", headers=token_for(SOCIALJOUR))
    assert r.json["status"] == "expired"
    assert session.get(PlacementRequest, req["id"]).status.value == "pending"  # not written
    assert _sms(session, "request_expired") == []
    assert expire_holds(session, utcnow()) == 1  # the clock
    session.commit()
    assert [m.to_phone for m in _sms(session, "request_expired")] == ["+46701234567"]


def _sms(session, kind):
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    ).all()


def test_withdrawal_tells_the_shelters_on_call_phones(client, token_for, demo, session):
    unit = _unit(session, "sara-huset", "Lägenhet 2")
    req = _request(client, token_for, unit)
    r = client.post(f"/api/v1/requests/{req['id']}/withdraw", headers=token_for(SOCIALJOUR))
    assert r.status_code == 200, r.json
    shelter = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    sent = _sms(session, "request_withdrawn")
    assert [m.to_phone for m in sent] == shelter.on_call_phones
    assert "dragits tillbaka" in sent[0].body and CASE not in sent[0].body


def test_ending_a_placement_tells_the_other_party(client, token_for, demo, session):
    unit = _unit(session, "sara-huset", "Lägenhet 2")
    req = _request(client, token_for, unit)
    accepted = client.post(f"/api/v1/requests/{req['id']}/accept", headers=token_for(STAFF_SARA))
    assert accepted.status_code == 200, accepted.json
    placement_id = accepted.json["id"]
    r = client.post(
        f"/api/v1/placements/{placement_id}/end",
        json={"reason": "own_housing"},
        headers=token_for(STAFF_SARA),
    )
    assert r.status_code == 200, r.json
    sent = _sms(session, "placement_ended")
    assert [m.to_phone for m in sent] == ["+46701234567"]  # the requester's callback phone
    assert "avslutats" in sent[0].body
