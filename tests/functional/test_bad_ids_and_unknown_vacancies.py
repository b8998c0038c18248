"""Ids that cannot exist are 404/422 (never a database error), and a shelter whose vacancies
are unknown has nothing free anywhere and nothing that can be requested."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from shelterbeds.domain.clock import utcnow
from shelterbeds.domain.ids import MAX_ID, parse_id
from shelterbeds.models import PlacementRequest, Shelter, Unit
from tests.support.factories import (
    SOCIALJOUR,
    STAFF_SARA,
    count,
    csrf,
    login,
    request_body,
    unit_at,
)

TOO_BIG = MAX_ID + 1


@pytest.mark.parametrize(
    ("method", "path", "who"),
    [
        ("GET", f"/api/v1/requests/{TOO_BIG}", SOCIALJOUR),
        ("GET", f"/api/v1/requests/{2**40}", SOCIALJOUR),
        ("POST", f"/api/v1/requests/{TOO_BIG}/withdraw", SOCIALJOUR),
        ("POST", f"/api/v1/requests/{TOO_BIG}/accept", STAFF_SARA),
        ("PUT", f"/api/v1/units/{TOO_BIG}/status", STAFF_SARA),
        ("DELETE", f"/api/v1/subscriptions/{2**63}", SOCIALJOUR),
        ("POST", f"/api/v1/placements/{TOO_BIG}/end", SOCIALJOUR),
        ("POST", "/api/v1/shelters/0/confirmation", STAFF_SARA),
    ],
)
def test_path_ids_that_cannot_exist_are_404(client, token_for, demo, method, path, who):
    body = {"status": "free", "reason": "other"}
    r = client.open(path, method=method, json=body, headers=token_for(who))
    assert r.status_code == 404, r.get_data(as_text=True)
    assert r.mimetype == "application/problem+json"


def test_a_body_id_beyond_the_range_is_a_field_error(client, token_for, demo, session):
    r = client.post("/api/v1/requests", json=request_body(2**40), headers=token_for(SOCIALJOUR))
    assert r.status_code == 422
    assert r.json["errors"]["unit_id"] == ["Not a valid id."]
    assert count(session, PlacementRequest) == 0


def test_a_web_form_with_a_huge_unit_id_is_answered_not_crashed(client, demo, session):
    login(client, SOCIALJOUR)
    r = client.get(f"/requests/new?unit_id={2**40}")
    assert r.status_code == 200
    form = {
        "csrf_token": csrf(client, "/requests/new"),
        "unit_id": str(2**40),
        "municipality": "1880",
        "case_ref": "SJ-1",
        "adults": "1",
        "callback_phone": "070-123 45 67",
    }
    r = client.post("/requests/new", data=form)
    assert r.status_code == 422
    assert count(session, PlacementRequest) == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", 1), (str(MAX_ID), MAX_ID), (str(TOO_BIG), None), ("0", None), ("-3", None),
     ("", None), ("1e3", None), ("٣", None), (None, None), (True, None), (7, 7)],
)  # fmt: skip
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected


def _age_sara(session, hours):
    shelter = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    shelter.confirmed_at = utcnow() - timedelta(hours=hours)
    session.commit()
    return shelter


def test_unknown_vacancies_are_not_free_in_the_listing(client, token_for, demo, session):
    _age_sara(session, 25)
    shelters = client.get("/api/v1/shelters", headers=token_for(SOCIALJOUR)).json
    sara = next(s for s in shelters if s["slug"] == "sara-huset")
    assert sara["freshness"]["state"] == "unknown"
    assert sara["units"]["free"] == 0
    assert sara["units"]["unconfirmed"] == 3


def test_a_unit_at_a_shelter_with_unknown_vacancies_cannot_be_requested(
    client, token_for, demo, session
):
    _age_sara(session, 25)
    unit = unit_at(session, "sara-huset", "Lägenhet 1")
    r = client.post("/api/v1/requests", json=request_body(unit.id), headers=token_for(SOCIALJOUR))
    assert r.status_code == 409, r.json
    assert r.json["reason"] == "vacancies_unknown"
    assert "25 hours ago" in r.json["detail"]
    assert r.json["alternatives"]  # Kvinnohuset i Örebro still has free rooms
    assert all(a["shelter_slug"] != "sara-huset" for a in r.json["alternatives"])
    session.expire_all()
    assert session.get(Unit, unit.id).status.value == "free"
    assert count(session, PlacementRequest) == 0


def test_a_stale_but_known_shelter_can_still_be_requested(client, token_for, demo, session):
    _age_sara(session, 23)
    unit = unit_at(session, "sara-huset", "Lägenhet 1")
    r = client.post("/api/v1/requests", json=request_body(unit.id), headers=token_for(SOCIALJOUR))
    assert r.status_code == 201, r.json
