"""JSON API under /api/v1: bearer tokens only, problem+json errors, OpenAPI from the schemas."""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_smorest import Blueprint

from ..authz import load_api_actor
from ..domain.errors import DomainError
from ..extensions import api, csrf

BODY_METHODS = ("POST", "PUT", "PATCH")


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported Media Type"


def _before_api_request() -> None:
    """Authenticate by bearer token; insist on JSON bodies (imports take files)."""
    if (
        request.method in BODY_METHODS
        and request.content_length
        and not (
            request.is_json or request.endpoint in current_app.config.get("API_FILE_ENDPOINTS", ())
        )
    ):
        raise UnsupportedMediaType("Send the body as JSON with 'Content-Type: application/json'.")
    load_api_actor()


def make_blueprint(name: str, description: str) -> Blueprint:
    """A flask-smorest blueprint under /api/v1 with our auth hook and no CSRF (no cookies)."""
    blp = Blueprint(name, __name__, url_prefix="/api/v1", description=description)
    blp.before_request(_before_api_request)
    csrf.exempt(blp)
    return blp


def register_api(app: Flask) -> None:
    from . import (
        admin,
        imports,
        placements,
        requests,
        shelter_admin,
        shelters,
        subscriptions,
        turnaways,
        vacancies,
    )

    api.init_app(app)
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "shelterbeds API token"}
    )
    api.spec.options["security"] = [{"bearer": []}]
    app.config["API_FILE_ENDPOINTS"] = (
        *app.config.get("API_FILE_ENDPOINTS", ()),
        *imports.FILE_ENDPOINTS,
    )
    for module in (
        shelters,
        vacancies,
        requests,
        placements,
        turnaways,
        subscriptions,
        admin,
        shelter_admin,
        imports,
    ):
        api.register_blueprint(module.blp)

    @app.get("/api/v1/docs")
    def api_docs() -> str:
        """Human-readable API reference rendered from the OpenAPI document."""
        return render_template("web/api_docs.html", spec=api.spec.to_dict())
