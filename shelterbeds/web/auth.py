"""Sign in, sign out, choose the language."""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from ..authz import SESSION_KEY, current_actor, optional_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..domain.errors import Invalid
from ..extensions import db, limiter
from ..models import User
from ..schemas.forms import LanguageForm, LoginForm
from ..services import auth, second_factor
from ..throttle import Throttled, throttles
from . import bp

HOME_BY_ROLE = {
    Role.SHELTER_STAFF: "web.shelter_page",
    Role.SOCIAL_WORKER: "web.search_page",
    Role.COUNTY_ANALYST: "web.stats_page",  # aggregates only: the county dashboard
    Role.ADMIN: "web.search_page",
}


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site relative paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return fallback


@bp.get("/")
def home() -> Any:
    actor = optional_actor()
    if actor is None:
        return redirect(url_for("web.login"))
    return redirect(url_for(HOME_BY_ROLE[actor.role]))


PENDING_KEY = "pending_sign_in"
PENDING_SECONDS = 300  # to enter the second factor after the password
DEVICE_SALT = "shelterbeds-device"
DEVICE_DAYS = 180


def device_cookie_name() -> str:
    return "__Host-sb_device" if current_app.config["SETTINGS"].is_production else "sb_device"


def _email_key(email: str) -> str:
    return email.strip().lower()


def trusted_device(email: str) -> str | None:
    """The id of this browser's device cookie if this account signed in on it before.

    OWASP's device cookies: failures from a known device count against that device only,
    so an attacker hammering the account elsewhere cannot lock its worker out.
    """
    raw = request.cookies.get(device_cookie_name())
    if not raw:
        return None
    signer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)
    try:
        data = signer.loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("e") != _email_key(email):
        return None
    return str(data.get("d"))


def _set_device_cookie(response: Any, email: str, device: str | None) -> None:
    signer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)
    value = signer.dumps({"e": _email_key(email), "d": device or secrets.token_urlsafe(16)})
    response.set_cookie(
        device_cookie_name(),
        value,
        max_age=DEVICE_DAYS * 86400,
        secure=current_app.config["SETTINGS"].is_production,
        httponly=True,
        samesite="Lax",
        path="/",
    )


def _address_exempt() -> bool:
    """A known device is not held back by others' failures from the same (office) address."""
    email = request.form.get("email", "")
    return bool(email) and trusted_device(email) is not None


def _login_page(status: int, **context: Any) -> Any:
    relaxed = not current_app.config["SETTINGS"].second_factor_required
    return render_template("web/login.html", second_factor_relaxed=relaxed, **context), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["SETTINGS"].login_rate_limit,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 401,
    exempt_when=_address_exempt,
)
def login() -> Any:
    if request.method == "GET":
        return _login_page(200, next=request.args.get("next", ""))
    try:
        form = LoginForm().load(request.form)
    except ValidationError as err:
        return _login_page(422, errors=err.messages, email=request.form.get("email", ""))
    # The same answers and limits whether or not the account exists.
    device = trusted_device(form["email"])
    rule, ident = ("device", device) if device else ("account", _email_key(form["email"]))
    try:
        throttles().check(rule, ident)
    except Throttled as err:
        flash(
            _(
                "Too many failed attempts. Wait %(seconds)d seconds and try again.",
                seconds=err.extra["retry_after"],
            ),
            "error",
        )
        response = make_response(_login_page(429, email=form["email"], next=form["next"]))
        response.headers["Retry-After"] = str(err.extra["retry_after"])
        return response
    user = auth.authenticate(db.session, form["email"], form["password"], utcnow())
    if user is None:
        throttles().record(rule, ident)
        auth.record_auth_event(db.session, form["email"], "signin.failed", utcnow(), "password")
        db.session.commit()
        flash(_("Wrong e-mail or password."), "error")
        return _login_page(401, email=form["email"], next=form["next"])
    settings = current_app.config["SETTINGS"]
    if second_factor.is_enrolled(user) or settings.second_factor_required:
        # The password was right; the session starts only after the second factor.
        session.clear()
        session[PENDING_KEY] = {
            "uid": user.id,
            "at": time.time(),
            "next": form["next"],
            "device": device,
        }
        db.session.commit()
        step = "web.login_code" if second_factor.is_enrolled(user) else "web.login_enrol"
        return redirect(url_for(step))
    return complete_sign_in(user, form["next"], device)


