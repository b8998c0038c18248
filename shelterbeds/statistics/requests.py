"""Placement requests and their outcomes: success rate and minutes to a decision.

Requests are counted in the local month they were made. Success rate = accepted ÷ requests
that have an outcome (pending ones are left out). Minutes to decision run from the request
to the shelter's accept or decline (withdrawn and expired requests had no decision); the
median averages the middle two of an even count, the 90th percentile is the nearest rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..domain.periods import Period
from ..domain.requests import RequestStatus
from ..models import PlacementRequest, Shelter
from .common import Family, grouped, percentiles, ratio, reason_group
from .sql import Filters, daypart_of, epoch, in_period, month_of, shelter_scope

R = PlacementRequest
OUTCOMES = ("accepted", "declined", "withdrawn", "expired", "pending")


def _dimensions(period: Period) -> dict[str, Any]:
    return {
        "shelter": Shelter.slug,
        "municipality": R.municipality_code,
        "month": month_of(R.created_at, period),
        "reason": R.decline_reason,
        "group": reason_group(R.decline_reason),
        "daypart": daypart_of(R.created_at, period),
        "urgency": R.urgency,
    }


def _base(period: Period, filters: Filters) -> Any:
    query = select(R.id).join(Shelter, Shelter.id == R.shelter_id)
    query = shelter_scope(query, filters).where(in_period(R.created_at, period))
    if filters.municipality is not None:
        query = query.where(R.municipality_code == filters.municipality)
    return query


def compute(
    session: Session, period: Period, by: Sequence[str], filters: Filters, _now: Any
) -> list[dict[str, Any]]:
    """Requests, outcomes, success rate, median and p90 minutes to decision by `by`."""
    dims = _dimensions(period)
    counts = [func.count(R.id).label("requests")] + [
        func.sum(case((R.status == RequestStatus(o), 1), else_=0)).label(o) for o in OUTCOMES
    ]
    rows = grouped(session, _base(period, filters), dims, by, counts)
    times = _decision_times(session, period, by, filters, dims)
    for row in rows:
        for o in OUTCOMES:
            row[o] = int(row[o] or 0)
        decided = row["requests"] - row["pending"]
        row["success_rate"] = ratio(row["accepted"], decided)
        median, p90 = times.get(tuple(row[k] for k in by), (None, None))
        row["median_minutes_to_decision"] = median
        row["p90_minutes_to_decision"] = p90
    return rows


def _decision_times(
    session: Session, period: Period, by: Sequence[str], filters: Filters, dims: dict[str, Any]
) -> dict[tuple[Any, ...], tuple[float | None, float | None]]:
    """Median and p90 minutes from request to accept/decline, per group."""
    decided = _base(period, filters).where(
        R.status.in_([RequestStatus.ACCEPTED, RequestStatus.DECLINED]),
        R.decided_at.is_not(None),
    )
    seconds = epoch(R.decided_at) - epoch(R.created_at)
    found = percentiles(session, decided, dims, by, seconds)
    return {
        key: (round(median / 60, 1), round(p90 / 60, 1)) for key, (median, p90) in found.items()
    }


FAMILY = Family(
    name="requests",
    keys=("shelter", "municipality", "month", "reason", "group", "daypart", "urgency"),
    metrics=(
        "requests",
        *OUTCOMES,
        "success_rate",
        "median_minutes_to_decision",
        "p90_minutes_to_decision",
    ),
    counts=("requests", *OUTCOMES),
    derived={
        "success_rate": "requests",
        "median_minutes_to_decision": "requests",
        "p90_minutes_to_decision": "requests",
    },
    compute=compute,
    default_by=("month",),
)
