"""Recording turn-aways against a real database: episodes, validation, access, listing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from shelterbeds.domain.clock import utcnow
from shelterbeds.domain.errors import Forbidden, Invalid, NotFound
from shelterbeds.models import Shelter, TurnAway, TurnAwayEpisode
from shelterbeds.services import auth
from shelterbeds.services.turnaways import list_turnaways, record_turnaway

SECRET = "integration-secret"
STAFF = {
    "kvinnohuset-orebro": "personal.orebro@example.org",
    "kvinnohuset-karlskoga": "personal.karlskoga@example.org",
    "sara-huset": "personal.sara@example.org",
}


@pytest.fixture
def now():
    return utcnow()


@pytest.fixture
def record(session, demo, now):
    """record(slug, **fields): a refusal by that shelter's staff member (defaults: capacity)."""

    def _record(slug="kvinnohuset-orebro", actor=None, **fields):
        actor = actor or auth.user_by_email(session, STAFF[slug])
        shelter_id = session.scalar(select(Shelter.id).where(Shelter.slug == slug))
        values = dict(adults=1, children=2, reason="capacity", channel="phone")
        values.update(fields)
        return record_turnaway(
            session,
            actor,
            shelter_id=shelter_id,
            now=now,
            episode_key_secret=SECRET,
            episode_hours=72,
            **values,
        )

    return _record


def _counts(session):
    refusals = session.scalar(select(func.count()).select_from(TurnAway))
    episodes = session.scalar(select(func.count(func.distinct(TurnAway.episode_id))))
    return refusals, episodes


def test_one_household_refused_by_three_shelters_is_one_episode(session, record, now):
    night = now - timedelta(hours=40)
    a = record(
        "kvinnohuset-orebro", municipality_code="1880", case_ref="SoS 2026/17", occurred_at=night
    )
    b = record(
        "sara-huset",
        municipality_code="1880",
        case_ref="sos 2026/17",
        occurred_at=night + timedelta(hours=1),
    )
    c = record(
        "kvinnohuset-karlskoga",
        municipality_code="1880",
        case_ref=" SOS 2026 / 17 ",
        occurred_at=night + timedelta(hours=30),
    )
    assert a.episode_id == b.episode_id == c.episode_id
    assert a.episode_key == b.episode_key == c.episode_key is not None
    assert _counts(session) == (3, 1)
    episode = session.get(TurnAwayEpisode, a.episode_id)
    assert episode.started_at == night and episode.episode_key == a.episode_key


def test_after_the_window_the_household_starts_a_new_episode(session, record, now):
    start = now - timedelta(days=5)
    first = record(municipality_code="1880", case_ref="K-1", occurred_at=start)
    inside = record(
        municipality_code="1880",
        case_ref="K-1",
        occurred_at=start + timedelta(hours=71, minutes=59),
    )
    later = record(
        municipality_code="1880", case_ref="K-1", occurred_at=start + timedelta(hours=73)
    )
    assert inside.episode_id == first.episode_id
    assert later.episode_id != first.episode_id
    assert later.episode_key == first.episode_key  # same household, new episode
    assert _counts(session) == (3, 2)


def test_window_is_a_setting(session, demo, now):
    actor = auth.user_by_email(session, STAFF["sara-huset"])
    kw = dict(
        shelter_id=actor.shelter_id,
        adults=1,
        children=0,
        reason="capacity",
        channel="phone",
        now=now,
        episode_key_secret=SECRET,
        municipality_code="1880",
        case_ref="K-9",
    )
    a = record_turnaway(
        session, actor, occurred_at=now - timedelta(hours=30), episode_hours=24, **kw
    )
    b = record_turnaway(session, actor, occurred_at=now, episode_hours=24, **kw)
    assert a.episode_id != b.episode_id


def test_a_refusal_entered_afterwards_joins_the_episode(session, record, now):
    first = record(municipality_code="1880", case_ref="K-2", occurred_at=now - timedelta(hours=2))
    earlier = record(
        "sara-huset",
        municipality_code="1880",
        case_ref="K-2",
        occurred_at=now - timedelta(hours=26),
    )
    assert earlier.episode_id == first.episode_id
    assert _counts(session) == (2, 1)


def test_same_reference_in_another_municipality_is_another_household(session, record):
    a = record(municipality_code="1880", case_ref="2026/17")
    b = record("sara-huset", municipality_code="1883", case_ref="2026/17")
    assert a.episode_id != b.episode_id and a.episode_key != b.episode_key


