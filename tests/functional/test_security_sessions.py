"""Headers and sessions in production: no-store and the CSP everywhere behind login, HSTS,
trusted hosts, __Host- cookies, a new session id at sign-in and on privilege change, logout
that really ends the session, CSRF."""

from __future__ import annotations

import re

from sqlalchemy import select

from shelterbeds.models import User, UserSession
from tests.support.factories import ADMIN, SOCIALJOUR, STAFF_SARA
from tests.support.security import (
    BASE,
    form_token,
    post_form,
    prod_app,
    prod_client,
    sign_in,
)

CSP_MUST = ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "default-src 'self'")


def _pages(app):
    """Every GET page without path parameters (the web blueprint)."""
    return sorted(
        r.rule
        for r in app.url_map.iter_rules()
        if "GET" in r.methods
        and not r.arguments
        and r.endpoint.startswith("web.")
        and not r.rule.startswith("/static")
    )


def _cookie_header(response, name):
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return header
    raise AssertionError(f"{name} not set: {response.headers.getlist('Set-Cookie')}")


def test_every_page_behind_login_has_no_store_and_the_csp(database_url, connection, demo):
    app = prod_app(database_url, connection)
    pages = _pages(app)
    assert len(pages) > 10
    for email in (ADMIN, STAFF_SARA, SOCIALJOUR):
        client = prod_client(app)
        assert sign_in(client, email).status_code == 302
        for path in pages:
            r = client.get(path)
            assert r.headers["Cache-Control"] == "no-store", (email, path)
            csp = r.headers["Content-Security-Policy"]
            for directive in CSP_MUST:
                assert directive in csp, (email, path, csp)
            assert re.search(r"script-src 'self' 'nonce-[\w+/=-]+'", csp), csp
            assert "max-age" in r.headers["Strict-Transport-Security"]


def test_api_answers_are_not_stored(database_url, connection, demo, token_for):
    client = prod_client(prod_app(database_url, connection))
    for path in ("/api/v1/shelters", "/api/v1/requests", "/api/v1/placements"):
        r = client.get(path, headers=token_for(SOCIALJOUR))
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store", path


def test_no_hsts_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_only_the_allowed_hosts_are_served(database_url, connection, demo):
    app = prod_app(database_url, connection)
    client = app.test_client()
    assert client.get("/login", base_url="https://evil.example").status_code == 400
    assert client.get("/login", base_url=BASE).status_code == 200
    app = prod_app(database_url, connection, allowed_hosts="a.example, b.example")
    assert app.test_client().get("/login", base_url="https://b.example").status_code == 200
    assert app.test_client().get("/login", base_url=BASE).status_code == 400


def test_cookies_are_host_prefixed_secure_httponly_lax(database_url, connection, demo):
    client = prod_client(prod_app(database_url, connection))
    r = sign_in(client, STAFF_SARA)
    for name in ("__Host-shelterbeds_session", "__Host-sb_device"):
        header = _cookie_header(r, name)
        for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
            assert attribute in header, (name, header)
        assert "Domain=" not in header


def test_a_new_session_id_at_sign_in_and_the_old_one_dies_at_logout(
    database_url, connection, demo, session
):
    app = prod_app(database_url, connection)
    client = prod_client(app)
    form_token(client)  # a pre-login session cookie (the CSRF secret)
    before = client.get_cookie("__Host-shelterbeds_session", domain="shelterbeds.test")
    sign_in(client, STAFF_SARA)
    first = client.get_cookie("__Host-shelterbeds_session", domain="shelterbeds.test")
    assert before is None or first.value != before.value
    post_form(client, "/logout", {"csrf_token": form_token(client, "/shelter")})
    sign_in(client, STAFF_SARA)
    second = client.get_cookie("__Host-shelterbeds_session", domain="shelterbeds.test")
    assert second.value != first.value
    assert session.query(UserSession).count() == 2  # one row per sign-in, never reused
    # Logout, then the old cookie replayed: back to the login page.
    post_form(client, "/logout", {"csrf_token": form_token(client, "/shelter")})
    client.set_cookie(
        "__Host-shelterbeds_session", second.value, domain="shelterbeds.test", secure=True
    )
    r = client.get("/shelter")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_a_privilege_change_ends_the_users_sessions(
    database_url, connection, demo, session, token_for
):
    app = prod_app(database_url, connection)
    worker = prod_client(app)
    sign_in(worker, SOCIALJOUR)
    assert worker.get("/search").status_code == 200
    user = session.scalar(select(User).where(User.email == SOCIALJOUR))
    r = prod_client(app).patch(
        f"/api/v1/users/{user.id}",
        json={"organisation": "socialtjansten-karlskoga"},
        headers=token_for(ADMIN),
    )
    assert r.status_code == 200, r.json
    assert r.json["sessions_ended"] == 1
    r = worker.get("/search")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_a_form_post_without_a_csrf_token_is_refused(database_url, connection, demo):
    client = prod_client(prod_app(database_url, connection))
    sign_in(client, STAFF_SARA)
    r = post_form(client, "/shelter/confirm", {})
    assert r.status_code == 400


def test_sessions_time_out_when_idle_and_absolutely(session, demo):
    from datetime import timedelta

    from shelterbeds.domain.clock import utcnow
    from shelterbeds.services import auth

    user = session.scalar(select(User).where(User.email == STAFF_SARA))
    now = utcnow()
    idle, absolute = timedelta(minutes=30), timedelta(hours=12)
    raw = auth.start_session(session, user, now)
    assert auth.resolve_session(session, raw, now + timedelta(minutes=29), idle, absolute)
    assert auth.resolve_session(session, raw, now + timedelta(minutes=29 + 29), idle, absolute)
    assert auth.resolve_session(session, raw, now + timedelta(hours=12, minutes=1), idle,
                                absolute) is None  # fmt: skip
    other = auth.start_session(session, user, now)
    assert auth.resolve_session(session, other, now + timedelta(minutes=31), idle, absolute) is None


def test_users_change_their_own_password_and_other_sessions_end(
    database_url, connection, demo, session
):
    app = prod_app(database_url, connection)
    here, elsewhere = prod_client(app), prod_client(app)
    sign_in(here, STAFF_SARA)
    sign_in(elsewhere, STAFF_SARA)
    page = "/account/password"

    def change(current, new, again=None):
        return post_form(here, page, {
            "csrf_token": form_token(here, page), "current_password": current,
            "new_password": new, "new_password_again": again or new,
        })  # fmt: skip

    from tests.support.factories import DEMO_PASSWORD

    assert change("wrong-password-123", "kaffe tåg regn fönster").status_code == 422
    assert change(DEMO_PASSWORD, "password1234").status_code == 422  # common
    assert change(DEMO_PASSWORD, "kaffe tåg regn fönster", "other").status_code == 422
    r = change(DEMO_PASSWORD, "kaffe tåg regn fönster")
    assert r.status_code == 302
    assert here.get("/shelter").status_code == 200  # this session stays
    assert elsewhere.get("/shelter").status_code == 302  # the other one ended
    assert sign_in(prod_client(app), STAFF_SARA, "kaffe tåg regn fönster").status_code == 302
