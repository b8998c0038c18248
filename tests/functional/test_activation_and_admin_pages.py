"""Activation links and the administration and profile pages through the test client."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from flask import g, has_app_context
from sqlalchemy import select

from shelterbeds.domain.clock import utcnow
from shelterbeds.models import (
    ActivationToken,
    Organisation,
    Shelter,
    ShelterProfileChange,
    Unit,
    User,
)
from shelterbeds.services import activation

ADMIN = "admin@example.org"
PASSWORD = "a-long-enough-password"
DEMO_PASSWORD = "demo-password-123"


def page_csrf(client, path):
    if has_app_context():  # the base conftest holds one app context (and `g`) for all requests
        g.pop("csrf_token", None)
    response = client.get(path)
    html = response.get_data(as_text=True)
    return response, re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, email, password=DEMO_PASSWORD):
    _r, token = page_csrf(client, "/login")
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


def new_account(client, token_for, email="ny@example.org"):
    r = client.post(
        "/api/v1/users",
        json={"email": email, "role": "social_worker", "organisation": "socialjouren-orebro"},
        headers=token_for(ADMIN),
    )
    assert r.status_code == 201, r.json
    return r.json, urlsplit(r.json["activation_url"]).path


def set_password(client, path, password=PASSWORD, again=None):
    _r, token = page_csrf(client, path)
    return client.post(
        path,
        data={"csrf_token": token, "password": password, "password_again": again or password},
    )


def test_link_works_once(client, demo, token_for, session):
    user, path = new_account(client, token_for)
    token = path.rsplit("/", 1)[1]
    stored = session.scalar(select(ActivationToken).where(ActivationToken.user_id == user["id"]))
    assert stored.token_hash != token and len(stored.token_hash) == 64  # only a hash is kept
    assert stored.expires_at - stored.created_at == timedelta(hours=72)

    r = set_password(client, path, "short")
    assert r.status_code == 422
    r = set_password(client, path, PASSWORD, "something-else-entirely")
    assert r.status_code == 422
    assert session.scalar(select(User.password_hash).where(User.id == user["id"])) is None

    r = set_password(client, path)
    assert r.status_code == 302
    assert login(client, "ny@example.org", PASSWORD).status_code == 302
    hashed = session.scalar(select(User.password_hash).where(User.id == user["id"]))

    r = client.get(path)
    assert r.status_code == 410
    assert "expired or has already been used" in r.get_data(as_text=True) or "redan" in (
        r.get_data(as_text=True)
    )
    r = client.post(path, data={"password": "another-password-1", "password_again": "x"})
    assert r.status_code in (400, 410)
    session.expire_all()
    assert session.scalar(select(User.password_hash).where(User.id == user["id"])) == hashed


def test_expired_and_replaced_links_are_refused(client, demo, token_for, session):
    user, first = new_account(client, token_for)
    r = client.patch(
        f"/api/v1/users/{user['id']}", json={"new_activation_link": True}, headers=token_for(ADMIN)
    )
    assert r.status_code == 200
    second = urlsplit(r.json["activation_url"]).path
    assert client.get(first).status_code == 410  # a new link replaces the old
    assert client.get(second).status_code == 200
    assert client.get("/activate/not-a-real-token").status_code == 410

    account = session.get(User, user["id"])
    _token, raw = activation.issue_link(
        session, account, None, utcnow() - timedelta(hours=73), timedelta(hours=72)
    )
    session.commit()
    assert client.get(f"/activate/{raw}").status_code == 410
    assert session.scalar(select(User.password_hash).where(User.id == user["id"])) is None


def test_admin_pages_render_and_create(client, demo, session):
    assert login(client, ADMIN).status_code == 302
    for path in (
        "/admin",
        "/admin/organisations",
        "/admin/shelters",
        "/admin/users",
        "/admin/tokens",
    ):
        r = client.get(path)
        assert r.status_code == 200, path
    sara = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    org = session.scalar(select(Organisation).where(Organisation.slug == "socialjouren-orebro"))
    assert client.get(f"/admin/shelters/{sara.id}").status_code == 200
    assert client.get(f"/admin/organisations/{org.id}").status_code == 200

    _r, token = page_csrf(client, "/admin/organisations")
    r = client.post(
        "/admin/organisations",
        data={
            "csrf_token": token,
            "name": "Nora",
            "slug": "nora-x",
            "kind": "social_services",
            "municipalities": "1884 9999",
        },  # fmt: skip
    )
    assert r.status_code == 422
    assert "9999" in r.get_data(as_text=True)
    assert session.scalar(select(Organisation).where(Organisation.slug == "nora-x")) is None
    r = client.post(
        "/admin/organisations",
        data={
            "csrf_token": token,
            "name": "Nora",
            "slug": "nora-x",
            "kind": "social_services",
            "municipalities": "1884",
        },  # fmt: skip
    )
    assert r.status_code == 302
    assert (
        session.scalar(select(Organisation).where(Organisation.slug == "nora-x")).county_code
        == "18"
    )

    r = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "webb@example.org",
            "role": "social_worker",
            "organisation": "nora-x",
            "shelter": "",
        },  # fmt: skip
    )
    assert r.status_code == 200
    link = re.search(r"https://shelterbeds.test/activate/[\w-]+", r.get_data(as_text=True))
    assert link, "the activation link is shown"
    assert client.get(urlsplit(link.group(0)).path).status_code == 200

    _r, token = page_csrf(client, "/admin/shelters")
    r = client.post(
        "/admin/shelters",
        data={
            "csrf_token": token,
            "name": "Webbhuset",
            "slug": "webbhuset",
            "operator": "sara-huset",
            "municipality_code": "1880",
            "accepts_women": "1",
            "lgbtq": "yes",
            "substance_use": "no",
            "languages": "sv, en",
            "intake_phone": "070-174 06 77",
            "max_boy_age": "",
        },  # fmt: skip
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    shelter = session.scalar(select(Shelter).where(Shelter.slug == "webbhuset"))
    assert shelter.languages == ["sv", "en"] and shelter.intake_phone == "+46701740677"
    assert shelter.max_boy_age is None and shelter.accepts_men is False

    r = client.post(
        f"/admin/shelters/{shelter.id}/units",
        data={
            "csrf_token": token,
            "label": "Rum 1",
            "adult_beds": "1",
            "child_beds": "2",
            "wheelchair_accessible": "1",
        },  # fmt: skip
    )
    assert r.status_code == 302
    unit = session.scalar(select(Unit).where(Unit.shelter_id == shelter.id))
    assert unit.wheelchair_accessible and not unit.pets_allowed and unit.status.value == "closed"
    r = client.post(
        f"/admin/shelters/{shelter.id}/units/{unit.id}",
        data={"csrf_token": token, "action": "retire"},
    )
    assert r.status_code == 302
    session.refresh(unit)
    assert unit.retired_at is not None


def test_admin_page_refuses_to_retire_an_occupied_unit(client, demo, session):
    assert login(client, ADMIN).status_code == 302
    sara = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    unit = next(u for u in sara.units if u.status.value == "occupied")
    _r, token = page_csrf(client, f"/admin/shelters/{sara.id}")
    r = client.post(
        f"/admin/shelters/{sara.id}/units/{unit.id}", data={"csrf_token": token, "action": "retire"}
    )
    assert r.status_code == 409
    session.refresh(unit)
    assert unit.retired_at is None and unit.status.value == "occupied"


def test_staff_profile_page_changes_policy_and_shows_history(client, demo, session, token_for):
    assert login(client, "personal.orebro@example.org").status_code == 302
    r, token = page_csrf(client, "/shelter/profile")
    assert r.status_code == 200
    form = {
        "csrf_token": token,
        "accepts_women": "1",
        "lgbtq": "yes",
        "substance_use": "no",
        "max_boy_age": "15",
        "staffed_hours": "Dagtid, ej dygnet runt",
        "languages": "sv",
        "intake_phone": "+46701740605",
        "on_call_phones": "+46701740615",
        "nationwide": "1",
        "open_data": "1",  # the page shows the box ticked
    }
    r = client.post("/shelter/profile", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)
    orebro = session.scalar(select(Shelter).where(Shelter.slug == "kvinnohuset-orebro"))
    session.refresh(orebro)
    assert orebro.lgbtq.value == "yes"
    changes = session.scalars(select(ShelterProfileChange)).all()
    assert [(c.field, c.before, c.after) for c in changes] == [("lgbtq", "no", "yes")]
    html = client.get("/shelter/profile").get_data(as_text=True)
    assert "personal.orebro@example.org" in html and "lgbtq" in html
    r = client.get("/api/v1/vacancies?lgbtq=1", headers=token_for("socialjour.orebro@example.org"))
    assert "kvinnohuset-orebro" in {h["shelter"]["slug"] for h in r.json["results"]}

    r = client.post("/shelter/profile", data=form | {"intake_phone": "nej", "max_boy_age": "99"})
    assert r.status_code == 422
    session.refresh(orebro)
    assert orebro.max_boy_age == 15 and orebro.intake_phone == "+46701740605"

    # narrowing while units are occupied: saved, with a warning; placements untouched
    r = client.post("/shelter/profile", data=form | {"lgbtq": "no"}, follow_redirects=True)
    assert r.status_code == 200
    info = re.findall(r'class="flash flash-info"[^>]*>([^<]*)<', r.get_data(as_text=True))
    assert len(info) == 1 and info[0].startswith("6 "), info
    session.refresh(orebro)
    assert orebro.lgbtq.value == "no"


def test_roles_are_kept_out_of_admin_pages(client, demo):
    assert login(client, "socialjour.orebro@example.org").status_code == 302
    assert client.get("/admin").status_code == 403
    assert client.get("/admin/users").status_code == 403
    assert client.get("/shelter/profile").status_code == 403
