"""Turn-aways: the API body and filters, the web form, and what is shown (never a case ref)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from ..domain.enums import DeclineReason, TurnAwayChannel
from ..domain.errors import Invalid
from ..domain.turnaways import WHEN_CHOICES, local_to_utc
from .common import MUNICIPALITY_CODE, FreeText, IdField

# Entered by people; `request` is set only when a placement request is declined.
MANUAL_CHANNELS = [TurnAwayChannel.PHONE, TurnAwayChannel.WALK_IN, TurnAwayChannel.OTHER]
CASE_REF_HELP = (
    "Optional: the placing social services' own case reference. Refusals of the same household "
    "(same reference and municipality within the episode window) count as one episode. It is "
    "hashed and never stored or returned; a personnummer is refused."
)


def _local_to_utc_field(value: datetime, field: str) -> datetime:
    try:
        return local_to_utc(value)
    except Invalid as err:
        raise ValidationError(err.detail, field) from None


class TurnAwayBase(Schema):
    """Fields shared by the API body and the web form."""

    reason = fields.Enum(
        DeclineReason,
        by_value=True,
        required=True,
        metadata={"description": "A decline reason; 'capacity' for no free place."},
    )
    channel = fields.Enum(
        TurnAwayChannel,
        by_value=True,
        required=True,
        validate=validate.OneOf(MANUAL_CHANNELS, error="Must be one of: phone, walk_in, other."),
    )
    municipality_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=MUNICIPALITY_CODE,
        metadata={"description": "The household's (placing) municipality, SCB code, if known."},
    )
    case_ref = FreeText(
        load_default=None,
        allow_none=True,
        load_only=True,
        validate=validate.Length(max=64),
        metadata={"description": CASE_REF_HELP},
    )


class TurnAwayIn(TurnAwayBase):
    """`POST /api/v1/turnaways`."""

    adults = fields.Integer(required=True, strict=True, validate=validate.Range(1, 10))
    children = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 15))
    occurred_at = fields.DateTime(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "When the household was refused (default: now), ISO 8601. With an "
            "offset or Z it is taken as given; without one it is local Europe/Stockholm time. "
            "At most 31 days ago and not in the future."
        },
    )
    shelter_id = IdField(
        load_default=None,
        allow_none=True,
        metadata={"description": "Admins only: the refusing shelter. Staff: their own."},
    )

    @post_load
    def _aware(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        if data.get("occurred_at") is not None:
            data["occurred_at"] = _local_to_utc_field(data["occurred_at"], "occurred_at")
        return data


REPORTING_DATES = validate.Range(
    date(2000, 1, 1), date(2999, 12, 31), error="Use a date between 2000 and 2999."
)


class TurnAwayQueryArgs(Schema):
    """`GET /api/v1/turnaways?from=YYYY-MM-DD&to=YYYY-MM-DD` (local dates, both inclusive)."""

    # Bounded years: 9999-12-31 + 1 day would overflow, and nothing predates the service.
    from_ = fields.Date(data_key="from", load_default=None, validate=REPORTING_DATES)
    to = fields.Date(load_default=None, validate=REPORTING_DATES)
    shelter_id = IdField(load_default=None, strict=False, metadata={"description": "Admins only."})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("'to' must not be before 'from'.", "to")

    @post_load
    def _bounds(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        start, end = data.pop("from_"), data.pop("to")
        # Local midnight always exists in Stockholm (clocks change at 02:00 and 03:00).
        data["since"] = local_to_utc(datetime.combine(start, time())) if start else None
        data["until"] = (
            local_to_utc(datetime.combine(end + timedelta(days=1), time())) if end else None
        )
        return data


class TurnAwayOut(Schema):
    id = fields.Integer()
    shelter_id = fields.Integer()
    occurred_at = fields.AwareDateTime()
    recorded_at = fields.AwareDateTime()
    adults = fields.Integer()
    children = fields.Integer()
    reason = fields.Enum(DeclineReason, by_value=True)
    channel = fields.Enum(TurnAwayChannel, by_value=True)
    municipality_code = fields.String(allow_none=True)
    request_id = fields.Integer(allow_none=True)
    episode_id = fields.Integer(
        metadata={"description": "Refusals of one household within the window share it."}
    )


class TurnAwayForm(TurnAwayBase):
    """The web form: counts as text, "when" as now / today / yesterday / another day + time."""

    class Meta:
        unknown = EXCLUDE  # csrf_token, the submit button

    adults = fields.Integer(required=True, validate=validate.Range(1, 10))
    children = fields.Integer(load_default=0, validate=validate.Range(0, 15))
    when = fields.String(load_default="now", validate=validate.OneOf(WHEN_CHOICES))
    day = fields.Date(load_default=None)
    at = fields.Time(load_default=None)

    @pre_load
    def _blanks(self, data: Any, **_kw: Any) -> dict[str, Any]:
        """Empty inputs mean "not given"; surrounding spaces are not part of a value."""
        return {k: v.strip() for k, v in data.items() if isinstance(v, str) and v.strip()}
