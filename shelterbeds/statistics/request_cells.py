"""Request outcomes per shelter and local month ("cells"), from the rollup or computed live.

A cell keeps the count of each outcome and the seconds from request to decision of every
decided request, so the median and 90th percentile of any set of cells are merged exactly
(nothing is approximated): the same numbers as the window-function query over the requests.
Ended months whose requests are all settled are stored in `shelter_months` by the clock
(services/stats_rollup.py); the current month, and any month not stored yet, is computed
live (docs/STATISTICS.md, "Speed").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.periods import Period
from ..domain.requests import RequestStatus
from ..models import PlacementRequest, ShelterMonth
from .sql import epoch, in_period, month_of, nearest_rank, rows_of

R = PlacementRequest
SM = ShelterMonth
OUTCOMES = ("accepted", "declined", "withdrawn", "expired", "pending")
STORED = ("requests", "accepted", "declined", "withdrawn", "expired")
DECIDED = (RequestStatus.ACCEPTED.value, RequestStatus.DECLINED.value)

Key = tuple[int, str]  # (shelter id, month)


@dataclass
class Cell:
    """Requests of one shelter-month (or a sum of them) and their decision times."""

    requests: int = 0
    accepted: int = 0
    declined: int = 0
    withdrawn: int = 0
    expired: int = 0
    pending: int = 0
    seconds: list[int] = field(default_factory=list)

    def add(self, other: Cell) -> None:
        # Spelled out: this runs once per shelter-month of an answer (thousands).
        self.requests += other.requests
        self.accepted += other.accepted
        self.declined += other.declined
        self.withdrawn += other.withdrawn
        self.expired += other.expired
        self.pending += other.pending
        self.seconds.extend(other.seconds)

    def stored_seconds(self) -> str:
        """The decision times as stored: ascending, separated by spaces."""
        return " ".join(str(s) for s in sorted(self.seconds))


def median_p90(values: Sequence[int]) -> tuple[float, float] | None:
    """Median (middle two averaged) and 90th percentile (nearest rank), as the SQL does."""
    n = len(values)
    if not n:
        return None
    ordered = sorted(values)
    median = (ordered[(n + 1) // 2 - 1] + ordered[(n + 2) // 2 - 1]) / 2
    return median, float(ordered[nearest_rank(n, 9, 10) - 1])


def live_cells(session: Session, shelter_ids: Iterable[int], period: Period) -> dict[Key, Cell]:
    """{(shelter id, month): cell} of the period's requests, from the requests themselves."""
    ids = list(shelter_ids)
    out: dict[Key, Cell] = {}
    if not ids:
        return out
    month = month_of(R.created_at, period)
    scope = (R.shelter_id.in_(ids), in_period(R.created_at, period))
    counts = (
        select(R.shelter_id, month.label("month"), R.status, func.count().label("n"))
        .where(*scope)
        .group_by(R.shelter_id, month, R.status)
    )
    for row in rows_of(session, counts):
        cell = out.setdefault((int(row["shelter_id"]), row["month"]), Cell())
        status = getattr(row["status"], "value", row["status"])
        cell.requests += int(row["n"])
        setattr(cell, status, getattr(cell, status) + int(row["n"]))
    # The same "decided" condition and seconds as requests._decision_times.
    times = select(
        R.shelter_id,
        month.label("month"),
        (epoch(R.decided_at) - epoch(R.created_at)).label("s"),
    ).where(
        *scope,
        func.coalesce(R.status, "").in_(DECIDED),
        R.decided_at.is_not(None),
    )
    for shelter_id, label, seconds in session.execute(times):
        out[(int(shelter_id), label)].seconds.append(int(seconds))
    return out


def stored_cells(session: Session, shelter_ids: Sequence[int], period: Period) -> dict[Key, Cell]:
    """{(shelter id, month): cell} of the period's shelter-months whose requests are stored."""
    columns = [SM.__table__.c[c] for c in STORED]
    query = select(SM.shelter_id, SM.month, SM.decision_seconds, *columns).where(
        SM.shelter_id.in_(shelter_ids), SM.month.in_(period.months), SM.requests.is_not(None)
    )
    out: dict[Key, Cell] = {}
    for shelter_id, label, text, *counts in session.execute(query):
        cell = Cell(*counts)
        cell.seconds = list(map(int, text.split()))
        out[(shelter_id, label)] = cell
    return out


def month_cells(
    session: Session, shelter_ids: Sequence[int], period: Period, now: datetime
) -> dict[Key, Cell]:
    """Every (shelter, month) of the period with requests: stored if it can be, else live."""
    ids = list(shelter_ids)
    if not ids:
        return {}
    out = stored_cells(session, ids, period)
    missing = {
        (i, label)
        for label, _start, end in period.bounds
        for i in ids
        if (i, label) not in out or end > now
    }
    if missing:
        labels = sorted({label for _i, label in missing})
        live = live_cells(
            session, sorted({i for i, _label in missing}), Period(labels[0], labels[-1])
        )
        for key in missing:
            out.pop(key, None)
            if key in live:
                out[key] = live[key]
    return {key: cell for key, cell in out.items() if cell.requests}


def stored_values(cell: Cell) -> dict[str, Any]:
    """The `shelter_months` columns of a settled cell."""
    values: dict[str, Any] = {name: getattr(cell, name) for name in STORED}
    values["decision_seconds"] = cell.stored_seconds()
    return values


def decision_minutes(cell: Cell) -> tuple[float | None, float | None]:
    """(median, p90) minutes to decision, rounded as the SQL path rounds them."""
    found = median_p90(cell.seconds)
    if found is None:
        return None, None
    median, p90 = found
    return round(median / 60, 1), round(p90 / 60, 1)
