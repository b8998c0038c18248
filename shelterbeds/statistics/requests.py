"""Placement requests and their outcomes: success rate and minutes to a decision.

Requests are counted in the local month they were made. Success rate = accepted ÷ requests
that have an outcome (pending ones are left out). Minutes to decision run from the request
to the shelter's accept or decline (withdrawn and expired requests had no decision); the
median averages the middle two of an even count, the 90th percentile is the nearest rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..domain.clock import utcnow
from ..domain.periods import Period
from ..domain.requests import RequestStatus
from ..models import PlacementRequest, Shelter
from .common import Family, grouped, percentiles, ratio, reason_group
from .occupancy import scoped_shelters
from .request_cells import OUTCOMES, Cell, decision_minutes, month_cells, monthly_cells
from .sql import Filters, daypart_of, epoch, in_period, month_of, shelter_scope

R = PlacementRequest
CELL_KEYS = frozenset({"shelter", "month"})  # what shelter-month cells can be grouped by


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
    session: Session, period: Period, by: Sequence[str], filters: Filters, now: Any
) -> list[dict[str, Any]]:
    """Requests, outcomes, success rate, median and p90 minutes to decision by `by`.

    Grouped by shelter and/or month only, without a placing municipality, the figures are
    summed from shelter-month cells (mostly stored rollups); otherwise computed by SQL. Both
    give the same numbers (tests/integration/test_statistics_rollups.py).
    """
    if set(by) <= CELL_KEYS and filters.municipality is None:
        return from_cells(session, period, by, filters, now or utcnow())
    return live_rows(session, period, by, filters)


def live_rows(
    session: Session, period: Period, by: Sequence[str], filters: Filters
) -> list[dict[str, Any]]:
    """The figures by SQL over the period's requests (any `by`, any filter)."""
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


def from_cells(
    session: Session, period: Period, by: Sequence[str], filters: Filters, now: datetime
) -> list[dict[str, Any]]:
    """The figures summed from shelter-month cells, in the SQL path's row order."""
    shelters = scoped_shelters(session, filters)  # ordered by slug, as the SQL orders
    rank = {s[0]: i for i, s in enumerate(shelters)}
    slug = {s[0]: s[1] for s in shelters}
    months = {label: i for i, label in enumerate(period.months)}
    # The rows and the totals of one answer need the same cells: read them once. Without
    # the shelter key, the shelters' cells of each month are summed first (by the database
    # where it can).
    cache = session.info.setdefault("stats_requests", {})
    per_shelter = "shelter" in by
    key = (period, filters, now, per_shelter)
    if key not in cache:
        if per_shelter:
            cache[key] = month_cells(session, list(rank), period, now)
        else:
            summed = monthly_cells(session, list(rank), period, now)
            cache[key] = {(0, label): cell for label, cell in summed.items()}
    groups: dict[tuple[Any, ...], Cell] = {}
    cells = cache[key]
    if by:
        # Each cell's group key and its place in the SQL path's ORDER BY.
        def label(k: tuple[int, str]) -> tuple[Any, ...]:
            return tuple(slug[k[0]] if b == "shelter" else k[1] for b in by)

        def place(k: tuple[int, str]) -> tuple[int, ...]:
            return tuple(rank[k[0]] if b == "shelter" else months[k[1]] for b in by)

        for k in sorted(cells, key=place):
            groups.setdefault(label(k), Cell()).add(cells[k])
    else:
        total = groups[()] = Cell()
        for cell in cells.values():
            total.add(cell)
    rows = []
    for group, cell in groups.items():
        row: dict[str, Any] = dict(zip(by, group, strict=True))
        row.update(requests=cell.requests, **{o: getattr(cell, o) for o in OUTCOMES})
        row["success_rate"] = ratio(cell.accepted, cell.requests - cell.pending)
        median, p90 = decision_minutes(cell)
        row["median_minutes_to_decision"] = median
        row["p90_minutes_to_decision"] = p90
        rows.append(row)
    return rows


def _decision_times(
    session: Session, period: Period, by: Sequence[str], filters: Filters, dims: dict[str, Any]
) -> dict[tuple[Any, ...], tuple[float | None, float | None]]:
    """Median and p90 minutes from request to accept/decline, per group."""
    # coalesce(): a condition on the bare status column would lead SQLite to the
    # (status, hold_expires_at) index and scan every decided request of all years; the
    # period's created_at range is the selective one (docs/STATISTICS.md, "Speed").
    decided = _base(period, filters).where(
        func.coalesce(R.status, "").in_(["accepted", "declined"]),
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
