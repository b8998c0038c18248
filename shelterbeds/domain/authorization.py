"""Who may do what, and on whose objects: one table, role x action -> tenant scope.

Services ask `scope_for` (through services/access.py) before they read or change
anything; the API checks the role part for every endpoint before the view runs
(api/__init__.py maps each endpoint to its action); and tests/functional/
test_authorization_table.py calls every endpoint as every role, on its own and on another
tenant's objects, and expects exactly what this table says.
"""

from __future__ import annotations

from enum import StrEnum

from .enums import Role


class Scope(StrEnum):
    """Whose objects an action reaches for a role."""

    NONE = "none"  # refused (403)
    OWN = "own"  # the user's own records (subscriptions, API tokens)
    OWN_SHELTER = "own_shelter"  # the staff member's shelter only
    OWN_ORGANISATION = "own_organisation"  # the social worker's organisation only
    COUNTY = "county"  # an administrator's county (no organisation: national)
    ALL = "all"
    AGGREGATE = "aggregate"  # statistics: counts only, never a case


class Action(StrEnum):
    SHELTER_LIST = "shelter.list"
    VACANCY_SEARCH = "vacancy.search"
    UNIT_STATUS = "unit.status"
    SHELTER_CONFIRM = "shelter.confirm"
    SHELTER_PROFILE = "shelter.profile"  # read and keep the shelter's profile and units
    REQUEST_CREATE = "request.create"
    REQUEST_READ = "request.read"
    REQUEST_DECIDE = "request.decide"  # accept or decline
    REQUEST_WITHDRAW = "request.withdraw"
    PLACEMENT_READ = "placement.read"
    PLACEMENT_END = "placement.end"
    PLACEMENT_REVIEW = "placement.review"
    TURNAWAY_RECORD = "turnaway.record"
    TURNAWAY_READ = "turnaway.read"
    SUBSCRIPTION_MANAGE = "subscription.manage"
    STATISTICS_READ = "statistics.read"
    TOKEN_MANAGE = "token.manage"  # noqa: S105  (an action name, not a secret)
    ADMINISTER = "administer"  # organisations, shelters, units, accounts, import/export
    AUDIT_READ = "audit.read"


S, W, C, A = Role.SHELTER_STAFF, Role.SOCIAL_WORKER, Role.COUNTY_ANALYST, Role.ADMIN

# The table. A role missing from an action's row has Scope.NONE.
PERMISSIONS: dict[Action, dict[Role, Scope]] = {
    Action.SHELTER_LIST: {S: Scope.ALL, W: Scope.ALL, C: Scope.ALL, A: Scope.ALL},
    Action.VACANCY_SEARCH: {W: Scope.ALL, A: Scope.ALL},
    Action.UNIT_STATUS: {S: Scope.OWN_SHELTER, A: Scope.ALL},
    Action.SHELTER_CONFIRM: {S: Scope.OWN_SHELTER, A: Scope.ALL},
    Action.SHELTER_PROFILE: {S: Scope.OWN_SHELTER, A: Scope.COUNTY},
    Action.REQUEST_CREATE: {W: Scope.OWN_ORGANISATION},
    Action.REQUEST_READ: {S: Scope.OWN_SHELTER, W: Scope.OWN_ORGANISATION, A: Scope.ALL},
    Action.REQUEST_DECIDE: {S: Scope.OWN_SHELTER},
    Action.REQUEST_WITHDRAW: {W: Scope.OWN_ORGANISATION},
    Action.PLACEMENT_READ: {S: Scope.OWN_SHELTER, W: Scope.OWN_ORGANISATION, A: Scope.ALL},
    Action.PLACEMENT_END: {S: Scope.OWN_SHELTER, W: Scope.OWN_ORGANISATION},
    Action.PLACEMENT_REVIEW: {W: Scope.OWN_ORGANISATION},
    Action.TURNAWAY_RECORD: {S: Scope.OWN_SHELTER, A: Scope.ALL},
    Action.TURNAWAY_READ: {S: Scope.OWN_SHELTER, A: Scope.ALL},
    Action.SUBSCRIPTION_MANAGE: {S: Scope.OWN, W: Scope.OWN},
    Action.STATISTICS_READ: {C: Scope.AGGREGATE, A: Scope.AGGREGATE},
    Action.TOKEN_MANAGE: {S: Scope.OWN, W: Scope.OWN, C: Scope.OWN, A: Scope.COUNTY},
    Action.ADMINISTER: {A: Scope.COUNTY},
    Action.AUDIT_READ: {A: Scope.COUNTY},
}


def scope_for(role: Role, action: Action) -> Scope:
    """The scope `role` has for `action` (NONE: refused)."""
    return PERMISSIONS.get(action, {}).get(role, Scope.NONE)


def roles_for(action: Action) -> tuple[Role, ...]:
    """The roles that may do `action` at all."""
    return tuple(r for r in Role if scope_for(r, action) is not Scope.NONE)


def case_scope_allows(
    scope: Scope,
    *,
    actor_shelter_id: int | None,
    actor_organisation_id: int | None,
    shelter_id: int,
    organisation_id: int,
) -> bool:
    """Whether a scope reaches one request or placement (held at `shelter_id`, asked for
    by `organisation_id`)."""
    if scope is Scope.ALL:
        return True
    if scope is Scope.OWN_SHELTER:
        return actor_shelter_id is not None and actor_shelter_id == shelter_id
    if scope is Scope.OWN_ORGANISATION:
        return actor_organisation_id is not None and actor_organisation_id == organisation_id
    return False


# API endpoints outside the table: open data for anyone, signed in or not (no case, no
# address, nothing of one tenant's). Their answers may be cached publicly.
PUBLIC_ENDPOINTS: frozenset[str] = frozenset({"open-directory.hsds_services"})
