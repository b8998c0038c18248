# ruff: noqa: E501  (the case table reads best one case per line)
"""Every free-text field of every form and endpoint refuses every personnummer form (422,
nothing stored); the same field takes ordinary text (so each case can fail)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelterbeds.models import (
    IdempotencyKey,
    Organisation,
    PlacementRequest,
    Shelter,
    TurnAway,
    Unit,
    User,
)
from tests.support.factories import (
    ADMIN,
    SOCIALJOUR,
    STAFF_OREBRO,
    login,
    request_body,
    unit_at,
)
from tests.support.imports import shelter_rows, to_csv
from tests.support.privacy import PERSONNUMMER_FORMS


def _in_text(pnr: str, max_len: int) -> str:
    text = f"x {pnr}"
    return text if len(text) <= max_len else pnr


@dataclass(frozen=True)
class Case:
    """One free-text field of one form: how to send it and what must not change."""

    name: str
    user: str
    send: Callable[[Any, dict[str, Any], str], Any]  # (client, ctx, value) -> response
    stored: Callable[[Session, dict[str, Any]], Any]  # what must stay the same on refusal
    max_len: int = 40


def _count(model: Any) -> Callable[[Session, dict[str, Any]], Any]:
    return lambda s, _ctx: s.scalar(select(func.count()).select_from(model))


def _shelter_field(field: str) -> Callable[[Session, dict[str, Any]], Any]:
    return lambda s, ctx: getattr(s.get(Shelter, ctx["shelter_id"]), field)


def _unit_label(s: Session, ctx: dict[str, Any]) -> Any:
    return s.get(Unit, ctx["unit_id"]).label


def _api(method: str, path: str, body: Callable[[dict[str, Any], str], Any], **kw: Any) -> Any:
    def send(client: Any, ctx: dict[str, Any], value: str) -> Any:
        headers = dict(ctx["headers"])
        if "header" in kw:
            headers[kw["header"]] = value
        return client.open(
            path.format(**ctx), method=method, json=body(ctx, value), headers=headers
        )

    return send


def _web(path: str, form: Callable[[dict[str, Any], str], dict[str, Any]]) -> Any:
    def send(client: Any, ctx: dict[str, Any], value: str) -> Any:
        return client.post(path.format(**ctx), data=form(ctx, value))

    return send


def _org(name: str) -> dict[str, Any]:
    return {"slug": "ny-org", "name": name, "kind": "social_services", "municipalities": ["1880"]}


def _shelter(**over: Any) -> dict[str, Any]:
    return {
        "slug": "nytt-boende",
        "name": "Nytt boende",
        "operator": "sara-huset",
        "municipality_code": "1880",
        "ivo_licence": "IVO 3.5.1-1234/2024",
        "staffed_hours": "08-16",
    } | over


def _request(ctx: dict[str, Any], **over: Any) -> dict[str, Any]:
    return request_body(ctx["free_unit_id"], **over)


def _web_request(ctx: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {
        "idempotency_key": "web-key-1",
        "unit_id": str(ctx["free_unit_id"]),
        "municipality": "1880",
        "case_ref": "SJ-WEB-1",
        "adults": "1",
        "urgency": "today",
        "callback_phone": "070-123 45 67",
    } | over


def _turnaway(**over: Any) -> dict[str, Any]:
    return {
        "adults": 1,
        "children": 0,
        "reason": "capacity",
        "channel": "phone",
        "municipality_code": "1880",
    } | over


def _import(ctx: dict[str, Any], column: str, value: str) -> Any:
    rows = shelter_rows(1)  # one shelter, two units: shelter columns repeat on each row
    for i, row in enumerate(rows):
        if column != "unit_label" or i == 0:
            rows[i] = row | {column: value}
    return to_csv(rows)


def _api_import(column: str) -> Any:
    def send(client: Any, ctx: dict[str, Any], value: str) -> Any:
        return client.post(
            "/api/v1/imports/shelters",
            data=_import(ctx, column, value),
            headers=ctx["headers"] | {"Content-Type": "text/csv"},
        )

    return send


def _web_import(column: str) -> Any:
    def send(client: Any, ctx: dict[str, Any], value: str) -> Any:
        import io

        data = {"file": (io.BytesIO(_import(ctx, column, value)), "s.csv", "text/csv")}
        return client.post(
            "/admin/import", data=data | {"dry_run": "0"}, content_type="multipart/form-data"
        )

    return send


CASES = [
    # API
    Case("api organisation name", ADMIN, _api("POST", "/api/v1/organisations", lambda c, v: _org(v)), _count(Organisation), 160),
    Case("api organisation name (patch)", ADMIN, _api("PATCH", "/api/v1/organisations/{org_id}", lambda c, v: {"name": v}), lambda s, c: s.get(Organisation, c["org_id"]).name, 160),
    Case("api shelter name", ADMIN, _api("POST", "/api/v1/shelters", lambda c, v: _shelter(name=v)), _count(Shelter), 160),
    Case("api shelter ivo_licence", ADMIN, _api("POST", "/api/v1/shelters", lambda c, v: _shelter(ivo_licence=v)), _count(Shelter)),
    Case("api shelter staffed_hours", ADMIN, _api("POST", "/api/v1/shelters", lambda c, v: _shelter(staffed_hours=v)), _count(Shelter), 80),
    Case("api shelter name (patch)", ADMIN, _api("PATCH", "/api/v1/shelters/{shelter_id}", lambda c, v: {"name": v}), _shelter_field("name"), 160),
    Case("api shelter ivo_licence (patch)", ADMIN, _api("PATCH", "/api/v1/shelters/{shelter_id}", lambda c, v: {"ivo_licence": v}), _shelter_field("ivo_licence")),
    Case("api staff profile staffed_hours", STAFF_OREBRO, _api("PATCH", "/api/v1/shelters/{shelter_id}", lambda c, v: {"staffed_hours": v}), _shelter_field("staffed_hours"), 80),
    Case("api unit label", ADMIN, _api("POST", "/api/v1/shelters/{shelter_id}/units", lambda c, v: {"label": v}), _count(Unit)),
    Case("api unit label (patch)", ADMIN, _api("PATCH", "/api/v1/shelters/{shelter_id}/units/{unit_id}", lambda c, v: {"label": v}), _unit_label),
    Case("api user email", ADMIN, _api("POST", "/api/v1/users", lambda c, v: {"email": v.replace(" ", "") + "@example.org", "role": "social_worker", "organisation": "socialjouren-orebro"}), _count(User), 0),
    Case("api request case_ref", SOCIALJOUR, _api("POST", "/api/v1/requests", lambda c, v: _request(c, case_ref=v)), _count(PlacementRequest)),
    Case("api request note", SOCIALJOUR, _api("POST", "/api/v1/requests", lambda c, v: _request(c, note=v)), _count(PlacementRequest), 500),
    Case("api request Idempotency-Key", SOCIALJOUR, _api("POST", "/api/v1/requests", lambda c, v: _request(c), header="Idempotency-Key"), _count(IdempotencyKey), 100),
    Case("api turnaway case_ref", STAFF_OREBRO, _api("POST", "/api/v1/turnaways", lambda c, v: _turnaway(case_ref=v)), _count(TurnAway), 64),
    Case("api import shelter_name", ADMIN, _api_import("shelter_name"), _count(Shelter), 160),
    Case("api import ivo_licence", ADMIN, _api_import("ivo_licence"), _count(Shelter)),
    Case("api import staffed_hours", ADMIN, _api_import("staffed_hours"), _count(Shelter), 80),
    Case("api import unit_label", ADMIN, _api_import("unit_label"), _count(Unit)),
    # Web forms
    Case("web organisation name", ADMIN, _web("/admin/organisations", lambda c, v: _org(v) | {"municipalities": "1880"}), _count(Organisation), 160),
    Case("web organisation name (edit)", ADMIN, _web("/admin/organisations/{org_id}", lambda c, v: _org(v) | {"slug": "socialjouren-orebro", "kind": "socialjour", "municipalities": "1880 1884"}), lambda s, c: s.get(Organisation, c["org_id"]).name, 160),
    Case("web shelter name", ADMIN, _web("/admin/shelters", lambda c, v: _shelter(name=v, accepts_women="1")), _count(Shelter), 160),
    Case("web shelter ivo_licence", ADMIN, _web("/admin/shelters", lambda c, v: _shelter(ivo_licence=v, accepts_women="1")), _count(Shelter)),
    Case("web shelter staffed_hours", ADMIN, _web("/admin/shelters", lambda c, v: _shelter(staffed_hours=v, accepts_women="1")), _count(Shelter), 80),
    Case("web unit label", ADMIN, _web("/admin/shelters/{shelter_id}/units", lambda c, v: {"label": v, "adult_beds": "1", "child_beds": "0"}), _count(Unit)),
    Case("web unit label (edit)", ADMIN, _web("/admin/shelters/{shelter_id}/units/{unit_id}", lambda c, v: {"label": v, "adult_beds": "1", "child_beds": "2", "action": "save"}), _unit_label),
    Case("web profile staffed_hours", STAFF_OREBRO, _web("/shelter/profile", lambda c, v: {"staffed_hours": v, "accepts_women": "1", "lgbtq": "no", "substance_use": "no"}), _shelter_field("staffed_hours"), 80),
    Case("web user email", ADMIN, _web("/admin/users", lambda c, v: {"email": v.replace(" ", "") + "@example.org", "role": "social_worker", "organisation": "socialjouren-orebro", "locale": "sv"}), _count(User), 0),
    Case("web request case_ref", SOCIALJOUR, _web("/requests/new", lambda c, v: _web_request(c, case_ref=v)), _count(PlacementRequest)),
    Case("web request note", SOCIALJOUR, _web("/requests/new", lambda c, v: _web_request(c, note=v)), _count(PlacementRequest), 500),
    Case("web request idempotency_key", SOCIALJOUR, _web("/requests/new", lambda c, v: _web_request(c, idempotency_key=v)), _count(IdempotencyKey), 100),
    Case("web turnaway case_ref", STAFF_OREBRO, _web("/turnaways", lambda c, v: {"adults": "1", "reason": "capacity", "channel": "phone", "municipality_code": "1880", "case_ref": v}), _count(TurnAway), 64),
    Case("web import shelter_name", ADMIN, _web_import("shelter_name"), _count(Shelter), 160),
    Case("web import unit_label", ADMIN, _web_import("unit_label"), _count(Unit)),
]  # fmt: skip

ORDINARY = "Ordinary text 12"


@pytest.fixture
def ctx(app: Any, demo: Any, session: Session, token_for: Any) -> Callable[[str], dict[str, Any]]:
    app.config["WTF_CSRF_ENABLED"] = False  # CSRF has its own tests; here: the field guard

    def make(user: str) -> dict[str, Any]:
        unit = unit_at(session, "kvinnohuset-orebro", "Rum 1")
        free = session.scalar(
            select(Unit).where(Unit.status == "free", Unit.shelter_id == unit.shelter_id)
        )
        org = session.scalar(select(Organisation).where(Organisation.slug == "socialjouren-orebro"))
        return {
            "headers": token_for(user),
            "shelter_id": unit.shelter_id,
            "unit_id": unit.id,
            "free_unit_id": free.id,
            "org_id": org.id,
        }

    return make


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_every_personnummer_form_is_refused_in_every_free_text_field(
    case: Case, app: Any, ctx: Any, session: Session
) -> None:
    context = ctx(case.user)
    client = app.test_client()
    if case.name.startswith("web"):
        assert login(client, case.user).status_code == 302
    for pnr in PERSONNUMMER_FORMS:
        value = _in_text(pnr, case.max_len) if case.max_len else pnr
        before = case.stored(session, context)
        r = client.get("/healthz")  # a fresh context between requests
        r = case.send(client, context, value)
        assert r.status_code == 422, (case.name, pnr, r.status_code, _errors(r))
        assert "personnummer" in r.get_data(as_text=True), (case.name, pnr, _errors(r))
        session.expire_all()
        assert case.stored(session, context) == before, (case.name, pnr)
    # The control: the same field takes ordinary text (the refusal above was the guard).
    before = case.stored(session, context)
    value = ORDINARY.replace(" ", "-").lower() if case.max_len == 0 else ORDINARY
    r = case.send(client, context, value)
    assert r.status_code in (200, 201, 302), (case.name, r.status_code, _errors(r))
    session.expire_all()
    assert case.stored(session, context) != before, case.name


def _errors(r: Any) -> str:
    import re

    text = r.get_data(as_text=True)
    return (
        " | ".join(re.findall(r'class="[^"]*(?:error|flash)[^"]*"[^>]*>([^<]+)<', text))
        or text[:300]
    )
