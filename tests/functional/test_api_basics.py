"""Health, OpenAPI, shelters list, unit status and confirmation; bad input never a 500."""

from __future__ import annotations

from sqlalchemy import func, select

from shelterbeds.models import Shelter, Unit, UnitStatusChange

STAFF = "personal.sara@example.org"


def _sara_unit(session, label="Lägenhet 2"):
    return session.scalar(
        select(Unit).join(Shelter).where(Shelter.slug == "sara-huset", Unit.label == label)
    )


def _history_count(session):
    return session.scalar(select(func.count()).select_from(UnitStatusChange))


def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json["database"] == "ok"


def test_openapi_lists_the_contract_paths(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in [
        "/api/v1/shelters",
        "/api/v1/vacancies",
        "/api/v1/units/{unit_id}/status",
        "/api/v1/shelters/{shelter_id}/confirmation",
    ]:
        assert path in spec["paths"], path
    params = {p["name"] for p in spec["paths"]["/api/v1/vacancies"]["get"]["parameters"]}
    assert {
        "adults",
        "child_ages",
        "child_sexes",
        "wheelchair",
        "substance_use",
        "municipality",
    } <= params
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/vacancies" in html


def test_shelters_list_for_every_role(client, demo, token_for):
    for email in [
        "lansstyrelsen@example.org",
        STAFF,
        "socialjour.orebro@example.org",
        "admin@example.org",
    ]:
        r = client.get("/api/v1/shelters", headers=token_for(email))
        assert r.status_code == 200, email
    sara = next(s for s in r.json if s["slug"] == "sara-huset")
    assert sara["units"] == {
        "total": 13,
        "free": 3,
        "held": 0,
        "occupied": 10,
        "closed": 0,
        "unconfirmed": 0,
    }
    assert sara["policies"]["lgbtq"] == "after_assessment"
    assert sara["freshness"]["state"] == "fresh"
    assert "Antagande" in sara["assumptions"]
    assert "address" not in str(r.json).lower()


def test_set_status_records_history_and_confirms(client, demo, token_for, session):
    unit = _sara_unit(session)
    before = _history_count(session)
    r = client.put(
        f"/api/v1/units/{unit.id}/status", json={"status": "closed"}, headers=token_for(STAFF)
    )
    assert r.status_code == 200 and r.json["status"] == "closed"
    assert _history_count(session) == before + 1


def test_confirmation(client, demo, token_for, session):
    sara = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    r = client.post(f"/api/v1/shelters/{sara.id}/confirmation", headers=token_for(STAFF))
    assert r.status_code == 200
    assert r.json["freshness"]["state"] == "fresh"
    r = client.post(
        f"/api/v1/shelters/{sara.id}/confirmation", headers=token_for("personal.orebro@example.org")
    )
    assert r.status_code == 403


def test_bad_bodies_change_nothing(client, demo, token_for, session):
    unit = _sara_unit(session)
    headers = token_for(STAFF)
    before = _history_count(session)
    cases = [
        ({"json": {"status": "held"}}, 422),
        ({"json": {"status": 3}}, 422),
        ({"json": {}}, 422),
        ({"json": {"status": "free", "extra": 1}}, 422),
        ({"data": "status=free", "content_type": "application/x-www-form-urlencoded"}, 415),
        ({"data": "{not json", "content_type": "application/json"}, 400),
        ({"data": "x" * 2_000_000, "content_type": "application/json"}, 413),
    ]
    for kwargs, status in cases:
        r = client.put(f"/api/v1/units/{unit.id}/status", headers=headers, **kwargs)
        assert r.status_code == status, (kwargs.get("json"), r.status_code, r.data[:200])
        assert r.mimetype == "application/problem+json"
        assert r.json["detail"]
    assert _history_count(session) == before
    session.refresh(unit)
    assert unit.status.value == "free"


def test_unknown_ids_are_404(client, demo, token_for):
    r = client.put("/api/v1/units/999999/status", json={"status": "free"}, headers=token_for(STAFF))
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    r = client.post("/api/v1/shelters/999999/confirmation", headers=token_for(STAFF))
    assert r.status_code == 404


def test_field_errors_name_the_field(client, demo, token_for, session):
    unit = _sara_unit(session)
    r = client.put(
        f"/api/v1/units/{unit.id}/status", json={"status": "held"}, headers=token_for(STAFF)
    )
    assert "status" in r.json["errors"]


def test_revoked_or_unknown_token_is_401(client, demo):
    r = client.get("/api/v1/shelters", headers={"Authorization": "Bearer sb_nope"})
    assert r.status_code == 401 and r.json["status"] == 401


def test_unknown_path_and_method(client, demo, token_for):
    assert client.get("/api/v1/nothing-here").status_code == 404
    assert client.delete("/api/v1/shelters", headers=token_for(STAFF)).status_code == 405
