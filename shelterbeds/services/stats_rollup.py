"""Monthly rollups: store each local month's unit-nights, days reported, request outcomes and
turn-aways per shelter.

A unit's status history and confirmations only grow at "now", so an ended month's occupancy
and days reported never change, and neither do the nights and days of the running month that
have passed: the running month is stored up to its last local midnight (`counted_until`) and
completed once it has ended. A request leaves "pending" exactly once, so a month's request
outcomes are final once none is pending. A turn-away may be entered up to 31 days after it
happened, so a month's refusals are final 31 days after the month ended. Storing them makes a
12-month figure read 12 rows per shelter instead of the history (docs/STATISTICS.md,
"Speed"). Idempotent: only what is not stored yet is computed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from ..domain.clock import STOCKHOLM
from ..domain.periods import Period, add_months, local_midnight, month_label, month_start
from ..domain.turnaways import MAX_AGE
from ..models import Shelter, ShelterMonth, TurnAway, UnitStatusChange
from ..statistics.compliance import live_reported
from ..statistics.occupancy import live_month
from ..statistics.request_cells import Cell, live_cells, stored_values
from ..statistics.sql import in_period

# A month's turn-aways are final once none can be entered for it any more (31 days after
# its end, domain/turnaways.py), with an hour's margin for a transaction still in flight.
TURNAWAYS_FINAL_AFTER = MAX_AGE + timedelta(hours=1)


class _Stored(NamedTuple):
    """What a stored shelter-month row already holds."""

    requests: bool  # its requests are settled and stored
    refusals: bool  # its turn-aways are final and stored
    whole: bool  # counted to the month's end (not only to a midnight while it ran)


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


def turnaways_final(label: str, now: datetime) -> bool:
    """Whether no turn-away can be entered for the month any more."""
    end = Period(label, label).end
    return end + TURNAWAYS_FINAL_AFTER <= now


def roll_up_months(session: Session, now: datetime, limit_months: int = 24) -> int:
    """Store the missing (shelter, month) figures; return rows written.

    Ended months: occupancy and days reported (a row stored while the month was running is
    completed), requests once none of them is pending (a request created at 23:50 on the
    last day may be decided, or expire, in the next month: until then that shelter-month's
    requests are computed live and a later run fills them in), turn-aways once final. At
    most `limit_months` months per call (the oldest first), so a first run over years of
    history is spread over several runs instead of one long transaction. Then the running
    month up to its last local midnight. Running it again writes nothing.
    """
    period = ended_months(session, now)
    written = 0
    if period is not None:
        written += _ended(session, period, now, limit_months)
    return written + roll_up_running_month(session, now)


def _ended(session: Session, period: Period, now: datetime, limit_months: int) -> int:
    shelters = list(session.scalars(select(Shelter.id)))
    stored = {
        (int(shelter_id), str(month)): _Stored(settled, refused, whole)
        for shelter_id, month, settled, refused, whole in session.execute(
            select(
                ShelterMonth.shelter_id,
                ShelterMonth.month,
                ShelterMonth.requests.is_not(None),
                ShelterMonth.refusals.is_not(None),
                ShelterMonth.counted_until.is_(None),
            ).where(ShelterMonth.month >= period.first)
        )
    }
    written = months = 0
    for label in period.months:
        final = turnaways_final(label, now)
        rows_of_month = {s: stored[(s, label)] for s in shelters if (s, label) in stored}
        missing = [s for s in shelters if s not in rows_of_month]
        partial = [s for s, row in rows_of_month.items() if not row.whole]
        unsettled = [s for s, row in rows_of_month.items() if not row.requests]
        unrefused = [s for s, row in rows_of_month.items() if final and not row.refusals]
        if not missing and not partial and not unsettled and not unrefused:
            continue
        month = Period(label, label)
        cells = _settled(live_cells(session, sorted(set(missing + unsettled)), month))
        refused = _refusals(session, sorted(set(missing + unrefused)), month) if final else {}
        rows = _stored_rows(session, label, sorted(set(partial + unsettled + unrefused)))
        step = 0
        for shelter_id in unsettled:
            cell = cells.get(shelter_id, Cell())
            if cell is not None:
                for name, value in stored_values(cell).items():
                    setattr(rows[shelter_id], name, value)
                step += 1
        for shelter_id in unrefused:
            rows[shelter_id].refusals, rows[shelter_id].episodes = refused.get(shelter_id, (0, 0))
            step += 1
        if partial:  # stored while the month was running: count the whole month now
            step += _count_month(session, [rows[s] for s in partial], label, None, now)
        if missing:
            step += _store_new(session, missing, label, cells, refused, now)
        session.flush()
        written += step
        # A month still waiting for a pending request does not use up the run's months.
        months += 1 if step else 0
        if months >= limit_months:
            break
    return written


def roll_up_running_month(session: Session, now: datetime) -> int:
    """Store the running month's unit-nights and days reported up to its last local
    midnight, per shelter (rows written; none before the month's first midnight)."""
    today = now.astimezone(STOCKHOLM)
    label = month_label(today.year, today.month)
    until = local_midnight(today.date())
    if until <= month_start(today.year, today.month):
        return 0
    if session.scalar(select(func.min(UnitStatusChange.changed_at))) is None:
        return 0
    shelters = list(session.scalars(select(Shelter.id)))
    rows = _stored_rows(session, label, shelters)
    behind = [rows[s] for s in shelters if s in rows and rows[s].counted_until != until]
    new = [s for s in shelters if s not in rows]
    written = _count_month(session, behind, label, until, now) if behind else 0
    if new:
        added = [ShelterMonth(shelter_id=s, month=label) for s in new]
        written += _count_month(session, added, label, until, now)
        session.add_all(added)
    session.flush()
    return written


def _count_month(
    session: Session, rows: list[ShelterMonth], label: str, until: datetime | None, now: datetime
) -> int:
    """Set the rows' unit-nights and days reported: the whole month, or up to `until`."""
    ids = [row.shelter_id for row in rows]
    month = Period(label, label)
    figures = live_month(session, ids, month, label, until or now)
    reported = live_reported(session, ids, month, until=until)
    for row in rows:
        opened, occupied, full = figures.get(row.shelter_id, (0, 0, 0))
        row.unit_nights_open, row.unit_nights_occupied, row.nights_full = opened, occupied, full
        row.days_reported = reported.get((row.shelter_id, label), 0)
        row.counted_until = until
        row.computed_at = now
    return len(rows)


def _refusals(
    session: Session, shelter_ids: list[int], month: Period
) -> dict[int, tuple[int, int]]:
    """{shelter id: (refusals, distinct episodes)} of one month (shelters without: absent)."""
    if not shelter_ids:
        return {}
    query = (
        select(TurnAway.shelter_id, func.count(), func.count(distinct(TurnAway.episode_id)))
        .where(TurnAway.shelter_id.in_(shelter_ids), in_period(TurnAway.occurred_at, month))
        .group_by(TurnAway.shelter_id)
    )
    return {int(s): (int(n), int(e)) for s, n, e in session.execute(query)}


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
    refused: dict[int, tuple[int, int]],
    now: datetime,
) -> int:
    """Insert the ended month's rows of shelters that have none yet."""
    final = turnaways_final(label, now)
    rows = []
    for shelter_id in shelter_ids:
        row = ShelterMonth(shelter_id=shelter_id, month=label)
        cell = cells.get(shelter_id, Cell())
        if cell is not None:
            for name, value in stored_values(cell).items():
                setattr(row, name, value)
        if final:
            row.refusals, row.episodes = refused.get(shelter_id, (0, 0))
        rows.append(row)
    _count_month(session, rows, label, None, now)
    session.add_all(rows)
    return len(shelter_ids)
