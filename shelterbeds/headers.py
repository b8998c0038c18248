"""Response headers beyond Talisman's: nothing behind login is ever cached."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import SecurityError

from .domain.authorization import PUBLIC_ENDPOINTS


def _no_store(response: Response) -> Response:
    """`Cache-Control: no-store` on every page and API answer (static files excepted).

    Pages and answers behind login carry client data; a shared or back-button cache must
    never keep them. Public pages (login, health) get it too: they are cheap to rebuild.
    Open data (`PUBLIC_ENDPOINTS`) keeps the public caching its view chose.
    """
    if request.endpoint in PUBLIC_ENDPOINTS and "public" in (
        response.headers.get("Cache-Control") or ""
    ):
        return response
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def _untrusted_host(_error: SecurityError) -> Response:
    """A Host outside SHELTERBEDS_ALLOWED_HOSTS: a plain 400 (no page: no URL can be built)."""
    return Response("Unknown host.\n", status=400, mimetype="text/plain")


def init_app(app: Flask) -> None:
    app.after_request(_no_store)
    app.register_error_handler(SecurityError, _untrusted_host)
