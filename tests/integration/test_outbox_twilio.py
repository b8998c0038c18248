"""The outbox through the real twilio client with a fake HTTP transport: never a duplicate."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shelterbeds.extensions import db
from shelterbeds.models import OutboxMessage, OutboxStatus, SmsOptOut
from shelterbeds.notifications import callbacks, outbox
from shelterbeds.notifications.outbox import OutboxPolicy, dispatch, reconcile_unknown
from shelterbeds.notifications.twilio_sender import TwilioSender
from tests.support.sms import ACCOUNT, AUTH_TOKEN, Clock, FakeTwilioHttp

PHONE = "+46701234567"
POLICY = OutboxPolicy(max_attempts=3)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def twilio_settings(settings):
    return settings.with_overrides(
        {
            "sms_backend": "twilio",
            "twilio_account_sid": ACCOUNT,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_from": "+46700000000",
        }
    )


def _sender(twilio_settings, http):
    return TwilioSender.from_settings(twilio_settings, http_client=http)


def _queue(session, clock, body="Ledig plats: https://shelterbeds.test/search"):
    row = outbox.enqueue(session, kind="test", to=PHONE, body=body, now=clock())
    session.commit()
    return row.id


def _row(session, message_id):
    session.expire_all()
    return session.get(OutboxMessage, message_id)


def _run(sender, clock):
    """What the clock's send job does once."""
    dispatch(db.new_session, sender, clock, POLICY)
    reconcile_unknown(db.new_session, sender, clock, POLICY)


def test_success_sends_once_with_callback_and_from(session, clock, twilio_settings):
    http = FakeTwilioHttp(clock, ["ok"])
    sender = _sender(twilio_settings, http)
    message_id = _queue(session, clock)
    _run(sender, clock)
    _run(sender, clock)  # a second sweep finds nothing to do
    row = _row(session, message_id)
    assert row.status is OutboxStatus.SENT
    assert row.provider_id == http.created[0]["sid"]
    assert len(http.posts) == 1
    post = http.posts[0]
    assert post["To"] == PHONE and post["From"] == "+46700000000"
    assert post["StatusCallback"].startswith("https://shelterbeds.test/twilio/status?o=")


def test_timeout_after_twilio_created_it_is_reconciled_not_resent(session, clock, twilio_settings):
    http = FakeTwilioHttp(clock, ["timeout_after_create"])
    sender = _sender(twilio_settings, http)
    message_id = _queue(session, clock)
    _run(sender, clock)
    assert _row(session, message_id).status is OutboxStatus.UNKNOWN
    clock.advance(minutes=1)
    _run(sender, clock)  # too early to reconcile: still waiting for the status callback
    assert _row(session, message_id).status is OutboxStatus.UNKNOWN
    clock.advance(minutes=2)
    _run(sender, clock)
    row = _row(session, message_id)
    assert row.status is OutboxStatus.SENT
    assert row.provider_id == http.created[0]["sid"]
    assert len(http.posts) == 1 and len(http.created) == 1  # no duplicate


def test_timeout_before_twilio_is_resent_once_proven_absent(session, clock, twilio_settings):
    http = FakeTwilioHttp(clock, ["timeout_before_create", "ok"])
    sender = _sender(twilio_settings, http)
    message_id = _queue(session, clock)
    _run(sender, clock)
    clock.advance(minutes=3)
    _run(sender, clock)  # reconciled: not at Twilio -> queued with backoff
    row = _row(session, message_id)
    assert row.status is OutboxStatus.QUEUED and row.attempts == 1
    clock.advance(minutes=1)
    _run(sender, clock)
    row = _row(session, message_id)
    assert row.status is OutboxStatus.SENT and row.attempts == 2
    assert len(http.created) == 1


def test_unknown_outcome_with_failing_lookup_gives_up_without_resending(
    session, clock, twilio_settings
):
    http = FakeTwilioHttp(clock, ["timeout_before_create"])
    http.list_fails = True
    sender = _sender(twilio_settings, http)
    message_id = _queue(session, clock)
    _run(sender, clock)
    clock.advance(hours=1)
    _run(sender, clock)
    assert _row(session, message_id).status is OutboxStatus.UNKNOWN
    clock.advance(hours=6)
    _run(sender, clock)
    row = _row(session, message_id)
    assert row.status is OutboxStatus.FAILED
    assert "outcome unknown" in row.error_message
    assert len(http.posts) == 1


