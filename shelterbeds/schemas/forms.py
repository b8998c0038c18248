"""Web form inputs (same marshmallow discipline as the API)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate


class LoginForm(Schema):
    class Meta:
        unknown = EXCLUDE  # csrf_token and the submit button

    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    next = fields.String(load_default="")


class LanguageForm(Schema):
    class Meta:
        unknown = EXCLUDE

    lang = fields.String(required=True, validate=validate.OneOf(["sv", "en"]))
    next = fields.String(load_default="")


class LiveRequestsOut(Schema):
    """What the live pages poll (`GET /requests/live`): a count and a fingerprint."""

    pending = fields.Integer(metadata={"description": "requests waiting, hold still running"})
    version = fields.String(metadata={"description": "changes when a visible request changes"})
