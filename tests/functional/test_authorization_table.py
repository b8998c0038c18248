# ruff: noqa: E501  (the endpoint table reads best one endpoint per line)
"""Generated from the authorization table: every endpoint that touches a tenant's object,
called as every role on its own tenant's object and on another tenant's; the answer is what
the table says, every read is audited, every refusal too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from shelterbeds.api import ENDPOINT_ACTIONS, endpoint_action
from shelterbeds.domain.authorization import (
    PERMISSIONS,
    PUBLIC_ENDPOINTS,
    Action,
    Scope,
    scope_for,
)
from shelterbeds.domain.enums import Role, UnitStatus
from shelterbeds.models import AuditEvent, Unit, User
from tests.support.factories import (
    ADMIN,
    ANALYST,
    KARLSKOGA_SW,
    SOCIALJOUR,
    STAFF_OREBRO,
    STAFF_SARA,
    request_body,
)


@dataclass(frozen=True)
class Caller:
    """A demo account and whether the case objects below are its own tenant's."""

    email: str
    role: Role
    own: bool


# The case objects belong to Socialjouren Örebro (requester) and Kvinnohuset i Örebro.
CALLERS = [
    Caller(SOCIALJOUR, Role.SOCIAL_WORKER, own=True),
    Caller(KARLSKOGA_SW, Role.SOCIAL_WORKER, own=False),
    Caller(STAFF_OREBRO, Role.SHELTER_STAFF, own=True),
    Caller(STAFF_SARA, Role.SHELTER_STAFF, own=False),
    Caller(ANALYST, Role.COUNTY_ANALYST, own=False),
    Caller(ADMIN, Role.ADMIN, own=True),  # national: every tenant is its own
]

# Every endpoint on one tenant's object: (endpoint, method, path, body, is_read).
CASE_ENDPOINTS = [
    ("requests.get_request", "GET", "/api/v1/requests/{request}", None, True),
    ("requests.accept_request", "POST", "/api/v1/requests/{request}/accept", None, False),
    ("requests.decline_request", "POST", "/api/v1/requests/{request}/decline", {"reason": "capacity"}, False),
    ("requests.withdraw_request", "POST", "/api/v1/requests/{request}/withdraw", None, False),
    ("placements.get_placement", "GET", "/api/v1/placements/{placement}", None, True),
    ("placements.end_placement", "POST", "/api/v1/placements/{placement}/end", {"reason": "own_housing"}, False),
    ("placements.review_placement", "POST", "/api/v1/placements/{placement}/review", None, False),
    ("shelters.set_unit_status", "PUT", "/api/v1/units/{free_unit}/status", {"status": "occupied"}, False),
    ("shelters.confirm", "POST", "/api/v1/shelters/{shelter}/confirmation", None, False),
    ("shelter_admin.get_shelter", "GET", "/api/v1/shelters/{shelter}", None, False),
    ("shelter_admin.list_units", "GET", "/api/v1/shelters/{shelter}/units", None, False),
]  # fmt: skip
LISTS = [
    ("requests.list_requests", "/api/v1/requests", "request"),
    ("placements.list_placements", "/api/v1/placements", "placement"),
]


def _expected(caller: Caller, action: Action) -> str:
    """'ok', 'refused' (403: the role has no scope) or 'hidden' (403/404: not its tenant)."""
    scope = scope_for(caller.role, action)
    if scope is Scope.NONE:
        return "refused"
    if scope in (Scope.ALL, Scope.COUNTY) or caller.own:
        return "ok"
    return "hidden"


@pytest.fixture
def cases(client, demo, session, token_for) -> dict[str, int]:
    """A pending request and an active placement at Kvinnohuset i Örebro for Socialjouren."""
    shelter_units = session.scalars(
        select(Unit)
        .where(Unit.status == UnitStatus.FREE)
        .join(Unit.shelter)
        .where(Unit.shelter.has(slug="kvinnohuset-orebro"))
        .order_by(Unit.id)
    ).all()
    assert len(shelter_units) >= 2
    sw = token_for(SOCIALJOUR)
    first = client.post("/api/v1/requests", json=request_body(shelter_units[0].id), headers=sw)
    second = client.post("/api/v1/requests", json=request_body(shelter_units[1].id), headers=sw)
    assert first.status_code == second.status_code == 201
    accepted = client.post(
        f"/api/v1/requests/{second.json['id']}/accept", headers=token_for(STAFF_OREBRO)
    )
    assert accepted.status_code == 200, accepted.json
    # Another unit of the same shelter (occupied, no placement) for the status change.
    other = session.scalar(
        select(Unit).where(
            Unit.shelter_id == shelter_units[0].shelter_id,
            Unit.status == UnitStatus.OCCUPIED,
            Unit.id.not_in([u.id for u in shelter_units]),
        )
    )
    assert other is not None
    return {
        "request": first.json["id"],
        "placement": accepted.json["id"],
        "free_unit": other.id,
        "shelter": shelter_units[0].shelter_id,
    }


def _audit_count(session, **where: Any) -> int:
    query = select(func.count()).select_from(AuditEvent)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return int(session.scalar(query) or 0)


def test_every_api_endpoint_is_in_the_table(app):
    api_endpoints = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/v1/") and not r.endpoint.startswith("api-docs")
        and r.endpoint not in ("api_docs",)
    }  # fmt: skip
    missing = sorted(
        e for e in api_endpoints if endpoint_action(e) is None and e not in PUBLIC_ENDPOINTS
    )
    assert not missing, f"add these endpoints to ENDPOINT_ACTIONS: {missing}"
    assert set(ENDPOINT_ACTIONS.values()) <= set(PERMISSIONS)


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.email.split("@")[0])
@pytest.mark.parametrize("endpoint", CASE_ENDPOINTS, ids=lambda e: e[0])
def test_each_role_on_its_own_and_another_tenants_objects(
    endpoint, caller, client, cases, session, token_for
):
    name, method, path, body, is_read = endpoint
    action = ENDPOINT_ACTIONS[name]
    expected = _expected(caller, action)
    user = session.scalar(select(User).where(User.email == caller.email))
    reads_before = _audit_count(session, actor_id=user.id, action=action.value)
    denied_before = _audit_count(session, actor_id=user.id, action="denied")
    r = client.open(path.format(**cases), method=method, json=body, headers=token_for(caller.email))
    if expected == "refused":
        assert r.status_code == 403, (name, caller.email, r.status_code)
    elif expected == "hidden":
        assert r.status_code in (403, 404), (name, caller.email, r.status_code)
    else:
        assert r.status_code < 400 or r.status_code in (409, 422), (name, caller.email, r.json)
    if expected != "ok":
        assert _audit_count(session, actor_id=user.id, action="denied") == denied_before + 1
    elif is_read:
        assert _audit_count(session, actor_id=user.id, action=action.value) == reads_before + 1


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.email.split("@")[0])
@pytest.mark.parametrize("listing", LISTS, ids=lambda e: e[0])
def test_lists_show_only_what_the_scope_reaches(listing, caller, client, cases, token_for):
    name, path, key = listing
    expected = _expected(caller, ENDPOINT_ACTIONS[name])
    r = client.get(path, headers=token_for(caller.email))
    if expected == "refused":
        assert r.status_code == 403
        return
    assert r.status_code == 200
    ids = {row["id"] for row in r.json}
    assert (cases[key] in ids) is (expected == "ok"), (name, caller.email)
