"""The staff page, the search page, sign-in and sign-out through the test client."""

from __future__ import annotations

import re

from sqlalchemy import select

from shelterbeds.models import Shelter, Unit, UnitStatusChange, UserSession
from tests.support.factories import DEMO_PASSWORD


def csrf(client, path="/login"):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, email, password=DEMO_PASSWORD):
    token = csrf(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_login_page_is_swedish_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="sv"' in html
    assert "Logga in" in html


def test_wrong_password_is_refused_and_says_so(client, demo):
    r = login(client, "personal.sara@example.org", "wrong-password-x")
    assert r.status_code == 401
    assert "Fel e-postadress eller lösenord" in r.get_data(as_text=True)


def test_staff_sets_a_unit_with_one_tap(client, demo, session):
    assert login(client, "personal.sara@example.org").status_code == 302
    page = client.get("/shelter")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Lägenhet 1" in html and "Stämmer fortfarande" in html
    unit = session.scalar(
        select(Unit).join(Shelter).where(Shelter.slug == "sara-huset", Unit.label == "Lägenhet 1")
    )
    token = csrf(client, "/shelter")
    r = client.post(
        f"/shelter/units/{unit.id}/status",
        data={"status": "occupied", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Lägenhet 1 är nu upptagen" in r.get_data(as_text=True)
    session.refresh(unit)
    assert unit.status.value == "occupied"
    change = session.scalars(
        select(UnitStatusChange)
        .where(UnitStatusChange.unit_id == unit.id)
        .order_by(UnitStatusChange.id.desc())
    ).first()
    assert (change.from_status.value, change.to_status.value, change.source.value) == (
        "free",
        "occupied",
        "web",
    )


def test_staff_cannot_change_another_shelters_unit_from_the_web(client, demo, session):
    login(client, "personal.orebro@example.org")
    unit = session.scalar(
        select(Unit).join(Shelter).where(Shelter.slug == "sara-huset", Unit.label == "Lägenhet 2")
    )
    token = csrf(client, "/shelter")
    r = client.post(
        f"/shelter/units/{unit.id}/status", data={"status": "occupied", "csrf_token": token}
    )
    assert r.status_code == 403
    page = r.get_data(as_text=True)
    assert "Inte tillåtet" in page  # the page explains in Swedish, then the specific reason
    assert "Bara boendets egen personal får ändra det." in page
    session.refresh(unit)
    assert unit.status.value == "free"


def test_form_without_csrf_token_is_refused(client, demo, session):
    login(client, "personal.sara@example.org")
    unit = session.scalar(select(Unit).join(Shelter).where(Shelter.slug == "sara-huset"))
    before = unit.status
    r = client.post(f"/shelter/units/{unit.id}/status", data={"status": "closed"})
    assert r.status_code == 400
    session.refresh(unit)
    assert unit.status == before


def test_confirm_still_correct(client, demo, session):
    login(client, "personal.karlskoga@example.org")
    shelter = session.scalar(select(Shelter).where(Shelter.slug == "kvinnohuset-karlskoga"))
    before = shelter.confirmed_at
    r = client.post(
        "/shelter/confirm", data={"csrf_token": csrf(client, "/shelter")}, follow_redirects=True
    )
    assert "bekräftade" in r.get_data(as_text=True)
    session.refresh(shelter)
    assert shelter.confirmed_at > before


def test_search_page_finds_the_accessible_unit(client, demo):
    login(client, "socialjour.orebro@example.org")
    assert client.get("/search").status_code == 200
    html = client.get("/search?go=1&adults=1&wheelchair=1").get_data(as_text=True)
    assert "Sara-huset" in html and "Lägenhet 1" in html
    assert "Kvinnohuset i Örebro" in html  # as a near miss
    assert "Inte rullstolsanpassad" in html


def test_search_page_shows_field_errors(client, demo):
    login(client, "socialjour.orebro@example.org")
    r = client.get("/search?go=1&adults=0")
    assert r.status_code == 422


def test_social_worker_cannot_open_the_staff_page(client, demo):
    login(client, "socialjour.orebro@example.org")
    assert client.get("/shelter").status_code == 403


def test_pages_need_sign_in(client, demo):
    r = client.get("/search")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_logout_ends_the_server_side_session(client, demo, session):
    login(client, "personal.sara@example.org")
    assert client.get("/shelter").status_code == 200
    cookie = client.get_cookie("shelterbeds_session")
    client.post("/logout", data={"csrf_token": csrf(client, "/shelter")})
    revoked = session.scalars(select(UserSession)).all()
    assert revoked and all(s.revoked_at is not None for s in revoked)
    # Replaying the old cookie does not bring the session back.
    client.set_cookie("shelterbeds_session", cookie.value)
    r = client.get("/shelter")
    assert r.status_code == 302


def test_language_switch_to_english(client, demo):
    login(client, "personal.sara@example.org")
    client.post(
        "/language", data={"lang": "en", "next": "/shelter", "csrf_token": csrf(client, "/shelter")}
    )
    html = client.get("/shelter").get_data(as_text=True)
    assert "Still correct" in html and 'lang="en"' in html


def test_open_redirect_after_login_is_ignored(client, demo):
    token = csrf(client)
    r = client.post(
        "/login",
        data={
            "email": "personal.sara@example.org",
            "password": DEMO_PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
    )
    assert r.headers["Location"] == "/shelter"


def test_security_headers(client):
    r = client.get("/login")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"
