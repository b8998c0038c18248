"""Helpers for the admin and profile forms: HTML form fields to schema input, errors to pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import Enum
from typing import Any

from flask import flash, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError

from ..domain.errors import DomainError
from ..extensions import db
from ..formatting import label

# Optional fields whose empty input means "no value".
NULLABLE = (
    "intake_phone",
    "ivo_licence",
    "ivo_licence_date",
    "max_boy_age",
    "staffed_hours",
    "county_code",
    "phone",
    "organisation",
    "shelter",
)


def split_list(text: str) -> list[str]:
    """'sv, en ar' -> ['sv', 'en', 'ar'] (commas, semicolons or spaces)."""
    return [p for p in text.replace(",", " ").replace(";", " ").split() if p]


def form_input(
    fields: tuple[str, ...], booleans: tuple[str, ...] = (), lists: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The submitted form as schema input: unchecked boxes are false, lists are split."""
    raw: dict[str, Any] = {}
    for name in fields:
        if name in booleans:
            raw[name] = "1" if request.form.get(name) else "0"
        elif name in lists:
            raw[name] = split_list(request.form.get(name, ""))
        elif name in request.form:
            value = request.form[name].strip()
            raw[name] = None if value == "" and name in NULLABLE else value
    return raw


def form_values(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """An object's fields as strings for a form (lists joined, enums by value)."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name, None)
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, date):
            value = value.isoformat()
        out[name] = value
    return out


def submit(
    schema: Schema,
    data: dict[str, Any],
    action: Callable[[dict[str, Any]], Any],
    render: Callable[[dict[str, Any]], Any],
) -> Any:
    """Load `data`, run `action` and commit; on bad input re-render with the errors.

    Forbidden and not-found are not form errors: they go to the error page.
    """
    try:
        result = action(schema.load(data))
    except ValidationError as err:
        db.session.rollback()
        return render(err.normalized_messages()), 422
    except DomainError as err:
        if err.status in (401, 403, 404):
            raise
        db.session.rollback()
        flash(err.detail, "error")
        return render(err.errors or {}), err.status
    db.session.commit()
    return result


def narrowing_text(warning: Any) -> str:
    """A policy-narrowing warning in the user's language."""
    return _(
        "%(n)d units are occupied or held: current placements and requests are not affected; "
        "the change applies to new searches only.",
        n=warning.busy,
    )


OPTION_LABELS = {
    "social_services": _l("Social services"),
    "socialjour": _l("Out-of-hours social services"),
    "shelter_operator": _l("Shelter operator"),
    "county": _l("County"),
    "shelter_staff": _l("Shelter staff"),
    "social_worker": _l("Social worker"),
    "county_analyst": _l("County analyst"),
    "admin": _l("Administrator"),
}


def option_label(value: Any) -> str:
    """The user's-language name of a kind, role or policy value."""
    key = getattr(value, "value", value)
    text = OPTION_LABELS.get(str(key))
    return str(text) if text is not None else label(key)


def option(value: Any) -> tuple[str, str]:
    """(value, label) for a <select> option."""
    return str(getattr(value, "value", value)), option_label(value)
