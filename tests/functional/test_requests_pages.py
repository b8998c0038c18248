"""The request pages: search, request, answer, placement and its end, on phone-sized forms."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from shelterbeds.models import Placement, PlacementRequest, Shelter, Unit
from tests.support.factories import DEMO_PASSWORD

SOCIALJOUR = "socialjour.orebro@example.org"
STAFF_OREBRO = "personal.orebro@example.org"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client, email):
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": _csrf(page.text)},
    )
    assert r.status_code == 302, r.text


def _unit(session, slug, label):
    return session.scalar(
        select(Unit).join(Shelter).where(Shelter.slug == slug, Unit.label == label)
    )


@pytest.fixture
def sw(app, demo):
    client = app.test_client()
    _login(client, SOCIALJOUR)
    return client


@pytest.fixture
def staff(app, demo):
    client = app.test_client()
    _login(client, STAFF_OREBRO)
    return client


def _form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))


def test_search_links_to_a_prefilled_request_form(sw, session):
    r = sw.get("/search?go=1&adults=1&child_age_0=7&child_sex_0=m&municipality=1880&pets=1")
    assert r.status_code == 200
    links = re.findall(r'href="(/requests/new\?[^"]+)"', r.text)
    assert links, "each matching unit offers 'Request this place'"
    query = parse_qs(urlsplit(links[0].replace("&amp;", "&")).query)
    assert query["child_age_0"] == ["7"] and query["pets"] == ["1"]
    form = sw.get(links[0].replace("&amp;", "&"))
    assert form.status_code == 200
    assert 'value="7"' in form.text
    assert re.search(r'name="pets" value="1" checked', form.text)


def _send(sw, unit, **extra):
    page = sw.get(f"/requests/new?unit_id={unit.id}&municipality=1880")
    data = {
        "csrf_token": _csrf(page.text),
        "idempotency_key": _form_fields(page.text)["idempotency_key"],
        "unit_id": str(unit.id),
        "municipality": "1880",
        "case_ref": "SJ-WEB-1",
        "adults": "1",
        "child_age_0": "4",
        "child_sex_0": "f",
        "urgency": "today",
        "callback_phone": "070-123 45 67",
    }
    data.update(extra)
    return sw.post("/requests/new", data=data)


def test_request_accept_and_end_through_the_pages(sw, staff, session):
    unit = _unit(session, "kvinnohuset-orebro", "Rum 1")
    r = _send(sw, unit)
    assert r.status_code == 302, r.text
    mine = sw.get("/requests")
    assert "SJ-WEB-1" in mine.text and "min" in mine.text
    assert 'http-equiv="refresh"' not in mine.text  # live by polling, never a reload
    assert "data-live-requests" in mine.text

    # The live poll: a count and a fingerprint; 304 while nothing changes.
    live = staff.get("/requests/live")
    assert live.status_code == 200 and live.json["pending"] == 1
    etag = live.headers["ETag"]
    assert "no-store" in live.headers["Cache-Control"]  # behind login: never cached (issue 11)
    again = staff.get("/requests/live", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert sw.get("/requests/live").headers["ETag"] != etag  # each side its own view

    incoming = staff.get("/requests")
    assert 'class="count"' in incoming.text  # the badge of waiting requests
    assert f'data-etag="&#34;{etag[1:-1]}&#34;"' in incoming.text or etag[1:-1] in incoming.text
    part = staff.get("/requests?part=list")
    assert "<html" not in part.text and "data-live-list" in part.text
    req = session.scalar(select(PlacementRequest))
    assert f'id="request-{req.id}"' in incoming.text
    token = _csrf(incoming.text)
    r = staff.post(f"/requests/{req.id}/accept", data={"csrf_token": token})
    assert r.status_code == 302
    session.refresh(req)
    assert req.status.value == "accepted"
    changed = staff.get("/requests/live", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json["pending"] == 0
    assert changed.headers["ETag"] != etag

    page = sw.get("/placements")
    placement = session.scalar(select(Placement))
    assert f'id="placement-{placement.id}"' in page.text
    r = sw.post(f"/placements/{placement.id}/end", data={"csrf_token": _csrf(page.text)})
    assert r.status_code == 302  # no reason: back to the page with a message
    session.refresh(placement)
    assert placement.ended_at is None
    r = sw.post(
        f"/placements/{placement.id}/end",
        data={"csrf_token": _csrf(page.text), "reason": "returned_home"},
    )
    assert r.status_code == 302
    session.refresh(placement)
    assert placement.end_reason.value == "returned_home"
    session.refresh(unit)
    assert unit.status.value == "free"


def test_decline_needs_a_reason_on_the_page(sw, staff, session):
    unit = _unit(session, "kvinnohuset-orebro", "Rum 2")
    assert _send(sw, unit).status_code == 302
    req = session.scalar(select(PlacementRequest))
    token = _csrf(staff.get("/requests").text)
    staff.post(f"/requests/{req.id}/decline", data={"csrf_token": token, "reason": ""})
    session.refresh(req)
    assert req.status.value == "pending"
    staff.post(f"/requests/{req.id}/decline", data={"csrf_token": token, "reason": "capacity"})
    session.refresh(req)
    assert req.status.value == "declined" and req.decline_reason.value == "capacity"


def test_the_form_refuses_a_personnummer_and_a_bad_phone(sw, session):
    unit = _unit(session, "kvinnohuset-orebro", "Rum 1")
    r = _send(sw, unit, case_ref="19121212-1212")
    assert r.status_code == 422
    assert "personnummer" in r.text
    r = _send(sw, unit, callback_phone="12")
    assert r.status_code == 422
    assert session.scalar(select(func.count()).select_from(PlacementRequest)) == 0


def test_a_double_submitted_form_makes_one_request(sw, session):
    unit = _unit(session, "kvinnohuset-orebro", "Rum 1")
    page = sw.get(f"/requests/new?unit_id={unit.id}&municipality=1880")
    data = {
        "csrf_token": _csrf(page.text),
        "idempotency_key": _form_fields(page.text)["idempotency_key"],
        "unit_id": str(unit.id),
        "municipality": "1880",
        "case_ref": "SJ-TWICE",
        "adults": "1",
        "callback_phone": "0701234567",
    }
    assert sw.post("/requests/new", data=data).status_code == 302
    assert sw.post("/requests/new", data=data).status_code == 302
    assert session.scalar(select(func.count()).select_from(PlacementRequest)) == 1


def test_a_taken_unit_shows_alternatives(sw, session):
    unit = _unit(session, "kvinnohuset-orebro", "Rum 1")
    assert _send(sw, unit).status_code == 302
    r = _send(sw, unit, case_ref="SJ-WEB-2")
    assert r.status_code == 409
    links = re.findall(r'href="(/requests/new\?[^"]+)"', r.text)
    assert links and all("child_age_0=4" in x and "case_ref" not in x for x in links)
    assert f"unit_id={unit.id}&" not in links[0].replace("&amp;", "&")


def test_pages_need_the_right_role(app, demo, staff):
    anonymous = app.test_client()
    assert anonymous.get("/requests").status_code == 302
    assert staff.get("/requests/new?unit_id=1").status_code == 403
