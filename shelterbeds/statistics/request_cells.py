"""Request outcomes per shelter and local month ("cells"), from the rollup or computed live.

A cell keeps the count of each outcome and the seconds from request to decision of every
decided request, so the median and 90th percentile of any set of cells are merged exactly
(nothing is approximated): the same numbers as the window-function query over the requests.
Ended months whose requests are all settled are stored in `shelter_months` by the clock
(services/stats_rollup.py); the current month, and any month not stored yet, is computed
live (docs/STATISTICS.md, "Speed").
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import LargeBinary, func, literal, select
from sqlalchemy.orm import Session

from ..domain.periods import Period
from ..domain.requests import RequestStatus
from ..models import PlacementRequest, ShelterMonth
from .sql import among, epoch, in_period, month_of, nearest_rank, rows_of

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

    def stored_times(self) -> bytes:
        """The decision times as stored: ascending, packed (`pack_seconds`)."""
        return pack_seconds(sorted(self.seconds))


def pack_seconds(values: Iterable[int]) -> bytes:
    """Seconds as little-endian signed 32-bit integers (68 years either way)."""
    packed = array("i", values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def unpack_seconds(data: bytes) -> list[int]:
    """The seconds `pack_seconds` packed, in their order."""
    packed = array("i")
    packed.frombytes(data)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tolist()


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
    scope = (among(session, R.shelter_id, ids), in_period(R.created_at, period))
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
    query = select(SM.shelter_id, SM.month, SM.decision_times, *columns).where(
        among(session, SM.shelter_id, shelter_ids),
        SM.month.in_(period.months),
        SM.requests.is_not(None),
    )
    out: dict[Key, Cell] = {}
    for shelter_id, label, data, *counts in session.execute(query):
        cell = Cell(*counts)
        cell.seconds = unpack_seconds(data) if data else []
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


def monthly_cells(
    session: Session, shelter_ids: Sequence[int], period: Period, now: datetime
) -> dict[str, Cell]:
    """{month: the cells of all `shelter_ids` summed} of the period's months with requests.

    A month whose every shelter-month is stored is read as one row per month: on PostgreSQL
    the counts are summed and the packed decision times concatenated by the database
    (thousands of shelter-months per period otherwise each cost a Python object and an
    unpacking). Any other month is computed live for all the shelters.
    """
    ids = list(shelter_ids)
    if not ids:
        return {}
    ended = {label for label, _start, end in period.bounds if end <= now}
    out = {
        label: cell
        for label, count, cell in _stored_months(session, ids, period)
        if count == len(ids) and label in ended
    }
    missing = [label for label in period.months if label not in out]
    if missing:
        wanted = set(missing)
        for (_shelter, label), cell in live_cells(
            session, ids, Period(missing[0], missing[-1])
        ).items():
            if label in wanted:
                out.setdefault(label, Cell()).add(cell)
    return {label: cell for label, cell in out.items() if cell.requests}


def _stored_months(session: Session, ids: list[int], period: Period) -> list[tuple[str, int, Cell]]:
    """(month, shelter-months stored, their cells summed) of the period's stored months."""
    where = (
        among(session, SM.shelter_id, ids),
        SM.month.in_(period.months),
        SM.requests.is_not(None),
    )
    sums = [func.sum(SM.__table__.c[c]) for c in STORED]
    if session.get_bind().dialect.name == "postgresql":
        times = func.string_agg(SM.decision_times, literal(b"", LargeBinary()), type_=LargeBinary())
        query = select(SM.month, func.count(), times, *sums).where(*where).group_by(SM.month)
        out = []
        for label, count, data, *counts in session.execute(query):
            cell = _summed_cell([int(c) for c in counts])
            cell.seconds = unpack_seconds(data) if data else []
            out.append((label, int(count), cell))
        return out
    # SQLite has no aggregate that concatenates blobs: the rows are joined here.
    columns = [SM.__table__.c[c] for c in STORED]
    joined: dict[str, tuple[list[int], bytearray]] = {}
    shelter_months: dict[str, int] = {}
    for label, data, *counts in session.execute(
        select(SM.month, SM.decision_times, *columns).where(*where)
    ):
        acc, packed = joined.setdefault(label, ([0] * len(STORED), bytearray()))
        for i, c in enumerate(counts):
            acc[i] += c
        packed += data or b""
        shelter_months[label] = shelter_months.get(label, 0) + 1
    out = []
    for label, (acc, packed) in joined.items():
        cell = _summed_cell(acc)
        cell.seconds = unpack_seconds(bytes(packed))
        out.append((label, shelter_months[label], cell))
    return out


def _summed_cell(counts: Sequence[int]) -> Cell:
    """A cell of the STORED counts, in their order."""
    requests, accepted, declined, withdrawn, expired = counts
    return Cell(requests, accepted, declined, withdrawn, expired)


def stored_values(cell: Cell) -> dict[str, Any]:
    """The `shelter_months` columns of a settled cell."""
    values: dict[str, Any] = {name: getattr(cell, name) for name in STORED}
    values["decision_times"] = cell.stored_times()
    return values


def decision_minutes(cell: Cell) -> tuple[float | None, float | None]:
    """(median, p90) minutes to decision, rounded as the SQL path rounds them."""
    found = median_p90(cell.seconds)
    if found is None:
        return None, None
    median, p90 = found
    return round(median / 60, 1), round(p90 / 60, 1)