def test_a_refusal_without_case_reference_is_an_episode_of_its_own(session, record):
    a = record(municipality_code="1880")
    b = record(municipality_code="1880")
    c = record(municipality_code="1880", case_ref="   ")
    assert len({a.episode_id, b.episode_id, c.episode_id}) == 3
    assert a.episode_key is None and c.episode_key is None
    assert _counts(session) == (3, 3)


def test_the_case_reference_is_stored_nowhere(session, record, connection):
    record(municipality_code="1880", case_ref="UNIQUE-REF-4711")
    session.flush()
    for table in (TurnAway.__table__, TurnAwayEpisode.__table__):
        for row in connection.execute(select(table)).mappings():
            for value in row.values():
                assert "4711" not in str(value).lower()
                assert "unique-ref" not in str(value).lower()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"case_ref": "Ref 19121212-1212"}, "case_ref"),
        ({"case_ref": "ref without municipality"}, "municipality_code"),
        ({"municipality_code": "9999"}, "municipality_code"),
        ({"adults": 0}, "adults"),
        ({"children": -1}, "children"),
        ({"adults": 11}, "adults"),
        ({"reason": "full"}, "reason"),
        ({"channel": "sms"}, "channel"),
        ({"channel": "request"}, "request_id"),
        ({"request_id": 12}, "request_id"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(session, record, fields, field):
    with pytest.raises(Invalid) as err:
        record(**fields)
    assert field in err.value.errors
    assert _counts(session) == (0, 0)


def test_times_outside_the_allowed_range_are_refused(session, record, now):
    for occurred_at in (now + timedelta(minutes=30), now - timedelta(days=32)):
        with pytest.raises(Invalid) as err:
            record(occurred_at=occurred_at)
        assert "occurred_at" in err.value.errors
    assert _counts(session) == (0, 0)


def test_the_database_refuses_impossible_rows(session, record, connection):
    good = record()
    row = {
        c: getattr(good, c)
        for c in (
            "shelter_id",
            "recorded_by_id",
            "occurred_at",
            "recorded_at",
            "adults",
            "children",
            "reason",
            "channel",
            "episode_id",
        )
    }
    with session.begin_nested():  # the same row as it is goes in: only the change is wrong
        session.execute(insert(TurnAway).values(row))
    bad_changes = (
        {"adults": 0},
        {"children": 16},
        {"channel": "request"},
        {"request_id": 5},
        {"municipality_code": "9999"},
    )
    for bad in bad_changes:
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(insert(TurnAway).values({**row, **bad}))


def test_only_the_shelters_own_staff_or_an_admin_may_record(session, record):
    social_worker = auth.user_by_email(session, "socialjour.orebro@example.org")
    analyst = auth.user_by_email(session, "lansstyrelsen@example.org")
    other_staff = auth.user_by_email(session, STAFF["sara-huset"])
    for actor in (social_worker, analyst, other_staff):
        with pytest.raises(Forbidden):
            record("kvinnohuset-orebro", actor=actor)
    admin = auth.user_by_email(session, "admin@example.org")
    assert record("kvinnohuset-orebro", actor=admin).recorded_by_id == admin.id
    assert _counts(session) == (1, 1)


def test_admin_must_name_an_existing_shelter(session, demo, now):
    admin = auth.user_by_email(session, "admin@example.org")
    kw = dict(
        adults=1,
        children=0,
        reason="capacity",
        channel="phone",
        now=now,
        episode_key_secret=SECRET,
        episode_hours=72,
    )
    with pytest.raises(Invalid):
        record_turnaway(session, admin, shelter_id=None, **kw)
    with pytest.raises(NotFound):
        record_turnaway(session, admin, shelter_id=999_999, **kw)


def test_listing_is_per_shelter_newest_first(session, record, now):
    old = record(occurred_at=now - timedelta(days=3))
    new = record(occurred_at=now - timedelta(hours=1))
    record("sara-huset")
    orebro = auth.user_by_email(session, STAFF["kvinnohuset-orebro"])
    assert [t.id for t in list_turnaways(session, orebro)] == [new.id, old.id]
    since = list_turnaways(session, orebro, since=now - timedelta(days=1))
    assert [t.id for t in since] == [new.id]
    until = list_turnaways(session, orebro, until=now - timedelta(days=1))
    assert [t.id for t in until] == [old.id]
    with pytest.raises(Forbidden):
        list_turnaways(session, orebro, shelter_id=new.shelter_id + 1000)
    admin = auth.user_by_email(session, "admin@example.org")
    assert len(list_turnaways(session, admin)) == 3
    assert len(list_turnaways(session, admin, shelter_id=old.shelter_id)) == 2
    for email in ("socialjour.orebro@example.org", "lansstyrelsen@example.org"):
        with pytest.raises(Forbidden):
            list_turnaways(session, auth.user_by_email(session, email))
