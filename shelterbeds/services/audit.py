"""Write the append-only audit log: sign-ins, failures, second-factor events, every read
and change of a request or placement (who, what, when, from where)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..models import AuditEvent, Organisation, User
from .access import admin_county

CLIENT_ADDRESS = "client_address"  # session.info key, set per HTTP request


def record(
    session: Session,
    actor: User | None,
    action: str,
    obj_type: str,
    obj_id: int | None,
    now: datetime,
    *,
    address: str | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Append one event (ids and codes only; `actor` None is the system clock or an
    unknown account). `address` is where it came from (default: the client address the
    web or API layer put in `session.info`), `detail` a short code."""
    address = address or session.info.get(CLIENT_ADDRESS)
    event = AuditEvent(
        at=now,
        actor_id=actor.id if actor else None,
        actor_role=actor.role if actor else None,
        organisation_id=actor.organisation_id if actor else None,
        action=action,
        object_type=obj_type,
        object_id=obj_id,
        address=(address or None) and address[:45],
        detail=(detail or None) and detail[:80],
    )
    # Flushed with the rest of the unit of work (at the latest by the commit), not on its
    # own: no extra flush (and its autoflush bookkeeping) per audited step.
    session.add(event)
    return event


READ_ACTIONS = ("request.read", "placement.read")


@dataclass(frozen=True)
class AuditFilter:
    """What the administrator asks for; every field optional."""

    user_id: int | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    address: str | None = None
    start: datetime | None = None  # inclusive, UTC
    end: datetime | None = None  # exclusive, UTC


def _scoped(actor: User) -> Select[Any]:
    """Events this administrator may read: all (national) or their county's organisations."""
    county = admin_county(actor)
    query = select(AuditEvent)
    if county is not None:
        orgs = select(Organisation.id).where(Organisation.county_code == county)
        query = query.where(AuditEvent.organisation_id.in_(orgs))
    return query


def search(session: Session, actor: User, flt: AuditFilter, limit: int = 500) -> list[AuditEvent]:
    """The newest events matching the filter, within the administrator's scope."""
    query = _scoped(actor)
    if flt.user_id is not None:
        query = query.where(AuditEvent.actor_id == flt.user_id)
    if flt.action:
        query = query.where(AuditEvent.action == flt.action)
    if flt.object_type:
        query = query.where(AuditEvent.object_type == flt.object_type)
    if flt.object_id is not None:
        query = query.where(AuditEvent.object_id == flt.object_id)
    if flt.address:
        query = query.where(AuditEvent.address == flt.address)
    if flt.start is not None:
        query = query.where(AuditEvent.at >= flt.start)
    if flt.end is not None:
        query = query.where(AuditEvent.at < flt.end)
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    return list(session.scalars(query))


def actions(session: Session) -> list[str]:
    """The action codes that occur (for the filter's choices)."""
    return sorted(session.scalars(select(AuditEvent.action).distinct()))


@dataclass
class ReviewRow:
    """One user's reads in a month, with a sample to follow up."""

    user: User
    reads: int
    cases: int
    sample: list[AuditEvent] = field(default_factory=list)


def review_report(
    session: Session, actor: User, start: datetime, end: datetime, month: str, per_user: int = 5
) -> list[ReviewRow]:
    """The monthly log review: every user who read requests or placements, how much, and a
    reproducible random sample of their reads for a supervisor to check against the cases
    (as Swedish social services follow up logs). Seeded by month and user: the same report
    every time it is run."""
    query = _scoped(actor).where(
        AuditEvent.action.in_(READ_ACTIONS),
        AuditEvent.actor_id.is_not(None),
        AuditEvent.at >= start,
        AuditEvent.at < end,
    )
    by_user: dict[int, list[AuditEvent]] = {}
    for ev in session.scalars(query.order_by(AuditEvent.id)):
        by_user.setdefault(int(ev.actor_id or 0), []).append(ev)
    rows = []
    for user_id, events in sorted(by_user.items()):
        user = session.get(User, user_id)
        if user is None:
            continue
        rng = random.Random(f"{month}:{user_id}")
        sample = sorted(rng.sample(events, min(per_user, len(events))), key=lambda e: e.at)
        cases = len({(e.object_type, e.object_id) for e in events})
        rows.append(ReviewRow(user=user, reads=len(events), cases=cases, sample=sample))
    rows.sort(key=lambda r: (-r.reads, r.user.email))
    return rows