def test_429_retries_with_backoff_and_is_bounded(session, clock, twilio_settings):
    http = FakeTwilioHttp(clock, [429, 429, 429, "ok"])
    sender = _sender(twilio_settings, http)
    message_id = _queue(session, clock)
    _run(sender, clock)
    row = _row(session, message_id)
    assert row.status is OutboxStatus.QUEUED and row.error_code == "20429"
    first_delay = row.next_attempt_at - clock()
    _run(sender, clock)  # not due yet: nothing sent
    assert len(http.posts) == 1
    clock.advance(seconds=first_delay.total_seconds())
    _run(sender, clock)
    row = _row(session, message_id)
    assert row.next_attempt_at - clock() == 2 * first_delay  # exponential
    clock.advance(hours=1)
    _run(sender, clock)
    row = _row(session, message_id)
    assert row.status is OutboxStatus.FAILED and row.attempts == POLICY.max_attempts
    clock.advance(hours=1)
    _run(sender, clock)
    assert len(http.posts) == POLICY.max_attempts  # bounded: the fourth "ok" never used


def test_500_is_reconciled_so_a_created_message_is_not_duplicated(session, clock, twilio_settings):
    http = FakeTwilioHttp(clock, ["500_after_create", 500, "ok"])
    sender = _sender(twilio_settings, http)
    first = _queue(session, clock, body="first")
    _run(sender, clock)
    clock.advance(minutes=3)
    _run(sender, clock)
    assert _row(session, first).status is OutboxStatus.SENT
    assert len(http.posts) == 1

    second = _queue(session, clock, body="second")
    _run(sender, clock)  # 500 and not created
    clock.advance(minutes=3)
    _run(sender, clock)  # proven absent -> queued again
    clock.advance(minutes=5)
    _run(sender, clock)
    assert _row(session, second).status is OutboxStatus.SENT
    bodies = [m["body"] for m in http.created]
    assert bodies.count("first") == 1 and bodies.count("second") == 1


def test_21610_marks_undeliverable_and_records_opt_out(session, clock, twilio_settings):
    http = FakeTwilioHttp(clock, [21610])
    sender = _sender(twilio_settings, http)
    first = _queue(session, clock)
    _run(sender, clock)
    row = _row(session, first)
    assert row.status is OutboxStatus.UNDELIVERABLE and row.error_code == "21610"
    assert session.get(SmsOptOut, PHONE) is not None
    # Later messages to the number are skipped without calling Twilio.
    second = _queue(session, clock, body="another")
    _run(sender, clock)
    assert _row(session, second).status is OutboxStatus.UNDELIVERABLE
    assert len(http.posts) == 1


def test_status_callbacks_only_move_forward(session, clock, twilio_settings):
    http = FakeTwilioHttp(clock, ["ok"])
    message_id = _queue(session, clock)
    _run(_sender(twilio_settings, http), clock)
    sid = http.created[0]["sid"]
    for status in ("delivered", "sent", "queued", "failed", "delivered"):
        callbacks.apply_status_callback(
            session, message_sid=sid, message_status=status, error_code=None, now=clock()
        )
    session.commit()
    assert _row(session, message_id).status is OutboxStatus.DELIVERED


def test_callback_for_an_unknown_attempt_resolves_it(session, clock, twilio_settings):
    http = FakeTwilioHttp(clock, ["timeout_after_create"])
    message_id = _queue(session, clock)
    _run(_sender(twilio_settings, http), clock)
    row = _row(session, message_id)
    assert row.status is OutboxStatus.UNKNOWN
    callbacks.apply_status_callback(
        session,
        message_sid=http.created[0]["sid"],
        message_status="sent",
        error_code=None,
        now=clock(),
        outbox_id=row.id,
        token=row.attempt_token,
    )
    session.commit()
    row = _row(session, message_id)
    assert row.status is OutboxStatus.SENT and row.provider_id == http.created[0]["sid"]
    clock.advance(minutes=10)
    _run(_sender(twilio_settings, http), clock)
    assert len(http.posts) == 1


