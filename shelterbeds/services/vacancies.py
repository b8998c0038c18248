"""Needs-based vacancy search; a search that finds nothing is stored as an unmet-need signal."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.clock import as_utc
from ..domain.enums import Freshness, MatchReason, Role
from ..domain.errors import Invalid
from ..domain.freshness import (
    FreshnessInfo,
    FreshnessThresholds,
    describe_freshness,
    vacancies_trusted,
)
from ..domain.matching import Household, Needs, match_shelter
from ..domain.ranking import county_order
from ..models import UnmetNeedSignal, User
from . import search_cache
from .access import require_role
from .snapshot import ShelterRow, Snapshot, UnitRow

_FRESHNESS_ORDER = {s: i for i, s in enumerate(Freshness)}
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_REASONS = 3  # a shelter failing on more is not "almost" suitable
MAX_ALMOST = 10  # "almost suitable" shelters shown on the search page


@dataclass(frozen=True)
class VacancyQuery:
    household: Household
    needs: Needs
    municipality_code: str | None = None
    limit: int = DEFAULT_LIMIT  # results (and near misses) per page
    offset: int = 0  # where this page starts in the ranked lists (from the cursor)


@dataclass
class ShelterHit:
    """A shelter with matching free units (or, for a near miss, the reason it fails)."""

    shelter: ShelterRow
    freshness: FreshnessInfo
    units: list[UnitRow] = field(default_factory=list)
    notes: tuple[str, ...] = ()
    reason: MatchReason | None = None  # a near miss with exactly one reason: that reason
    reasons: tuple[MatchReason, ...] = ()  # a near miss: every reason in the way


@dataclass
class SearchResult:
    """One page of ranked matches and near misses, with the totals and the next offset."""

    matches: list[ShelterHit]
    near_misses: list[ShelterHit]
    signal: UnmetNeedSignal | None  # None if matches were found or a recent signal exists
    no_match: bool = False
    total: int = 0
    near_total: int = 0
    next_offset: int | None = None  # None: this is the last page
    # The closest "almost suitable" shelters, fewest reasons first (the search page's list;
    # the API's `near_misses` are the one-reason ones, paged).
    almost: list[ShelterHit] = field(default_factory=list)
    # The snapshot this page was ranked from, and the first instant at which the clock
    # alone would change the page (a freshness threshold, a hold running out, or a shown
    # shelter's age in minutes): what the API's page cache keeps it by (search_cache).
    snapshot: Snapshot | None = None
    valid_until: datetime | None = None


@dataclass(frozen=True)
class RankedAnswer:
    """Everything one search ranks, before paging (what the answer cache keeps)."""

    matches: list[ShelterHit]
    near_misses: list[ShelterHit]  # exactly one reason in the way
    almost: list[ShelterHit]  # 1..MAX_REASONS reasons, fewest first, then as ranked


@cache
def county_seats() -> dict[str, tuple[float, float]]:
    """County seat coordinates (shipped reference data), by county code."""
    text = resources.files("shelterbeds.data").joinpath("county_seats.csv").read_text("utf-8")
    return {
        row["county_code"]: (float(row["lat"]), float(row["lon"]))
        for row in csv.DictReader(text.splitlines())
    }


def _placing_county(snapshot: Snapshot, code: str | None) -> str | None:
    if code is None:
        return None
    muni = snapshot.municipalities.get(code)
    if muni is None:
        raise Invalid(
            f"Unknown municipality code {code}.",
            errors={"municipality": ["Use a 4-digit SCB municipality code, e.g. 1880."]},
        )
    return muni.county_code


def rank(hits: list[ShelterHit], placing_county: str | None) -> list[ShelterHit]:
    """The placing municipality's county first, then nearer counties, then freshest, by name."""
    order = county_order(placing_county, county_seats())

    def key(h: ShelterHit) -> tuple[int, str, int, str, int]:
        county = h.shelter.municipality.county_code
        distance = order.get(county, 1_000_000)
        return (
            distance,
            county if distance else "",
            _FRESHNESS_ORDER[h.freshness.state],
            h.shelter.name,
            h.shelter.id,
        )

    return sorted(hits, key=key)


