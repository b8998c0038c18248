"""Holds that run out: move a request out of `pending` and release expired holds.

Used by the clock, and lazily by the next write to a held unit (a new request for it, a
staff status change). Reads never write: search and the shelter listing count a hold past
`hold_expires_at` as free (services/snapshot.py), and a request read or listed while its
hold has run out is *shown* as expired (`show_run_out`) until the clock or the next write
makes it so in the database and sends the SMS.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..domain.enums import ChangeSource, DeclineReason, UnitStatus
from ..domain.requests import RequestStatus, hold_expired
from ..models import PlacementRequest, Unit, User
from ..notifications import events
from . import audit
from .units import transition_unit


def leave_pending(
    session: Session,
    req: PlacementRequest,
    new: RequestStatus,
    now: datetime,
    actor: User | None,
    reason: DeclineReason | None = None,
    *,
    only_if_expired: bool = False,
) -> bool:
    """Conditionally move the request out of pending; False if another transaction did first.

    The WHERE decides the race: still pending, and its hold either still running (an answer
    or a withdrawal) or run out (`only_if_expired`: the expiry). On success the loaded row
    takes the new values without a re-read; on failure it is re-read, so the caller can say
    which state the winner left.
    """
    condition = [PlacementRequest.id == req.id, PlacementRequest.status == RequestStatus.PENDING]
    if only_if_expired:
        condition.append(PlacementRequest.hold_expires_at <= now)
    else:
        condition.append(PlacementRequest.hold_expires_at > now)
    values = {
        "status": new,
        "decided_at": now,
        "decided_by_id": actor.id if actor else None,
        "decline_reason": reason,
    }
    result = session.execute(
        update(PlacementRequest)
        .where(*condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(req)
        return False
    for name, value in values.items():
        set_committed_value(req, name, value)  # what the UPDATE wrote; nothing left to flush
    return True


def show_run_out(rows: Iterable[PlacementRequest], now: datetime) -> None:
    """Show pending requests whose hold has run out as expired, without writing.

    A hold past `hold_expires_at` is over by definition, so a read must never show it as
    pending; but a read must not write either (the clock's `expire_holds` or the next write
    to the unit releases it and tells the requester). `set_committed_value` changes only the
    loaded object (never flushed: the session does not see it as modified); the session is
    the request's own and ends with it.
    """
    for req in rows:
        if req.status is RequestStatus.PENDING and hold_expired(req.hold_expires_at, now):
            set_committed_value(req, "status", RequestStatus.EXPIRED)


def expire_one(session: Session, req: PlacementRequest, now: datetime) -> bool:
    """Expire one hold past its time and free the unit; False if it was decided meanwhile."""
    if not leave_pending(session, req, RequestStatus.EXPIRED, now, None, only_if_expired=True):
        return False
    transition_unit(
        session,
        req.unit,
        UnitStatus.HELD,
        UnitStatus.FREE,
        actor=None,
        now=now,
        source=ChangeSource.SYSTEM,
    )
    audit.record(session, None, "request.expire", "request", req.id, now)
    events.queue_request_expired(
        session,
        phone=req.callback_phone,
        locale=req.requested_by.locale,
        request_code=req.code,
        now=now,
    )
    return True


def expire_holds(session: Session, now: datetime) -> int:
    """Release every pending request past its hold (the clock job); idempotent."""
    due = session.scalars(
        select(PlacementRequest)
        .where(
            PlacementRequest.status == RequestStatus.PENDING,
            PlacementRequest.hold_expires_at <= now,
        )
        .order_by(PlacementRequest.id)
    )
    return sum(1 for req in list(due) if expire_one(session, req, now))


def expire_run_out(session: Session, unit: Unit, now: datetime) -> bool:
    """The next write to a held unit first releases its hold if that has run out."""
    stale = session.scalar(
        select(PlacementRequest).where(
            PlacementRequest.unit_id == unit.id,
            PlacementRequest.status == RequestStatus.PENDING,
            PlacementRequest.hold_expires_at <= now,
        )
    )
    return stale is not None and expire_one(session, stale, now)
