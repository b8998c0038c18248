"""The turn-away form for shelter staff through the test client (sign-in and CSRF included)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from shelterbeds.domain.clock import local, utcnow
from shelterbeds.domain.turnaways import local_to_utc
from shelterbeds.models import Municipality, TurnAway
from shelterbeds.services import auth
from tests.support.factories import DEMO_PASSWORD

OREBRO = "personal.orebro@example.org"
SARA = "personal.sara@example.org"


def _csrf(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client, email):
    token = _csrf(client, "/login")
    r = client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)


def _post(client, **fields):
    data = {"adults": "1", "children": "0", "reason": "capacity", "channel": "phone"}
    data.update(fields)
    data["csrf_token"] = _csrf(client, "/turnaways")
    return client.post("/turnaways", data=data)


def _count(session):
    return session.scalar(select(func.count()).select_from(TurnAway))


def _latest(session):
    return session.scalars(select(TurnAway).order_by(TurnAway.id.desc())).first()


def test_the_form_has_its_defaults_and_all_municipalities(client, demo, session):
    _login(client, OREBRO)
    r = client.get("/turnaways")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'href="/turnaways"' in html  # the nav link
    assert re.search(r'name="reason" value="capacity"\s+checked', html)
    assert re.search(r'name="channel" value="phone"\s+checked', html)
    assert re.search(r'name="when" value="now"\s+checked', html)
    assert 'value="request"' not in html  # set only by a declined placement request
    all_codes = set(session.scalars(select(Municipality.code)))
    shown = set(re.findall(r'<option value="(\d{4})"', html))
    assert len(all_codes) == 290 and shown == all_codes
    assert 'type="time"' in html and 'type="date"' in html


def test_staff_record_a_refusal_in_one_post(client, demo, session):
    _login(client, OREBRO)
    before = utcnow()
    r = _post(client, adults="1", children="2", municipality_code="1884")
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "flash-success" in page
    t = _latest(session)
    actor = auth.user_by_email(session, OREBRO)
    assert (t.shelter_id, t.recorded_by_id) == (actor.shelter_id, actor.id)
    assert (t.adults, t.children, t.reason.value, t.channel.value) == (1, 2, "capacity", "phone")
    assert t.municipality_code == "1884" and t.episode_key is None
    assert before - timedelta(seconds=1) <= t.occurred_at <= utcnow()
    assert "Nora" in page  # the recent list names the municipality


def test_yesterday_evening_is_stored_in_utc_and_shown_in_local_time(client, demo, session):
    _login(client, OREBRO)
    r = _post(client, when="yesterday", at="23:30", channel="walk_in", reason="pets")
    assert r.status_code == 302
    yesterday = local(utcnow()).date() - timedelta(days=1)
    t = _latest(session)
    assert t.occurred_at == local_to_utc(datetime.combine(yesterday, time(23, 30)))
    assert (t.channel.value, t.reason.value) == ("walk_in", "pets")
    page = client.get("/turnaways").get_data(as_text=True)
    assert f"{yesterday.isoformat()} 23:30" in page


def test_another_day_and_a_case_reference(client, demo, session):
    _login(client, OREBRO)
    day = local(utcnow()).date() - timedelta(days=4)
    r = _post(
        client,
        when="other",
        day=day.isoformat(),
        at="12:00",
        municipality_code="1880",
        case_ref="ÄR 2026/5",
    )
    assert r.status_code == 302
    first = _latest(session)
    assert first.occurred_at == local_to_utc(datetime.combine(day, time(12, 0)))
    _login(client, SARA)
    r = _post(
        client,
        when="other",
        day=day.isoformat(),
        at="15:00",
        municipality_code="1880",
        case_ref="är 2026/5",
    )
    assert r.status_code == 302
    assert _latest(session).episode_id == first.episode_id


@pytest.mark.parametrize(
    ("fields", "marker"),
    [
        ({"adults": "0"}, "adults-error"),
        ({"adults": "many"}, "adults-error"),
        ({"children": "-1"}, "children-error"),
        ({"reason": "full"}, "reason-error"),
        ({"channel": "request"}, "channel-error"),
        ({"municipality_code": "9999"}, "municipality_code-error"),
        ({"case_ref": "19121212-1212", "municipality_code": "1880"}, "case_ref-error"),
        ({"case_ref": "K-1"}, "municipality_code-error"),
        ({"when": "today"}, "at-error"),
        ({"when": "other", "at": "10:00"}, "day-error"),
        ({"when": "sometime", "at": "10:00"}, "when-error"),
        ({"when": "other", "at": "12:00", "day": "+1"}, "occurred_at-error"),
        ({"when": "other", "at": "12:00", "day": "-40"}, "occurred_at-error"),
    ],
)
def test_bad_input_shows_the_form_again_and_stores_nothing(client, demo, session, fields, marker):
    _login(client, OREBRO)
    today = local(utcnow()).date()
    if fields.get("day", "").startswith(("+", "-")):
        fields = {**fields, "day": (today + timedelta(days=int(fields["day"]))).isoformat()}
    r = _post(client, **fields)
    html = r.get_data(as_text=True)
    assert r.status_code == 422, (fields, r.status_code)
    assert f'id="{marker}"' in html, fields
    assert "19121212" not in html  # a rejected case reference is never echoed
    assert _count(session) == 0


def test_other_shelters_staff_do_not_see_your_turnaways(client, demo, session):
    _login(client, OREBRO)
    assert _post(client, adults="7", children="13").status_code == 302
    assert "7 + 13" in client.get("/turnaways").get_data(as_text=True)
    _login(client, SARA)
    assert "7 + 13" not in client.get("/turnaways").get_data(as_text=True)


def test_only_shelter_staff_use_the_form(client, demo, session):
    r = client.get("/turnaways")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    _login(client, "socialjour.orebro@example.org")
    assert 'href="/turnaways"' not in client.get("/search").get_data(as_text=True)
    assert client.get("/turnaways").status_code == 403
    token = _csrf(client, "/search")
    r = client.post(
        "/turnaways",
        data={"adults": "1", "reason": "capacity", "channel": "phone", "csrf_token": token},
    )
    assert r.status_code == 403
    assert _count(session) == 0


def test_a_post_without_csrf_token_is_refused(client, demo, session):
    _login(client, OREBRO)
    r = client.post("/turnaways", data={"adults": "1", "reason": "capacity", "channel": "phone"})
    assert r.status_code == 400
    assert _count(session) == 0
