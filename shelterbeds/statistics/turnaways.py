"""Turn-aways: refusals and de-duplicated episodes per shelter, municipality, month, reason.

A refusal is a row of `turn_aways`; an episode is a distinct `episode_id` (one household
refused by three shelters in a night: three refusals, one episode). An episode with
refusals in two groups counts once in each, and once in the totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from ..domain.periods import Period
from ..models import Shelter, TurnAway
from .common import Family, grouped, reason_group
from .sql import Filters, daypart_of, in_period, month_of, shelter_scope


def compute(
    session: Session, period: Period, by: Sequence[str], filters: Filters, _now: Any
) -> list[dict[str, Any]]:
    """Refusals and episodes in the period, grouped by `by`."""
    at = TurnAway.occurred_at
    query = select(TurnAway.id).join(Shelter, Shelter.id == TurnAway.shelter_id)
    query = shelter_scope(query, filters).where(in_period(at, period))
    if filters.municipality is not None:
        query = query.where(TurnAway.municipality_code == filters.municipality)
    dimensions = {
        "shelter": Shelter.slug,
        "municipality": TurnAway.municipality_code,
        "month": month_of(at, period),
        "reason": TurnAway.reason,
        "group": reason_group(TurnAway.reason),
        "daypart": daypart_of(at, period),
        "channel": TurnAway.channel,
    }
    metrics = [
        func.count(TurnAway.id).label("refusals"),
        func.count(distinct(TurnAway.episode_id)).label("episodes"),
    ]
    return grouped(session, query, dimensions, by, metrics)


FAMILY = Family(
    name="turnaways",
    keys=("shelter", "municipality", "month", "reason", "group", "daypart", "channel"),
    metrics=("refusals", "episodes"),
    counts=("refusals", "episodes"),
    compute=compute,
    default_by=("shelter", "month"),
)
