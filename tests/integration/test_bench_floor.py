"""The bench's floor apps (scripts/bench_floor_app.py) do the work of the app's request +
withdraw cycle — the same rows in the same tables, the same conflicts — so the floor they
measure is a floor under the same work, not under less (issue 10)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from werkzeug.test import Client

from scripts import bench_floor_app
from scripts.bench_floor import libpq_url
from scripts.bench_floor_app import Floor, bare, flask_app, service_app
from shelterbeds import create_app
from shelterbeds.domain.clock import utcnow
from shelterbeds.domain.enums import UnitStatus
from shelterbeds.domain.requests import RequestStatus
from shelterbeds.models import AuditEvent, CacheVersions, PlacementRequest, Unit, User
from shelterbeds.models.shelters import UnitStatusChange
from shelterbeds.services import auth
from tests.support.factories import (
    demo_with_one_free_unit,
    dispose_app_engine,
    make_settings,
    on_postgres,
    request_body,
)

pytestmark = [on_postgres]


def written(engine: Engine) -> dict[str, Any]:
    """What a cycle changes: row counts, the unit's status, the version counters."""
    with Session(engine) as session:
        versions = session.get(CacheVersions, 1)
        assert versions is not None
        return {
            "history": session.scalar(select(func.count()).select_from(UnitStatusChange)),
            "requests": session.scalar(select(func.count()).select_from(PlacementRequest)),
            "audit": session.scalar(select(func.count()).select_from(AuditEvent)),
            "search": versions.search,
            "stats": versions.stats,
            "held": session.scalar(select(func.count()).where(Unit.status == UnitStatus.HELD)),
        }


def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {key: after[key] - before[key] for key in before}


@pytest.fixture
def own_engine_apps():
    """Apps made by the test get their own engine: given back (with its connections) after."""
    yield
    dispose_app_engine()


@pytest.fixture
def setup(committed_engine: Engine, database_url: str) -> Any:
    ids = demo_with_one_free_unit(committed_engine)
    with Session(committed_engine) as session:
        user = session.get(User, ids["social_worker"])
        assert user is not None and user.organisation_id is not None
        token = auth.create_token(session, user, "floor", utcnow())[1]
        floor = Floor(libpq_url(database_url), user.id, user.organisation_id)
        session.commit()
    yield ids, floor, {"Authorization": f"Bearer {token}"}
    floor.close()


def test_the_floor_writes_what_the_app_writes(
    setup, committed_engine, database_url, own_engine_apps
):
    ids, floor, headers = setup
    body = request_body(ids["unit"])
    client = create_app(make_settings(database_url)).test_client()

    start = written(committed_engine)
    answer = client.post("/api/v1/requests", json=body, headers=headers)
    assert answer.status_code == 201
    app_request = delta(start, mid := written(committed_engine))
    withdraw = f"/api/v1/requests/{answer.json['id']}/withdraw"
    assert client.post(withdraw, headers=headers).status_code == 200
    app_withdraw = delta(mid, end := written(committed_engine))

    taken = floor.request_unit(body)
    assert taken is not None and taken["status"] == "pending"
    floor_request = delta(end, mid := written(committed_engine))
    assert floor.withdraw(taken["id"]) == {"id": taken["id"], "status": "withdrawn"}
    floor_withdraw = delta(mid, written(committed_engine))

    assert app_request == floor_request
    assert app_request["held"] == 1 and app_request["history"] == 1
    assert app_request["audit"] == 2 and app_request["search"] == 1
    assert app_withdraw == floor_withdraw and app_withdraw["held"] == -1
    with Session(committed_engine) as session:
        row = session.get(PlacementRequest, taken["id"])
        assert row is not None and row.status is RequestStatus.WITHDRAWN
        assert row.code == taken["code"] and row.unit_id == ids["unit"]


def test_the_floor_refuses_what_the_app_refuses(setup, committed_engine):
    ids, floor, _headers = setup
    taken = floor.request_unit(request_body(ids["unit"]))
    assert taken is not None
    before = written(committed_engine)
    assert floor.request_unit(request_body(ids["unit"])) is None  # held now
    other_county = request_body(ids["unit"], municipality_code="0180")  # not the org's
    assert floor.withdraw(taken["id"]) is not None
    assert floor.request_unit(other_county) is None
    assert floor.withdraw(taken["id"]) is None  # not pending any more
    after = written(committed_engine)
    assert delta(before, after)["requests"] == 0 and after["held"] == 0


@pytest.mark.parametrize("kind", ["plain WSGI", "Flask", "the service"])
def test_the_floor_apps_answer_over_http(kind, setup, monkeypatch, database_url, own_engine_apps):
    ids, floor, headers = setup
    if kind == "the service":  # its own token check: a request without one is refused
        app = service_app(make_settings(database_url))
        assert Client(app).post("/api/v1/requests", json={}).status_code == 401
    else:
        app, headers = (bare if kind == "plain WSGI" else flask_app), {}
    monkeypatch.setenv("SHELTERBEDS_FLOOR_DATABASE_URL", floor.conninfo)
    monkeypatch.setenv("SHELTERBEDS_FLOOR_ACTOR", f"{floor.user_id},{floor.organisation_id}")
    from_environ = Floor.from_environ()  # as each gunicorn worker makes its own
    assert (from_environ.conninfo, from_environ.user_id) == (floor.conninfo, floor.user_id)
    assert from_environ.organisation_id == floor.organisation_id
    monkeypatch.setattr(bench_floor_app, "_FLOOR", floor)  # closed by the fixture
    client = Client(app)
    body = request_body(ids["unit"])
    taken = client.post("/api/v1/requests", json=body, headers=headers)
    assert taken.status_code == 201
    assert client.post("/api/v1/requests", json=body, headers=headers).status_code == 409
    withdraw = f"/api/v1/requests/{taken.json['id']}/withdraw"
    assert client.post(withdraw, headers=headers).status_code == 200
    assert client.post(withdraw, headers=headers).status_code == 409
    assert client.get("/healthz").status_code == 200
    assert client.post("/api/v1/requests/x/withdraw", headers=headers).status_code == 404


def test_a_taken_code_is_drawn_again_and_leaves_nothing_behind(
    setup, committed_engine, monkeypatch
):
    ids, floor, _headers = setup
    first = floor.request_unit(request_body(ids["unit"]))
    assert first is not None and floor.withdraw(first["id"]) is not None
    before = written(committed_engine)
    letters = iter(first["code"] + "ZZZZZZ")  # the taken code first, then a free one
    monkeypatch.setattr(bench_floor_app.secrets, "choice", lambda _alphabet: next(letters))
    again = floor.request_unit(request_body(ids["unit"]))
    assert again is not None and again["code"] == "ZZZZZZ"
    assert delta(before, written(committed_engine)) == {
        "history": 1,
        "requests": 1,
        "audit": 2,
        "search": 1,
        "stats": 1,
        "held": 1,
    }
