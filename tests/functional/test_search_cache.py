"""The fast path (issue 10, item 3): a cached answer never offers a unit that is not free.

Held, occupied, closed, or at a shelter whose vacancies are unknown — whether the change came
through the same app, or through another engine (another web node or process), or from the
clock alone (a hold running out, a confirmation ageing past a threshold).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from shelterbeds import create_app
from shelterbeds.db import make_engine
from shelterbeds.domain.clock import utcnow
from shelterbeds.domain.enums import ChangeSource, UnitStatus
from shelterbeds.domain.freshness import FreshnessThresholds
from shelterbeds.domain.matching import Household, Needs
from shelterbeds.models import PlacementRequest, Shelter, User
from shelterbeds.services import auth, search_cache, units
from shelterbeds.services.demo import load_demo
from shelterbeds.services.vacancies import VacancyQuery, search_vacancies
from tests.support.factories import (
    ADMIN,
    DEMO_PASSWORD,
    SOCIALJOUR,
    STAFF_SARA,
    dispose_app_engine,
    make_settings,
    request_body,
    unit_at,
)

WHEELCHAIR = "/api/v1/vacancies?wheelchair=1"


def _offered(client, headers, url=WHEELCHAIR):
    r = client.get(url, headers=headers)
    assert r.status_code == 200, r.json
    return [u["id"] for h in r.json["results"] for u in h["units"]]


def _versions(session):
    return tuple(session.execute(text("SELECT search, auth FROM cache_versions")).one())


def test_every_kind_of_change_is_seen_by_the_next_search(client, demo, token_for, session):
    social, staff = token_for(SOCIALJOUR), token_for(STAFF_SARA)
    unit = unit_at(session, "sara-huset", "Lägenhet 1")
    assert _offered(client, social) == [unit.id]
    assert _offered(client, social) == [unit.id]  # from the cache this time

    # Held through a request: not offered.
    r = client.post(
        "/api/v1/requests", json=request_body(unit.id, needs={"wheelchair": True}), headers=social
    )
    assert r.status_code == 201, r.json
    assert _offered(client, social) == []
    r = client.post(f"/api/v1/requests/{r.json['id']}/withdraw", headers=social)
    assert r.status_code == 200
    assert _offered(client, social) == [unit.id]

    for status in ("occupied", "closed"):
        r = client.put(f"/api/v1/units/{unit.id}/status", json={"status": status}, headers=staff)
        assert r.status_code == 200, r.json
        assert _offered(client, social) == [], status
        r = client.put(f"/api/v1/units/{unit.id}/status", json={"status": "free"}, headers=staff)
        assert _offered(client, social) == [unit.id]

    # The shelter's vacancies become unknown (its confirmation is changed directly).
    session.execute(
        update(Shelter)
        .where(Shelter.slug == "sara-huset")
        .values(confirmed_at=utcnow() - timedelta(hours=25))
    )
    session.commit()
    assert _offered(client, social) == []
    r = client.get(WHEELCHAIR, headers=social)
    assert {h["shelter"]["slug"]: h["reason"] for h in r.json["near_misses"]}["sara-huset"] == (
        "unknown_vacancy"
    )


def test_writes_bump_the_version_and_reads_do_not(client, demo, token_for, session):
    social, staff = token_for(SOCIALJOUR), token_for(STAFF_SARA)
    unit = unit_at(session, "sara-huset", "Lägenhet 1")
    before = _versions(session)
    _offered(client, social)
    client.get("/api/v1/shelters", headers=social)
    assert _versions(session) == before
    client.put(f"/api/v1/units/{unit.id}/status", json={"status": "occupied"}, headers=staff)
    after = _versions(session)
    assert after[0] == before[0] + 1 and after[1] == before[1]


def test_a_revoked_token_is_refused_at_once(client, demo, token_for, session):
    social = token_for(SOCIALJOUR)
    assert client.get(WHEELCHAIR, headers=social).status_code == 200
    assert client.get(WHEELCHAIR, headers=social).status_code == 200  # cached principal
    token = session.scalars(select(auth.ApiToken).order_by(auth.ApiToken.id.desc())).first()
    r = client.delete(f"/api/v1/tokens/{token.id}", headers=token_for(ADMIN))
    assert r.status_code in (200, 204), r.json
    assert client.get(WHEELCHAIR, headers=social).status_code == 401
    # A disabled user too.
    other = token_for(SOCIALJOUR)
    assert client.get(WHEELCHAIR, headers=other).status_code == 200
    session.execute(update(User).where(User.email == SOCIALJOUR).values(active=False))
    session.commit()
    assert client.get(WHEELCHAIR, headers=other).status_code == 401


def test_the_clock_alone_changes_a_cached_answer(app, demo, session):
    """A hold running out, a confirmation crossing into unknown: no write, new answer."""
    actor = session.scalar(select(User).where(User.email == SOCIALJOUR))
    unit = unit_at(session, "sara-huset", "Lägenhet 1")
    now = utcnow()
    session.execute(update(Shelter).values(confirmed_at=now))
    session.commit()
    thresholds = FreshnessThresholds()
    query = VacancyQuery(Household(), Needs(wheelchair=True))

    def offered(at):
        with app.app_context():
            result = search_vacancies(session, actor, query, at, thresholds)
        return [u.id for h in result.matches for u in h.units]

    assert offered(now) == [unit.id]
    # A hold put in place directly, running out in 10 minutes.
    session.execute(update(units.Unit).where(units.Unit.id == unit.id).values(status="held"))
    session.add(
        PlacementRequest(
            code="CLOCK1",
            unit_id=unit.id,
            shelter_id=unit.shelter_id,
            organisation_id=actor.organisation_id,
            requested_by_id=actor.id,
            municipality_code="1880",
            case_ref="C-1",
            adults=1,
            children=[],
            urgency="immediate",
            callback_phone="+46701234567",
            status="pending",
            hold_expires_at=now + timedelta(minutes=10),
            created_at=now,
        )
    )
    session.commit()
    assert offered(now) == []
    assert offered(now + timedelta(minutes=5)) == []  # same cached answer
    assert offered(now + timedelta(minutes=10)) == [unit.id]  # the hold ran out
    assert offered(now + timedelta(hours=23)) == [unit.id]  # stale, still trusted
    assert offered(now + timedelta(hours=24)) == []  # unknown from here on
    loads = search_cache.cache_for(session).loads
    assert offered(now + timedelta(hours=1)) == [unit.id]
    assert search_cache.cache_for(session).loads == loads  # the clock reloaded nothing


def test_the_fast_json_is_what_the_schema_would_dump(client, demo, token_for, session):
    from shelterbeds.formatting import label
    from shelterbeds.schemas.vacancies import VacancySearchOut

    social = token_for(SOCIALJOUR)
    url = "/api/v1/vacancies?lgbtq=1&child_ages=4&child_sexes=m&municipality=1880&limit=2"
    r = client.get(url, headers=social)
    actor = session.scalar(select(User).where(User.email == SOCIALJOUR))
    from shelterbeds.schemas.vacancies import VacancyQueryArgs

    query = VacancyQueryArgs().load(
        {"lgbtq": "1", "child_ages": "4", "child_sexes": "m", "municipality": "1880", "limit": 2}
    )
    app = client.application
    with app.test_request_context(headers=social):
        result = search_vacancies(session, actor, query, utcnow(), FreshnessThresholds())
        expected = VacancySearchOut().dump(
            {
                "results": [
                    {
                        "shelter": h.shelter,
                        "units": h.units,
                        "freshness": h.freshness,
                        "why": [{"code": n, "text": label(n)} for n in h.notes],
                    }
                    for h in result.matches
                ],
                "near_misses": [
                    {
                        "shelter": h.shelter,
                        "reason": h.reason.value,
                        "reason_text": label(h.reason),
                        "freshness": h.freshness,
                    }
                    for h in result.near_misses
                ],
                "unmet_need_recorded": result.no_match,
                "total": result.total,
                "near_misses_total": result.near_total,
                "limit": 2,
                "next_cursor": r.json["next_cursor"],
            }
        )
    assert r.json["results"] and r.json["near_misses"]
    assert r.json == json.loads(json.dumps(expected))


@pytest.fixture
def two_engines(committed_engine, database_url):
    """The demo committed; an app on its own engine, and a second engine (another node)."""
    with Session(committed_engine) as session:
        load_demo(session, utcnow(), password=DEMO_PASSWORD)
        raw = {}
        for email in (SOCIALJOUR, STAFF_SARA):
            user = auth.user_by_email(session, email)
            raw[email] = {
                "Authorization": f"Bearer {auth.create_token(session, user, 't', utcnow())[1]}"
            }
        session.commit()
    app = create_app(make_settings(database_url))
    app.testing = True
    other = make_engine(database_url)
    yield app, other, raw
    other.dispose()
    dispose_app_engine()


def test_a_change_through_another_engine_is_seen_at_once(two_engines):
    app, other, raw = two_engines
    client = app.test_client()
    social = raw[SOCIALJOUR]
    with Session(other) as session:
        unit_id = unit_at(session, "sara-huset", "Lägenhet 1").id
    assert _offered(client, social) == [unit_id]
    for status in (UnitStatus.OCCUPIED, UnitStatus.FREE, UnitStatus.CLOSED):
        with Session(other) as session:  # another node's transaction, through the services
            staff = session.scalar(select(User).where(User.email == STAFF_SARA))
            units.set_unit_status(session, staff, unit_id, status, utcnow(), ChangeSource.API)
            session.commit()
        expected = [unit_id] if status is UnitStatus.FREE else []
        assert _offered(client, social) == expected, status


def test_the_fast_shelter_listing_is_what_the_schema_would_dump(client, demo, token_for, session):
    from shelterbeds.schemas.shelters import ShelterOut
    from shelterbeds.services.shelters import list_shelters

    social = token_for(SOCIALJOUR)
    unit = unit_at(session, "sara-huset", "Lägenhet 1")
    r = client.post(
        "/api/v1/requests", json=request_body(unit.id, needs={"wheelchair": True}), headers=social
    )
    assert r.status_code == 201
    r = client.get("/api/v1/shelters", headers=social)
    assert r.status_code == 200
    actor = session.scalar(select(User).where(User.email == SOCIALJOUR))
    expected = ShelterOut(many=True).dump(
        list_shelters(session, actor, utcnow(), FreshnessThresholds())
    )
    assert r.json == json.loads(json.dumps(expected))
    sara = next(s for s in r.json if s["slug"] == "sara-huset")
    assert sara["units"]["held"] == 1 and sara["policies"]["pets"] is True
