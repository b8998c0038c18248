"""Domain errors: services raise these; the web and API layers map them to responses."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class. `status` is the HTTP status the API maps it to."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: dict[str, Any] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra


class NotFound(DomainError):
    """Unknown, or not visible to this user (never reveal which)."""

    status = 404
    title = "Not found"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Conflict(DomainError):
    """The state of the data does not allow this (unit not free, request decided)."""

    status = 409
    title = "Conflict"


class Invalid(DomainError):
    """Input that is well-formed but breaks a business rule."""

    status = 422
    title = "Unprocessable input"
