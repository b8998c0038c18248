"""Turn-aways through the JSON API: record, list, validation and who may do what."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from shelterbeds.domain.clock import local, utcnow
from shelterbeds.domain.turnaways import local_to_utc
from shelterbeds.models import Shelter, TurnAway

OREBRO = "personal.orebro@example.org"
SARA = "personal.sara@example.org"
URL = "/api/v1/turnaways"


def _count(session):
    return session.scalar(select(func.count()).select_from(TurnAway))


def _shelter_id(session, slug):
    return session.scalar(select(Shelter.id).where(Shelter.slug == slug))


def _body(**extra):
    body = {"adults": 1, "children": 2, "reason": "capacity", "channel": "phone"}
    body.update(extra)
    return body


def test_staff_record_a_refusal_for_their_own_shelter(client, demo, token_for, session):
    r = client.post(
        URL, json=_body(municipality_code="1884", case_ref="Nora 2026/3"), headers=token_for(OREBRO)
    )
    assert r.status_code == 201, r.json
    body = r.json
    assert body["shelter_id"] == _shelter_id(session, "kvinnohuset-orebro")
    assert (body["adults"], body["children"], body["reason"], body["channel"]) == (
        1,
        2,
        "capacity",
        "phone",
    )
    assert body["municipality_code"] == "1884" and body["request_id"] is None
    assert isinstance(body["episode_id"], int)
    assert "case_ref" not in body and "episode_key" not in body
    assert "2026/3" not in r.get_data(as_text=True)
    stored = session.get(TurnAway, body["id"])
    assert stored.episode_key is not None and "2026" not in stored.episode_key
    sent = datetime.fromisoformat(body["occurred_at"])
    assert abs(sent - utcnow()) < timedelta(minutes=1)


def test_same_household_at_two_shelters_is_one_episode(client, demo, token_for):
    a = client.post(
        URL, json=_body(municipality_code="1880", case_ref="ÄR-77"), headers=token_for(OREBRO)
    )
    b = client.post(
        URL, json=_body(municipality_code="1880", case_ref="är-77 "), headers=token_for(SARA)
    )
    c = client.post(URL, json=_body(municipality_code="1880"), headers=token_for(SARA))
    assert a.status_code == b.status_code == c.status_code == 201
    assert a.json["episode_id"] == b.json["episode_id"] != c.json["episode_id"]


def test_naive_time_is_stockholm_time_and_offsets_are_honoured(client, demo, token_for):
    yesterday = local(utcnow()).date() - timedelta(days=1)
    naive = datetime.combine(yesterday, time(10, 0))
    r = client.post(URL, json=_body(occurred_at=naive.isoformat()), headers=token_for(OREBRO))
    assert r.status_code == 201, r.json
    assert datetime.fromisoformat(r.json["occurred_at"]) == local_to_utc(naive)
    r = client.post(
        URL,
        json=_body(occurred_at=f"{yesterday.isoformat()}T10:00:00+00:00"),
        headers=token_for(OREBRO),
    )
    assert r.json["occurred_at"].startswith(f"{yesterday.isoformat()}T10:00:00")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"occurred_at": "2999-01-01T10:00:00+01:00"}, "occurred_at"),
        ({"occurred_at": "2020-01-01T10:00:00+01:00"}, "occurred_at"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-03-29T02:30:00"}, "occurred_at"),  # skipped by summer time
        ({"children": -1}, "children"),
        ({"adults": -2}, "adults"),
        ({"adults": 0}, "adults"),
        ({"adults": "2"}, "adults"),
        ({"adults": 1.5}, "adults"),
        ({"reason": "full"}, "reason"),
        ({"channel": "request"}, "channel"),
        ({"channel": "sms"}, "channel"),
        ({"municipality_code": "9999"}, "municipality_code"),
        ({"municipality_code": "Örebro"}, "municipality_code"),
        ({"case_ref": "19121212-1212"}, "case_ref"),
        ({"case_ref": "ärende 191212121212", "municipality_code": "1880"}, "case_ref"),
        ({"case_ref": "x" * 65, "municipality_code": "1880"}, "case_ref"),
        ({"case_ref": "ref without municipality"}, "municipality_code"),
        ({"note": "free text is not accepted"}, "note"),
        ({"request_id": 3}, "request_id"),
    ],
)
def test_bad_input_is_422_with_the_field_and_nothing_stored(
    client, demo, token_for, session, extra, field
):
    headers = token_for(OREBRO)
    before = _count(session)
    r = client.post(URL, json=_body(**extra), headers=headers)
    assert r.status_code == 422, (extra, r.status_code, r.json)
    assert r.mimetype == "application/problem+json"
    assert field in r.json["errors"], (extra, r.json)
    assert _count(session) == before


def test_missing_fields_and_wrong_body_type(client, demo, token_for):
    headers = token_for(OREBRO)
    r = client.post(URL, json={}, headers=headers)
    assert r.status_code == 422
    assert {"adults", "reason", "channel"} <= set(r.json["errors"])
    r = client.post(URL, data="adults=1", headers=headers)
    assert r.status_code == 415


def test_other_roles_may_not_record_or_list(client, demo, token_for, session):
    for email in ("socialjour.orebro@example.org", "lansstyrelsen@example.org"):
        headers = token_for(email)
        assert client.post(URL, json=_body(), headers=headers).status_code == 403
        assert client.get(URL, headers=headers).status_code == 403
    assert client.post(URL, json=_body()).status_code == 401
    assert client.get(URL).status_code == 401
    assert _count(session) == 0


def test_staff_cannot_record_for_another_shelter(client, demo, token_for, session):
    sara = _shelter_id(session, "sara-huset")
    r = client.post(URL, json=_body(shelter_id=sara), headers=token_for(OREBRO))
    assert r.status_code == 403
    assert _count(session) == 0


def test_staff_see_only_their_own_shelters_list(client, demo, token_for, session):
    orebro, sara = token_for(OREBRO), token_for(SARA)
    mine = client.post(URL, json=_body(), headers=orebro).json["id"]
    theirs = client.post(URL, json=_body(adults=2), headers=sara).json["id"]
    assert [t["id"] for t in client.get(URL, headers=orebro).json] == [mine]
    assert [t["id"] for t in client.get(URL, headers=sara).json] == [theirs]
    r = client.get(f"{URL}?shelter_id={_shelter_id(session, 'kvinnohuset-orebro')}", headers=sara)
    assert r.status_code == 403


def test_list_is_newest_first_and_filters_by_local_dates(client, demo, token_for):
    headers = token_for(OREBRO)
    today = local(utcnow()).date()
    ids = {}
    for days in (5, 2, 0):
        day = today - timedelta(days=days)
        when = datetime.combine(day, time(0, 30) if days else time(0, 0)).isoformat()
        if days == 0:
            when = None  # now
        r = client.post(URL, json=_body(occurred_at=when), headers=headers)
        assert r.status_code == 201, r.json
        ids[days] = r.json["id"]
    everything = client.get(URL, headers=headers).json
    assert [t["id"] for t in everything] == [ids[0], ids[2], ids[5]]
    two_days_ago = (today - timedelta(days=2)).isoformat()
    r = client.get(f"{URL}?from={two_days_ago}&to={two_days_ago}", headers=headers)
    assert [t["id"] for t in r.json] == [ids[2]]
    r = client.get(f"{URL}?to={(today - timedelta(days=3)).isoformat()}", headers=headers)
    assert [t["id"] for t in r.json] == [ids[5]]
    r = client.get(f"{URL}?limit=1", headers=headers)
    assert [t["id"] for t in r.json] == [ids[0]]
    for bad in (f"from={today}&to={today - timedelta(days=1)}", "from=23/11", "limit=0"):
        r = client.get(f"{URL}?{bad}", headers=headers)
        assert r.status_code == 422, bad
        assert r.mimetype == "application/problem+json"


def test_admin_records_for_a_named_shelter_and_lists_all(client, demo, token_for, session):
    admin = token_for("admin@example.org")
    r = client.post(URL, json=_body(), headers=admin)
    assert r.status_code == 422 and "shelter_id" in r.json["errors"]
    r = client.post(URL, json=_body(shelter_id=999_999), headers=admin)
    assert r.status_code == 404
    sara = _shelter_id(session, "sara-huset")
    r = client.post(URL, json=_body(shelter_id=sara), headers=admin)
    assert r.status_code == 201 and r.json["shelter_id"] == sara
    client.post(URL, json=_body(), headers=token_for(OREBRO))
    assert len(client.get(URL, headers=admin).json) == 2
    assert len(client.get(f"{URL}?shelter_id={sara}", headers=admin).json) == 1


def test_openapi_documents_the_endpoints_without_case_ref_in_the_output(client):
    spec = client.get("/api/v1/openapi.json").json
    assert {"get", "post"} <= set(spec["paths"]["/api/v1/turnaways"])
    out = spec["components"]["schemas"]["TurnAwayOut"]["properties"]
    assert "case_ref" not in out and "episode_key" not in out
