"""Protected identity: a flagged request (and its placement) is seen only by named users."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from shelterbeds.domain.enums import Role
from shelterbeds.models import PlacementRequest, RequestAccess
from shelterbeds.services.accounts import create_user
from tests.support.factories import (
    ADMIN,
    DEMO_PASSWORD,
    KARLSKOGA_SW,
    SOCIALJOUR,
    STAFF_OREBRO,
    login,
    request_body,
    unit_at,
)

COLLEAGUE = "kollega.orebro@example.org"
NAMED_STAFF = "nattpersonal.orebro@example.org"


@pytest.fixture
def people(demo, session):
    create_user(
        session,
        email=COLLEAGUE,
        role=Role.SOCIAL_WORKER,
        org_slug="socialjouren-orebro",
        shelter_slug=None,
        password=DEMO_PASSWORD,
    )
    create_user(session, email=NAMED_STAFF, role=Role.SHELTER_STAFF, org_slug=None,
                shelter_slug="kvinnohuset-orebro", password=DEMO_PASSWORD)  # fmt: skip
    session.commit()


def _create(client, session, token_for, **extra):
    unit = unit_at(session, "kvinnohuset-orebro", "Rum 1")
    body = request_body(unit.id, protected_identity=True, **extra)
    return client.post("/api/v1/requests", json=body, headers=token_for(SOCIALJOUR))


def _sees(client, token_for, email, request_id):
    headers = token_for(email)
    one = client.get(f"/api/v1/requests/{request_id}", headers=headers).status_code
    listed = client.get("/api/v1/requests", headers=headers)
    in_list = listed.status_code == 200 and request_id in {r["id"] for r in listed.json}
    assert (one == 200) is in_list, (email, one, in_list)
    return in_list


def test_only_the_requester_and_the_shelter_see_it_when_nobody_is_named(
    client, session, token_for, people
):
    r = _create(client, session, token_for)
    assert r.status_code == 201 and r.json["protected_identity"] is True
    rid = r.json["id"]
    assert _sees(client, token_for, SOCIALJOUR, rid)
    assert _sees(client, token_for, STAFF_OREBRO, rid)  # someone there must answer
    assert _sees(client, token_for, NAMED_STAFF, rid)
    for outsider in (COLLEAGUE, ADMIN, KARLSKOGA_SW):
        assert not _sees(client, token_for, outsider, rid), outsider
    # The shelter accepts; the placement is just as protected.
    placement = client.post(f"/api/v1/requests/{rid}/accept", headers=token_for(STAFF_OREBRO))
    assert placement.status_code == 200
    pid = placement.json["id"]
    assert client.get(f"/api/v1/placements/{pid}", headers=token_for(ADMIN)).status_code == 404
    assert client.get(f"/api/v1/placements/{pid}", headers=token_for(COLLEAGUE)).status_code == 404
    assert client.get(f"/api/v1/placements/{pid}", headers=token_for(SOCIALJOUR)).status_code == 200
    listed = client.get("/api/v1/placements", headers=token_for(ADMIN)).json
    assert pid not in {p["id"] for p in listed}


def test_named_users_only(client, session, token_for, people):
    r = _create(client, session, token_for, named_users=[COLLEAGUE, NAMED_STAFF.upper()])
    assert r.status_code == 201, r.json
    rid = r.json["id"]
    for email in (SOCIALJOUR, COLLEAGUE, NAMED_STAFF):
        assert _sees(client, token_for, email, rid), email
    # A staff member is named: the rest of the shelter's staff no longer see it.
    for email in (STAFF_OREBRO, ADMIN, KARLSKOGA_SW):
        assert not _sees(client, token_for, email, rid), email
    assert client.post(
        f"/api/v1/requests/{rid}/decline", json={"reason": "capacity"},
        headers=token_for(STAFF_OREBRO),
    ).status_code == 404  # fmt: skip
    assert (
        client.post(f"/api/v1/requests/{rid}/accept", headers=token_for(NAMED_STAFF)).status_code
        == 200
    )


def test_only_parties_can_be_named_and_a_refusal_stores_nothing(client, session, token_for, people):
    before = session.scalar(select(func.count()).select_from(PlacementRequest))
    r = _create(client, session, token_for, named_users=[KARLSKOGA_SW])
    assert r.status_code == 422 and "named_users" in r.json["errors"]
    assert session.scalar(select(func.count()).select_from(PlacementRequest)) == before
    assert session.scalar(select(func.count()).select_from(RequestAccess)) == 0
    unit = unit_at(session, "kvinnohuset-orebro", "Rum 1")
    r = client.post(
        "/api/v1/requests",
        json=request_body(unit.id, named_users=[COLLEAGUE]),
        headers=token_for(SOCIALJOUR),
    )
    assert r.status_code == 422  # naming users needs the flag


def test_the_web_request_form_sets_the_flag(app, session, token_for, people):
    client = app.test_client()
    login(client, SOCIALJOUR)
    unit = unit_at(session, "kvinnohuset-orebro", "Rum 1")
    page = client.get(f"/requests/new?unit_id={unit.id}&municipality=1880").get_data(as_text=True)
    assert 'name="protected_identity"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/requests/new", data={
        "csrf_token": token, "unit_id": str(unit.id), "municipality": "1880",
        "case_ref": "SJ-SKYDD-1", "adults": "1", "urgency": "today",
        "callback_phone": "070-123 45 67", "protected_identity": "1",
        "named_users": f"{COLLEAGUE}, {NAMED_STAFF}",
    })  # fmt: skip
    assert r.status_code == 302, r.get_data(as_text=True)[:400]
    req = session.scalar(select(PlacementRequest).where(PlacementRequest.case_ref == "SJ-SKYDD-1"))
    assert req.protected_identity
    named = set(
        session.scalars(select(RequestAccess.user_id).where(RequestAccess.request_id == req.id))
    )
    assert len(named) == 3  # the requester and the two named
    assert not _sees(client, token_for, STAFF_OREBRO, req.id)
