"""Vacancy search: query parameters in, shelters with matching units out."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema
from webargs.fields import DelimitedList

from ..domain.enums import Sex, SubstanceUse
from ..domain.matching import Child, Household
from ..services.vacancies import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    SearchResult,
    ShelterHit,
    VacancyQuery,
    profile_key,
)
from .common import LANGUAGE_CODE, MUNICIPALITY_CODE, to_needs
from .shelters import FreshnessOut, MunicipalityOut, ShelterBriefOut, UnitOut

_CURSOR = re.compile(r"^(\d{1,6})\.([0-9a-f]{8})$")
CURSOR_HELP = "Use the next_cursor of the previous page of the same search, or leave it out."


def _fingerprint(query: VacancyQuery) -> str:
    """Ties a cursor to its search: a cursor from another search is refused, not misread."""
    return hashlib.sha256(profile_key(query).encode()).hexdigest()[:8]


def encode_cursor(query: VacancyQuery, offset: int) -> str:
    """An opaque cursor for the page of `query` starting at `offset`."""
    raw = f"{offset}.{_fingerprint(query)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, query: VacancyQuery) -> int:
    """The offset a cursor stands for; ValidationError if it is not one of this search's."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    match = _CURSOR.match(raw)
    if match is None:
        raise ValidationError(f"Not a cursor. {CURSOR_HELP}", "cursor")
    if match.group(2) != _fingerprint(query):
        raise ValidationError(f"This cursor belongs to another search. {CURSOR_HELP}", "cursor")
    return int(match.group(1))


class VacancyQueryArgs(Schema):
    """`?adults=1&child_ages=4,15&child_sexes=f,m&wheelchair=1&...` (booleans 1/0, true/false)."""

    adults = fields.Integer(load_default=1, validate=validate.Range(1, 10))
    children = fields.Integer(
        validate=validate.Range(0, 15),
        metadata={"description": "Number of children, if ages are not given"},
    )
    child_ages = DelimitedList(
        fields.Integer(validate=validate.Range(0, 25)), validate=validate.Length(max=15)
    )
    child_sexes = DelimitedList(fields.Enum(Sex, by_value=True), validate=validate.Length(max=15))
    wheelchair = fields.Boolean(load_default=False)
    pets = fields.Boolean(load_default=False)
    lgbtq = fields.Boolean(load_default=False)
    substance_use = fields.Enum(SubstanceUse, by_value=True, load_default=None)
    psychiatric = fields.Boolean(load_default=False)
    men = fields.Boolean(load_default=False)
    language = fields.String(load_default=None, validate=LANGUAGE_CODE)
    municipality = fields.String(
        load_default=None,
        validate=MUNICIPALITY_CODE,
        metadata={"description": "Placing municipality (SCB code)"},
    )
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT, error=f"Give a limit from 1 to {MAX_LIMIT}."),
        metadata={"description": f"Results (and near misses) per page, 1–{MAX_LIMIT}"},
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=64, error=f"Not a cursor. {CURSOR_HELP}"),
        metadata={"description": "next_cursor of the previous page (opaque)"},
    )

    @validates_schema
    def _children_consistent(self, data: dict[str, Any], **_kw: Any) -> None:
        ages, sexes = data.get("child_ages"), data.get("child_sexes")
        if sexes is not None and (ages is None or len(ages) != len(sexes)):
            raise ValidationError("Give one sex per child age, in the same order.", "child_sexes")
        if ages is not None and data.get("children") not in (None, len(ages)):
            raise ValidationError("'children' must equal the number of child_ages.", "children")

    @post_load
    def _to_query(self, data: dict[str, Any], **_kw: Any) -> VacancyQuery:
        ages = data.get("child_ages")
        if ages is None:
            # Ages unknown: count as children whose sex does not trigger a boys' age limit.
            children = tuple(Child(age=0, sex=Sex.FEMALE) for _ in range(data.get("children", 0)))
        else:
            sexes = data.get("child_sexes") or [Sex.FEMALE] * len(ages)
            children = tuple(Child(age=a, sex=s) for a, s in zip(ages, sexes, strict=True))
        query = VacancyQuery(
            household=Household(adults=data["adults"], children=children),
            needs=to_needs(data),
            municipality_code=data.get("municipality"),
            limit=data.get("limit", DEFAULT_LIMIT),
        )
        cursor = data.get("cursor")
        if cursor:
            query = replace(query, offset=decode_cursor(cursor, query))
        return query


class WhyOut(Schema):
    code = fields.String()
    text = fields.String()


