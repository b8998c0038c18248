"""Vacancy search: query parameters in, shelters with matching units out."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections import OrderedDict
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
from .shelters import (
    FreshnessOut,
    MunicipalityOut,
    ShelterBriefOut,
    UnitOut,
    brief_json,
    freshness_json,
    json_text,
    row_part,
)

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
    """`?adults=1&child_ages=4,15&child_sexes=f,m&wheelchair=1&...` (booleans 1/0, true/false).

    An instance remembers the queries it loaded: the same parameters always load to the same
    (frozen) VacancyQuery, and a night's searches repeat a few household profiles; loading
    was a fifth of a cached search's time. Errors are not remembered (they are raised anew).
    """

    MAX_REMEMBERED = 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._remembered: OrderedDict[Any, Any] = OrderedDict()

    def load(self, data: Any, *, many: Any = None, partial: Any = None, unknown: Any = None) -> Any:
        try:
            key: Any = (
                unknown,
                tuple(sorted((k, v if isinstance(v, str) else tuple(v)) for k, v in data.items())),
            )
            hash(key)
        except TypeError:  # values that are not strings or lists of strings: no memory
            return super().load(data, many=many, partial=partial, unknown=unknown)
        query = self._remembered.get(key)
        if query is None:
            query = super().load(data, many=many, partial=partial, unknown=unknown)
            self._remembered[key] = query
            if len(self._remembered) > self.MAX_REMEMBERED:
                self._remembered.popitem(last=False)
        return query

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
    honour_related = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Honour-related violence: matches as usual (no shelter lists it "
            "as a policy), carried to the request and counted as a need"
        },
    )
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


# --- the answer as JSON text, cheaply (see schemas/shelters.py) ----------------------------

_REF, _UNIT = ShelterRefOut(), UnitOut()


class SearchJson:
    """Writes one page of a search result; texts come from `label` (the user's language)."""

    def __init__(self, label: Callable[[Any], str]) -> None:
        self.label = label
        self._why: dict[tuple[str, ...], str] = {}
        self._reason: dict[str, str] = {}

    def why(self, notes: tuple[str, ...]) -> str:
        text = self._why.get(notes)
        if text is None:
            why = [{"code": n, "text": self.label(n)} for n in notes]
            text = self._why[notes] = json_text(why)
        return text

    def result(self, hit: ShelterHit) -> str:
        shelter = brief_json(hit.shelter)
        units = ",".join(row_part(u, "json", partial(_UNIT.dump, u)) for u in hit.units)
        fresh = freshness_json(hit.shelter, hit.freshness)
        return (
            f'{{"freshness":{fresh},"shelter":{shelter},'
            f'"units":[{units}],"why":{self.why(hit.notes)}}}'
        )

    def near_miss(self, hit: ShelterHit) -> str:
        shelter = row_part(hit.shelter, "ref", lambda: _REF.dump(hit.shelter))
        code = hit.reason.value if hit.reason else ""
        reason = self._reason.get(code)
        if reason is None:
            texts = ("null", "null")
            if code:
                texts = (json_text(code), json_text(self.label(hit.reason)))
            reason = self._reason[code] = '"reason":{},"reason_text":{}'.format(*texts)
        fresh = freshness_json(hit.shelter, hit.freshness)
        return f'{{"freshness":{fresh},{reason},"shelter":{shelter}}}'

    def page(self, result: SearchResult, limit: int, next_cursor: str | None) -> str:
        results = ",".join(self.result(h) for h in result.matches)
        near = ",".join(self.near_miss(h) for h in result.near_misses)
        return (
            f'{{"limit":{limit},"near_misses":[{near}],'
            f'"near_misses_total":{result.near_total},"next_cursor":{json_text(next_cursor)},'
            f'"results":[{results}],"total":{result.total},'
            f'"unmet_need_recorded":{"true" if result.no_match else "false"}}}'
        )
