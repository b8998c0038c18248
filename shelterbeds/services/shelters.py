"""Read models of shelters: policies, unit summary and freshness, for every role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..domain.enums import UnitStatus
from ..domain.freshness import (
    FreshnessInfo,
    FreshnessThresholds,
    describe_freshness,
    vacancies_trusted,
)
from ..models import User
from . import search_cache
from .snapshot import ShelterRow


@dataclass
class ShelterOverview:
    """A shelter with its unit counts by status and its freshness."""

    shelter: ShelterRow
    units: dict[str, int]
    freshness: FreshnessInfo

    def __getattr__(self, name: str) -> Any:  # schemas read shelter fields through this
        return getattr(self.shelter, name)


def unit_summary(shelter: ShelterRow, freshness: FreshnessInfo, now: datetime) -> dict[str, int]:
    """Counts by status as a reader should see them now.

    A hold past its end counts as free (no write needed: see services/snapshot.py). One truth
    about what is free: units at a shelter whose vacancies are unknown are not free anywhere
    (search, requests, this listing); they count as `unconfirmed`.
    """
    c = shelter.counts
    run_out = sum(1 for u in shelter.units if u.held_until is not None and u.offerable(now))
    summary = {s.value: c.get(s.value, 0) for s in UnitStatus}
    summary["held"] -= run_out
    summary["free"] += run_out
    summary["total"] = sum(c.values())
    summary["unconfirmed"] = 0
    if not vacancies_trusted(freshness.state):
        summary["unconfirmed"], summary["free"] = summary["free"], 0
    return summary


def list_shelters(
    session: Session, actor: User, now: datetime, thresholds: FreshnessThresholds
) -> list[ShelterOverview]:
    """Every active shelter (all roles may see shelters: they are not client data).

    Read from the search snapshot (services/search_cache.py): no write, and no query while
    nothing changed."""
    snapshot = search_cache.current_snapshot(session)
    result = []
    for shelter in snapshot.shelters:
        freshness = describe_freshness(shelter.confirmed_at, now, thresholds)
        result.append(ShelterOverview(shelter, unit_summary(shelter, freshness, now), freshness))
    return result