def test_claim_is_exclusive(session, clock):
    message_id = _queue(session, clock)
    first = outbox.claim_due(session, clock())
    second = outbox.claim_due(session, clock())
    session.commit()
    assert [c.id for c in first] == [message_id]
    assert second == []
    assert (
        session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message_id))
        is OutboxStatus.SENDING
    )


def test_messaging_service_and_validity_period_are_passed(session, clock, twilio_settings):
    settings = twilio_settings.with_overrides(
        {"twilio_from": "", "twilio_messaging_service_sid": "MG" + "1" * 32}
    )
    http = FakeTwilioHttp(clock, ["ok"])
    outbox.enqueue(
        session, kind="t", to=PHONE, body="brådskande", now=clock(), validity_seconds=900
    )
    session.commit()
    _run(_sender(settings, http), clock)
    post = http.posts[0]
    assert post["MessagingServiceSid"] == "MG" + "1" * 32 and "From" not in post
    assert str(post["ValidityPeriod"]) == "900"


def test_twilio_sender_needs_a_from_number(twilio_settings):
    with pytest.raises(ValueError):
        TwilioSender.from_settings(twilio_settings.with_overrides({"twilio_from": ""}))


def test_row_abandoned_in_sending_by_a_dead_worker_is_reconciled(session, clock, twilio_settings):
    http = FakeTwilioHttp(clock, ["ok"])
    sender = _sender(twilio_settings, http)
    message_id = _queue(session, clock)
    claims = outbox.claim_due(session, clock())  # the worker claims, then dies
    session.commit()
    assert [c.id for c in claims] == [message_id]
    _run(sender, clock)
    assert _row(session, message_id).status is OutboxStatus.SENDING  # not yet: it may be busy
    clock.advance(minutes=3)
    _run(sender, clock)  # proven absent at Twilio -> queued again with backoff
    clock.advance(minutes=5)
    _run(sender, clock)
    row = _row(session, message_id)
    assert row.status is OutboxStatus.SENT and row.attempts == 2
    assert len(http.created) == 1


@pytest.mark.parametrize("messages", [1, 3])  # one row (its row count), or a batch
def test_a_delivery_report_before_the_send_is_recorded_stands(
    session, clock, twilio_settings, caplog, messages
):
    """The provider reports delivery of the first message while its answer to the send is
    still on the way: the `sent` written afterwards must not overwrite it, and the log says
    the row had moved on instead of claiming `sent` was recorded; the others are `sent`."""
    from urllib.parse import parse_qs, urlsplit

    http = FakeTwilioHttp(clock, ["ok"] * messages)
    twilio = _sender(twilio_settings, http)
    reported: list[int] = []

    class ReportsFirst:
        def send(self, message):
            sid = twilio.send(message)
            query = parse_qs(urlsplit(message.status_callback).query)
            if not reported:
                reported.append(int(query["o"][0]))
                with db.new_session() as other, other.begin():  # the callback's own request
                    callbacks.apply_status_callback(
                        other,
                        message_sid=sid,
                        message_status="delivered",
                        error_code=None,
                        now=clock(),
                        outbox_id=reported[0],
                        token=query["t"][0],
                    )
            return sid

        def find_sent(self, to, body, since):
            return twilio.find_sent(to, body, since)

    ids = [_queue(session, clock, body=f"Ledig plats {n}") for n in range(messages)]
    caplog.set_level("INFO", logger="shelterbeds.sms")
    dispatch(db.new_session, ReportsFirst(), clock, POLICY)
    statuses = {i: _row(session, i).status for i in ids}
    assert statuses.pop(reported[0]) is OutboxStatus.DELIVERED
    assert set(statuses.values()) <= {OutboxStatus.SENT} and len(statuses) == messages - 1
    assert caplog.text.count("already moved on by a callback") == 1
    assert len(http.posts) == messages
