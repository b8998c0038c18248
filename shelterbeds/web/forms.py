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


# --- the household on the search, request and alert forms ----------------------------------

MAX_CHILD_ROWS = 8


def form_children(form: Any, rows: int = MAX_CHILD_ROWS) -> list[dict[str, str]]:
    """The child rows that have an age, as `{"age", "sex"}` (sex "" when not chosen: no
    default, so the schema asks for it rather than guessing a girl)."""
    children = []
    for i in range(rows):
        age = form.get(f"child_age_{i}", "").strip()
        if age:
            children.append({"age": age, "sex": form.get(f"child_sex_{i}", "")})
    return children


def child_rows_shown(form: Any, rows: int = MAX_CHILD_ROWS) -> int:
    """How many child rows the form shows: the filled ones, one empty, or as asked by
    "add child" (a submit button, so it works without JavaScript)."""
    filled = max((i + 1 for i in range(rows) if form.get(f"child_age_{i}", "").strip()), default=0)
    asked = form.get("children_shown", "")
    wanted = int(asked) if asked.isascii() and asked.isdigit() else 0
    return max(1, min(rows, max(filled, wanted)))


def language_choices(extra: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(ISO 639 code, name in the user's language), sorted by name: the language list."""
    from babel import Locale
    from flask_babel import get_locale

    names = (get_locale() or Locale("sv")).languages
    codes = set(COMMON_LANGUAGES) | {c.lower() for c in extra}
    choices = [(c, (names.get(c) or c).capitalize()) for c in codes]
    return sorted(choices, key=lambda pair: pair[1])


# Languages most often needed in Swedish shelters (and any a shelter lists is added).
COMMON_LANGUAGES = (
    "am", "ar", "bs", "ckb", "de", "en", "es", "fa", "fi", "fr", "hr", "hu", "it", "ku",
    "pl", "ps", "pt", "ro", "ru", "so", "sq", "sr", "th", "ti", "tr", "uk", "ur",
    "vi", "zh",
)  # fmt: skip
