"""The search page's "almost suitable" list: every shelter that does not suit, with every
reason (not only those with one), closest first.

The vacancy search (services/vacancies.py) answers the API, whose `near_misses` keep their
documented one-reason shape; the page asks this module for the fuller picture. Same domain
rules (`match_shelter`), so a shelter is never a match here and a near miss there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.enums import Freshness, MatchReason, UnitStatus
from ..domain.explain import ReasonDetail, explain
from ..domain.freshness import (
    FreshnessInfo,
    FreshnessThresholds,
    describe_freshness,
    vacancies_trusted,
)
from ..domain.matching import match_shelter
from ..models import Municipality, Shelter, Unit
from .vacancies import VacancyQuery

MAX_REASONS = 3  # a shelter failing on more is not "almost" suitable
MAX_SHOWN = 10
_ORDER = {s: i for i, s in enumerate(Freshness)}


@dataclass
class NearMiss:
    shelter: Shelter
    freshness: FreshnessInfo
    reasons: list[ReasonDetail]

    @property
    def codes(self) -> list[MatchReason]:
        return [r.code for r in self.reasons]


def near_misses(
    session: Session,
    query: VacancyQuery,
    now: datetime,
    thresholds: FreshnessThresholds,
    exclude: set[int],
) -> list[NearMiss]:
    """Shelters (other than `exclude`, the matches) with 1–3 reasons in the way."""
    county = None
    if query.municipality_code:
        muni = session.get(Municipality, query.municipality_code)
        county = muni.county_code if muni else None
    free: dict[int, list[Unit]] = defaultdict(list)
    for unit in session.scalars(
        select(Unit).where(Unit.status == UnitStatus.FREE, Unit.retired_at.is_(None))
    ):
        free[unit.shelter_id].append(unit)
    out = []
    for shelter in session.scalars(select(Shelter).where(Shelter.active)):
        if shelter.id in exclude:
            continue
        fresh = describe_freshness(shelter.confirmed_at, now, thresholds)
        policy = shelter.policy()
        outcome = match_shelter(
            policy,
            [(u.id, u.facts()) for u in free[shelter.id]],
            query.household,
            query.needs,
            vacancies_trusted=vacancies_trusted(fresh.state),
            placing_county=county,
        )
        if outcome.matches or not 0 < len(outcome.reasons) <= MAX_REASONS:
            continue
        details = explain(
            outcome.reasons, policy, query.household, query.needs, shelter.assumptions
        )
        out.append(NearMiss(shelter, fresh, details))
    out.sort(key=lambda n: (len(n.reasons), _ORDER[n.freshness.state], n.shelter.name))
    return out[:MAX_SHOWN]
