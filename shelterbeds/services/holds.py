"""Holds that run out: move a request out of `pending` and release expired holds.

Used by the clock, and lazily by the next write to a held unit (a new request for it, a
staff status change) and by reading one request. Search and the shelter listing never
write: they count a hold past `hold_expires_at` as free (services/snapshot.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..domain.enums import ChangeSource, DeclineReason, UnitStatus
from ..domain.requests import RequestStatus
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
    """Conditionally move the request out of pending; False if another transaction did first."""
    condition = [PlacementRequest.id == req.id, PlacementRequest.status == RequestStatus.PENDING]
    if only_if_expired:
        condition.append(PlacementRequest.hold_expires_at <= now)
    result = session.execute(
        update(PlacementRequest)
        .where(*condition)
        .values(
            status=new,
            decided_at=now,
            decided_by_id=actor.id if actor else None,
            decline_reason=reason,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(req)
    return result.rowcount == 1  # type: ignore[attr-defined]


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
