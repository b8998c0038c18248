"""Role and tenant rules, in one place. Every service that reads or writes calls these."""

from __future__ import annotations

from ..domain.enums import Role
from ..domain.errors import Forbidden
from ..models import User


def require_role(actor: User, *roles: Role) -> None:
    """Raise Forbidden unless the actor has one of the roles."""
    if actor.role not in roles:
        raise Forbidden("Your role does not allow this.")


def require_shelter_staff_of(actor: User, shelter_id: int) -> None:
    """Only staff of this shelter (or an admin) may change it."""
    if actor.role is Role.ADMIN:
        return
    if actor.role is not Role.SHELTER_STAFF or actor.shelter_id != shelter_id:
        raise Forbidden("Only this shelter's own staff may change it.")


def shelter_scope(actor: User, shelter_id: int | None = None) -> int | None:
    """The shelter whose own records (turn-aways) the actor may read: None means all.

    Staff read only their own shelter's; an admin reads any (all when no shelter is given);
    every other role is refused.
    """
    if actor.role is Role.ADMIN:
        return shelter_id
    if actor.role is not Role.SHELTER_STAFF or actor.shelter_id is None:
        raise Forbidden("Your role does not allow this.")
    if shelter_id is not None and shelter_id != actor.shelter_id:
        raise Forbidden("Only this shelter's own staff may see its records.")
    return actor.shelter_id
