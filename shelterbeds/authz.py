"""Who is asking: the web session or the API bearer token, and the role check for views.

The rules themselves (which role, which tenant) live in services/access.py; this module
only finds the actor for a request and turns "not signed in" into 401 or a login redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Request, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from .domain.clock import utcnow
from .domain.enums import Role
from .domain.errors import DomainError, Forbidden
from .extensions import db
from .models import User
from .services import auth, token_cache
from .services.access import require_role
from .services.audit import CLIENT_ADDRESS

F = TypeVar("F", bound=Callable[..., Any])
SESSION_KEY = "sid"


class PagesOnlySessionInterface(SecureCookieSessionInterface):
    """The signed session cookie for pages; none for the API, which authenticates by bearer
    token only and never reads or sets a cookie (saves verifying a cookie per API call)."""

    PAGES_UNDER_API = ("/api/v1/docs",)  # HTML: the language form needs its CSRF token

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith("/api/") and request.path not in self.PAGES_UNDER_API:
            return self.make_null_session(app)
        return super().open_session(app, request)


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


def optional_actor() -> User | None:
    """The signed-in user, or None."""
    return g.get("actor")


def current_actor() -> User:
    """The signed-in user of a view protected by `roles_required`."""
    actor = g.get("actor")
    if actor is None:
        raise Unauthorized("Sign in first.")
    return actor


def _remember_address() -> None:
    """Audit rows written during this request say where it came from."""
    db.session.info[CLIENT_ADDRESS] = request.remote_addr


def load_web_actor() -> None:
    """Resolve the session cookie to a user (before every web request)."""
    g.actor = None
    _remember_address()
    raw = session.get(SESSION_KEY)
    if not raw:
        return
    settings = current_app.config["SETTINGS"]
    user = auth.resolve_session(
        db.session,
        raw,
        utcnow(),
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )
    if user is None:
        session.pop(SESSION_KEY, None)
    db.session.commit()  # the touch / revocation of the session row
    g.actor = user


def load_api_actor() -> None:
    """Resolve `Authorization: Bearer <token>` (before every API request). No cookies."""
    g.actor = None
    _remember_address()
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return
    from .throttle import throttles

    throttles().hit("api_token", raw.strip())  # per token, before any database work
    g.actor = token_cache.resolve(db.session, raw.strip(), utcnow())  # auth.resolve_token, cached
    db.session.commit()


def own_shelter_id() -> int:
    """The shelter of the signed-in staff member (a CHECK constraint guarantees one)."""
    shelter_id = current_actor().shelter_id
    if shelter_id is None:
        raise Forbidden("Your account is not linked to a shelter.")
    return shelter_id


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Require a signed-in actor with one of `roles` (any role if none given)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = optional_actor()
            if actor is None:
                if request.path.startswith("/api/"):
                    raise Unauthorized(
                        "Send 'Authorization: Bearer <token>' with a valid API token."
                    )
                return redirect(url_for("web.login", next=request.full_path))
            if roles:
                require_role(actor, *roles)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
