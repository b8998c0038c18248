"""Placement follow-up for the placing municipality's social services.

A municipality's social services follow up every placement made *for* the municipality,
whoever made it (the out-of-hours socialjour places for Nora at night; Nora's own social
services follow the placement up by day): the placements whose `municipality_code` is one
of the organisation's municipalities. Every row shown is an audited read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.enums import Role
from ..domain.errors import Forbidden
from ..models import Placement, User
from . import audit
from .access import require_role
from .placements import ReviewDue, review_due

LIMIT = 300


@dataclass(frozen=True)
class FollowUp:
    placement: Placement
    review: ReviewDue
    placed_by_us: bool


def municipality_codes(actor: User) -> list[str]:
    """The municipalities the actor's organisation is responsible for."""
    require_role(actor, Role.SOCIAL_WORKER)
    if actor.organisation is None or not actor.organisation.municipalities:
        raise Forbidden("Your organisation is responsible for no municipality.")
    return sorted(m.code for m in actor.organisation.municipalities)


def placements_for_municipalities(
    session: Session, actor: User, now: datetime, *, include_ended: bool = False
) -> list[FollowUp]:
    """Placements for the actor's municipalities: overdue reviews first, then by due date."""
    query = select(Placement).where(Placement.municipality_code.in_(municipality_codes(actor)))
    if not include_ended:
        query = query.where(Placement.ended_at.is_(None))
    query = query.order_by(
        Placement.ended_at.is_not(None), Placement.next_review_at, Placement.started_at.desc()
    ).limit(LIMIT)
    out = []
    for placement in session.scalars(query):
        audit.record(session, actor, "placement.read", "placement", placement.id, now)
        out.append(
            FollowUp(
                placement,
                review_due(placement, now),
                placement.organisation_id == actor.organisation_id,
            )
        )
    return out
