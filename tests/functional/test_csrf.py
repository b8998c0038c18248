"""Every state-changing web form is refused without the session's own CSRF token."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shelterbeds.models import Shelter, Unit
from tests.support.factories import DEMO_PASSWORD

SARA_STAFF = "personal.sara@example.org"


def csrf_token(client, path="/login"):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, email=SARA_STAFF):
    data = {"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf_token(client)}
    r = client.post("/login", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)


def sara_unit(session, label="Lägenhet 1"):
    return session.scalar(
        select(Unit).join(Shelter).where(Shelter.slug == "sara-huset", Unit.label == label)
    )


def test_sign_in_without_token_is_refused(client, demo):
    r = client.post("/login", data={"email": SARA_STAFF, "password": DEMO_PASSWORD})
    assert r.status_code == 400
    assert client.get("/shelter").status_code == 302  # still not signed in


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_unit_status_form_without_a_valid_token_changes_nothing(client, demo, session, token):
    sign_in(client)
    unit = sara_unit(session)
    confirmed = unit.shelter.confirmed_at
    data = {"status": "occupied"} | ({} if token is None else {"csrf_token": token})
    r = client.post(f"/shelter/units/{unit.id}/status", data=data)
    assert r.status_code == 400
    session.refresh(unit)
    session.refresh(unit.shelter)
    assert unit.status.value == "free"
    assert unit.shelter.confirmed_at == confirmed

    # The same form with the page's token goes through: the token was the only problem.
    data["csrf_token"] = csrf_token(client, "/shelter")
    assert client.post(f"/shelter/units/{unit.id}/status", data=data).status_code == 302
    session.refresh(unit)
    assert unit.status.value == "occupied"


def test_token_from_another_browser_is_refused(app, demo, session):
    attacker, victim = app.test_client(), app.test_client()
    sign_in(attacker, "personal.karlskoga@example.org")
    stolen = csrf_token(attacker, "/shelter")
    sign_in(victim)
    confirmed = sara_unit(session).shelter.confirmed_at
    r = victim.post("/shelter/confirm", data={"csrf_token": stolen})
    assert r.status_code == 400
    session.expire_all()
    assert sara_unit(session).shelter.confirmed_at == confirmed


def test_sign_out_and_language_need_the_token(client, demo):
    sign_in(client)
    assert client.post("/logout").status_code == 400
    assert client.get("/shelter").status_code == 200  # the session was not ended
    assert client.post("/language", data={"lang": "en"}).status_code == 400
    assert 'lang="sv"' in client.get("/shelter").get_data(as_text=True)