class ShelterRefOut(Schema):
    """A shelter named in a list: enough to recognise it and to follow its link."""

    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    municipality = fields.Nested(MunicipalityOut)


class VacancyHitOut(Schema):
    shelter = fields.Nested(ShelterBriefOut)
    units = fields.List(fields.Nested(UnitOut))
    freshness = fields.Nested(FreshnessOut)
    why = fields.List(fields.Nested(WhyOut))


class NearMissOut(Schema):
    shelter = fields.Nested(ShelterRefOut)
    reason = fields.String()
    reason_text = fields.String()
    freshness = fields.Nested(FreshnessOut)


class VacancySearchOut(Schema):
    """One page of the ranked answer: the placing municipality's county first."""

    results = fields.List(fields.Nested(VacancyHitOut))
    near_misses = fields.List(fields.Nested(NearMissOut))
    unmet_need_recorded = fields.Boolean()
    total = fields.Integer(metadata={"description": "Matching shelters in all pages"})
    near_misses_total = fields.Integer(metadata={"description": "Near misses in all pages"})
    limit = fields.Integer(metadata={"description": "Page size used"})
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "Pass as ?cursor= for the next page; null on the last page"},
    )


# --- the answer as JSON text, cheaply ------------------------------------------------------
#
# A national search dumped through the schemas above took longer than everything else in
# the request (scripts/bench). The parts that depend only on a shelter or a unit are dumped
# once per snapshot by those same schemas and kept as JSON text; a request joins the texts
# of its page and adds what depends on the moment (age) and the language (texts). The
# result equals VacancySearchOut().dump() (tests/functional/test_search_cache.py).

_BRIEF, _REF, _UNIT = ShelterBriefOut(), ShelterRefOut(), UnitOut()
_WHEN = fields.AwareDateTime()


def _json(value: Any) -> str:
    """As Flask's JSON provider writes it (sorted keys, ASCII, compact)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _part(row: Any, name: str, make: Callable[[], Any]) -> str:
    """A JSON text kept on a snapshot row (built on first use)."""
    text = row.out.get(name)
    if text is None:
        text = row.out[name] = _json(make())
    return str(text)


def _freshness(hit: ShelterHit) -> str:
    shelter, info = hit.shelter, hit.freshness
    when = _part(shelter, "confirmed_at", lambda: _WHEN.serialize("v", {"v": info.confirmed_at}))
    age = "null" if info.age_minutes is None else str(info.age_minutes)
    return f'{{"age_minutes":{age},"confirmed_at":{when},"state":"{info.state.value}"}}'


class SearchJson:
    """Writes one page of a search result; texts come from `label` (the user's language)."""

    def __init__(self, label: Callable[[Any], str]) -> None:
        self.label = label
        self._why: dict[tuple[str, ...], str] = {}
        self._reason: dict[str, str] = {}

    def why(self, notes: tuple[str, ...]) -> str:
        text = self._why.get(notes)
        if text is None:
            text = self._why[notes] = _json([{"code": n, "text": self.label(n)} for n in notes])
        return text

    def result(self, hit: ShelterHit) -> str:
        shelter = _part(hit.shelter, "brief", lambda: _BRIEF.dump(hit.shelter))
        units = ",".join(_part(u, "json", partial(_UNIT.dump, u)) for u in hit.units)
        return (
            f'{{"freshness":{_freshness(hit)},"shelter":{shelter},'
            f'"units":[{units}],"why":{self.why(hit.notes)}}}'
        )

    def near_miss(self, hit: ShelterHit) -> str:
        shelter = _part(hit.shelter, "ref", lambda: _REF.dump(hit.shelter))
        code = hit.reason.value if hit.reason else ""
        reason = self._reason.get(code)
        if reason is None:
            texts = (_json(code), _json(self.label(hit.reason))) if code else ("null", "null")
            reason = self._reason[code] = '"reason":{},"reason_text":{}'.format(*texts)
        return f'{{"freshness":{_freshness(hit)},{reason},"shelter":{shelter}}}'

    def page(self, result: SearchResult, limit: int, next_cursor: str | None) -> str:
        results = ",".join(self.result(h) for h in result.matches)
        near = ",".join(self.near_miss(h) for h in result.near_misses)
        return (
            f'{{"limit":{limit},"near_misses":[{near}],'
            f'"near_misses_total":{result.near_total},"next_cursor":{_json(next_cursor)},'
            f'"results":[{results}],"total":{result.total},'
            f'"unmet_need_recorded":{"true" if result.no_match else "false"}}}'
        )
