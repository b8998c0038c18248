"""Field types and building blocks shared by the schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from ..domain.enums import Sex, SubstanceUse
from ..domain.ids import MAX_ID
from ..domain.matching import Child, Household, Needs

MUNICIPALITY_CODE = validate.Regexp(r"^\d{4}$", error="Use a 4-digit SCB municipality code.")
LANGUAGE_CODE = validate.Regexp(r"^[a-z]{2,3}$", error="Use an ISO 639-1 code such as 'ar'.")


def IdField(**kwargs: Any) -> fields.Integer:  # noqa: N802 (reads like a field class)
    """A database id in a body or query: a whole number 1 … MAX_ID (a larger one is 422,
    not a database error)."""
    kwargs.setdefault("strict", True)
    return fields.Integer(validate=validate.Range(1, MAX_ID, error="Not a valid id."), **kwargs)


class ChildSchema(Schema):
    age = fields.Integer(required=True, validate=validate.Range(0, 25))
    sex = fields.Enum(Sex, by_value=True, required=True)


class HouseholdSchema(Schema):
    adults = fields.Integer(load_default=1, validate=validate.Range(1, 10))
    children = fields.List(
        fields.Nested(ChildSchema), load_default=list, validate=validate.Length(max=15)
    )


class NeedsSchema(Schema):
    wheelchair = fields.Boolean(load_default=False)
    pets = fields.Boolean(load_default=False)
    lgbtq = fields.Boolean(load_default=False)
    substance_use = fields.Enum(SubstanceUse, by_value=True, load_default=None, allow_none=True)
    psychiatric = fields.Boolean(load_default=False)
    men = fields.Boolean(load_default=False)
    language = fields.String(load_default=None, allow_none=True, validate=LANGUAGE_CODE)
    honour_related = fields.Boolean(load_default=False)


def to_household(data: dict[str, Any]) -> Household:
    children = tuple(Child(age=c["age"], sex=c["sex"]) for c in data.get("children", []))
    return Household(adults=data.get("adults", 1), children=children)


def to_needs(data: dict[str, Any]) -> Needs:
    return Needs(**{k: data.get(k, v) for k, v in Needs().__dict__.items()})


PERSONNUMMER_MESSAGE = (
    "This looks like a personnummer. Personal identity numbers must never be "
    "entered here: use your own case reference without the personnummer."
)


def no_personal_data(value: str | None) -> None:
    """Validator: reject text that contains a personnummer or samordningsnummer."""
    from ..domain.personnummer import contains_personnummer

    if value and contains_personnummer(value):
        raise ValidationError(PERSONNUMMER_MESSAGE)


class FreeText(fields.String):
    """A free-text field (names, labels, notes, references, stored headers).

    Every string a person types that is stored or shown must use this type: it rejects
    anything holding a personnummer (422, nothing stored), in the API and the web forms
    alike (they load the same schemas). `tests/functional/test_privacy_guard.py` lists
    every such field of every form and endpoint.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        extra = kwargs.pop("validate", None)
        validators: list[Any] = [no_personal_data]
        if extra is not None:
            validators = [*(extra if isinstance(extra, list | tuple) else [extra]), *validators]
        super().__init__(*args, validate=validators, **kwargs)


class ChildOut(Schema):
    age = fields.Integer()
    sex = fields.String()


class HouseholdOut(Schema):
    adults = fields.Integer()
    children = fields.List(fields.Nested(ChildOut))


class NeedsOut(Schema):
    wheelchair = fields.Boolean()
    pets = fields.Boolean()
    lgbtq = fields.Boolean()
    substance_use = fields.String(allow_none=True)
    psychiatric = fields.Boolean()
    men = fields.Boolean()
    language = fields.String(allow_none=True)
