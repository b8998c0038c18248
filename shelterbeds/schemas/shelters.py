"""Shelters, units and freshness as the API shows them (never an address)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields, validate

from ..domain.enums import UnitStatus


class MunicipalityOut(Schema):
    code = fields.String()
    name = fields.String()


class PoliciesOut(Schema):
    accepts_women = fields.Boolean()
    accepts_men = fields.Boolean()
    lgbtq = fields.String(metadata={"enum": ["yes", "after_assessment", "no"]})
    substance_use = fields.String(metadata={"enum": ["no", "if_detoxified", "yes"]})
    psychiatric = fields.Boolean()
    pets = fields.Boolean()
    max_boy_age = fields.Integer(allow_none=True)
    staffed_around_clock = fields.Boolean()
    staffed_hours = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    nationwide = fields.Boolean()


# One instance for every shelter dumped: building a Schema deep-copies its fields, which was
# most of the time of a national list of 300 shelters (scripts/bench).
_POLICIES_OUT = PoliciesOut()


class ShelterBriefOut(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    municipality = fields.Nested(MunicipalityOut)
    intake_phone = fields.String(allow_none=True)
    policies = fields.Method("_policies", metadata={"description": "See PoliciesOut"})
    assumptions = fields.String(
        allow_none=True, metadata={"description": "Demo data: what is assumed"}
    )

    def _policies(self, shelter: Any) -> dict[str, Any]:
        return _POLICIES_OUT.dump(shelter)


class FreshnessOut(Schema):
    confirmed_at = fields.AwareDateTime(allow_none=True)
    state = fields.String(metadata={"enum": ["fresh", "ageing", "stale", "unknown"]})
    age_minutes = fields.Integer(allow_none=True)


class UnitOut(Schema):
    id = fields.Integer()
    label = fields.String()
    adult_beds = fields.Integer()
    child_beds = fields.Integer()
    wheelchair_accessible = fields.Boolean()
    pets_allowed = fields.Boolean()


class UnitStatusOut(UnitOut):
    status = fields.Enum(UnitStatus, by_value=True)
    status_changed_at = fields.AwareDateTime()


class UnitSummaryOut(Schema):
    total = fields.Integer()
    free = fields.Integer(metadata={"description": "free and offered (vacancies not unknown)"})
    held = fields.Integer()
    occupied = fields.Integer()
    closed = fields.Integer()
    unconfirmed = fields.Integer(
        metadata={"description": "marked free, but the shelter's vacancies are unknown"}
    )


class ShelterOut(ShelterBriefOut):
    units = fields.Nested(UnitSummaryOut)
    freshness = fields.Nested(FreshnessOut)


class UnitStatusIn(Schema):
    status = fields.String(
        required=True,
        validate=validate.OneOf(
            ["free", "occupied", "closed"], error="Must be one of: free, occupied, closed."
        ),
    )


class ConfirmationOut(Schema):
    shelter_id = fields.Integer()
    confirmed_at = fields.AwareDateTime()
    freshness = fields.Nested(FreshnessOut)


# --- JSON text written cheaply (GET /api/v1/shelters, vacancy search) -----------------------
#
# Dumping 300 shelters (or a page of search results) through these schemas per request was
# most of its time (scripts/bench). The parts that depend only on a shelter or a unit are
# dumped once per snapshot (services/snapshot.py) by the same schemas and kept as JSON text;
# a request joins them and adds what depends on the moment. Tests check the result equals
# the schema's own dump.

_BRIEF = ShelterBriefOut()
_WHEN = fields.AwareDateTime()


def json_text(value: Any) -> str:
    """As Flask's JSON provider writes it (sorted keys, ASCII, compact)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def row_part(row: Any, name: str, make: Callable[[], Any]) -> str:
    """A JSON text kept on a snapshot row (`row.out`), built on first use."""
    text = row.out.get(name)
    if text is None:
        text = row.out[name] = json_text(make())
    return str(text)


def brief_json(shelter: Any) -> str:
    """ShelterBriefOut of a snapshot row, as JSON text."""
    return row_part(shelter, "brief", lambda: _BRIEF.dump(shelter))


def freshness_json(shelter: Any, info: Any) -> str:
    """FreshnessOut of a shelter's freshness now, as JSON text."""
    when = row_part(shelter, "confirmed_at", lambda: _WHEN.serialize("v", {"v": info.confirmed_at}))
    age = "null" if info.age_minutes is None else str(info.age_minutes)
    return f'{{"age_minutes":{age},"confirmed_at":{when},"state":"{info.state.value}"}}'


def shelters_json(overviews: list[Any]) -> str:
    """ShelterOut(many=True) of the listing, as JSON text."""
    items = [
        brief_json(o.shelter)[:-1]
        + f',"freshness":{freshness_json(o.shelter, o.freshness)},"units":{json_text(o.units)}}}'
        for o in overviews
    ]
    return "[" + ",".join(items) + "]"
