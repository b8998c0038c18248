"""The second factor in the browser: the code after the password, enrolment with a QR code
(drawn here as SVG, no outside service), recovery codes, and one's own settings page."""

from __future__ import annotations

from typing import Any

import segno
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.errors import Invalid
from ..extensions import db
from ..services import auth, second_factor
from ..throttle import Throttled, throttles
from . import bp
from .auth import complete_sign_in, pending_sign_in


class CodeForm(Schema):
    class Meta:
        unknown = EXCLUDE  # csrf_token

    code = fields.String(required=True, validate=validate.Length(1, 20))


def _key() -> str:
    return str(current_app.config["SETTINGS"].totp_encryption_key)


def _qr_svg(uri: str) -> Markup:
    """The otpauth:// URI as an inline SVG QR code (made here: the secret never leaves)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return Markup(svg)  # noqa: S704  (segno's own markup, no user input in it)


def _code(status: int = 200, **context: Any) -> Any:
    return render_template("web/second_factor_code.html", **context), status


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> Any:
    """Second step of sign-in: a code from the authenticator app or a recovery code."""
    pending = pending_sign_in()
    if pending is None:
        return redirect(url_for("web.login"))
    user, data = pending
    if request.method == "GET":
        return _code()
    try:
        code = CodeForm().load(request.form)["code"]
    except ValidationError:
        return _code(422, error=_("Enter the six digits from your app, or a recovery code."))
    ident = f"user:{user.id}"
    try:
        throttles().check("second_factor", ident)
    except Throttled as err:
        seconds = err.extra["retry_after"]
        response = _code(
            429,
            error=_(
                "Too many failed attempts. Wait %(seconds)d seconds and try again.",
                seconds=seconds,
            ),
        )
        return response[0], 429, {"Retry-After": str(seconds)}
    used = second_factor.verify(db.session, user, code, _key(), utcnow())
    if used is None:
        throttles().record("second_factor", ident)
        auth.record_auth_event(db.session, user.email, "second_factor.failed", utcnow())
        db.session.commit()
        return _code(401, error=_("That code is not right. Try the current code in your app."))
    if used == "recovery":
        flash(_("You signed in with a recovery code. It cannot be used again."), "info")
    return complete_sign_in(user, data.get("next", ""), data.get("device"), detail=used)


def _enrol_page(user: Any, status: int = 200, error: str | None = None) -> Any:
    found = second_factor.pending_uri(user, _key())
    if found is None:
        secret, uri = second_factor.begin_enrolment(user, _key())
        db.session.commit()
    else:
        secret, uri = found
    spaced = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_template(
        "web/second_factor_enrol.html", qr=_qr_svg(uri), secret=spaced, error=error
    ), status


def _codes_page(codes: list[str]) -> Any:
    return lambda target: render_template(
        "web/recovery_codes.html", codes=codes, continue_to=target
    )


@bp.route("/login/enrol", methods=["GET", "POST"])
def login_enrol() -> Any:
    """Set up the second factor during sign-in (required and not yet set up)."""
    pending = pending_sign_in()
    if pending is None:
        return redirect(url_for("web.login"))
    user, data = pending
    if second_factor.is_enrolled(user):
        return redirect(url_for("web.login_code"))
    if request.method == "GET":
        return _enrol_page(user)
    try:
        code = CodeForm().load(request.form)["code"]
        codes = second_factor.confirm_enrolment(db.session, user, code, _key(), utcnow())
    except (ValidationError, Invalid):
        db.session.rollback()
        return _enrol_page(user, 422, _("That code is not right. Enter the current code."))
    auth.record_auth_event(db.session, user.email, "second_factor.enrolled", utcnow())
    return complete_sign_in(
        user, data.get("next", ""), data.get("device"), "enrolled", page=_codes_page(codes)
    )


@bp.route("/account/second-factor", methods=["GET", "POST"])
@roles_required()
def account_second_factor() -> Any:
    """One's own second factor: set it up, or make new recovery codes (with a current code)."""
    actor = current_actor()
    enrolled = second_factor.is_enrolled(actor)
    if request.method == "GET":
        if not enrolled:
            return _enrol_page(actor)
        left = second_factor.recovery_codes_left(db.session, actor)
        return render_template("web/account_security.html", left=left)
    try:
        code = CodeForm().load(request.form)["code"]
    except ValidationError:
        code = ""
    try:
        throttles().check("second_factor", f"user:{actor.id}")
    except Throttled:
        flash(_("Too many failed attempts. Wait a minute and try again."), "error")
        return redirect(url_for("web.account_second_factor"))
    now = utcnow()
    if not enrolled:
        try:
            codes = second_factor.confirm_enrolment(db.session, actor, code, _key(), now)
        except Invalid:
            db.session.rollback()
            throttles().record("second_factor", f"user:{actor.id}")
            return _enrol_page(actor, 422, _("That code is not right. Enter the current code."))
        auth.record_auth_event(db.session, actor.email, "second_factor.enrolled", now)
    else:
        if second_factor.verify(db.session, actor, code, _key(), now) != "totp":
            throttles().record("second_factor", f"user:{actor.id}")
            db.session.rollback()
            flash(_("That code is not right. Try the current code in your app."), "error")
            return redirect(url_for("web.account_second_factor"))
        codes = second_factor.new_recovery_codes(db.session, actor, now)
        auth.record_auth_event(db.session, actor.email, "second_factor.new_codes", now)
    db.session.commit()
    return render_template("web/recovery_codes.html", codes=codes, continue_to=url_for("web.home"))
