"""The open directory (HSDS 3.0): public, cacheable, live capacity, never an address."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from shelterbeds.domain.clock import utcnow
from shelterbeds.domain.enums import UnitStatus
from shelterbeds.models import Shelter, Unit
from tests.support.factories import ADMIN, STAFF_SARA, login

URL = "/api/v1/open/hsds/services"
FORBIDDEN_KEYS = {
    "address",
    "addresses",
    "physical_address",
    "postal_address",
    "location",
    "locations",
    "phone",
    "phones",
    "latitude",
    "longitude",
    "email",
}


def _keys(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from _keys(v)


def _services(client):
    r = client.get(URL)
    assert r.status_code == 200 and r.mimetype == "application/json"
    return {s["name"]: s for s in json.loads(r.get_data(as_text=True))["contents"]}


def test_public_cacheable_and_parses_as_hsds(client, demo, session):
    r = client.get(URL)
    assert r.status_code == 200
    assert "public" in r.headers["Cache-Control"] and "max-age" in r.headers["Cache-Control"]
    page = r.json
    assert page["total_items"] == len(page["contents"]) == 3 and page["empty"] is False
    again = client.get(URL, headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304
    for service in page["contents"]:
        assert service["status"] == "active" and service["organization"]["name"]
        assert service["organization_id"] == service["organization"]["id"]
        (capacity,) = service["capacities"]
        assert capacity["unit"]["identifier"] == "household_unit"
        assert set(capacity) >= {"available", "maximum", "unit", "updated"}
        assert capacity["service_id"] == service["id"]
    free = {
        shelter.name: session.scalar(
            select(func_count())
            .select_from(Unit)
            .where(Unit.shelter_id == shelter.id, Unit.status == UnitStatus.FREE)
        )
        for shelter in session.scalars(select(Shelter))
    }
    services = {s["name"]: s["capacities"][0]["available"] for s in page["contents"]}
    assert services == free


def func_count():
    from sqlalchemy import func

    return func.count()


def test_never_an_address_or_a_phone(client, demo, session):
    body = client.get(URL).get_data(as_text=True)
    assert not FORBIDDEN_KEYS & set(_keys(json.loads(body)))
    for shelter in session.scalars(select(Shelter)):
        assert shelter.intake_phone not in body
        for phone in shelter.on_call_phones:
            assert phone not in body


def test_a_shelter_can_opt_out_on_its_profile(client, demo, session, token_for):
    sara = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    r = client.patch(
        f"/api/v1/shelters/{sara.id}", json={"open_data": False}, headers=token_for(STAFF_SARA)
    )
    assert r.status_code == 200, r.json
    assert sara.name not in _services(client)
    login(client, STAFF_SARA)
    assert 'name="open_data"' in client.get("/shelter/profile").get_data(as_text=True)
    r = client.patch(
        f"/api/v1/shelters/{sara.id}", json={"open_data": True}, headers=token_for(ADMIN)
    )
    assert r.status_code == 200 and r.json["open_data"] is True
    assert sara.name in _services(client)


def test_unknown_vacancies_publish_no_capacity(client, demo, session):
    sara = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    sara.confirmed_at = utcnow() - timedelta(days=3)
    session.commit()
    assert _services(client)[sara.name]["capacities"] == []
