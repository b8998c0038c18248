"""Kept statistics answers (services/stats_cache.py) are never older than what they count.

An answer is computed once and then kept until something it counts is written — through
this app, or through another engine (another web node or process) — or a local midnight
passes; the hours since a shelter's last confirmation move on a kept answer; exact and
suppressed answers are kept apart; a session's own uncommitted writes are never hidden.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from shelterbeds import create_app
from shelterbeds.db import make_engine
from shelterbeds.domain.clock import STOCKHOLM, utcnow
from shelterbeds.domain.periods import local_midnight
from shelterbeds.models import Shelter, TurnAway, User
from shelterbeds.services import auth, stats_cache, turnaways
from shelterbeds.services.demo import load_demo
from shelterbeds.services.statistics import figures_for
from tests.support.factories import (
    ADMIN,
    ANALYST,
    DEMO_PASSWORD,
    STAFF_SARA,
    dispose_app_engine,
    login,
    make_settings,
    unit_at,
)

TURNAWAYS = "/api/v1/stats/turnaways?by=shelter"


def _computed(session) -> int:
    return stats_cache.cache_for(session).computed


def _refusals(client, headers, url=TURNAWAYS) -> dict[str, object]:
    r = client.get(url, headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    return {row["shelter"]: row["refusals"] for row in r.json["rows"]}


def _refuse(client, headers) -> None:
    body = {
        "adults": 1,
        "children": 0,
        "reason": "capacity",
        "channel": "phone",
        "municipality_code": "1880",
        "occurred_at": (utcnow() - timedelta(minutes=5)).isoformat(),
    }
    r = client.post("/api/v1/turnaways", json=body, headers=headers)
    assert r.status_code == 201, r.json


def test_an_answer_is_kept_until_something_it_counts_is_written(client, demo, token_for, session):
    analyst, staff = token_for(ANALYST), token_for(STAFF_SARA)
    before = _computed(session)
    first = client.get(TURNAWAYS, headers=analyst)
    again = client.get(TURNAWAYS, headers=analyst)
    assert first.status_code == again.status_code == 200
    assert again.get_data() == first.get_data()
    assert _computed(session) == before + 1  # the second answer was the kept one

    _refuse(client, staff)  # a refusal at Sara-huset, through the API
    counted = _refusals(client, analyst)
    assert _computed(session) == before + 2
    was = {r["shelter"]: r["refusals"] for r in first.json["rows"]}.get("sara-huset", 0)
    assert counted["sara-huset"] == was + 1

    # A unit's status change is counted by occupancy: the next occupancy answer is new.
    occupancy = "/api/v1/stats/occupancy"
    client.get(occupancy, headers=analyst)
    kept = _computed(session)
    client.get(occupancy, headers=analyst)
    assert _computed(session) == kept
    unit = unit_at(session, "sara-huset", "Lägenhet 1")
    r = client.put(f"/api/v1/units/{unit.id}/status", json={"status": "closed"}, headers=staff)
    assert r.status_code == 200, r.json
    client.get(occupancy, headers=analyst)
    assert _computed(session) == kept + 1


def test_reads_and_sign_ins_do_not_bump_the_stats_version(client, demo, token_for, session):
    analyst = token_for(ANALYST)
    version = session.scalar(text("SELECT stats FROM cache_versions"))
    for path in (TURNAWAYS, "/api/v1/stats/requests", "/api/v1/shelters", "/healthz"):
        assert client.get(path, headers=analyst).status_code == 200
    token_for(ADMIN)  # a new API token: sign-in bookkeeping, counted by no figure
    assert session.scalar(text("SELECT stats FROM cache_versions")) == version


def test_exact_and_suppressed_answers_are_kept_apart(client, demo, token_for, session):
    _refuse(client, token_for(STAFF_SARA))
    analyst = session.scalar(select(User).where(User.email == ANALYST))
    now = utcnow()

    def sara(exact_roles: str) -> object:  # the same actor, scope and query each time
        rows = figures_for(session, analyst, "turnaways", now, exact_roles, by=["shelter"])
        return {r["shelter"]: r["refusals"] for r in rows["rows"]}["sara-huset"]

    assert sara("county_analyst") == 1
    assert sara("admin") == "<3"
    assert sara("county_analyst") == 1
    assert _refusals(client, token_for(ADMIN))["sara-huset"] == "<3"  # through the API too


def test_a_local_midnight_ends_a_kept_answer(demo, session):
    analyst = session.scalar(select(User).where(User.email == ANALYST))
    today = utcnow().astimezone(STOCKHOLM).date()
    midnight = local_midnight(today)  # 00:00 local today, so the 12 months are the same
    before = _computed(session)
    # At the very instant of midnight a night is counted but the day not yet reported: an
    # answer of that instant is not kept for the rest of the day.
    figures_for(session, analyst, "compliance", midnight, "county_analyst")
    figures_for(session, analyst, "compliance", midnight + timedelta(hours=1), "county_analyst")
    assert _computed(session) == before + 2
    figures_for(session, analyst, "occupancy", midnight + timedelta(hours=1), "county_analyst")
    figures_for(session, analyst, "occupancy", midnight + timedelta(hours=20), "county_analyst")
    assert _computed(session) == before + 3
    next_midnight = local_midnight(today + timedelta(days=1))
    if next_midnight.astimezone(STOCKHOLM).month != midnight.astimezone(STOCKHOLM).month:
        pytest.skip("today is the last of the month: tomorrow's 12 months are other months")
    figures_for(session, analyst, "occupancy", next_midnight, "county_analyst")
    assert _computed(session) == before + 4  # another night is counted


def test_hours_since_confirmation_move_on_a_kept_answer(demo, session):
    analyst = session.scalar(select(User).where(User.email == ANALYST))
    now = utcnow()
    start, _end = stats_cache.local_day(now)
    if now - start < timedelta(hours=1):
        pytest.skip("the first hour of the local day: an hour earlier is another day")
    earlier = figures_for(session, analyst, "compliance", now - timedelta(hours=1), "x")
    later = figures_for(session, analyst, "compliance", now, "x")
    confirmed = [r for r in later["rows"] if r["hours_since_confirmation"] is not None]
    assert confirmed
    for row in confirmed:
        (was,) = [r for r in earlier["rows"] if r["shelter"] == row["shelter"]]
        assert row["hours_since_confirmation"] == pytest.approx(
            was["hours_since_confirmation"] + 1.0, abs=0.11
        )
    assert later["rows"] is not earlier["rows"]


def test_a_sessions_own_uncommitted_refusal_is_seen_and_not_kept(demo, session):
    analyst = session.scalar(select(User).where(User.email == ANALYST))
    staff = session.scalar(select(User).where(User.email == STAFF_SARA))
    now = utcnow()

    def sara() -> object:
        rows = figures_for(session, analyst, "turnaways", now, "county_analyst", by=["shelter"])
        return {r["shelter"]: r["refusals"] for r in rows["rows"]}.get("sara-huset", 0)

    assert sara() == 0
    shelter_id = session.scalar(select(Shelter.id).where(Shelter.slug == "sara-huset"))
    _record(session, staff, shelter_id, now)
    assert sara() == 1  # its own write, not the kept answer
    session.rollback()
    assert session.scalar(select(TurnAway.id)) is None
    assert sara() == 0  # nor was the uncommitted answer kept


def _record(session, staff, shelter_id, now) -> None:
    turnaways.record_turnaway(
        session,
        staff,
        shelter_id=shelter_id,
        adults=1,
        children=0,
        reason="capacity",
        channel="phone",
        now=now,
        episode_key_secret="test",
        episode_hours=24,
        occurred_at=now - timedelta(minutes=1),
        municipality_code="1880",
    )


@pytest.fixture
def node(committed_engine, database_url):
    """The demo committed; an app on its own engine, and a second engine (another node)."""
    with Session(committed_engine) as session:
        load_demo(session, utcnow(), password=DEMO_PASSWORD)
        analyst = auth.user_by_email(session, ANALYST)
        raw = auth.create_token(session, analyst, "t", utcnow())[1]
        session.commit()
    app = create_app(make_settings(database_url))
    app.testing = True
    other = make_engine(database_url)
    yield app, other, {"Authorization": f"Bearer {raw}"}
    other.dispose()
    dispose_app_engine()


def test_a_change_through_another_engine_is_counted_at_once(node):
    app, other, analyst = node
    client = app.test_client()

    def computed() -> int:
        with app.app_context():
            from shelterbeds.extensions import db

            return _computed(db.session)

    assert _refusals(client, analyst).get("sara-huset", 0) == 0
    assert _refusals(client, analyst).get("sara-huset", 0) == 0
    assert computed() == 1  # the second answer was the kept one
    with Session(other) as session:  # another node's transaction, through the services
        staff = session.scalar(select(User).where(User.email == STAFF_SARA))
        shelter_id = session.scalar(select(Shelter.id).where(Shelter.slug == "sara-huset"))
        _record(session, staff, shelter_id, utcnow())
        session.commit()
    assert _refusals(client, analyst)["sara-huset"] == 1
    assert computed() == 2


def test_the_dashboard_reads_kept_answers_too(client, demo, session):
    login(client, ANALYST)
    assert client.get("/stats").status_code == 200
    computed = _computed(session)
    assert computed > 0
    assert client.get("/stats").status_code == 200
    assert _computed(session) == computed  # every table's answer was kept


def test_kept_answers_are_bounded_by_their_rows(demo, session, monkeypatch):
    analyst = session.scalar(select(User).where(User.email == ANALYST))
    now = utcnow()

    def ask(by: list[str]) -> None:
        figures_for(session, analyst, "occupancy", now, "county_analyst", by=by)

    ask(["shelter", "month"])  # the demo's county: 12 months x its shelters
    cache = stats_cache.cache_for(session)
    (big,) = cache.answers.values()
    monkeypatch.setattr(stats_cache, "MAX_ROWS", big.size + 2)
    ask(["month"])  # 12 months and the totals: over the bound together, so the big one goes
    assert [k[1] for k in cache.answers] == [("month",)]
    assert cache.rows == 13
    computed = _computed(session)
    ask(["month"])
    assert _computed(session) == computed  # the one kept is still served
    ask(["shelter", "month"])
    assert _computed(session) == computed + 1
