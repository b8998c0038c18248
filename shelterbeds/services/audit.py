"""Write the append-only audit log: every read and change of a request or placement."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..models import AuditEvent, User


def record(
    session: Session,
    actor: User | None,
    action: str,
    obj_type: str,
    obj_id: int | None,
    now: datetime,
) -> AuditEvent:
    """Append one event (ids and codes only; `actor` None is the system clock)."""
    event = AuditEvent(
        at=now,
        actor_id=actor.id if actor else None,
        actor_role=actor.role if actor else None,
        organisation_id=actor.organisation_id if actor else None,
        action=action,
        object_type=obj_type,
        object_id=obj_id,
    )
    session.add(event)
    session.flush()
    return event
