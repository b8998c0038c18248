"""Jobs for placement requests and placements: expire holds, remind shelters, reviews.

Each is idempotent and decides from database timestamps: a missed run catches up, a double
run changes nothing (the SMS entry points are dedupe-keyed per request or due date).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from ..domain.clock import STOCKHOLM, local
from ..domain.requests import RequestStatus
from ..models import Placement, PlacementRequest
from ..notifications import events
from ..services import holds
from .context import JobContext


def expire_holds(ctx: JobContext) -> int:
    """Release every pending request past `hold_expires_at` (tells the requester by SMS)."""
    with ctx.db.transaction() as session:
        return holds.expire_holds(session, ctx.now())


def remind_half_held(ctx: JobContext) -> int:
    """SMS the shelter once when half of a hold has passed without an answer."""
    now = ctx.now()
    queued = 0
    with ctx.db.transaction() as session:
        pending = session.scalars(
            select(PlacementRequest).where(
                PlacementRequest.status == RequestStatus.PENDING,
                PlacementRequest.hold_expires_at > now,
            )
        )
        for req in pending:
            halfway = req.created_at + (req.hold_expires_at - req.created_at) / 2
            if halfway <= now:
                queued += len(
                    events.queue_hold_half_passed(
                        session,
                        shelter=req.shelter,
                        request_code=req.code,
                        hold_expires_at=req.hold_expires_at,
                        now=now,
                    )
                )
    return queued


def end_of_local_day(now: datetime) -> datetime:
    """Midnight after `now` in Europe/Stockholm, as an aware datetime (DST-safe)."""
    tomorrow = local(now).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=STOCKHOLM)


def remind_reviews(ctx: JobContext) -> int:
    """SMS the placing organisation about placements whose review is due today or overdue."""
    now = ctx.now()
    queued = 0
    with ctx.db.transaction() as session:
        due = session.scalars(
            select(Placement).where(
                Placement.ended_at.is_(None),
                Placement.next_review_at.is_not(None),
                Placement.next_review_at < end_of_local_day(now),
            )
        )
        for placement in due:
            assert placement.next_review_at is not None  # filtered above
            row = events.queue_review_due(
                session,
                organisation=placement.organisation,
                placement_code=placement.request.code,
                due_date=local(placement.next_review_at).date(),
                now=now,
            )
            queued += row is not None
    return queued
