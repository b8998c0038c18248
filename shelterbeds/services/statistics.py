"""Statistics for an actor: scope (county), exact or suppressed counts, checked filters.

Answers are kept per process until something they count is written or a local midnight
passes (services/stats_cache.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.errors import Invalid
from ..domain.periods import Period, add_months, month_label, parse_month
from ..models import Municipality, Shelter, User
from ..statistics import FAMILIES, Filters, answer
from ..statistics.common import check_by
from . import stats_cache
from .access import stats_county


def exact_access(actor: User, exact_roles: str | Collection[str]) -> bool:
    """Whether the actor sees counts of 1–2 as they are (setting SHELTERBEDS_STATS_EXACT_ROLES)."""
    roles = exact_roles.split(",") if isinstance(exact_roles, str) else exact_roles
    return actor.role.value in {r.strip() for r in roles}


def period_of(first: str | None, last: str | None, now: datetime) -> Period:
    """The chosen months, or the last twelve up to this month."""
    default = Period.last_months(now, 12)
    if first is None and last is None:
        return default
    if first is None:  # twelve months up to `last`
        first = month_label(*add_months(*parse_month(last or "", "to"), -11))
    return Period.of(first, last or default.last)


def filters_for(
    session: Session, actor: User, shelter: str | None = None, municipality: str | None = None
) -> Filters:
    """The actor's county and the chosen shelter/municipality, which must lie within it."""
    county = stats_county(actor)
    if shelter is not None:
        found = session.execute(
            select(Shelter.id, Municipality.county_code)
            .join(Municipality, Municipality.code == Shelter.municipality_code)
            .where(Shelter.slug == shelter)
        ).first()
        if found is None or (county is not None and found.county_code != county):
            raise Invalid("No such shelter in your county.", errors={"shelter": ["Unknown."]})
    if municipality is not None:
        code_county = session.scalar(
            select(Municipality.county_code).where(Municipality.code == municipality)
        )
        if code_county is None or (county is not None and code_county != county):
            raise Invalid(
                "No such municipality in your county.", errors={"municipality": ["Unknown."]}
            )
    return Filters(county=county, shelter=shelter, municipality=municipality)


def _kept(
    session: Session,
    actor: User,
    family: str,
    now: datetime,
    exact_roles: str,
    *,
    first: str | None = None,
    last: str | None = None,
    by: list[str] | None = None,
    shelter: str | None = None,
    municipality: str | None = None,
) -> stats_cache.Kept:
    """The answer kept for this actor's query, or computed now."""
    filters = filters_for(session, actor, shelter, municipality)
    period = period_of(first, last, now)
    keys = check_by(FAMILIES[family], FAMILIES[family].default_by if by is None else by)
    exact = exact_access(actor, exact_roles)
    key = (family, tuple(keys), period.first, period.last, filters, exact)
    return stats_cache.kept_or_computed(
        session,
        key,
        now,
        lambda: answer(session, family, period, keys, filters, exact=exact, now=now),
    )


def _at(family: str, result: dict[str, Any], now: datetime) -> dict[str, Any]:
    clock = FAMILIES[family].clock
    return result if clock is None else {**result, "rows": clock(result["rows"], now)}


def figures_for(
    session: Session,
    actor: User,
    family: str,
    now: datetime,
    exact_roles: str,
    *,
    first: str | None = None,
    last: str | None = None,
    by: list[str] | None = None,
    shelter: str | None = None,
    municipality: str | None = None,
) -> dict[str, Any]:
    """One family's statistics answer as this actor may see it (shared: do not change it)."""
    kept = _kept(
        session,
        actor,
        family,
        now,
        exact_roles,
        first=first,
        last=last,
        by=by,
        shelter=shelter,
        municipality=municipality,
    )
    return _at(family, kept.result, now)


def figures_written(
    session: Session,
    actor: User,
    family: str,
    now: datetime,
    exact_roles: str,
    write: Callable[[dict[str, Any]], bytes],
    **query: Any,
) -> bytes:
    """The answer as `write` writes it (the API's JSON), written once per kept answer when
    no column of the family moves with the clock. `query`: as for figures_for."""
    kept = _kept(session, actor, family, now, exact_roles, **query)
    if FAMILIES[family].clock is not None:
        return write(_at(family, kept.result, now))
    if kept.json is None:
        kept.json = write(kept.result)
    return kept.json