def rank_all(
    snapshot: Snapshot, query: VacancyQuery, now: datetime, thresholds: FreshnessThresholds
) -> RankedAnswer:
    """Every matching shelter and every near miss, ranked (before paging)."""
    county = _placing_county(snapshot, query.municipality_code)
    matches: list[ShelterHit] = []
    near: list[ShelterHit] = []
    for shelter in snapshot.shelters:
        fresh = describe_freshness(shelter.confirmed_at, now, thresholds)
        units = shelter.free_units(now)
        outcome = match_shelter(
            shelter.policy,
            [(u.id, u.facts) for u in units],
            query.household,
            query.needs,
            vacancies_trusted=vacancies_trusted(fresh.state),
            placing_county=county,
        )
        if outcome.matches:
            chosen = [u for u in units if u.id in outcome.matching_units]
            matches.append(ShelterHit(shelter, fresh, chosen, outcome.notes))
        elif 0 < len(outcome.reasons) <= MAX_REASONS:
            hit = ShelterHit(
                shelter, fresh, [], outcome.notes, outcome.near_miss_reason, outcome.reasons
            )
            near.append(hit)
    near = rank(near, county)
    almost = sorted(near, key=lambda h: len(h.reasons))[:MAX_ALMOST]  # stable: ranked within
    return RankedAnswer(rank(matches, county), [h for h in near if h.reason is not None], almost)


def _page(hits: list[ShelterHit], query: VacancyQuery, now: datetime) -> list[ShelterHit]:
    """This page's hits with their ages as of now (their states are the same: the cached
    answer is valid only until the next freshness threshold; see search_cache)."""
    page = []
    for h in hits[query.offset : query.offset + query.limit]:
        at = h.shelter.confirmed_at
        age = None if at is None else int((now - at).total_seconds() // 60)
        fresh = FreshnessInfo(at, h.freshness.state, age)
        page.append(ShelterHit(h.shelter, fresh, h.units, h.notes, h.reason, h.reasons))
    return page


def search_vacancies(
    session: Session,
    actor: User,
    query: VacancyQuery,
    now: datetime,
    thresholds: FreshnessThresholds,
    record_unmet: bool = True,
    with_almost: bool = False,
) -> SearchResult:
    """One page of shelters with suitable free units, ranked; near misses with their reason.

    Reads only: a hold that has run out counts as free here, without a write (the clock
    and the next write release it in the database). The one write is the unmet-need signal
    of a search that finds nothing. `record_unmet=False` for internal searches (alternatives
    offered with a 409) that must not count as a social worker's search. `with_almost` adds
    the closest "almost suitable" shelters (the search page's list; the API does not show
    it). Answers come from the in-process cache while no write and no clock edge has changed
    them (search_cache).
    """
    require_role(actor, Role.SOCIAL_WORKER, Role.ADMIN)
    snapshot = search_cache.current_snapshot(session)
    key = (query.household, query.needs, query.municipality_code)
    ranked = search_cache.cached_answer(session, snapshot, key, now, thresholds)
    if ranked is None:
        ranked = rank_all(snapshot, query, now, thresholds)
        search_cache.keep_answer(session, snapshot, key, now, thresholds, ranked)
    matches, near = ranked.matches, ranked.near_misses

    stop = query.offset + query.limit
    more = stop < len(matches) or stop < len(near)
    signal = None if matches or not record_unmet else record_unmet_need(session, actor, query, now)
    shown = (_page(matches, query, as_utc(now)), _page(near, query, as_utc(now)))
    return SearchResult(
        *shown,
        signal,
        no_match=not matches,
        total=len(matches),
        near_total=len(near),
        next_offset=stop if more else None,
        almost=(
            _page(ranked.almost, replace(query, offset=0, limit=MAX_ALMOST), as_utc(now))
            if with_almost
            else []
        ),
        snapshot=snapshot,
        valid_until=min(
            [
                search_cache.next_edge(session, snapshot, now, thresholds),
                *(_next_age_change(h, as_utc(now)) for hits in shown for h in hits),
            ]
        ),
    )


def _next_age_change(hit: ShelterHit, now: datetime) -> datetime:
    """When this hit's age in whole minutes next moves (never, if it was never confirmed)."""
    at, age = hit.shelter.confirmed_at, hit.freshness.age_minutes
    if at is None or age is None:
        return datetime.max.replace(tzinfo=now.tzinfo)
    return at + timedelta(minutes=age + 1)


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
