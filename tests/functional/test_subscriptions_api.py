"""Subscriptions through the API and the web page; a freed unit sends its SMS right away."""

from __future__ import annotations

from sqlalchemy import func, select

from shelterbeds.models import OutboxMessage, OutboxStatus, Shelter, SmsOptOut, Subscription, Unit
from shelterbeds.notifications.after_commit import get_sender

SOCIALJOUR = "socialjour.orebro@example.org"
KARLSKOGA = "socialtjanst.karlskoga@example.org"
SARA_STAFF = "personal.sara@example.org"
ANALYST = "lansstyrelsen@example.org"
BODY = {
    "phone": "070-123 45 67",
    "household": {"adults": 1, "children": [{"age": 4, "sex": "f"}]},
    "needs": {"wheelchair": True},
}


def _count(session):
    return session.scalar(select(func.count()).select_from(Subscription))


def test_create_list_delete(client, demo, token_for, session):
    headers = token_for(SOCIALJOUR)
    r = client.post("/api/v1/subscriptions", json=BODY, headers=headers)
    assert r.status_code == 201, r.json
    created = r.json
    assert created["phone"] == "+46701234567"
    assert created["needs"]["wheelchair"] is True
    assert created["household"]["children"] == [{"age": 4, "sex": "f"}]
    assert created["active_from"] is None and created["opted_out"] is False
    r = client.get("/api/v1/subscriptions", headers=headers)
    assert [s["id"] for s in r.json] == [created["id"]]
    r = client.delete(f"/api/v1/subscriptions/{created['id']}", headers=headers)
    assert r.status_code == 204
    assert _count(session) == 0
    r = client.delete(f"/api/v1/subscriptions/{created['id']}", headers=headers)
    assert r.status_code == 404


def test_active_hours_and_shelter(client, demo, token_for, session):
    sara = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    body = {**BODY, "active_from": "18:00", "active_to": "08:00", "shelter_id": sara.id}
    r = client.post("/api/v1/subscriptions", json=body, headers=token_for(SARA_STAFF))
    assert r.status_code == 201, r.json
    assert (r.json["active_from"], r.json["active_to"], r.json["shelter_id"]) == (
        "18:00",
        "08:00",
        sara.id,
    )


def test_bad_input_is_422_and_nothing_is_stored(client, demo, token_for, session):
    headers = token_for(SOCIALJOUR)
    bad_bodies = [
        ({**BODY, "phone": "12"}, "phone"),
        ({**BODY, "active_from": "18:00"}, "active_to"),
        ({**BODY, "active_from": "25:00", "active_to": "08:00"}, "active_from"),
        ({**BODY, "household": {"adults": 0}}, "household"),
        ({**BODY, "needs": {"substance_use": "sometimes"}}, "needs"),
        ({**BODY, "shelter_id": 999999}, "shelter_id"),
        ({**BODY, "name": "Anna Andersson"}, "name"),
    ]
    for body, field in bad_bodies:
        r = client.post("/api/v1/subscriptions", json=body, headers=headers)
        assert r.status_code == 422, (body, r.json)
        assert r.mimetype == "application/problem+json"
        assert field in r.json["errors"], r.json
    r = client.post("/api/v1/subscriptions", data="phone=1", headers=headers)
    assert r.status_code == 415
    assert _count(session) == 0


def test_roles_and_tenants(client, demo, token_for):
    r = client.post("/api/v1/subscriptions", json=BODY, headers=token_for(SOCIALJOUR))
    sub_id = r.json["id"]
    other = token_for(KARLSKOGA)
    assert client.get("/api/v1/subscriptions", headers=other).json == []
    assert client.delete(f"/api/v1/subscriptions/{sub_id}", headers=other).status_code == 404
    analyst = token_for(ANALYST)
    assert client.get("/api/v1/subscriptions", headers=analyst).status_code == 403
    assert client.post("/api/v1/subscriptions", json=BODY, headers=analyst).status_code == 403
    assert client.get("/api/v1/subscriptions").status_code == 401


def test_opted_out_number_is_flagged(client, demo, token_for, session):
    headers = token_for(SOCIALJOUR)
    client.post("/api/v1/subscriptions", json=BODY, headers=headers)
    session.add(SmsOptOut(phone="+46701234567", source="keyword"))
    session.commit()
    assert client.get("/api/v1/subscriptions", headers=headers).json[0]["opted_out"] is True


def test_freeing_a_matching_unit_sends_one_sms_immediately(app, client, demo, token_for, session):
    """Acceptance: freeing a matching unit -> exactly one SMS, sent after the commit."""
    client.post("/api/v1/subscriptions", json=BODY, headers=token_for(SOCIALJOUR))
    unit = session.scalar(
        select(Unit).join(Shelter).where(Shelter.slug == "sara-huset", Unit.label == "Lägenhet 1")
    )
    staff = token_for(SARA_STAFF)
    url = f"/api/v1/units/{unit.id}/status"
    assert client.put(url, json={"status": "occupied"}, headers=staff).status_code == 200
    assert client.put(url, json={"status": "free"}, headers=staff).status_code == 200
    sent = get_sender(app).to("+46701234567")
    assert len(sent) == 1
    assert "Sara-huset" in sent[0].body and "https://shelterbeds.test/search" in sent[0].body
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "unit_free"))
    session.refresh(row)
    assert row.status is OutboxStatus.SENT and row.provider_id == sent[0].sid
    # Occupied and free again at once: no repeat within 30 minutes.
    client.put(url, json={"status": "occupied"}, headers=staff)
    client.put(url, json={"status": "free"}, headers=staff)
    assert len(get_sender(app).to("+46701234567")) == 1


def test_failed_request_sends_nothing(app, client, demo, token_for, session):
    client.post("/api/v1/subscriptions", json=BODY, headers=token_for(SOCIALJOUR))
    unit = session.scalar(
        select(Unit).join(Shelter).where(Shelter.slug == "sara-huset", Unit.label == "Lägenhet 1")
    )
    # Another shelter's staff may not change it: 403, nothing queued or sent.
    r = client.put(
        f"/api/v1/units/{unit.id}/status",
        json={"status": "occupied"},
        headers=token_for("personal.orebro@example.org"),
    )
    assert r.status_code == 403
    assert get_sender(app).sent == []


def test_web_page_create_delete_and_opt_out_warning(app, client, demo, session):
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/login", data={"email": SOCIALJOUR, "password": "demo-password-123"})
    page = client.get("/subscriptions")
    assert page.status_code == 200
    r = client.post(
        "/subscriptions",
        data={
            "phone": "070-123 45 67",
            "adults": "1",
            "child_age_0": "15",
            "child_sex_0": "m",
            "wheelchair": "1",
            "active_from": "18:00",
            "active_to": "08:00",
        },
    )
    assert r.status_code == 302
    sub = session.scalar(select(Subscription))
    assert sub.household == {"adults": 1, "children": [{"age": 15, "sex": "m"}]}
    assert sub.needs["wheelchair"] is True and sub.active_to == "08:00"
    r = client.post("/subscriptions", data={"phone": "nope", "adults": "1"})
    assert r.status_code == 422
    session.add(SmsOptOut(phone="+46701234567", source="keyword"))
    session.commit()
    page = client.get("/subscriptions").get_data(as_text=True)
    assert "STOP" in page and "+46701234567" in page
    r = client.post(f"/subscriptions/{sub.id}/delete")
    assert r.status_code == 302
    assert _count(session) == 0
