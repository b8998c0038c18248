"""Flask extensions, created unbound and bound in create_app."""

from __future__ import annotations

import http
from typing import Any

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Api as _Api
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect

from .db import Database
from .schemas.problems import ProblemOut

PROBLEM_JSON = "application/problem+json"


class Api(_Api):
    """flask-smorest Api whose errors are problem+json, mapped in one place (errors.py)."""

    ERROR_SCHEMA = ProblemOut

    def _register_error_handlers(self) -> None:  # errors.py registers app-wide handlers
        return None

    def _register_responses(self) -> None:
        """Document error responses as `application/problem+json`, which is what they are."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_JSON: {"schema": self.ERROR_SCHEMA}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {
                "description": "Any other error, as problem details",
                "content": {PROBLEM_JSON: {"schema": self.ERROR_SCHEMA}},
            },
            lazy=True,
        )


db = Database()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


@limiter.request_filter
def _api_limited_elsewhere() -> bool:
    """Flask-Limiter guards the sign-in form only; the API's limits (per token, per account
    for SMS-sending actions) are throttle.py's. Skipping its per-request evaluation there
    saved about a tenth of a cached search's time (docs/PERFORMANCE.md)."""
    return request.path.startswith("/api/")


api = Api()
talisman = Talisman()


def wants_problem_json() -> bool:
    """API paths answer in problem+json; everything else in HTML."""
    return request.path.startswith(("/api/", "/twilio/"))
