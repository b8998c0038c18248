"""Alert subscriptions: a saved need profile, a phone and optional active hours."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from .common import HouseholdOut, HouseholdSchema, IdField, NeedsSchema
from .phones import Phone

HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="Use local time as HH:MM, e.g. 18:00.")


class SubscriptionIn(Schema):
    class Meta:
        unknown = RAISE

    phone = Phone(required=True, metadata={"description": "E.164 or Swedish national format"})
    shelter_id = IdField(load_default=None, allow_none=True)
    household = fields.Nested(HouseholdSchema, load_default=lambda: {"adults": 1, "children": []})
    needs = fields.Nested(NeedsSchema, load_default=dict)
    active_from = fields.String(load_default=None, allow_none=True, validate=HHMM)
    active_to = fields.String(load_default=None, allow_none=True, validate=HHMM)

    @validates_schema
    def _both_or_neither(self, data: dict[str, Any], **_kw: Any) -> None:
        if (data.get("active_from") is None) != (data.get("active_to") is None):
            raise ValidationError(
                "Give both 'active_from' and 'active_to' (local HH:MM), or neither.", "active_to"
            )


class SubscriptionOut(Schema):
    id = fields.Integer()
    phone = fields.String()
    shelter_id = fields.Integer(allow_none=True)
    household = fields.Nested(HouseholdOut)
    needs = fields.Dict()
    active_from = fields.String(allow_none=True)
    active_to = fields.String(allow_none=True)
    created_at = fields.DateTime()
    owner_email = fields.Function(lambda s: s.owner.email if s.owner else None)
    opted_out = fields.Boolean(
        metadata={"description": "The number replied STOP: it gets no SMS until START"}
    )
