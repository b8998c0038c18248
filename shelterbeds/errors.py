"""One error mapping: domain errors and HTTP errors to problem+json (API) or a page (web)."""

from __future__ import annotations

import traceback
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from .domain.errors import DomainError
from .extensions import db, wants_problem_json

PROBLEM = "application/problem+json"

# Pages speak the user's language: a translated title and what to do, by status. The
# specific detail from the service follows (it is translated where the catalogue has it).
PAGE_TEXT = {
    400: (_l("The request could not be read"), _l("Go back, check the form and send it again.")),
    401: (_l("Sign in"), _l("Sign in again: your session has ended.")),
    403: (_l("Not allowed"), _l("Your account does not have access to this.")),
    404: (_l("Not found"), _l("It does not exist or is not visible to you.")),
    409: (
        _l("Something changed"),
        _l("Someone else changed this first. Reload the page to see the current state."),
    ),
    410: (_l("No longer valid"), _l("Ask your administrator for a new link.")),
    405: (_l("Not a page to open"), _l("Use the buttons on the page instead of the address.")),
    413: (_l("Too large"), _l("The file or form is too large.")),
    422: (_l("Check the details"), _l("Go back and correct what the message below describes.")),
    429: (_l("Too many attempts"), _l("Wait a minute and try again.")),
}
DEFAULT_PAGE_TEXT = (_l("Something went wrong"), _l("Try again in a moment."))


def error_page(status: int, detail: str) -> Any:
    """The HTML error page: translated title and advice, then the specific detail."""
    title, hint = PAGE_TEXT.get(status, DEFAULT_PAGE_TEXT)
    translated = _(detail) if detail else ""
    if translated == detail and str(get_locale()) != "en":
        translated = ""  # no translation: the page's own advice, never English in Swedish
    return render_template(
        "web/error.html", status=status, title=title, hint=hint, detail=translated
    ), status


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
    return error_page(status, detail if status < 500 else "")


def _domain_error(error: DomainError) -> Any:
    db.session.rollback()
    if wants_problem_json():
        return problem(error.status, error.title, error.detail, error.errors, **error.extra)
    return error_page(error.status, error.detail)


def _csrf_error(error: CSRFError) -> Any:
    db.session.rollback()
    return render_template(
        "web/error.html",
        status=400,
        title=_("Form expired"),
        hint=_("The form had expired or was sent from elsewhere. Reload the page and try again."),
        detail="",
    ), 400


def _unexpected(error: Exception) -> Any:
    """A 500 that says nothing to the caller; what failed and where goes to the log."""
    db.session.rollback()
    where = f"{request.method} {request.url_rule or request.path}"
    if isinstance(error, DBAPIError):
        # The database's message may quote a value users typed ("invalid input syntax …:
        # <value>"); the log gets its SQLSTATE and our own stack, never the message.
        code = getattr(error.orig, "sqlstate", None) or type(error.orig).__name__
        stack = "".join(traceback.format_tb(error.__traceback__))
        current_app.logger.error(
            "unexpected database error %s (%s) on %s; message withheld, it may hold user "
            "data\nTraceback (most recent call last):\n%s",
            type(error).__name__,
            code,
            where,
            stack,
        )
    else:
        current_app.logger.error("unexpected error on %s", where, exc_info=error)
    return _http_error(InternalServerError())


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DomainError, _domain_error)
    if not app.debug and not app.testing:
        app.register_error_handler(Exception, _unexpected)
