"""Statistics: the query (`from`, `to`, `by`, filters, `format`) and the answer's shape.

The answer follows "Statistics answer" in ../shared/CONTRACT.md. Row and totals schemas are
built from the families' own lists of keys and metrics, so the OpenAPI document and the
figures cannot drift apart. A count is an integer, or the string "<3" when suppressed.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ..domain.periods import MONTH_RE
from ..statistics import FAMILIES, Family
from .common import MUNICIPALITY_CODE

MONTH = validate.Regexp(MONTH_RE, error="Use YYYY-MM, e.g. 2026-03.")
SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", error="Use a shelter slug.")
BY = validate.Regexp(r"^[a-z-]+(,[a-z-]+){0,4}$", error="A comma-separated list of keys.")
FORMATS = ("json", "csv", "xlsx")

# Metrics that are not counts of people, by type (counts are integers or "<3").
INTEGER_METRICS = {
    "unit_nights_open",
    "unit_nights_occupied",
    "nights_full",
    "days_reported",
    "days",
}
TEXT_METRICS = {"last_confirmed_at"}


class StatsArgs(Schema):
    """Query of every `GET /api/v1/stats/*` operation."""

    from_ = fields.String(
        data_key="from",
        load_default=None,
        validate=MONTH,
        metadata={"description": "First local month, YYYY-MM (default: 11 months ago)."},
    )
    to = fields.String(
        load_default=None,
        validate=MONTH,
        metadata={"description": "Last local month, YYYY-MM, inclusive (default: this month)."},
    )
    by = fields.String(
        load_default=None,
        validate=BY,
        metadata={"description": "Group by these keys, comma-separated (see each operation)."},
    )
    shelter = fields.String(
        load_default=None, validate=SLUG, metadata={"description": "Only this shelter (slug)."}
    )
    municipality = fields.String(
        load_default=None,
        validate=MUNICIPALITY_CODE,
        metadata={
            "description": "Only this municipality (SCB code): the placing municipality for "
            "refusals, requests, needs and stays; where the shelter is for occupancy "
            "and compliance."
        },
    )
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(FORMATS),
        metadata={"description": "json (default), or a csv / xlsx download of the same rows."},
    )


def _count(**kw: Any) -> fields.Field:
    return fields.Raw(
        metadata={"oneOf": [{"type": "integer"}, {"type": "string", "enum": ["<3"]}]}, **kw
    )


def _metric(family: Family, name: str) -> fields.Field:
    if name in family.counts:
        return _count(required=True)
    if name in INTEGER_METRICS:
        return fields.Integer(required=True)
    if name in TEXT_METRICS:
        return fields.String(required=True, allow_none=True)
    return fields.Float(required=True, allow_none=True)


def _title(family: Family) -> str:
    return "".join(part.title() for part in family.name.split("-"))


def _schemas(family: Family) -> type[Schema]:
    metrics = {m: _metric(family, m) for m in family.metrics}
    keys = {
        k: fields.String(allow_none=True, metadata={"description": f"Group key '{k}'."})
        for k in family.keys
    }
    title = _title(family)
    row = Schema.from_dict({**keys, **metrics}, name=f"Stats{title}Row")
    totals = Schema.from_dict(dict(metrics), name=f"Stats{title}Totals")
    previous = Schema.from_dict(
        {
            "from": fields.String(required=True),
            "to": fields.String(required=True),
            "totals": fields.Nested(totals, required=True),
        },
        name=f"Stats{title}Previous",
    )
    return Schema.from_dict(
        {
            "from": fields.String(required=True, metadata={"description": "First month."}),
            "to": fields.String(required=True, metadata={"description": "Last month."}),
            "by": fields.List(fields.String(), required=True),
            "rows": fields.List(fields.Nested(row), required=True),
            "totals": fields.Nested(totals, required=True),
            "previous": fields.Nested(previous, required=True),
            "suppressed": fields.Boolean(
                required=True,
                metadata={"description": 'True when counts of 1–2 are shown as "<3".'},
            ),
        },
        name=f"Stats{title}Answer",
    )


ANSWERS: dict[str, type[Schema]] = {name: _schemas(f) for name, f in FAMILIES.items()}


def _converter(family: Family, name: str) -> Any:
    """How the answer schema's field for metric `name` dumps a value (None stays None)."""
    if name in family.counts:
        return None  # fields.Raw: as it is (an integer or "<3")
    if name in INTEGER_METRICS:
        return int
    if name in TEXT_METRICS:
        return str
    return float


def dump_answer(name: str, result: dict[str, Any]) -> dict[str, Any]:
    """`ANSWERS[name]().dump(result)`, without marshmallow's per-field machinery.

    A 12-month figure by shelter and month has thousands of rows: dumping them through
    nested schemas cost more than computing them (docs/STATISTICS.md, "Speed"). The same
    conversions as the schema's fields, key for key; tests/functional/test_stats_api.py
    compares the two on every family.
    """
    family = FAMILIES[name]
    convert = {m: _converter(family, m) for m in family.metrics}
    keys = list(family.keys)

    def metrics(values: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for m, to in convert.items():
            if m in values:
                v = values[m]
                out[m] = v if to is None or v is None else to(v)
        return out

    def row(values: dict[str, Any]) -> dict[str, Any]:
        out = {k: None if values[k] is None else str(values[k]) for k in keys if k in values}
        out.update(metrics(values))
        return out

    previous = result["previous"]
    return {
        "from": str(result["from"]),
        "to": str(result["to"]),
        "by": [str(k) for k in result["by"]],
        "rows": [row(r) for r in result["rows"]],
        "totals": metrics(result["totals"]),
        "previous": {
            "from": str(previous["from"]),
            "to": str(previous["to"]),
            "totals": metrics(previous["totals"]),
        },
        "suppressed": bool(result["suppressed"]),
    }
