"""Needs-based vacancy search; a search that finds nothing is stored as an unmet-need signal."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.enums import Freshness, MatchReason, Role, UnitStatus
from ..domain.errors import Invalid
from ..domain.freshness import (
    FreshnessInfo,
    FreshnessThresholds,
    describe_freshness,
    vacancies_trusted,
)
from ..domain.matching import Household, Needs, match_shelter
from ..models import Municipality, Shelter, Unit, UnmetNeedSignal, User
from .access import require_role
from .holds import expire_holds

_FRESHNESS_ORDER = {s: i for i, s in enumerate(Freshness)}


@dataclass(frozen=True)
class VacancyQuery:
    household: Household
    needs: Needs
    municipality_code: str | None = None


@dataclass
class ShelterHit:
    """A shelter with matching free units (or, for a near miss, the reason it fails)."""

    shelter: Shelter
    freshness: FreshnessInfo
    units: list[Unit] = field(default_factory=list)
    notes: tuple[str, ...] = ()
    reason: MatchReason | None = None


@dataclass
class SearchResult:
    matches: list[ShelterHit]
    near_misses: list[ShelterHit]
    signal: UnmetNeedSignal | None  # None if matches were found or a recent signal exists
    no_match: bool = False


def _placing_county(session: Session, code: str | None) -> str | None:
    if code is None:
        return None
    muni = session.get(Municipality, code)
    if muni is None:
        raise Invalid(
            f"Unknown municipality code {code}.",
            errors={"municipality": ["Use a 4-digit SCB municipality code, e.g. 1880."]},
        )
    return muni.county_code


def free_units_by_shelter(session: Session) -> dict[int, list[Unit]]:
    """All free, non-retired units grouped by shelter id (one query)."""
    units = session.scalars(
        select(Unit)
        .where(Unit.status == UnitStatus.FREE, Unit.retired_at.is_(None))
        .order_by(Unit.shelter_id, Unit.label)
    )
    grouped: dict[int, list[Unit]] = defaultdict(list)
    for unit in units:
        grouped[unit.shelter_id].append(unit)
    return grouped


def search_vacancies(
    session: Session,
    actor: User,
    query: VacancyQuery,
    now: datetime,
    thresholds: FreshnessThresholds,
    record_unmet: bool = True,
) -> SearchResult:
    """Shelters with suitable free units, freshest first; near misses with their one reason.

    `record_unmet=False` for internal searches (alternatives offered with a 409) that must
    not count as a social worker's search.
    """
    require_role(actor, Role.SOCIAL_WORKER, Role.ADMIN)
    county = _placing_county(session, query.municipality_code)
    expire_holds(session, now)  # a hold that has run out is a free unit, clock or no clock
    shelters = session.scalars(select(Shelter).where(Shelter.active).order_by(Shelter.name))
    free = free_units_by_shelter(session)

    matches: list[ShelterHit] = []
    near: list[ShelterHit] = []
    for shelter in shelters:
        fresh = describe_freshness(shelter.confirmed_at, now, thresholds)
        units = free.get(shelter.id, [])
        outcome = match_shelter(
            shelter.policy(),
            [(u.id, u.facts()) for u in units],
            query.household,
            query.needs,
            vacancies_trusted=vacancies_trusted(fresh.state),
            placing_county=county,
        )
        if outcome.matches:
            chosen = [u for u in units if u.id in outcome.matching_units]
            matches.append(ShelterHit(shelter, fresh, chosen, outcome.notes))
        elif outcome.near_miss_reason is not None:
            near.append(ShelterHit(shelter, fresh, [], outcome.notes, outcome.near_miss_reason))

    matches.sort(key=lambda h: (_FRESHNESS_ORDER[h.freshness.state], h.shelter.name))
    signal = None if matches or not record_unmet else record_unmet_need(session, actor, query, now)
    return SearchResult(matches, near, signal, no_match=not matches)


# The same person searching again for the same profile within this window is one signal.
SIGNAL_DEDUPE_WINDOW = timedelta(minutes=15)


def profile_key(query: VacancyQuery) -> str:
    """A canonical, client-free key of a search's household shape, needs and municipality."""
    children = ",".join(
        f"{c.age}{c.sex.value}"
        for c in sorted(query.household.children, key=lambda c: (c.age, c.sex.value))
    )
    parts = [
        f"a{query.household.adults}",
        f"c{children}",
        *query.needs.kinds(),
        query.needs.language or "",
        query.municipality_code or "",
    ]
    return "|".join(parts)[:200]


def record_unmet_need(
    session: Session, actor: User, query: VacancyQuery, now: datetime
) -> UnmetNeedSignal | None:
    """Store a no-match search: household shape, needs, municipality and time only.

    Returns None when the same user recorded the same profile within the dedupe window
    (a reload or a repeated search for one household is not a new unmet need).
    """
    needs, household = query.needs, query.household
    key = profile_key(query)
    recent = session.scalar(
        select(UnmetNeedSignal.id)
        .where(
            UnmetNeedSignal.created_by_id == actor.id,
            UnmetNeedSignal.profile_key == key,
            UnmetNeedSignal.created_at > now - SIGNAL_DEDUPE_WINDOW,
        )
        .limit(1)
    )
    if recent is not None:
        return None
    signal = UnmetNeedSignal(
        created_at=now,
        created_by_id=actor.id,
        profile_key=key,
        organisation_id=actor.organisation_id,
        municipality_code=query.municipality_code,
        adults=household.adults,
        children=household.child_count,
        oldest_boy_age=household.oldest_boy,
        wheelchair=needs.wheelchair,
        pets=needs.pets,
        lgbtq=needs.lgbtq,
        substance_use=needs.substance_use,
        psychiatric=needs.psychiatric,
        men=needs.men,
        language=needs.language,
        need_kinds=needs.kinds(),
    )
    session.add(signal)
    session.flush()
    return signal
