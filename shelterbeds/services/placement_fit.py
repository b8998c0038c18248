"""Checks around a new request: does the household fit the unit, and what else is free."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from ..domain.enums import MatchReason
from ..domain.errors import Invalid
from ..domain.freshness import FreshnessThresholds
from ..domain.matching import shelter_fit, unit_fit
from ..models import Unit, User
from .vacancies import VacancyQuery, search_vacancies

if TYPE_CHECKING:
    from .requests import RequestInput

MAX_ALTERNATIVES = 3

# Plain-English reasons a household does not fit a unit (the API's 422 detail).
MISMATCH_TEXT = {
    MatchReason.BEDS: "the unit has too few beds for this household",
    MatchReason.WHEELCHAIR: "the unit is not wheelchair accessible",
    MatchReason.PETS: "pets are not allowed",
    MatchReason.LGBTQ: "the shelter does not accept LGBTQ persons",
    MatchReason.SUBSTANCE_USE: "the shelter does not accept this substance use",
    MatchReason.PSYCHIATRIC: "the shelter does not accept psychiatric needs",
    MatchReason.BOYS_AGE: "a boy is over the shelter's age limit",
    MatchReason.MEN: "the shelter does not accept men",
    MatchReason.WOMEN: "the shelter does not accept women",
    MatchReason.LANGUAGE: "the shelter does not speak the language",
    MatchReason.REGION: "the shelter takes placements from its own county only",
}


def check_fit(req_in: RequestInput, unit: Unit, placing_county: str) -> None:
    """Raise Invalid (422) naming every reason the household does not suit this unit."""
    policy = unit.shelter.policy()
    reasons = list(shelter_fit(policy, req_in.household, req_in.needs, placing_county).mismatches)
    reasons += [
        r
        for r in unit_fit(unit.facts(), req_in.household, req_in.needs).mismatches
        if r not in reasons
    ]
    if reasons:
        texts = [MISMATCH_TEXT.get(r, r.value) for r in reasons]
        raise Invalid(
            f"{unit.shelter.name}, {unit.label} does not suit this household: "
            + "; ".join(texts)
            + ".",
            errors={"unit_id": texts},
            reasons=[r.value for r in reasons],
        )


def alternatives(
    session: Session,
    actor: User,
    req_in: RequestInput,
    now: datetime,
    thresholds: FreshnessThresholds,
) -> list[dict[str, Any]]:
    """The best free suitable units elsewhere (the same search, not counted as unmet need)."""
    query = VacancyQuery(req_in.household, req_in.needs, req_in.municipality_code)
    result = search_vacancies(session, actor, query, now, thresholds, record_unmet=False)
    out = []
    for hit in result.matches:
        units = [{"id": u.id, "label": u.label} for u in hit.units if u.id != req_in.unit_id]
        if units:
            out.append(
                {
                    "shelter_id": hit.shelter.id,
                    "shelter_slug": hit.shelter.slug,
                    "shelter_name": hit.shelter.name,
                    "freshness": hit.freshness.state.value,
                    "units": units,
                }
            )
    return out[:MAX_ALTERNATIVES]
