"""Twilio webhooks: signatures, once-only inbound processing, opt-outs, staff commands."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from shelterbeds.domain.enums import UnitStatus
from shelterbeds.models import (
    OutboxMessage,
    OutboxStatus,
    ProcessedInboundSms,
    Shelter,
    SmsOptOut,
    Unit,
    UnitStatusChange,
    User,
)
from shelterbeds.notifications import outbox
from tests.support.factories import make_settings as make_settings
from tests.support.sms import AUTH_TOKEN

STAFF_PHONE = "+46709999999"
PUBLIC = "https://shelterbeds.test"


@pytest.fixture
def settings(database_url):
    return make_settings(database_url, twilio_auth_token=AUTH_TOKEN)


def _post(client, path, form, *, sign=True, token=AUTH_TOKEN, signature=None):
    headers = {}
    if sign:
        headers["X-Twilio-Signature"] = signature or RequestValidator(token).compute_signature(
            PUBLIC + path, form
        )
    return client.post(
        path,
        data=urlencode(form),
        headers=headers,
        content_type="application/x-www-form-urlencoded",
    )


def _inbound(sid, body, sender=STAFF_PHONE):
    return {"MessageSid": sid, "From": sender, "To": "+46700000000", "Body": body}


@pytest.fixture
def staff(session, demo):
    user = session.scalar(select(User).where(User.email == "personal.sara@example.org"))
    user.phone = STAFF_PHONE
    session.commit()
    return user


def _sara_unit(session, label):
    return session.scalar(
        select(Unit).join(Shelter).where(Shelter.slug == "sara-huset", Unit.label == label)
    )


@pytest.mark.parametrize("path", ["/twilio/sms", "/twilio/status"])
def test_missing_or_wrong_signature_is_403_problem(client, session, path):
    form = {"MessageSid": "SM1", "From": STAFF_PHONE, "Body": "OK", "MessageStatus": "sent"}
    for kwargs in ({"sign": False}, {"signature": "bm90LXZhbGlk"}, {"token": "other-token"}):
        r = _post(client, path, form, **kwargs)
        assert r.status_code == 403
        assert r.mimetype == "application/problem+json"
        assert r.json["status"] == 403
    assert session.scalar(select(func.count()).select_from(ProcessedInboundSms)) == 0


def test_signature_covers_the_body(client, session):
    form = _inbound("SM2", "OK")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + "/twilio/sms", form)
    r = _post(client, "/twilio/sms", {**form, "Body": "LEDIG 1"}, signature=signature)
    assert r.status_code == 403


def test_missing_fields_are_400_not_500(client):
    r = _post(client, "/twilio/sms", {"Body": "hej"})
    assert r.status_code == 400 and r.json["errors"] == {"MessageSid": ["Required."]}


def test_ledig_from_staff_phone_frees_the_unit_once_even_if_replayed(client, session, staff):
    unit = _sara_unit(session, "Lägenhet 5")
    assert unit.status is UnitStatus.OCCUPIED
    form = _inbound("SM100", "ledig 5")
    first = _post(client, "/twilio/sms", form)
    second = _post(client, "/twilio/sms", form)
    assert first.status_code == 200 and first.mimetype == "application/xml"
    assert "Lägenhet 5 är nu ledig" in first.get_data(as_text=True)
    assert second.get_data(as_text=True) == first.get_data(as_text=True)
    session.expire_all()
    assert _sara_unit(session, "Lägenhet 5").status is UnitStatus.FREE
    changes = session.scalar(
        select(func.count())
        .select_from(UnitStatusChange)
        .where(UnitStatusChange.unit_id == unit.id, UnitStatusChange.source == "sms")
    )
    assert changes == 1
    assert session.scalar(select(func.count()).select_from(ProcessedInboundSms)) == 1


def test_upptagen_ok_and_unknown_unit(client, session, staff):
    r = _post(client, "/twilio/sms", _inbound("SM200", "UPPTAGEN Lägenhet 1"))
    assert "upptagen" in r.get_data(as_text=True)
    session.expire_all()
    assert _sara_unit(session, "Lägenhet 1").status is UnitStatus.OCCUPIED
    r = _post(client, "/twilio/sms", _inbound("SM201", "LEDIG 99"))
    assert "Okänt rum" in r.get_data(as_text=True)
    shelter = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    shelter.confirmed_at = None
    session.commit()
    r = _post(client, "/twilio/sms", _inbound("SM202", "ok"))
    assert "bekräftade" in r.get_data(as_text=True)
    session.expire_all()
    assert session.get(Shelter, shelter.id).confirmed_at is not None


def test_the_shelters_on_call_phone_can_send_commands(client, session, demo):
    shelter = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    on_call = shelter.on_call_phones[0]
    assert not session.scalar(select(User).where(User.phone == on_call))  # not a person's
    r = _post(client, "/twilio/sms", _inbound("SM400", "LEDIG 5", sender=on_call))
    assert "Lägenhet 5 är nu ledig" in r.get_data(as_text=True)
    session.expire_all()
    unit = _sara_unit(session, "Lägenhet 5")
    assert unit.status is UnitStatus.FREE
    change = session.scalar(
        select(UnitStatusChange).where(
            UnitStatusChange.unit_id == unit.id, UnitStatusChange.source == "sms"
        )
    )
    assert change.changed_by_id is None  # the shelter's shared phone, not a person
    # Another shelter's unit with the same number is out of reach: "5" means Sara-huset's.
    orebro_rum5 = session.scalar(
        select(Unit)
        .join(Shelter)
        .where(Shelter.slug == "kvinnohuset-orebro", Unit.label == "Rum 5")
    )
    assert orebro_rum5.status is UnitStatus.OCCUPIED


def test_a_number_on_two_shelters_on_call_lists_is_not_trusted(client, session, demo):
    shared = "+46701740699"
    for shelter in session.scalars(select(Shelter)):
        shelter.on_call_phones = [*shelter.on_call_phones, shared]
    session.commit()
    r = _post(client, "/twilio/sms", _inbound("SM401", "LEDIG 5", sender=shared))
    assert "inte registrerat" in r.get_data(as_text=True)
    session.expire_all()
    assert _sara_unit(session, "Lägenhet 5").status is UnitStatus.OCCUPIED


def test_demo_staff_accounts_have_phones_that_work(client, session, demo):
    user = session.scalar(select(User).where(User.email == "personal.sara@example.org"))
    assert user.phone
    r = _post(client, "/twilio/sms", _inbound("SM402", "UPPTAGEN 1", sender=user.phone))
    assert "upptagen" in r.get_data(as_text=True)


def test_unknown_sender_cannot_change_anything(client, session, demo):
    r = _post(client, "/twilio/sms", _inbound("SM300", "LEDIG 5", sender="+46701112233"))
    assert "inte registrerat" in r.get_data(as_text=True)
    session.expire_all()
    assert _sara_unit(session, "Lägenhet 5").status is UnitStatus.OCCUPIED


@pytest.mark.parametrize("word", ["STOP", "stopp", "Avsluta"])
def test_stop_words_opt_out_and_start_opts_back_in(client, session, demo, word):
    phone = "+46704445566"
    _post(client, "/twilio/sms", _inbound("SM400", word, sender=phone))
    assert session.get(SmsOptOut, phone) is not None
    _post(client, "/twilio/sms", _inbound("SM401", "START", sender=phone))
    session.expire_all()
    assert session.get(SmsOptOut, phone) is None


def test_opt_out_shown_on_the_staff_page(app, client, session, staff):
    shelter = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    on_call = shelter.on_call_phones[0]
    _post(client, "/twilio/sms", _inbound("SM500", "STOPP", sender=on_call))
    app.config["WTF_CSRF_ENABLED"] = False  # signing in by form post in a test
    r = client.post("/login", data={"email": staff.email, "password": "demo-password-123"})
    assert r.status_code == 302
    page = client.get("/shelter").get_data(as_text=True)
    assert on_call in page and "STOP" in page


def test_status_callback_moves_forward_and_replay_changes_nothing(client, session, demo):
    row = outbox.enqueue(session, kind="test", to="+46701234567", body="hej", now=demo_now())
    row.status, row.provider_id = OutboxStatus.SENT, "SMabc"
    session.commit()
    form = {"MessageSid": "SMabc", "MessageStatus": "delivered"}
    for _ in range(2):
        assert _post(client, "/twilio/status", form).status_code == 204
    late = {"MessageSid": "SMabc", "MessageStatus": "sent"}
    assert _post(client, "/twilio/status", late).status_code == 204
    session.expire_all()
    assert session.get(OutboxMessage, row.id).status is OutboxStatus.DELIVERED


def test_status_callback_21610_records_opt_out(client, session, demo):
    row = outbox.enqueue(session, kind="test", to="+46701234500", body="hej", now=demo_now())
    row.status, row.provider_id = OutboxStatus.SENT, "SMdef"
    session.commit()
    form = {"MessageSid": "SMdef", "MessageStatus": "undelivered", "ErrorCode": "21610"}
    _post(client, "/twilio/status", form)
    session.expire_all()
    assert session.get(OutboxMessage, row.id).status is OutboxStatus.UNDELIVERABLE
    assert session.get(SmsOptOut, "+46701234500") is not None


def demo_now():
    from shelterbeds.domain.clock import utcnow

    return utcnow()


def test_status_callback_with_attempt_marker_resolves_an_unknown_send(client, session, demo):
    row = outbox.enqueue(session, kind="test", to="+46701234501", body="hej", now=demo_now())
    row.status, row.attempt_token, row.attempts = OutboxStatus.UNKNOWN, "a" * 32, 1
    session.commit()
    path = f"/twilio/status?o={row.id}&t={'a' * 32}"
    form = {"MessageSid": "SMmarker", "MessageStatus": "sent"}
    assert _post(client, path, form).status_code == 204
    wrong = f"/twilio/status?o={row.id}&t={'b' * 32}"
    assert (
        _post(client, wrong, {"MessageSid": "SMother", "MessageStatus": "sent"}).status_code == 204
    )
    session.expire_all()
    got = session.get(OutboxMessage, row.id)
    assert got.status is OutboxStatus.SENT and got.provider_id == "SMmarker"
