"""Placement requests and placements: bodies, queries and responses of the API and forms."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from ..domain.clock import as_utc, utcnow
from ..domain.requests import (
    DeclineReason,
    EndReason,
    RequestStatus,
    Urgency,
    minutes_left,
    review_overdue,
)
from ..services.requests import RequestInput
from .common import (
    MUNICIPALITY_CODE,
    FreeText,
    HouseholdOut,
    HouseholdSchema,
    IdField,
    NeedsOut,
    NeedsSchema,
    to_household,
    to_needs,
)
from .phones import Phone

PHONE_HELP = "Give a phone number in E.164 (+46701234567) or Swedish format (070-123 45 67)."


def _one_of(enum_cls: Any) -> validate.OneOf:
    values = [m.value for m in enum_cls]
    return validate.OneOf(values, error="Must be one of: " + ", ".join(values) + ".")


class RequestIn(Schema):
    """`POST /api/v1/requests`: no name, personnummer or address anywhere."""

    unit_id = IdField(required=True)
    municipality_code = fields.String(
        required=True,
        validate=MUNICIPALITY_CODE,
        metadata={"description": "The deciding municipality (SCB code)"},
    )
    case_ref = FreeText(
        required=True,
        validate=validate.Length(1, 40),
        metadata={"description": "Your own case reference; never a personnummer"},
    )
    household = fields.Nested(HouseholdSchema, required=True)
    needs = fields.Nested(NeedsSchema, load_default=dict)
    urgency = fields.Enum(Urgency, by_value=True, load_default=Urgency.IMMEDIATE)
    callback_phone = Phone(required=True, metadata={"description": PHONE_HELP})
    note = FreeText(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"description": "Practical information only; no personal data"},
    )
    protected_identity = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Skyddade personuppgifter: only you, the users named below and the "
            "shelter (its named staff, or all its staff if none is named) see the request"
        },
    )
    named_users = fields.List(
        fields.Email(validate=validate.Length(max=254)),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "E-mails of colleagues or shelter staff who may see it"},
    )

    @validates_schema
    def _named_only_if_protected(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("named_users") and not data.get("protected_identity"):
            raise ValidationError("Name users only on a protected-identity request.", "named_users")

    @post_load
    def _to_input(self, data: dict[str, Any], **_kw: Any) -> RequestInput:
        return RequestInput(
            unit_id=data["unit_id"],
            municipality_code=data["municipality_code"],
            case_ref=data["case_ref"].strip(),
            household=to_household(data["household"]),
            needs=to_needs(data["needs"]),
            urgency=data["urgency"],
            callback_phone=data["callback_phone"],
            note=(data.get("note") or "").strip() or None,
            protected_identity=data["protected_identity"],
            named_users=tuple(dict.fromkeys(e.lower() for e in data["named_users"])),
        )


class IdempotencyHeader(Schema):
    class Meta:
        unknown = EXCLUDE  # every other header

    key = FreeText(
        data_key="Idempotency-Key",
        load_default=None,
        validate=validate.Length(1, 100),
        metadata={"description": "Retry-safe creation: the same key returns the same request"},
    )


class RequestListArgs(Schema):
    status = fields.Enum(RequestStatus, by_value=True, load_default=None)


class DeclineIn(Schema):
    reason = fields.String(required=True, validate=_one_of(DeclineReason))


class EndIn(Schema):
    reason = fields.String(required=True, validate=_one_of(EndReason))


class PlacementListArgs(Schema):
    active = fields.Boolean(load_default=None)

    honour_related = fields.Boolean()


class RequestOut(Schema):
    id = fields.Integer()
    code = fields.String(metadata={"description": "Short code used in SMS and links"})
    status = fields.Enum(RequestStatus, by_value=True)
    hold_expires_at = fields.AwareDateTime()
    hold_minutes = fields.Method("_hold_minutes", metadata={"description": "Length of the hold"})
    minutes_left = fields.Method("_minutes_left")
    unit_id = fields.Integer()
    unit_label = fields.Function(lambda r: r.unit.label)
    shelter_id = fields.Integer()
    shelter_name = fields.Function(lambda r: r.shelter.name)
    organisation_id = fields.Integer()
    municipality_code = fields.String()
    case_ref = fields.String()
    household = fields.Function(
        lambda r: HouseholdOut().dump({"adults": r.adults, "children": r.children})
    )
    needs = fields.Function(lambda r: NeedsOut().dump(r.needs()))
    urgency = fields.Enum(Urgency, by_value=True)
    callback_phone = fields.String()
    note = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)
    decline_reason = fields.Enum(DeclineReason, by_value=True, allow_none=True)
    protected_identity = fields.Boolean()

    def _hold_minutes(self, req: Any) -> int:
        return int((as_utc(req.hold_expires_at) - as_utc(req.created_at)).total_seconds() // 60)

    def _minutes_left(self, req: Any) -> int:
        if req.status is not RequestStatus.PENDING:
            return 0
        return minutes_left(req.hold_expires_at, utcnow())


class PlacementOut(Schema):
    id = fields.Integer()
    request_id = fields.Integer()
    request_code = fields.Function(lambda p: p.request.code)
    unit_id = fields.Integer()
    unit_label = fields.Function(lambda p: p.unit.label)
    shelter_id = fields.Integer()
    shelter_name = fields.Function(lambda p: p.shelter.name)
    organisation_id = fields.Integer()
    municipality_code = fields.String()
    started_at = fields.AwareDateTime()
    next_review_at = fields.AwareDateTime(allow_none=True)
    review_overdue = fields.Function(
        lambda p: p.ended_at is None and review_overdue(p.next_review_at, utcnow())
    )
    ended_at = fields.AwareDateTime(allow_none=True)
    end_reason = fields.Enum(EndReason, by_value=True, allow_none=True)
