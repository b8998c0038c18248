"""What the live pages poll: a cheap fingerprint of the requests the actor sees.

One aggregate query, no rows loaded, nothing audited (it carries no request data); the
page fetches the rows themselves (audited) only when the fingerprint changes. A hold that
runs out changes it too (the pending count counts only holds still running), so a requester
sees "expired" without any write on the read path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..domain.enums import Role
from ..domain.requests import RequestStatus
from ..models import PlacementRequest, User
from .access import require_role


@dataclass(frozen=True)
class LiveState:
    pending: int  # requests still waiting for an answer with their hold running
    version: str  # changes whenever a row the actor sees appears or changes status


def requests_state(session: Session, actor: User, now: datetime, since: datetime) -> LiveState:
    """The actor's side of the requests (as on the requests page) in one aggregate query."""
    require_role(actor, Role.SOCIAL_WORKER, Role.SHELTER_STAFF, Role.ADMIN)
    running = and_(
        PlacementRequest.status == RequestStatus.PENDING,
        PlacementRequest.hold_expires_at > now,
    )
    query = select(
        func.count(),
        func.count().filter(running),
        func.max(PlacementRequest.id),
        func.max(PlacementRequest.decided_at),
        func.count(PlacementRequest.decided_at),
    ).where(
        or_(PlacementRequest.status == RequestStatus.PENDING, PlacementRequest.created_at >= since)
    )
    if actor.role is Role.SOCIAL_WORKER:
        query = query.where(PlacementRequest.organisation_id == actor.organisation_id)
    elif actor.role is Role.SHELTER_STAFF:
        query = query.where(PlacementRequest.shelter_id == actor.shelter_id)
    total, pending, newest, last_decided, decided = session.execute(query).one()
    raw = f"{actor.id}|{total}|{pending}|{newest}|{last_decided}|{decided}"
    return LiveState(int(pending or 0), hashlib.sha256(raw.encode()).hexdigest()[:20])
