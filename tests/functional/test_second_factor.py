"""The second factor: required in production, enrolment with a QR code, TOTP without replay,
recovery codes once each, administrator reset, secrets encrypted at rest, rate limited; the
password rules; sign-in answers that never reveal whether an account exists."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from shelterbeds.domain.errors import Invalid
from shelterbeds.models import AuditEvent, User
from shelterbeds.services import second_factor
from shelterbeds.services.auth import hash_password, password_problem
from tests.support.factories import ADMIN, STAFF_SARA, login
from tests.support.security import form_token, post_form, prod_app, prod_client, sign_in


def _secret(html: str) -> str:
    match = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html)
    assert match, "no TOTP key on the page"
    return match.group(1).replace(" ", "")


def _code_at(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def _enrol(client, email=STAFF_SARA):
    r = sign_in(client, email)
    assert r.status_code == 302 and r.headers["Location"].endswith("/login/enrol")
    page = client.get("/login/enrol")
    assert "<svg" in page.get_data(as_text=True)  # the QR code, drawn here
    secret = _secret(page.get_data(as_text=True))
    token = form_token(client, "/login/enrol")
    r = post_form(client, "/login/enrol", {"csrf_token": token, "code": _code_at(secret)})
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", r.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def user_codes(session, user):
    from shelterbeds.models import RecoveryCode

    return session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()


def _logout(client, page="/shelter"):
    post_form(client, "/logout", {"csrf_token": form_token(client, page)})


def _second_step(client, code):
    return post_form(
        client, "/login/code", {"csrf_token": form_token(client, "/login/code"), "code": code}
    )


def test_production_sign_in_requires_a_totp_code(database_url, connection, demo, session):
    app = prod_app(database_url, connection, require_2fa="")  # production: required
    client = prod_client(app)
    secret, _codes = _enrol(client)
    assert client.get("/shelter").status_code == 200
    _logout(client)
    r = sign_in(client, STAFF_SARA)
    assert r.headers["Location"].endswith("/login/code")
    # The password alone opens nothing.
    assert client.get("/shelter").status_code == 302
    assert _second_step(client, "000000").status_code == 401
    # The code just used at enrolment is refused (no replay).
    user = session.scalar(select(User).where(User.email == STAFF_SARA))
    used = pyotp.TOTP(secret).at(user.totp_last_step * 30)
    assert _second_step(client, used).status_code == 401
    # As if the enrolment had been a step (30 s) ago: the current code works, once.
    user.totp_last_step -= 1
    session.commit()
    r = _second_step(client, _code_at(secret))
    assert r.status_code == 302
    assert client.get("/shelter").status_code == 200
    _logout(client)
    sign_in(client, STAFF_SARA)
    assert _second_step(client, _code_at(secret)).status_code == 401  # replayed
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    for expected in ("second_factor.enrolled", "signin", "second_factor.failed", "signout"):
        assert expected in actions


def test_a_recovery_code_works_once(database_url, connection, demo):
    app = prod_app(database_url, connection, require_2fa="")  # production: required
    client = prod_client(app)
    _secret_value, codes = _enrol(client)
    _logout(client)
    sign_in(client, STAFF_SARA)
    assert _second_step(client, codes[0].upper()).status_code == 302
    _logout(client)
    sign_in(client, STAFF_SARA)
    assert _second_step(client, codes[0]).status_code == 401
    assert _second_step(client, codes[1]).status_code == 302


def test_second_factor_entry_is_rate_limited(database_url, connection, demo):
    app = prod_app(database_url, connection, require_2fa="")  # production: required
    client = prod_client(app)
    _enrol(client)
    _logout(client)
    sign_in(client, STAFF_SARA)
    statuses = [_second_step(client, f"{n:06d}").status_code for n in range(6)]
    assert statuses[:3] == [401, 401, 401] and 429 in statuses


def test_an_administrator_resets_a_lost_second_factor(
    database_url, connection, demo, session, token_for
):
    app = prod_app(database_url, connection, require_2fa="")  # production: required
    client = prod_client(app)
    _enrol(client)
    user = session.scalar(select(User).where(User.email == STAFF_SARA))
    r = prod_client(app).patch(
        f"/api/v1/users/{user.id}", json={"reset_second_factor": True}, headers=token_for(ADMIN)
    )
    assert r.status_code == 200 and r.json["second_factor"] is False
    assert r.json["sessions_ended"] == 1
    assert client.get("/shelter").status_code == 302  # signed out everywhere
    r = sign_in(client, STAFF_SARA)
    assert r.headers["Location"].endswith("/login/enrol")  # set up again
    audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "second_factor.reset"))
    assert audit is not None and audit.object_id == user.id


def test_the_totp_secret_is_encrypted_at_rest(session, demo):
    user = session.scalar(select(User).where(User.email == STAFF_SARA))
    secret, uri = second_factor.begin_enrolment(user, "key-one")
    assert secret not in (user.totp_secret or "") and secret in uri
    assert second_factor.pending_uri(user, "key-one")[0] == secret
    assert second_factor.pending_uri(user, "another-key") is None  # a dump alone is useless
    now = __import__("datetime").datetime.now(__import__("datetime").UTC)
    with pytest.raises(Invalid):
        second_factor.confirm_enrolment(session, user, "123456", "key-one", now)
    codes = second_factor.confirm_enrolment(session, user, pyotp.TOTP(secret).now(), "key-one", now)
    assert len(codes) == 10 and second_factor.is_enrolled(user)
    stored = [c.code_hash for c in user_codes(session, user)]
    assert all(h.startswith("$argon2id$") for h in stored)  # salted, not a plain digest
    assert second_factor.verify(session, user, codes[3].upper(), "key-one", now) == "recovery"
    assert second_factor.verify(session, user, codes[3], "key-one", now) is None


def test_a_demo_may_relax_the_second_factor_and_says_so(client, demo, app):
    page = client.get("/login").get_data(as_text=True)
    assert 'data-testid="second-factor-relaxed"' in page
    assert login(client, STAFF_SARA).status_code == 302
    assert client.get("/shelter").status_code == 200


def test_require_2fa_forces_it_outside_production(database_url, connection, demo):
    from shelterbeds import create_app
    from tests.support.factories import make_settings

    app = create_app(make_settings(database_url, require_2fa="1"), db_bind=connection)
    client = app.test_client()
    assert 'second-factor-relaxed"' not in client.get("/login").get_data(as_text=True)
    r = login(client, STAFF_SARA)
    assert r.headers["Location"].endswith("/login/enrol")


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short-pass1", False),  # 11 characters
        ("password1234", False),  # common
        ("Lösenord1234", False),  # common (Swedish list), any case
        ("aaaaaaaaaaaaaaaa", False),
        ("personal.sara-2026!", False),  # the e-mail's local part
        ("x" * 129, False),
        ("kaffe tåg regn fönster", True),  # no composition rules
        ("correcthorsebatterystaple-ish", True),
        ("a" * 5 + "bcdefghijklm", True),
    ],
)
def test_password_rules(password, ok):
    problem = password_problem(password, context=(STAFF_SARA,))
    assert (problem is None) is ok, problem
    if not ok:
        with pytest.raises(Invalid):
            hash_password(password, context=(STAFF_SARA,))


def test_sign_in_never_reveals_whether_an_account_exists(client, demo):
    def attempt(email):
        token = form_token(client)
        r = client.post("/login", data={"email": email, "password": "x" * 14, "csrf_token": token})
        text = r.get_data(as_text=True).replace(email, "E")
        text = re.sub(r'name="csrf_token" value="[^"]+"', "", text)
        return r.status_code, text

    assert attempt(STAFF_SARA) == attempt("nobody.here@example.org")
