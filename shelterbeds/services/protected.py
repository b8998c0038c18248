"""Protected identity (skyddade personuppgifter): a request only named users may see.

A request flagged `protected_identity` (and its placement) is visible only to:
- the social worker who made it, and the users named on it (colleagues of the requesting
  organisation, or staff of the shelter that holds the unit);
- the holding shelter's staff as a whole only when none of them is named (someone there
  must be able to answer); once a staff member is named, only they see it.
Nobody else — not other colleagues, not administrators — sees or reads it: to them it does
not exist (404). The named users are fixed when the request is made.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, false, not_, or_, select
from sqlalchemy.orm import Session, aliased

from ..domain.enums import Role
from ..domain.errors import Invalid
from ..models import PlacementRequest, RequestAccess, User

MAX_NAMED = 20


def name_users(
    session: Session, actor: User, req: PlacementRequest, emails: tuple[str, ...]
) -> None:
    """Record who may see a protected request: the requester and `emails` (parties only)."""
    allowed: dict[int, User] = {actor.id: actor}
    for email in emails:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        colleague = (
            user is not None
            and user.active
            and (
                (user.role is Role.SOCIAL_WORKER and user.organisation_id == actor.organisation_id)
                or (user.role is Role.SHELTER_STAFF and user.shelter_id == req.shelter_id)
            )
        )
        if not colleague or user is None:
            raise Invalid(
                f"{email} cannot be named: name colleagues in your organisation or staff of "
                "the shelter that holds the place.",
                errors={"named_users": [f"Not a colleague or staff of the shelter: {email}"]},
            )
        allowed[user.id] = user
    for user_id in allowed:
        session.add(RequestAccess(request_id=req.id, user_id=user_id, granted_by_id=actor.id))
    session.flush()


def named_user_ids(session: Session, request_id: int) -> set[int]:
    return set(
        session.scalars(select(RequestAccess.user_id).where(RequestAccess.request_id == request_id))
    )


def may_see(session: Session, actor: User, req: PlacementRequest) -> bool:
    """Whether the actor may see this request (always true when it is not protected)."""
    if not req.protected_identity:
        return True
    named = named_user_ids(session, req.id)
    if actor.id in named or actor.id == req.requested_by_id:
        return True
    if actor.role is Role.SHELTER_STAFF and actor.shelter_id == req.shelter_id:
        staff_named = session.scalar(
            select(User.id).where(User.id.in_(named), User.shelter_id == req.shelter_id).limit(1)
        )
        return staff_named is None
    return False


def visible_clause(actor: User, request: Any = PlacementRequest) -> Any:
    """SQL for "not protected, or this actor may see it" over a PlacementRequest (alias)."""
    named = exists().where(
        RequestAccess.request_id == request.id, RequestAccess.user_id == actor.id
    )
    own = request.requested_by_id == actor.id
    shelter_side: Any = false()
    if actor.role is Role.SHELTER_STAFF and actor.shelter_id is not None:
        staff = aliased(User)
        any_staff_named = exists().where(
            RequestAccess.request_id == request.id,
            RequestAccess.user_id == staff.id,
            staff.shelter_id == actor.shelter_id,
        )
        shelter_side = and_(request.shelter_id == actor.shelter_id, not_(any_staff_named))
    return or_(request.protected_identity.is_(False), own, named, shelter_side)
