"""Role and tenant rules, in one place. Every service that reads or writes calls these."""

from __future__ import annotations

from ..domain.enums import Role
from ..domain.errors import Forbidden, NotFound
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


def require_same_organisation(actor: User, organisation_id: int | None, what: str) -> None:
    """Tenant rule: only your own organisation's rows; others' look like they do not exist."""
    if actor.organisation_id is None or actor.organisation_id != organisation_id:
        raise NotFound(f"{what} does not exist.")
