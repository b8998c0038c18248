"""Role and tenant rules, applied. Every service that reads or writes calls these; the
rules themselves are the table in domain/authorization.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, true

from ..domain.authorization import Action, Scope, case_scope_allows, scope_for
from ..domain.enums import Role
from ..domain.errors import Forbidden, NotFound
from ..models import User


def authorize(actor: User, action: Action) -> Scope:
    """The actor's scope for `action`; Forbidden when the table gives the role none."""
    scope = scope_for(actor.role, action)
    if scope is Scope.NONE:
        raise Forbidden("Your role does not allow this.")
    return scope


def _reaches(actor: User, action: Action, organisation_id: int, shelter_id: int) -> bool:
    return case_scope_allows(
        scope_for(actor.role, action),
        actor_shelter_id=actor.shelter_id,
        actor_organisation_id=actor.organisation_id,
        shelter_id=shelter_id,
        organisation_id=organisation_id,
    )


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


def case_clause(actor: User, action: Action, organisation_col: Any, shelter_col: Any) -> Any:
    """A WHERE clause for the cases (requests, placements) this actor's scope reaches."""
    scope = authorize(actor, action)
    if scope is Scope.ALL:
        return true()
    if scope is Scope.OWN_SHELTER:
        return shelter_col == actor.shelter_id if actor.shelter_id is not None else false()
    if scope is Scope.OWN_ORGANISATION:
        if actor.organisation_id is None:
            return false()
        return organisation_col == actor.organisation_id
    return false()


def can_see_case(
    actor: User, organisation_id: int, shelter_id: int, action: Action = Action.REQUEST_READ
) -> bool:
    """A request or placement is visible to its two parties and to admins, nobody else
    (the table's REQUEST_READ / PLACEMENT_READ scopes)."""
    return _reaches(actor, action, organisation_id, shelter_id)


def require_case_visible(
    actor: User,
    organisation_id: int,
    shelter_id: int,
    what: str,
    action: Action = Action.REQUEST_READ,
) -> None:
    """404 (never revealing that it exists) unless the actor is a party or an admin."""
    if not can_see_case(actor, organisation_id, shelter_id, action):
        raise NotFound(f"{what} does not exist.")


def require_deciding_staff(actor: User, shelter_id: int, organisation_id: int = 0) -> None:
    """Only staff of the shelter holding the unit accept or decline a request."""
    if not _reaches(actor, Action.REQUEST_DECIDE, organisation_id, shelter_id):
        raise Forbidden("Only staff of the shelter that holds the place may answer the request.")


def require_requesting_org(
    actor: User, organisation_id: int, action: Action = Action.REQUEST_WITHDRAW
) -> None:
    """Only the requesting organisation's social workers (withdraw, follow up)."""
    if not _reaches(actor, action, organisation_id, shelter_id=0):
        raise Forbidden("Only the requesting (placing) organisation may do this.")


def require_case_party(actor: User, organisation_id: int, shelter_id: int) -> None:
    """Either party (not an admin reading along) may end a placement."""
    if not _reaches(actor, Action.PLACEMENT_END, organisation_id, shelter_id):
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
