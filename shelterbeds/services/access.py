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


def admin_county(actor: User) -> str | None:
    """The county an administrator may manage, or None for a national administrator.

    An admin without an organisation is national; an admin who belongs to an organisation
    (a county organisation, e.g. Länsstyrelsen) manages only that organisation's county.
    """
    require_role(actor, Role.ADMIN)
    if actor.organisation is None:
        return None
    return actor.organisation.county_code or ""  # no county: manages nothing


def admin_sees(actor: User, county_code: str | None) -> bool:
    """Whether this administrator may manage something in `county_code` (None: national)."""
    scope = admin_county(actor)
    return scope is None or (county_code is not None and county_code == scope)


def require_admin_in(actor: User, county_code: str | None, what: str = "this") -> None:
    """Raise Forbidden when a county administrator reaches outside their county."""
    if not admin_sees(actor, county_code):
        raise Forbidden(f"You administer county {admin_county(actor)} only: {what} is outside it.")


def require_profile_editor(actor: User, shelter_id: int, county_code: str) -> bool:
    """Admins of the shelter's county, or its own staff; return True for an admin."""
    if actor.role is Role.ADMIN:
        require_admin_in(actor, county_code, "this shelter")
        return True
    if actor.role is Role.SHELTER_STAFF and actor.shelter_id == shelter_id:
        return False
    raise Forbidden("Only this shelter's own staff or an administrator may change its profile.")


def require_same_organisation(actor: User, organisation_id: int | None, what: str) -> None:
    """Tenant rule: only your own organisation's rows; others' look like they do not exist."""
    if actor.organisation_id is None or actor.organisation_id != organisation_id:
        raise NotFound(f"{what} does not exist.")


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


def stats_county(actor: User) -> str | None:
    """The county whose statistics the actor sees; None for a national administrator.

    County analysts see their organisation's county; administrators as they administer.
    """
    require_role(actor, Role.COUNTY_ANALYST, Role.ADMIN)
    if actor.role is Role.ADMIN:
        county = admin_county(actor)
    else:
        county = actor.organisation.county_code if actor.organisation else ""
    if county == "":
        raise Forbidden("Your organisation belongs to no county: there are no statistics to see.")
    return county