def pending_sign_in() -> tuple[Any, dict[str, Any]] | None:
    """The user who gave the right password in the last few minutes and owes a second factor."""
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict) or time.time() - float(data.get("at", 0)) > PENDING_SECONDS:
        return None
    user = db.session.get(User, int(data["uid"]))
    if user is None or not user.active:
        return None
    return user, data


def complete_sign_in(
    user: Any, next_url: str, device: str | None, detail: str | None = None, page: Any = None
) -> Any:
    """Start a fresh server-side session (a new id: no fixation) and remember the device.

    `page` answers instead of the redirect (the recovery codes, shown once at enrolment).
    """
    session.clear()
    session[SESSION_KEY] = auth.start_session(db.session, user, utcnow(), detail)
    db.session.commit()
    target = safe_next(next_url, url_for(HOME_BY_ROLE[user.role]))
    response = make_response(page(target) if page else redirect(target))
    _set_device_cookie(response, user.email, device)
    return response


@bp.post("/logout")
def logout() -> Any:
    raw = session.pop(SESSION_KEY, None)
    if raw:
        auth.end_session(db.session, raw, utcnow())
        db.session.commit()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("web.login"))


@bp.post("/language")
def set_language() -> Any:
    try:
        form = LanguageForm().load(request.form)
    except ValidationError:
        return redirect(url_for("web.home"))
    actor = optional_actor()
    if actor is not None:
        actor.locale = form["lang"]
        db.session.commit()
    response = make_response(redirect(safe_next(form["next"], url_for("web.home"))))
    response.set_cookie("lang", form["lang"], max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


class PasswordChangeForm(Schema):
    class Meta:
        unknown = EXCLUDE  # csrf_token

    current_password = fields.String(required=True, validate=validate.Length(1, 200))
    new_password = fields.String(required=True, validate=validate.Length(1, 200))
    new_password_again = fields.String(required=True)

    @validates_schema
    def _same(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("new_password") != data.get("new_password_again"):
            raise ValidationError("The two new passwords differ.", "new_password_again")


@bp.route("/account/password", methods=["GET", "POST"])
@roles_required()
def account_password() -> Any:
    """Change one's own password (current and new); other sessions end."""
    actor = current_actor()
    if request.method == "GET":
        return render_template("web/account_password.html", errors={})
    ident = _email_key(actor.email)
    try:
        throttles().check("account", ident)
        form = PasswordChangeForm().load(request.form)
        ended = auth.change_password(
            db.session, actor, form["current_password"], form["new_password"], utcnow(),
            session.get(SESSION_KEY),
        )  # fmt: skip
    except ValidationError as err:
        return render_template("web/account_password.html", errors=err.messages), 422
    except Invalid as err:
        db.session.rollback()
        if err.errors and "current_password" in err.errors:
            throttles().record("account", ident)  # a wrong password counts as a failure
        return render_template("web/account_password.html", errors=err.errors or {}), 422
    db.session.commit()
    flash(_("Your password is changed. %(n)d other sessions were signed out.", n=ended),
          "success")  # fmt: skip
    return redirect(url_for("web.home"))


@bp.get("/logout")
def logout_page() -> Any:
    """A typed or bookmarked /logout: signed in, a page with the sign-out button (a GET never
    changes state); signed out, the sign-in page."""
    if optional_actor() is None:
        return redirect(url_for("web.login"))
    return render_template("web/logout.html")
