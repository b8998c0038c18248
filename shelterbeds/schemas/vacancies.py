"""Vacancy search: query parameters in, shelters with matching units out."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema
from webargs.fields import DelimitedList

from ..domain.enums import Sex, SubstanceUse
from ..domain.matching import Child, Household
from ..services.vacancies import VacancyQuery
from .common import LANGUAGE_CODE, MUNICIPALITY_CODE, to_needs
from .shelters import FreshnessOut, ShelterBriefOut, UnitOut


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
        return VacancyQuery(
            household=Household(adults=data["adults"], children=children),
            needs=to_needs(data),
            municipality_code=data.get("municipality"),
        )


class WhyOut(Schema):
    code = fields.String()
    text = fields.String()


class VacancyHitOut(Schema):
    shelter = fields.Nested(ShelterBriefOut)
    units = fields.List(fields.Nested(UnitOut))
    freshness = fields.Nested(FreshnessOut)
    why = fields.List(fields.Nested(WhyOut))


class NearMissOut(Schema):
    shelter = fields.Nested(ShelterBriefOut)
    reason = fields.String()
    reason_text = fields.String()
    freshness = fields.Nested(FreshnessOut)


class VacancySearchOut(Schema):
    results = fields.List(fields.Nested(VacancyHitOut))
    near_misses = fields.List(fields.Nested(NearMissOut))
    unmet_need_recorded = fields.Boolean()
