"""Reads do not write (issue 10, item 2): an expired hold is free on read, without a write."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, update

from shelterbeds.domain.clock import utcnow
from shelterbeds.models import PlacementRequest
from tests.support.factories import SOCIALJOUR, STAFF_SARA, request_body, unit_at

WRITES = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def statements(connection):
    """Every SQL statement the app sends on the test connection inside the block."""
    seen: list[str] = []

    def record(_conn, _cursor, sql, *_args):
        seen.append(sql.lstrip().split(None, 1)[0].upper())

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", record)


def _writes(seen):
    return [s for s in seen if s in WRITES]


def _hold_then_expire(client, token_for, session, unit):
    r = client.post(
        "/api/v1/requests",
        json=request_body(unit.id, needs={"wheelchair": True}),
        headers=token_for(SOCIALJOUR),
    )
    assert r.status_code == 201, r.json
    session.execute(
        update(PlacementRequest)
        .where(PlacementRequest.id == r.json["id"])
        .values(hold_expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    return r.json["id"]


def test_a_search_issues_no_write(client, demo, token_for, connection):
    headers = token_for(SOCIALJOUR)
    url = "/api/v1/vacancies?child_ages=4&child_sexes=f&municipality=1880"
    assert client.get(url, headers=headers).status_code == 200  # first use stamps the token
    with statements(connection) as seen:
        r = client.get(url, headers=headers)
        assert r.status_code == 200 and r.json["results"]
        r = client.get("/api/v1/shelters", headers=headers)
        assert r.status_code == 200
    assert seen and _writes(seen) == []


def test_an_expired_hold_is_offered_without_a_write(client, demo, token_for, session, connection):
    unit = unit_at(session, "sara-huset", "Lägenhet 1")
    request_id = _hold_then_expire(client, token_for, session, unit)
    headers = token_for(SOCIALJOUR)
    client.get("/api/v1/shelters", headers=headers)  # first use stamps the token
    with statements(connection) as seen:
        r = client.get("/api/v1/vacancies?wheelchair=1", headers=headers)
        assert [u["id"] for h in r.json["results"] for u in h["units"]] == [unit.id]
        shelters = client.get("/api/v1/shelters", headers=headers).json
    assert _writes(seen) == []
    sara = next(s for s in shelters if s["slug"] == "sara-huset")
    assert sara["units"]["held"] == 0 and sara["units"]["free"] == 3
    # Still held in the database: the clock, or the next write, releases it.
    session.refresh(unit)
    assert unit.status.value == "held"
    assert session.get(PlacementRequest, request_id).status.value == "pending"
    # ... and the next request for the unit takes it.
    r = client.post(
        "/api/v1/requests",
        json=request_body(unit.id, needs={"wheelchair": True}, case_ref="SJ-9"),
        headers=headers,
    )
    assert r.status_code == 201, r.json


def test_a_running_hold_is_not_offered(client, demo, token_for, session):
    unit = unit_at(session, "sara-huset", "Lägenhet 1")
    r = client.post(
        "/api/v1/requests",
        json=request_body(unit.id, needs={"wheelchair": True}),
        headers=token_for(SOCIALJOUR),
    )
    assert r.status_code == 201
    r = client.get("/api/v1/vacancies?wheelchair=1", headers=token_for(SOCIALJOUR))
    assert [u["id"] for h in r.json["results"] for u in h["units"]] == []
    shelters = client.get("/api/v1/shelters", headers=token_for(STAFF_SARA)).json
    sara = next(s for s in shelters if s["slug"] == "sara-huset")
    assert sara["units"]["held"] == 1 and sara["units"]["free"] == 2


def test_staff_can_set_a_unit_whose_hold_ran_out(client, demo, token_for, session):
    unit = unit_at(session, "sara-huset", "Lägenhet 1")
    request_id = _hold_then_expire(client, token_for, session, unit)
    r = client.put(
        f"/api/v1/units/{unit.id}/status",
        json={"status": "occupied"},
        headers=token_for(STAFF_SARA),
    )
    assert r.status_code == 200, r.json
    assert session.get(PlacementRequest, request_id).status.value == "expired"
