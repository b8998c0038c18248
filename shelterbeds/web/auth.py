"""Sign in, sign out, choose the language."""

from __future__ import annotations

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
from marshmallow import ValidationError

from ..authz import SESSION_KEY, optional_actor
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..extensions import db, limiter
from ..schemas.forms import LanguageForm, LoginForm
from ..services import auth
from . import bp

HOME_BY_ROLE = {
    Role.SHELTER_STAFF: "web.shelter_page",
    Role.SOCIAL_WORKER: "web.search_page",
    Role.COUNTY_ANALYST: "web.search_page",
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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SETTINGS"].login_rate_limit, methods=["POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("web/login.html", next=request.args.get("next", ""))
    try:
        form = LoginForm().load(request.form)
    except ValidationError as err:
        return render_template(
            "web/login.html", errors=err.messages, email=request.form.get("email", "")
        ), 422
    user = auth.authenticate(db.session, form["email"], form["password"], utcnow())
    if user is None:
        db.session.commit()
        flash(_("Wrong e-mail or password."), "error")
        return render_template("web/login.html", email=form["email"], next=form["next"]), 401
    session.clear()  # a fresh session on sign-in (no fixation)
    session[SESSION_KEY] = auth.start_session(db.session, user, utcnow())
    db.session.commit()
    return redirect(safe_next(form["next"], url_for(HOME_BY_ROLE[user.role])))


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


@bp.get("/logout")
def logout_page() -> Any:
    """A typed or bookmarked /logout: signed in, a page with the sign-out button (a GET never
    changes state); signed out, the sign-in page."""
    if optional_actor() is None:
        return redirect(url_for("web.login"))
    return render_template("web/logout.html")
