"""JSON API under /api/v1: bearer tokens only, problem+json errors, OpenAPI from the schemas."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, render_template, request
from flask_smorest import Blueprint

from ..authz import load_api_actor
from ..domain.authorization import Action
from ..domain.errors import DomainError
from ..extensions import api, csrf
from ..services.access import authorize

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
    _check_role_for_action()


# Every API endpoint's action in the authorization table (domain/authorization.py).
ENDPOINT_ACTIONS: dict[str, Action] = {
    "shelters.list_shelters": Action.SHELTER_LIST,
    "shelters.set_unit_status": Action.UNIT_STATUS,
    "shelters.confirm": Action.SHELTER_CONFIRM,
    "vacancies.vacancies": Action.VACANCY_SEARCH,
    "requests.create_request": Action.REQUEST_CREATE,
    "requests.list_requests": Action.REQUEST_READ,
    "requests.get_request": Action.REQUEST_READ,
    "requests.accept_request": Action.REQUEST_DECIDE,
    "requests.decline_request": Action.REQUEST_DECIDE,
    "requests.withdraw_request": Action.REQUEST_WITHDRAW,
    "placements.list_placements": Action.PLACEMENT_READ,
    "placements.get_placement": Action.PLACEMENT_READ,
    "placements.end_placement": Action.PLACEMENT_END,
    "placements.review_placement": Action.PLACEMENT_REVIEW,
    "turnaways.record": Action.TURNAWAY_RECORD,
    "turnaways.list_": Action.TURNAWAY_READ,
    "subscriptions.list_subscriptions": Action.SUBSCRIPTION_MANAGE,
    "subscriptions.create_subscription": Action.SUBSCRIPTION_MANAGE,
    "subscriptions.delete_subscription": Action.SUBSCRIPTION_MANAGE,
    "admin.list_organisations": Action.ADMINISTER,
    "admin.create_organisation": Action.ADMINISTER,
    "admin.update_organisation": Action.ADMINISTER,
    "admin.list_users": Action.ADMINISTER,
    "admin.create_user": Action.ADMINISTER,
    "admin.update_user": Action.ADMINISTER,
    "admin.list_tokens": Action.TOKEN_MANAGE,
    "admin.revoke_token": Action.TOKEN_MANAGE,
    "shelter_admin.create_shelter": Action.ADMINISTER,
    "shelter_admin.add_unit": Action.ADMINISTER,
    "shelter_admin.update_unit": Action.ADMINISTER,
    "shelter_admin.get_shelter": Action.SHELTER_PROFILE,
    "shelter_admin.update_shelter": Action.SHELTER_PROFILE,
    "shelter_admin.profile_history": Action.SHELTER_PROFILE,
    "shelter_admin.list_units": Action.SHELTER_PROFILE,
    "imports.import_shelters": Action.ADMINISTER,
    "imports.export_shelters": Action.ADMINISTER,
}
# Whole blueprints with one action (statistics: aggregates for analysts and admins).
BLUEPRINT_ACTIONS: dict[str, Action] = {
    "stats": Action.STATISTICS_READ,
    "statistics": Action.STATISTICS_READ,
}


def endpoint_action(endpoint: str | None) -> Action | None:
    """The table's action for an API endpoint (None: not in the table)."""
    if not endpoint:
        return None
    return ENDPOINT_ACTIONS.get(endpoint) or BLUEPRINT_ACTIONS.get(endpoint.split(".")[0])


def _check_role_for_action() -> None:
    """Refuse a role the table gives no scope for this endpoint's action (before the view)."""
    actor = g.get("actor")
    action = endpoint_action(request.endpoint)
    if actor is not None and action is not None:
        authorize(actor, action)


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
