"""Accounts and tokens through the API: disable, end sessions, revoke, county administrators."""

from __future__ import annotations

import re

from flask import g, has_app_context
from sqlalchemy import select

from shelterbeds.models import User

ADMIN = "admin@example.org"


def login(client, email, password):
    if has_app_context():  # the base conftest holds one app context (and `g`) for all requests
        g.pop("csrf_token", None)
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


def test_accounts_disable_end_sessions_and_tokens(client, demo, token_for, session):
    admin = token_for(ADMIN)
    user = session.scalar(select(User).where(User.email == "personal.sara@example.org"))
    r = login(client, user.email, "demo-password-123")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert client.get("/shelter").status_code == 200
    own = token_for(user.email)
    r = client.patch(f"/api/v1/users/{user.id}", json={"end_sessions": True}, headers=admin)
    assert r.status_code == 200 and r.json["sessions_ended"] == 1
    assert client.get("/shelter").status_code == 302  # signed out
    assert client.get("/api/v1/shelters", headers=own).status_code == 200

    # tokens: the owner lists and revokes their own; others cannot see it
    tokens = client.get("/api/v1/tokens", headers=own).json
    assert [t["user"] for t in tokens] == [user.email]
    other = token_for("personal.orebro@example.org")
    assert client.delete(f"/api/v1/tokens/{tokens[0]['id']}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/tokens/{tokens[0]['id']}", headers=own).status_code == 204
    assert client.get("/api/v1/shelters", headers=own).status_code == 401
    # the admin revokes anyone's
    own = token_for(user.email)
    listed = client.get("/api/v1/tokens", headers=admin).json
    mine = next(t for t in listed if t["user"] == user.email and not t["revoked_at"])
    assert client.delete(f"/api/v1/tokens/{mine['id']}", headers=admin).status_code == 204
    assert client.get("/api/v1/shelters", headers=own).status_code == 401
    assert client.delete("/api/v1/tokens/999999", headers=admin).status_code == 404

    r = client.patch(f"/api/v1/users/{user.id}", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json["active"] is False
    r = login(client, user.email, "demo-password-123")
    assert r.status_code == 401, r.get_data(as_text=True)[-1500:]
    me = session.scalar(select(User).where(User.email == ADMIN))
    r = client.patch(f"/api/v1/users/{me.id}", json={"active": False}, headers=admin)
    assert r.status_code == 422

    cases = [
        (
            {
                "email": "personal.sara@example.org",
                "role": "social_worker",
                "organisation": "socialjouren-orebro",
            },
            409,
            "email",
        ),  # fmt: skip
        ({"email": "x@example.org", "role": "shelter_staff"}, 422, "shelter"),
        ({"email": "x@example.org", "role": "social_worker"}, 422, "organisation"),
        (
            {"email": "x@example.org", "role": "social_worker", "organisation": "nope"},
            422,
            "organisation",
        ),  # fmt: skip
        (
            {"email": "x@example.org", "role": "admin", "organisation": "socialjouren-orebro"},
            422,
            "organisation",
        ),  # fmt: skip
        ({"email": "not-an-email", "role": "admin"}, 422, "email"),
        ({"email": "x@example.org", "role": "boss"}, 422, "role"),
        ({"email": "x@example.org", "role": "admin", "phone": "0"}, 422, "phone"),
    ]
    for body, status, field in cases:
        r = client.post("/api/v1/users", json=body, headers=admin)
        assert r.status_code == status, (body, r.json)
        assert field in r.json["errors"], (body, r.json)
    assert session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_county_admin_manages_only_their_county(client, demo, token_for, session):
    national = token_for(ADMIN)
    r = client.post(
        "/api/v1/organisations",
        json={
            "slug": "socialtjansten-stockholm",
            "name": "Socialtjänsten Stockholm",
            "kind": "social_services",
            "municipalities": ["0180"],
        },  # fmt: skip
        headers=national,
    )
    assert r.status_code == 201 and r.json["county_code"] == "01"
    stockholm_id = r.json["id"]
    r = client.post(
        "/api/v1/users",
        json={
            "email": "admin.orebro@example.org",
            "role": "admin",
            "organisation": "lansstyrelsen-orebro",
        },  # fmt: skip
        headers=national,
    )
    assert r.status_code == 201, r.json
    county = token_for("admin.orebro@example.org")

    listed = client.get("/api/v1/organisations", headers=county).json
    assert "socialtjansten-stockholm" not in {o["slug"] for o in listed}
    assert "socialjouren-orebro" in {o["slug"] for o in listed}
    r = client.post(
        "/api/v1/users",
        json={
            "email": "sthlm@example.org",
            "role": "social_worker",
            "organisation": "socialtjansten-stockholm",
        },  # fmt: skip
        headers=county,
    )
    assert r.status_code == 403, r.json
    r = client.post(
        "/api/v1/users",
        json={"email": "nat@example.org", "role": "admin"},
        headers=county,
    )
    assert r.status_code == 403
    r = client.post(
        "/api/v1/organisations",
        json={
            "slug": "socialtjansten-solna",
            "name": "Solna",
            "kind": "social_services",
            "municipalities": ["0184"],
        },  # fmt: skip
        headers=county,
    )
    assert r.status_code == 403
    r = client.patch(f"/api/v1/organisations/{stockholm_id}", json={"name": "Mine"}, headers=county)
    assert r.status_code == 404
    r = client.post(
        "/api/v1/shelters",
        json={"slug": "sthlm", "name": "S", "operator": "sara-huset", "municipality_code": "0180"},
        headers=county,
    )
    assert r.status_code == 403
    emails = {u["email"] for u in client.get("/api/v1/users", headers=county).json}
    assert ADMIN not in emails and "socialjour.orebro@example.org" in emails
    r = client.post(
        "/api/v1/users",
        json={
            "email": "nora.sw@example.org",
            "role": "social_worker",
            "organisation": "socialtjansten-nora",
        },  # fmt: skip
        headers=county,
    )
    assert r.status_code == 201, r.json
    assert session.scalar(select(User).where(User.email == "sthlm@example.org")) is None
