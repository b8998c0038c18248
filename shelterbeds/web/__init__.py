"""HTML pages (Jinja), thin views. Sessions are server-side; every form carries a CSRF token."""

from __future__ import annotations

from flask import Blueprint, request

from ..authz import load_web_actor

bp = Blueprint("web", __name__)


def _load_actor_for_pages() -> None:
    if not request.path.startswith(("/api/", "/static/", "/healthz", "/readyz")):
        load_web_actor()


bp.before_app_request(_load_actor_for_pages)

from . import (  # noqa: E402,F401  (register routes)
    activate,
    admin,
    admin_audit,
    admin_import,
    admin_shelters,
    auth,
    followup,
    health,
    live,
    placements,
    profile,
    requests,
    search,
    second_factor,
    shelter,
    stats,
    subscriptions,
    turnaways,
    twilio_hooks,
)
