"""Read models of shelters: policies, unit summary and freshness, for every role."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.enums import UnitStatus
from ..domain.freshness import (
    FreshnessInfo,
    FreshnessThresholds,
    describe_freshness,
    vacancies_trusted,
)
from ..domain.requests import RequestStatus
from ..models import PlacementRequest, Shelter, Unit, User


@dataclass
class ShelterOverview:
    """A shelter with its unit counts by status and its freshness."""

    shelter: Shelter
    units: dict[str, int]
    freshness: FreshnessInfo

    def __getattr__(self, name: str) -> Any:  # schemas read shelter fields through this
        return getattr(self.shelter, name)


def list_shelters(
    session: Session, actor: User, now: datetime, thresholds: FreshnessThresholds
) -> list[ShelterOverview]:
    """Every active shelter (all roles may see shelters: they are not client data)."""
    counts: dict[int, Counter[str]] = {}
    rows = session.execute(
        select(Unit.shelter_id, Unit.status, func.count())
        .where(Unit.retired_at.is_(None))
        .group_by(Unit.shelter_id, Unit.status)
    )
    for shelter_id, status, n in rows:
        counts.setdefault(shelter_id, Counter())[UnitStatus(status).value] = n
    # A hold past its expiry is a free unit, whether or not the clock has released it yet:
    # reading never writes.
    for shelter_id, n in session.execute(
        select(Unit.shelter_id, func.count())
        .join(PlacementRequest, PlacementRequest.unit_id == Unit.id)
        .where(
            Unit.retired_at.is_(None),
            Unit.status == UnitStatus.HELD,
            PlacementRequest.status == RequestStatus.PENDING,
            PlacementRequest.hold_expires_at <= now,
        )
        .group_by(Unit.shelter_id)
    ):
        c = counts[shelter_id]
        c[UnitStatus.HELD.value] -= n
        c[UnitStatus.FREE.value] += n
    shelters = session.scalars(select(Shelter).where(Shelter.active).order_by(Shelter.name))
    result = []
    for shelter in shelters:
        c = counts.get(shelter.id, Counter())
        summary = {s.value: c[s.value] for s in UnitStatus} | {"total": sum(c.values())}
        freshness = describe_freshness(shelter.confirmed_at, now, thresholds)
        # One truth about what is free: units at a shelter whose vacancies are unknown are
        # not free anywhere (search, requests, this listing); they count as `unconfirmed`.
        summary["unconfirmed"] = 0
        if not vacancies_trusted(freshness.state):
            summary["unconfirmed"], summary["free"] = summary["free"], 0
        result.append(ShelterOverview(shelter, summary, freshness))
    return result
