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


def can_see_case(actor: User, organisation_id: int, shelter_id: int) -> bool:
    """A request or placement is visible to its two parties and to admins, nobody else."""
    if actor.role is Role.ADMIN:
        return True
    if actor.role is Role.SOCIAL_WORKER:
        return actor.organisation_id == organisation_id
    if actor.role is Role.SHELTER_STAFF:
        return actor.shelter_id == shelter_id
    return False


def require_case_visible(actor: User, organisation_id: int, shelter_id: int, what: str) -> None:
    """404 (never revealing that it exists) unless the actor is a party or an admin."""
    if not can_see_case(actor, organisation_id, shelter_id):
        raise NotFound(f"{what} does not exist.")


def require_deciding_staff(actor: User, shelter_id: int) -> None:
    """Only staff of the shelter holding the unit accept or decline a request."""
    if actor.role is not Role.SHELTER_STAFF or actor.shelter_id != shelter_id:
        raise Forbidden("Only staff of the shelter that holds the place may answer the request.")


def require_requesting_org(actor: User, organisation_id: int) -> None:
    """Only the requesting organisation's social workers (withdraw, follow up)."""
    if actor.role is not Role.SOCIAL_WORKER or actor.organisation_id != organisation_id:
        raise Forbidden("Only the requesting (placing) organisation may do this.")


def require_case_party(actor: User, organisation_id: int, shelter_id: int) -> None:
    """Either party (not an admin reading along) may end a placement."""
    party = (actor.role is Role.SOCIAL_WORKER and actor.organisation_id == organisation_id) or (
        actor.role is Role.SHELTER_STAFF and actor.shelter_id == shelter_id
    )
    if not party:
        raise Forbidden("Only the placing organisation or the shelter may do this.")
