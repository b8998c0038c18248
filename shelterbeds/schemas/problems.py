"""The error body every API operation can answer with: RFC 9457 problem details."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields


class ProblemOut(Schema):
    """`application/problem+json`; some conflicts add fields (`current_status`, `reason`,
    `alternatives`, `confirmed_at`), so other members are allowed."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(metadata={"example": "Conflict"})
    status = fields.Integer(metadata={"example": 409})
    detail = fields.String(metadata={"description": "what was wrong and how to fix it"})
    errors = fields.Raw(
        metadata={"description": "field errors: {field: [messages]} (rows for imports)"}
    )
