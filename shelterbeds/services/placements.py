"""Placements: list them for the two parties, follow them up, end them with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..domain.authorization import Action
from ..domain.enums import ChangeSource, Role, UnitStatus
from ..domain.errors import Conflict, NotFound
from ..domain.requests import EndReason, next_review_after, review_overdue
from ..models import Placement, PlacementRequest, User
from ..notifications import events
from . import audit, protected
from .access import (
    case_clause,
    require_case_party,
    require_case_visible,
    require_requesting_org,
)
from .units import transition_unit

LIST_LIMIT = 200


@dataclass(frozen=True)
class ReviewDue:
    """When the placing organisation should next follow the placement up."""

    at: datetime | None
    overdue: bool


def review_due(placement: Placement, now: datetime) -> ReviewDue:
    """The next review date and whether it has passed (ended placements have none)."""
    if placement.ended_at is not None:
        return ReviewDue(None, False)
    return ReviewDue(placement.next_review_at, review_overdue(placement.next_review_at, now))


def _visible(session: Session, actor: User, placement_id: int) -> Placement:
    placement = session.get(Placement, placement_id)
    if placement is None:
        raise NotFound(f"Placement {placement_id} does not exist.")
    require_case_visible(
        actor,
        placement.organisation_id,
        placement.shelter_id,
        f"Placement {placement_id}",
        Action.PLACEMENT_READ,
    )
    if not protected.may_see(session, actor, placement.request):
        raise NotFound(f"Placement {placement_id} does not exist.")
    return placement


def get_placement(session: Session, actor: User, placement_id: int, now: datetime) -> Placement:
    """One placement, for its two parties and admins; audited."""
    placement = _visible(session, actor, placement_id)
    audit.record(session, actor, "placement.read", "placement", placement.id, now)
    return placement


def list_placements(
    session: Session, actor: User, now: datetime, active: bool | None = None
) -> list[Placement]:
    """The actor's side of the placements, active first then newest; every row audited."""
    query = (
        select(Placement)
        .join(PlacementRequest, PlacementRequest.id == Placement.request_id)
        .where(
            case_clause(
                actor, Action.PLACEMENT_READ, Placement.organisation_id, Placement.shelter_id
            ),
            protected.visible_clause(actor),
        )
        .order_by(Placement.ended_at.is_not(None), Placement.started_at.desc())
        .limit(LIST_LIMIT)
    )
    if active is True:
        query = query.where(Placement.ended_at.is_(None))
    elif active is False:
        query = query.where(Placement.ended_at.is_not(None))
    rows = list(session.scalars(query))
    for placement in rows:
        audit.record(session, actor, "placement.read", "placement", placement.id, now)
    return rows


def end_placement(
    session: Session, actor: User, placement_id: int, reason: EndReason, now: datetime
) -> Placement:
    """Either party ends the placement with a coded reason; the unit becomes free."""
    placement = _visible(session, actor, placement_id)
    require_case_party(actor, placement.organisation_id, placement.shelter_id)
    result = session.execute(
        update(Placement)
        .where(Placement.id == placement.id, Placement.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason, ended_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    session.refresh(placement)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("The placement has already ended.", current_status="ended")
    transition_unit(
        session,
        placement.unit,
        UnitStatus.OCCUPIED,
        UnitStatus.FREE,
        actor=actor,
        now=now,
        source=ChangeSource.API,
    )
    audit.record(session, actor, "placement.end", "placement", placement.id, now)
    ended_by_shelter = actor.role is Role.SHELTER_STAFF
    events.queue_placement_ended(
        session,
        shelter=placement.shelter,
        request_code=placement.request.code,
        now=now,
        callback_phone=placement.request.callback_phone if ended_by_shelter else None,
        locale=placement.request.requested_by.locale if ended_by_shelter else None,
    )
    return placement


def record_review(
    session: Session,
    actor: User,
    placement_id: int,
    now: datetime,
    first_days: int,
    every_days: int,
) -> Placement:
    """The placing organisation has followed up: move the review date to the next one."""
    placement = _visible(session, actor, placement_id)
    require_requesting_org(actor, placement.organisation_id, Action.PLACEMENT_REVIEW)
    if placement.ended_at is not None:
        raise Conflict(
            "The placement has ended: there is nothing to review.", current_status="ended"
        )
    placement.next_review_at = next_review_after(placement.started_at, now, first_days, every_days)
    session.flush()
    audit.record(session, actor, "placement.review", "placement", placement.id, now)
    return placement
