"""JSON API under /api/v1: bearer tokens only, problem+json errors, OpenAPI from the schemas."""

from __future__ import annotations

from typing import Any

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


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_response(description: str) -> dict[str, Any]:
    """OpenAPI for a 200 that is a CSV or XLSX download (`?format=csv|xlsx`)."""
    return {
        "description": description,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
    }


def make_blueprint(name: str, description: str) -> Blueprint:
    """A flask-smorest blueprint under /api/v1 with our auth hook and no CSRF (no cookies)."""
    blp = Blueprint(name, __name__, url_prefix="/api/v1", description=description)
    blp.before_request(_before_api_request)
    csrf.exempt(blp)
    return blp


# Which errors an operation can answer with, by what it takes (all are problem+json).
ALWAYS = {401: "UNAUTHORIZED", 403: "FORBIDDEN", 429: "TOO_MANY_REQUESTS"}
WITH_PATH_ID = {404: "NOT_FOUND"}
WITH_BODY = {
    400: "BAD_REQUEST",
    409: "CONFLICT",
    413: "REQUEST_ENTITY_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE_ENTITY",
}
WITH_QUERY = {422: "UNPROCESSABLE_ENTITY"}
CHANGES = {409: "CONFLICT", 422: "UNPROCESSABLE_ENTITY"}


def _document_error_codes(spec: Any) -> None:
    """List every error status each operation can return in the OpenAPI document."""
    for path, operations in spec._paths.items():
        for method, operation in operations.items():
            if method == "parameters" or not isinstance(operation, dict):
                continue
            codes = dict(ALWAYS)
            if "{" in path:
                codes |= WITH_PATH_ID
            if method in ("post", "put", "patch"):
                codes |= WITH_BODY
            if method in ("post", "put", "patch", "delete"):
                codes |= CHANGES
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                codes |= WITH_QUERY
            responses = operation.setdefault("responses", {})
            for code, name in codes.items():
                responses.setdefault(str(code), spec.components.get_ref("response", name))


def register_api(app: Flask) -> None:
    from . import (
        admin,
        hsds,
        imports,
        placements,
        requests,
        shelter_admin,
        shelters,
        stats,
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
        stats,
        hsds,
    ):
        api.register_blueprint(module.blp)

    _document_error_codes(api.spec)

    @app.get("/api/v1/docs")
    def api_docs() -> str:
        """Human-readable API reference rendered from the OpenAPI document."""
        return render_template("web/api_docs.html", spec=api.spec.to_dict())
