"""The audit log's filters and the monthly log review (administrators' pages)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from .common import IdField

CODE = validate.Regexp(r"^[a-z_.]{1,40}$", error="Use a code such as request.read.")


class AuditArgs(Schema):
    class Meta:
        unknown = EXCLUDE  # the submit button

    user = fields.Email(load_default=None, validate=validate.Length(max=254))
    action = fields.String(load_default=None, validate=CODE)
    object_type = fields.String(load_default=None, validate=CODE)
    object_id = IdField(load_default=None, strict=False)
    address = fields.String(load_default=None, validate=validate.Length(max=45))
    start = fields.Date(load_default=None, data_key="from")
    end = fields.Date(load_default=None, data_key="to")
    format = fields.String(load_default="html", validate=validate.OneOf(["html", "csv"]))


class ReviewArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    month = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="Use YYYY-MM."),
    )
    format = fields.String(load_default="html", validate=validate.OneOf(["html", "csv"]))
