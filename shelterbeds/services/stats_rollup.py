"""Monthly rollups: store each ended local month's unit-nights and days reported per shelter.

A unit's status history only grows at "now", so an ended month's figures never change;
storing them makes a 12-month occupancy figure read 12 rows per shelter instead of the
history (docs/STATISTICS.md, "Speed"). Idempotent: only months not stored yet are computed.
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

    At most `limit_months` months per call (the oldest first), so a first run over years of
    history is spread over several runs instead of one long transaction.
    """
    period = ended_months(session, now)
    if period is None:
        return 0
    shelters = list(session.scalars(select(Shelter.id)))
    stored = {
        (int(shelter_id), str(month))
        for shelter_id, month in session.execute(
            select(ShelterMonth.shelter_id, ShelterMonth.month).where(
                ShelterMonth.month >= period.first
            )
        )
    }
    written = months = 0
    for label in period.months:
        missing = [s for s in shelters if (s, label) not in stored]
        if not missing:
            continue
        figures = live_month(session, missing, period, label, now)
        reported = live_reported(session, missing, Period(label, label))
        for shelter_id in missing:
            opened, occupied, full = figures.get(shelter_id, (0, 0, 0))
            session.add(
                ShelterMonth(
                    shelter_id=shelter_id,
                    month=label,
                    unit_nights_open=opened,
                    unit_nights_occupied=occupied,
                    nights_full=full,
                    days_reported=reported.get((shelter_id, label), 0),
                    computed_at=now,
                )
            )
            written += 1
        session.flush()
        months += 1
        if months >= limit_months:
            break
    return written
