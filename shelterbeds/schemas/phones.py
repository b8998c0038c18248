"""A phone number field: E.164 or Swedish national format in, E.164 out."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields

from ..notifications.phones import to_e164


class Phone(fields.String):
    """'070-123 45 67' -> '+46701234567'; anything that is not a valid number is rejected."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs)
        if len(raw) > 32:
            raise ValidationError("Too long for a phone number.")
        try:
            return to_e164(raw)
        except ValueError as exc:
            raise ValidationError(
                "Not a valid phone number: use +46701234567 or 070-123 45 67."
            ) from exc
