"""Retention: case details of old requests and placements are removed by the clock.

A request older than `SHELTERBEDS_RETENTION_MONTHS` (default 24) whose placement, if any,
also ended before that cut-off loses its case reference, note and callback phone; its
idempotency keys (client-chosen strings) go too. Everything the statistics count stays as
it was — status, times, municipality, household shape, needs, reasons, unit history — so
every figure is exactly unchanged (tests/integration/test_retention.py proves it).
Idempotent: anonymised rows are stamped and skipped.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import Session

from ..domain.clock import local
from ..domain.requests import RequestStatus
from ..domain.retention import months_before
from ..models import IdempotencyKey, Placement, PlacementRequest
from . import audit

REMOVED = ""  # case_ref and callback_phone are NOT NULL: removed means empty


def cutoff(now: datetime, months: int) -> datetime:
    """Everything that ended before this moment is past retention (local calendar months)."""
    return months_before(local(now), months).astimezone(now.tzinfo)


def anonymise_expired(session: Session, now: datetime, months: int) -> int:
    """Remove case reference, note and phone from requests past retention; return how many."""
    limit = cutoff(now, months)
    live_placement = exists().where(
        Placement.request_id == PlacementRequest.id,
        or_(Placement.ended_at.is_(None), Placement.ended_at >= limit),
    )
    ids = list(
        session.scalars(
            select(PlacementRequest.id).where(
                PlacementRequest.anonymised_at.is_(None),
                PlacementRequest.created_at < limit,
                PlacementRequest.status != RequestStatus.PENDING,
                ~live_placement,
            )
        )
    )
    if not ids:
        return 0
    for start in range(0, len(ids), 500):  # bounded IN lists
        chunk = ids[start : start + 500]
        session.execute(
            update(PlacementRequest)
            .where(PlacementRequest.id.in_(chunk), PlacementRequest.anonymised_at.is_(None))
            .values(case_ref=REMOVED, note=None, callback_phone=REMOVED, anonymised_at=now)
            .execution_options(synchronize_session=False)
        )
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.request_id.in_(chunk)))
    audit.record(session, None, "retention.anonymise", "request", None, now, detail=str(len(ids)))
    session.flush()
    return len(ids)
