"""Phone numbers: parsed with `phonenumbers`, Swedish national format accepted, stored E.164."""

from __future__ import annotations

from typing import Any

import phonenumbers
from marshmallow import ValidationError, fields

PHONE_HELP = "Use a phone number such as 070-123 45 67 or +46 70 123 45 67."


def normalise_phone(raw: str) -> str:
    """'070-123 45 67' -> '+46701234567'; raise ValueError if it is not a valid number."""
    try:
        number = phonenumbers.parse(raw.strip(), "SE")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(PHONE_HELP) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(PHONE_HELP)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class Phone(fields.String):
    """A phone number field that loads as E.164."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > 30:
            raise ValidationError(PHONE_HELP)
        try:
            return normalise_phone(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
