"""Monthly rollups: store each ended local month's unit-nights, days reported and request
outcomes per shelter.

A unit's status history only grows at "now", so an ended month's occupancy never changes; a
request leaves "pending" exactly once, so a month's request outcomes are final once none is
pending. Storing them makes a 12-month figure read 12 rows per shelter instead of the history
(docs/STATISTICS.md, "Speed"). Idempotent: only what is not stored yet is computed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.clock import STOCKHOLM
from ..domain.periods import Period, add_months, month_label
from ..models import Shelter, ShelterMonth, UnitStatusChange
from ..statistics.compliance import live_reported
from ..statistics.occupancy import live_month
from ..statistics.request_cells import Cell, live_cells, stored_values


def ended_months(session: Session, now: datetime) -> Period | None:
    """From the month of the first status change to the last ended month (None: nothing)."""
    first = session.scalar(select(func.min(UnitStatusChange.changed_at)))
    if first is None:
        return None
    start = first.astimezone(STOCKHOLM)
    today = now.astimezone(STOCKHOLM)
    last = add_months(today.year, today.month, -1)
    if (start.year, start.month) > last:
        return None
    return Period(month_label(start.year, start.month), month_label(*last))


def roll_up_months(session: Session, now: datetime, limit_months: int = 24) -> int:
    """Store the missing (shelter, month) figures of ended months; return rows written.

    Occupancy and days reported are stored once a month has ended; its requests once none of
    them is pending any more (a request created at 23:50 on the last day may be decided, or
    expire, in the next month: until then that shelter-month's requests are computed live
    and a later run fills them in). At most `limit_months` months per call (the oldest
    first), so a first run over years of history is spread over several runs instead of one
    long transaction. Running it again writes nothing.
    """
    period = ended_months(session, now)
    if period is None:
        return 0
    shelters = list(session.scalars(select(Shelter.id)))
    stored = {  # (shelter, month) -> whether its requests are stored
        (int(shelter_id), str(month)): settled
        for shelter_id, month, settled in session.execute(
            select(
                ShelterMonth.shelter_id, ShelterMonth.month, ShelterMonth.requests.is_not(None)
            ).where(ShelterMonth.month >= period.first)
        )
    }
    written = months = 0
    for label in period.months:
        missing = [s for s in shelters if (s, label) not in stored]
        unsettled = [s for s in shelters if stored.get((s, label)) is False]
        if not missing and not unsettled:
            continue
        month = Period(label, label)
        cells = _settled(live_cells(session, missing + unsettled, month))
        step = 0
        waiting = _stored_rows(session, label, unsettled)
        for shelter_id, row in waiting.items():
            cell = cells.get(shelter_id, Cell())
            if cell is not None:
                for name, value in stored_values(cell).items():
                    setattr(row, name, value)
                step += 1
        if missing:
            step += _store_new(session, missing, label, cells, now)
        session.flush()
        written += step
        # A month still waiting for a pending request does not use up the run's months.
        months += 1 if step else 0
        if months >= limit_months:
            break
    return written


def _stored_rows(session: Session, label: str, shelter_ids: list[int]) -> dict[int, ShelterMonth]:
    """{shelter id: its stored row} of one month, in one query (none asked: no query)."""
    if not shelter_ids:
        return {}
    query = select(ShelterMonth).where(
        ShelterMonth.month == label, ShelterMonth.shelter_id.in_(shelter_ids)
    )
    return {row.shelter_id: row for row in session.scalars(query)}


def _settled(cells: dict[tuple[int, str], Cell]) -> dict[int, Cell | None]:
    """{shelter id: its cell, None while a request is pending} of one month's live cells.

    A shelter that had no request in the month is not in it: its (zero) cell is settled.
    """
    return {s: None if cell.pending else cell for (s, _label), cell in cells.items()}


def _store_new(
    session: Session,
    shelter_ids: list[int],
    label: str,
    cells: dict[int, Cell | None],
    now: datetime,
) -> int:
    """Insert the month's rows of shelters that have none yet."""
    period = Period(label, label)
    figures = live_month(session, shelter_ids, period, label, now)
    reported = live_reported(session, shelter_ids, period)
    for shelter_id in shelter_ids:
        opened, occupied, full = figures.get(shelter_id, (0, 0, 0))
        row = ShelterMonth(
            shelter_id=shelter_id,
            month=label,
            unit_nights_open=opened,
            unit_nights_occupied=occupied,
            nights_full=full,
            days_reported=reported.get((shelter_id, label), 0),
            computed_at=now,
        )
        cell = cells.get(shelter_id, Cell())
        if cell is not None:
            for name, value in stored_values(cell).items():
                setattr(row, name, value)
        session.add(row)
    return len(shelter_ids)
