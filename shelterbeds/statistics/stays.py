"""Length of stay and end reasons of placements that ended in the period.

A stay is counted in the local month it ended; its length runs from the start of the
placement to its end, in days (24-hour periods, one decimal).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.periods import Period
from ..models import Placement, Shelter
from .common import Family, grouped, percentiles
from .sql import Filters, epoch, in_period, month_of, shelter_scope

P = Placement
DAY = 86400.0


def compute(
    session: Session, period: Period, by: Sequence[str], filters: Filters, _now: Any
) -> list[dict[str, Any]]:
    """Placements ended, mean and median days of stay, by `by`."""
    query = select(P.id).join(Shelter, Shelter.id == P.shelter_id)
    query = shelter_scope(query, filters).where(in_period(P.ended_at, period))
    if filters.municipality is not None:
        query = query.where(P.municipality_code == filters.municipality)
    dims = {
        "shelter": Shelter.slug,
        "municipality": P.municipality_code,
        "month": month_of(P.ended_at, period),
        "reason": P.end_reason,
    }
    seconds = epoch(P.ended_at) - epoch(P.started_at)
    rows = grouped(
        session,
        query,
        dims,
        by,
        [func.count(P.id).label("ended"), func.avg(seconds).label("mean_days")],
    )
    medians = percentiles(session, query, dims, by, seconds)
    for row in rows:
        mean = row["mean_days"]
        row["mean_days"] = None if mean is None else round(float(mean) / DAY, 1)
        median = medians.get(tuple(row[k] for k in by))
        row["median_days"] = None if median is None else round(median[0] / DAY, 1)
    return rows


FAMILY = Family(
    name="stays",
    keys=("shelter", "municipality", "month", "reason"),
    metrics=("ended", "mean_days", "median_days"),
    counts=("ended",),
    derived={"mean_days": "ended", "median_days": "ended"},
    compute=compute,
    default_by=("reason",),
)
