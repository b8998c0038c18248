"""Vacancy alerts (matching, 30-minute no-repeat, active hours) and request-event SMS."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from shelterbeds.domain.enums import ChangeSource, UnitStatus
from shelterbeds.domain.errors import NotFound
from shelterbeds.models import Organisation, OutboxMessage, Shelter, Unit, User
from shelterbeds.notifications import events
from shelterbeds.services import subscriptions, units

SOCIALJOUR = "socialjour.orebro@example.org"
KARLSKOGA = "socialtjanst.karlskoga@example.org"
SARA_STAFF = "personal.sara@example.org"
PHONE = "+46701234567"
# 12:00 local (CET) on a Monday.
NOON = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)


def _user(session, email):
    return session.scalar(select(User).where(User.email == email))


def _unit(session, shelter_slug, label):
    return session.scalar(
        select(Unit).join(Shelter).where(Shelter.slug == shelter_slug, Unit.label == label)
    )


def _subscribe(session, email=SOCIALJOUR, phone=PHONE, **kw):
    kw.setdefault("household", {"adults": 1, "children": []})
    kw.setdefault("needs", {})
    sub = subscriptions.create_subscription(
        session, _user(session, email), phone=phone, now=NOON, **kw
    )
    session.flush()
    return sub


def _free_again(session, unit, now):
    staff = _user(session, SARA_STAFF)
    if unit.status is UnitStatus.FREE:
        units.set_unit_status(session, staff, unit.id, UnitStatus.OCCUPIED, now, ChangeSource.WEB)
    units.set_unit_status(session, staff, unit.id, UnitStatus.FREE, now, ChangeSource.WEB)


def _alerts(session, phone=PHONE):
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_phone == phone, OutboxMessage.kind == "unit_free")
            .order_by(OutboxMessage.id)
        )
    )


def test_matching_unit_freed_queues_one_sms_without_private_data(session, demo):
    _subscribe(session, needs={"wheelchair": True})
    unit = _unit(session, "sara-huset", "Lägenhet 1")
    _free_again(session, unit, NOON)
    alerts = _alerts(session)
    assert len(alerts) == 1
    body = alerts[0].body
    assert "Sara" in body and "https://shelterbeds.test/search" in body
    assert len(body) <= 160
    assert alerts[0].unit_id == unit.id


def test_non_matching_profiles_get_nothing(session, demo):
    _subscribe(session, needs={"wheelchair": True}, phone="+46701111111")
    _subscribe(session, needs={"psychiatric": True}, phone="+46702222222")  # Sara: no
    orebro = session.scalar(select(Shelter).where(Shelter.slug == "kvinnohuset-orebro"))
    _subscribe(session, shelter_id=orebro.id, phone="+46703333333")  # another shelter
    unit = _unit(session, "sara-huset", "Lägenhet 2")  # not wheelchair accessible
    _free_again(session, unit, NOON)
    assert _alerts(session, "+46701111111") == []
    assert _alerts(session, "+46702222222") == []
    assert _alerts(session, "+46703333333") == []


def test_no_repeat_for_same_unit_within_30_minutes(session, demo):
    _subscribe(session)
    unit = _unit(session, "sara-huset", "Lägenhet 1")
    _free_again(session, unit, NOON)
    _free_again(session, unit, NOON + timedelta(minutes=29))
    assert len(_alerts(session)) == 1
    other = _unit(session, "sara-huset", "Lägenhet 2")
    _free_again(session, other, NOON + timedelta(minutes=29))
    assert len(_alerts(session)) == 2  # a different unit is news
    _free_again(session, unit, NOON + timedelta(minutes=31))
    assert len(_alerts(session)) == 3


@pytest.mark.parametrize(
    ("local_hour", "local_minute", "expected"),
    [(23, 0, 1), (0, 30, 1), (7, 59, 1), (8, 0, 0), (12, 0, 0), (17, 59, 0), (18, 0, 1)],
)
def test_active_hours_wrap_midnight(session, demo, local_hour, local_minute, expected):
    _subscribe(session, active_from="18:00", active_to="08:00")
    # Europe/Stockholm is UTC+1 in November.
    at = datetime(2026, 11, 23, local_hour, local_minute, tzinfo=UTC) - timedelta(hours=1)
    _free_again(session, _unit(session, "sara-huset", "Lägenhet 1"), at)
    assert len(_alerts(session)) == expected


def test_english_subscriber_gets_english(session, demo):
    user = _user(session, SOCIALJOUR)
    user.locale = "en"
    _subscribe(session)
    _free_again(session, _unit(session, "sara-huset", "Lägenhet 1"), NOON)
    assert _alerts(session)[0].body.startswith("Free place")


def test_tenant_isolation(session, demo):
    sub = _subscribe(session)
    other = _user(session, KARLSKOGA)
    assert subscriptions.list_subscriptions(session, other) == []
    with pytest.raises(NotFound):
        subscriptions.delete_subscription(session, other, sub.id)
    assert [
        s.id for s in subscriptions.list_subscriptions(session, _user(session, SOCIALJOUR))
    ] == [sub.id]


def test_queue_new_request_to_on_call_phones_once(session, demo):
    shelter = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    rows = events.queue_new_request(session, shelter=shelter, request_code="R-7K2Q", now=NOON)
    again = events.queue_new_request(session, shelter=shelter, request_code="R-7K2Q", now=NOON)
    assert [r.to_phone for r in rows] == shelter.on_call_phones
    assert again == []
    assert "R-7K2Q" in rows[0].body and rows[0].body.startswith("Ny förfrågan")
    assert rows[0].validity_seconds == events.URGENT_VALIDITY_SECONDS


def test_decided_expired_half_and_review(session, demo):
    decided = events.queue_request_decided(
        session, phone=PHONE, locale="en", request_code="R-1", outcome="declined", now=NOON
    )
    assert decided.body.startswith("Request R-1 was declined")
    with pytest.raises(ValueError):
        events.queue_request_decided(
            session, phone=PHONE, locale="sv", request_code="R-2", outcome="maybe", now=NOON
        )
    expired = events.queue_request_expired(
        session, phone=PHONE, locale="sv", request_code="R-3", now=NOON
    )
    assert "R-3" in expired.body and "gick ut" in expired.body
    shelter = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    half = events.queue_hold_half_passed(
        session,
        shelter=shelter,
        request_code="R-4",
        hold_expires_at=NOON + timedelta(minutes=30),
        now=NOON,
    )
    assert "12:30" in half[0].body  # shown in Stockholm time
    org = session.scalar(select(Organisation).where(Organisation.slug == "socialjouren-orebro"))
    org.phone = None
    assert (
        events.queue_review_due(
            session, organisation=org, placement_code="P-1", due_date=date(2026, 12, 7), now=NOON
        )
        is None
    )
    org.phone = "+46705555555"
    review = events.queue_review_due(
        session, organisation=org, placement_code="P-1", due_date=date(2026, 12, 7), now=NOON
    )
    assert "P-1" in review.body and "2026-12-07" in review.body
    for row in (decided, expired, half[0], review):
        assert len(row.body) <= 160


def test_on_call_phone_of_an_english_user_gets_english(session, demo):
    shelter = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    staff = _user(session, SARA_STAFF)
    staff.phone, staff.locale = shelter.on_call_phones[0], "en"
    session.flush()
    [row] = events.queue_new_request(session, shelter=shelter, request_code="R-EN", now=NOON)
    assert row.body.startswith("New placement request R-EN")
