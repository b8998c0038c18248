"""Web form inputs for activation and the admin pages."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema


class ActivationForm(Schema):
    class Meta:
        unknown = EXCLUDE  # csrf_token

    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password_again = fields.String(required=True)

    @validates_schema
    def _same(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("password") != data.get("password_again"):
            raise ValidationError("The two passwords differ.", "password_again")
