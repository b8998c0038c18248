"""One error mapping: domain errors and HTTP errors to problem+json (API) or a page (web)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .domain.errors import DomainError
from .extensions import db, wants_problem_json

PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, errors: Any = None, **extra: Any) -> Response:
    """A problem+json response (RFC 9457)."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    return response


def _http_error(error: HTTPException) -> Any:
    db.session.rollback()
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("messages")
    if isinstance(errors, dict) and len(errors) == 1:
        # webargs nests field errors under the location ("json", "query"): flatten it.
        errors = next(iter(errors.values()))
    detail = error.description or ""
    if status == 422 and errors:
        detail = "The input has errors: see 'errors' for what to fix in each field."
    if wants_problem_json():
        response = problem(status, error.name, detail, errors)
        for key, value in (data.get("headers") or {}).items():
            response.headers[key] = value
        return response
    return render_template("web/error.html", status=status, title=error.name, detail=detail), status


def _domain_error(error: DomainError) -> Any:
    db.session.rollback()
    if wants_problem_json():
        return problem(error.status, error.title, error.detail, error.errors, **error.extra)
    return render_template(
        "web/error.html", status=error.status, title=error.title, detail=error.detail
    ), error.status


def _csrf_error(error: CSRFError) -> Any:
    db.session.rollback()
    detail = _("The form had expired or was sent from elsewhere. Reload the page and try again.")
    return render_template(
        "web/error.html", status=400, title=_("Form expired"), detail=detail
    ), 400


def _unexpected(error: Exception) -> Any:
    db.session.rollback()
    return _http_error(InternalServerError())


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DomainError, _domain_error)
    if not app.debug and not app.testing:
        app.register_error_handler(Exception, _unexpected)
