"""Placement requests and placements through the JSON API (issue 3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from shelterbeds.domain.clock import utcnow
from shelterbeds.models import (
    AuditEvent,
    Placement,
    PlacementRequest,
    Shelter,
    Unit,
    UnmetNeedSignal,
)
from shelterbeds.services.holds import expire_holds

SOCIALJOUR = "socialjour.orebro@example.org"
KARLSKOGA_SW = "socialtjanst.karlskoga@example.org"
STAFF_OREBRO = "personal.orebro@example.org"
STAFF_SARA = "personal.sara@example.org"


def _unit(session, shelter_slug, label):
    return session.scalar(
        select(Unit).join(Shelter).where(Shelter.slug == shelter_slug, Unit.label == label)
    )


def _body(unit_id, **overrides):
    body = {
        "unit_id": unit_id,
        "municipality_code": "1880",
        "case_ref": "SJ-2026-117",
        "household": {"adults": 1, "children": [{"age": 4, "sex": "f"}]},
        "needs": {"wheelchair": False},
        "urgency": "immediate",
        "callback_phone": "070-123 45 67",
    }
    body.update(overrides)
    return body


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def orebro_rum1(session, demo):
    return _unit(session, "kvinnohuset-orebro", "Rum 1")


@pytest.fixture
def held(client, token_for, orebro_rum1):
    """A pending request by Socialjouren for Kvinnohuset i Örebro, Rum 1."""
    r = client.post("/api/v1/requests", json=_body(orebro_rum1.id), headers=token_for(SOCIALJOUR))
    assert r.status_code == 201, r.json
    return r.json


def test_request_holds_the_unit_and_says_for_how_long(held, session, orebro_rum1):
    assert held["status"] == "pending"
    assert held["hold_minutes"] == 60
    assert 55 <= held["minutes_left"] <= 60
    assert held["unit_id"] == orebro_rum1.id
    assert held["shelter_id"] == orebro_rum1.shelter_id
    assert len(held["code"]) == 6
    assert held["callback_phone"] == "+46701234567"
    session.refresh(orebro_rum1)
    assert orebro_rum1.status.value == "held"


def test_accept_then_end(client, token_for, held, session, orebro_rum1):
    staff = token_for(STAFF_OREBRO)
    r = client.post(f"/api/v1/requests/{held['id']}/accept", headers=staff)
    assert r.status_code == 200, r.json
    placement = r.json
    assert placement["request_id"] == held["id"]
    assert placement["ended_at"] is None
    session.refresh(orebro_rum1)
    assert orebro_rum1.status.value == "occupied"
    r = client.get(f"/api/v1/requests/{held['id']}", headers=token_for(SOCIALJOUR))
    assert r.json["status"] == "accepted" and r.json["decided_at"]

    # Both parties see the placement, with the first review on day 14.
    for email in (SOCIALJOUR, STAFF_OREBRO):
        r = client.get("/api/v1/placements", headers=token_for(email))
        assert [p["id"] for p in r.json] == [placement["id"]], email
    started = placement["started_at"]
    assert placement["next_review_at"][:10] > started[:10]

    # Staff cannot just set the unit free: they end the placement.
    r = client.put(f"/api/v1/units/{orebro_rum1.id}/status", json={"status": "free"}, headers=staff)
    assert r.status_code == 409
    assert "placement" in r.json["detail"]

    r = client.post(f"/api/v1/placements/{placement['id']}/end", json={}, headers=staff)
    assert r.status_code == 422 and "reason" in r.json["errors"]
    r = client.post(
        f"/api/v1/placements/{placement['id']}/end",
        json={"reason": "own_housing"},
        headers=token_for(SOCIALJOUR),
    )
    assert r.status_code == 200, r.json
    assert r.json["end_reason"] == "own_housing" and r.json["ended_at"]
    session.refresh(orebro_rum1)
    assert orebro_rum1.status.value == "free"
    r = client.post(
        f"/api/v1/placements/{placement['id']}/end", json={"reason": "other"}, headers=staff
    )
    assert r.status_code == 409


def test_second_decision_is_a_conflict_naming_the_state(client, token_for, held):
    staff = token_for(STAFF_OREBRO)
    assert client.post(f"/api/v1/requests/{held['id']}/accept", headers=staff).status_code == 200
    r = client.post(
        f"/api/v1/requests/{held['id']}/decline", json={"reason": "capacity"}, headers=staff
    )
    assert r.status_code == 409
    assert r.json["current_status"] == "accepted"
    r = client.post(f"/api/v1/requests/{held['id']}/withdraw", headers=token_for(SOCIALJOUR))
    assert r.status_code == 409


def test_decline_for_capacity_frees_the_unit_and_keeps_the_reason(
    client, token_for, held, session, orebro_rum1
):
    staff = token_for(STAFF_OREBRO)
    r = client.post(f"/api/v1/requests/{held['id']}/decline", json={}, headers=staff)
    assert r.status_code == 422 and "reason" in r.json["errors"]
    r = client.post(
        f"/api/v1/requests/{held['id']}/decline", json={"reason": "full"}, headers=staff
    )
    assert r.status_code == 422 and "reason" in r.json["errors"]
    before = _count(session, UnmetNeedSignal)
    r = client.post(
        f"/api/v1/requests/{held['id']}/decline", json={"reason": "capacity"}, headers=staff
    )
    assert r.status_code == 200, r.json
    assert r.json["status"] == "declined" and r.json["decline_reason"] == "capacity"
    session.refresh(orebro_rum1)
    assert orebro_rum1.status.value == "free"
    assert _count(session, UnmetNeedSignal) == before  # capacity is a turn-away, not a need


def test_decline_for_suitability_records_an_unmet_need(client, token_for, held, session):
    before = _count(session, UnmetNeedSignal)
    r = client.post(
        f"/api/v1/requests/{held['id']}/decline",
        json={"reason": "psychiatric"},
        headers=token_for(STAFF_OREBRO),
    )
    assert r.status_code == 200
    assert _count(session, UnmetNeedSignal) == before + 1
    signal = session.scalars(select(UnmetNeedSignal).order_by(UnmetNeedSignal.id.desc())).first()
    assert signal.municipality_code == "1880" and signal.children == 1


def test_expiry_frees_the_unit_and_is_idempotent(client, token_for, held, session, orebro_rum1):
    later = utcnow() + timedelta(minutes=61)
    assert expire_holds(session, utcnow()) == 0
    assert expire_holds(session, later) == 1
    session.commit()
    assert expire_holds(session, later) == 0
    session.refresh(orebro_rum1)
    assert orebro_rum1.status.value == "free"
    r = client.get(f"/api/v1/requests/{held['id']}", headers=token_for(SOCIALJOUR))
    assert r.json["status"] == "expired"
    r = client.post(f"/api/v1/requests/{held['id']}/accept", headers=token_for(STAFF_OREBRO))
    assert r.status_code == 409 and r.json["current_status"] == "expired"


def test_an_expired_hold_never_blocks_a_new_request(client, token_for, held, session, orebro_rum1):
    session.execute(
        update(PlacementRequest)
        .where(PlacementRequest.id == held["id"])
        .values(hold_expires_at=utcnow() - timedelta(minutes=1))
    )
    session.commit()
    # Not acceptable any more, although the clock has not run.
    r = client.post(f"/api/v1/requests/{held['id']}/accept", headers=token_for(STAFF_OREBRO))
    assert r.status_code == 409
    r = client.post(
        "/api/v1/requests",
        json=_body(orebro_rum1.id, case_ref="SJ-2"),
        headers=token_for(SOCIALJOUR),
    )
    assert r.status_code == 201, r.json
    assert r.json["id"] != held["id"]
    old = session.get(PlacementRequest, held["id"])
    session.refresh(old)
    assert old.status.value == "expired"


def test_withdraw_by_requester_only(client, token_for, held, session, orebro_rum1):
    r = client.post(f"/api/v1/requests/{held['id']}/withdraw", headers=token_for(KARLSKOGA_SW))
    assert r.status_code == 404
    r = client.post(f"/api/v1/requests/{held['id']}/withdraw", headers=token_for(STAFF_OREBRO))
    assert r.status_code == 403
    r = client.post(f"/api/v1/requests/{held['id']}/withdraw", headers=token_for(SOCIALJOUR))
    assert r.status_code == 200 and r.json["status"] == "withdrawn"
    session.refresh(orebro_rum1)
    assert orebro_rum1.status.value == "free"


def test_unit_not_free_is_409_with_state_and_alternatives(client, token_for, held, orebro_rum1):
    r = client.post(
        "/api/v1/requests",
        json=_body(orebro_rum1.id, case_ref="other"),
        headers=token_for(SOCIALJOUR),
    )
    assert r.status_code == 409
    assert r.mimetype == "application/problem+json"
    assert r.json["current_status"] == "held"
    units = [u["id"] for alt in r.json["alternatives"] for u in alt["units"]]
    assert units and orebro_rum1.id not in units


def test_idempotency_key(client, token_for, orebro_rum1, session):
    headers = {**token_for(SOCIALJOUR), "Idempotency-Key": "abc-123"}
    first = client.post("/api/v1/requests", json=_body(orebro_rum1.id), headers=headers)
    again = client.post("/api/v1/requests", json=_body(orebro_rum1.id), headers=headers)
    assert first.status_code == 201 and again.status_code == 201, again.json
    assert again.json["id"] == first.json["id"]
    assert _count(session, PlacementRequest) == 1
    other = client.post(
        "/api/v1/requests", json=_body(orebro_rum1.id, case_ref="changed"), headers=headers
    )
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json["errors"]
    assert _count(session, PlacementRequest) == 1


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"case_ref": "19121212-1212"}, "case_ref"),
        ({"case_ref": "ärende 121212-1212"}, "case_ref"),
        ({"note": "Mamma 201212121212 behöver hjälp"}, "note"),
    ],
)
def test_personnummer_is_rejected(client, token_for, orebro_rum1, session, overrides, field):
    r = client.post(
        "/api/v1/requests", json=_body(orebro_rum1.id, **overrides), headers=token_for(SOCIALJOUR)
    )
    assert r.status_code == 422
    assert "personnummer" in " ".join(r.json["errors"][field])
    assert _count(session, PlacementRequest) == 0
    session.refresh(orebro_rum1)
    assert orebro_rum1.status.value == "free"


@pytest.mark.parametrize(
    "phone, expected",
    [
        ("070-123 45 67", "+46701234567"),
        ("+46 70 123 45 67", "+46701234567"),
        ("019-10 00 00", "+4619100000"),
        ("0046701234567", "+46701234567"),
    ],
)
def test_phone_is_normalised(client, token_for, orebro_rum1, phone, expected):
    r = client.post(
        "/api/v1/requests",
        json=_body(orebro_rum1.id, callback_phone=phone),
        headers=token_for(SOCIALJOUR),
    )
    assert r.status_code == 201, r.json
    assert r.json["callback_phone"] == expected


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"callback_phone": "12"}, "callback_phone"),
        ({"callback_phone": "not a phone"}, "callback_phone"),
        ({"callback_phone": None}, "callback_phone"),
        ({"unit_id": "seven"}, "unit_id"),
        ({"unit_id": 999999}, "unit_id"),
        ({"municipality_code": "18"}, "municipality_code"),
        ({"municipality_code": "1883"}, "municipality_code"),  # not Socialjouren's
        ({"municipality_code": "9999"}, "municipality_code"),
        ({"case_ref": ""}, "case_ref"),
        ({"case_ref": "x" * 41}, "case_ref"),
        ({"household": {"adults": 0}}, "household"),
        ({"household": {"adults": 1, "children": [{"age": 40, "sex": "f"}]}}, "household"),
        ({"household": {"adults": 1, "children": [{"age": 4}]}}, "household"),
        ({"needs": {"substance_use": "sometimes"}}, "needs"),
        ({"needs": {"language": "Swedish"}}, "needs"),
        ({"urgency": "yesterday"}, "urgency"),
        ({"note": "x" * 501}, "note"),
        ({"name": "Anna"}, "name"),
    ],
)
def test_bad_request_bodies_are_422(client, token_for, orebro_rum1, session, overrides, field):
    body = {**_body(orebro_rum1.id), **overrides}
    r = client.post("/api/v1/requests", json=body, headers=token_for(SOCIALJOUR))
    assert r.status_code == 422, (overrides, r.status_code, r.json)
    assert r.mimetype == "application/problem+json"
    assert field in r.json["errors"], r.json
    assert _count(session, PlacementRequest) == 0


def test_missing_body_and_non_json(client, token_for, orebro_rum1):
    headers = token_for(SOCIALJOUR)
    r = client.post("/api/v1/requests", json={}, headers=headers)
    assert r.status_code == 422
    assert {"unit_id", "case_ref", "household", "callback_phone"} <= set(r.json["errors"])
    r = client.post("/api/v1/requests", data="unit_id=1", headers=headers)
    assert r.status_code == 415


def test_household_that_does_not_fit_is_422_with_the_reason(client, token_for, orebro_rum1):
    r = client.post(
        "/api/v1/requests",
        json=_body(orebro_rum1.id, needs={"wheelchair": True}),
        headers=token_for(SOCIALJOUR),
    )
    assert r.status_code == 422
    assert "wheelchair" in r.json["detail"]
    assert r.json["reasons"] == ["wheelchair"]
    r = client.post(
        "/api/v1/requests",
        json=_body(orebro_rum1.id, household={"adults": 1, "children": [{"age": 16, "sex": "m"}]}),
        headers=token_for(SOCIALJOUR),
    )
    assert r.status_code == 422 and r.json["reasons"] == ["boys_age"]


def test_tenant_isolation(client, token_for, session, demo):
    sara = _unit(session, "sara-huset", "Lägenhet 2")
    r = client.post(
        "/api/v1/requests",
        json=_body(sara.id, municipality_code="1880"),
        headers=token_for(SOCIALJOUR),
    )
    assert r.status_code == 201, r.json
    rid = r.json["id"]
    # Another municipality's social worker, and another shelter's staff, see nothing.
    assert client.get(f"/api/v1/requests/{rid}", headers=token_for(KARLSKOGA_SW)).status_code == 404
    assert client.get("/api/v1/requests", headers=token_for(KARLSKOGA_SW)).json == []
    assert client.get("/api/v1/requests", headers=token_for(STAFF_OREBRO)).json == []
    r = client.post(f"/api/v1/requests/{rid}/accept", headers=token_for(STAFF_OREBRO))
    assert r.status_code in (403, 404)
    r = client.post(
        f"/api/v1/requests/{rid}/decline", json={"reason": "other"}, headers=token_for(STAFF_OREBRO)
    )
    assert r.status_code in (403, 404)
    # The requester cannot accept its own request.
    r = client.post(f"/api/v1/requests/{rid}/accept", headers=token_for(SOCIALJOUR))
    assert r.status_code == 403
    # The county analyst has no access to individual requests.
    assert (
        client.get("/api/v1/requests", headers=token_for("lansstyrelsen@example.org")).status_code
        == 403
    )
    # The admin may read.
    assert (
        client.get(f"/api/v1/requests/{rid}", headers=token_for("admin@example.org")).status_code
        == 200
    )
    assert session.get(PlacementRequest, rid).status.value == "pending"
    # Sara-huset's staff see it and accept it.
    assert [
        x["id"]
        for x in client.get("/api/v1/requests?status=pending", headers=token_for(STAFF_SARA)).json
    ] == [rid]
    r = client.post(f"/api/v1/requests/{rid}/accept", headers=token_for(STAFF_SARA))
    assert r.status_code == 200
    pid = r.json["id"]
    assert client.get("/api/v1/placements", headers=token_for(KARLSKOGA_SW)).json == []
    r = client.post(
        f"/api/v1/placements/{pid}/end", json={"reason": "other"}, headers=token_for(KARLSKOGA_SW)
    )
    assert r.status_code == 404
    r = client.post(
        f"/api/v1/placements/{pid}/end", json={"reason": "other"}, headers=token_for(STAFF_OREBRO)
    )
    assert r.status_code == 404
    assert session.get(Placement, pid).ended_at is None


def test_unknown_ids_and_bad_queries(client, token_for, demo):
    headers = token_for(SOCIALJOUR)
    assert client.get("/api/v1/requests/999999", headers=headers).status_code == 404
    assert client.post("/api/v1/requests/999999/withdraw", headers=headers).status_code == 404
    r = client.get("/api/v1/requests?status=maybe", headers=headers)
    assert r.status_code == 422 and "status" in r.json["errors"]
    r = client.get("/api/v1/placements?active=perhaps", headers=headers)
    assert r.status_code == 422 and "active" in r.json["errors"]
    r = client.post("/api/v1/placements/999999/end", json={"reason": "other"}, headers=headers)
    assert r.status_code == 404
    assert client.get("/api/v1/requests").status_code == 401


def test_reads_and_changes_are_audited(client, token_for, held, session):
    rid = held["id"]
    client.get(f"/api/v1/requests/{rid}", headers=token_for(SOCIALJOUR))
    client.get("/api/v1/requests", headers=token_for(STAFF_OREBRO))
    r = client.post(f"/api/v1/requests/{rid}/accept", headers=token_for(STAFF_OREBRO))
    pid = r.json["id"]
    client.get("/api/v1/placements", headers=token_for(SOCIALJOUR))
    client.post(
        f"/api/v1/placements/{pid}/end", json={"reason": "unknown"}, headers=token_for(SOCIALJOUR)
    )
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    seen = [
        (e.action, e.object_type, e.object_id, e.actor_role.value if e.actor_role else None)
        for e in events
    ]
    assert ("request.create", "request", rid, "social_worker") in seen
    assert ("request.read", "request", rid, "social_worker") in seen
    assert ("request.read", "request", rid, "shelter_staff") in seen
    assert ("request.accept", "request", rid, "shelter_staff") in seen
    assert ("placement.read", "placement", pid, "social_worker") in seen
    assert ("placement.end", "placement", pid, "social_worker") in seen
    # A refused read (another tenant) reveals nothing and is audited as a refusal only.
    before = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert client.get(f"/api/v1/requests/{rid}", headers=token_for(KARLSKOGA_SW)).status_code == 404
    after = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert after[len(before) :] == ["denied"]


def test_demo_reset_clears_requests_and_placements(client, token_for, held, session):
    from shelterbeds.services.demo import load_demo
    from tests.support.factories import DEMO_PASSWORD

    r = client.post(f"/api/v1/requests/{held['id']}/accept", headers=token_for(STAFF_OREBRO))
    assert r.status_code == 200
    sara = _unit(session, "sara-huset", "Lägenhet 3")
    r = client.post(
        "/api/v1/requests", json=_body(sara.id, case_ref="SJ-3"), headers=token_for(SOCIALJOUR)
    )
    assert r.status_code == 201
    load_demo(session, utcnow(), password=DEMO_PASSWORD, reset=True)
    session.commit()
    assert _count(session, PlacementRequest) == 0
    assert _count(session, Placement) == 0
    free = session.scalars(
        select(Unit.label).join(Shelter).where(Unit.status == "free").order_by(Unit.id)
    ).all()
    assert sorted(free) == sorted(
        ["Rum 1", "Rum 2", "Lägenhet 1", "Lägenhet 2", "Lägenhet 3", "Rum 1"]
    )
    assert _count(session, AuditEvent) > 0  # the audit log is never cleared


def test_follow_up_moves_the_review_date(client, token_for, held, session):
    r = client.post(f"/api/v1/requests/{held['id']}/accept", headers=token_for(STAFF_OREBRO))
    pid = r.json["id"]
    placement = session.get(Placement, pid)
    placement.next_review_at = utcnow() - timedelta(days=1)  # day 14 has passed
    placement.started_at = utcnow() - timedelta(days=15)
    session.commit()
    r = client.get("/api/v1/placements", headers=token_for(SOCIALJOUR))
    assert r.json[0]["review_overdue"] is True
    r = client.post(f"/api/v1/placements/{pid}/review", headers=token_for(STAFF_OREBRO))
    assert r.status_code == 403  # the placing organisation follows up
    r = client.post(f"/api/v1/placements/{pid}/review", headers=token_for(KARLSKOGA_SW))
    assert r.status_code == 404
    r = client.post(f"/api/v1/placements/{pid}/review", headers=token_for(SOCIALJOUR))
    assert r.status_code == 200, r.json
    assert r.json["review_overdue"] is False
    session.refresh(placement)
    # day 14 + 30 = day 44 after the start
    assert placement.next_review_at == placement.started_at + timedelta(days=44)
