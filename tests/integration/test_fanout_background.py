"""Freeing a unit that 1,000 subscriptions match answers at once; every SMS still goes out,
each exactly once, with the clock's sweep sending alongside (issue 10, the fan-out)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scripts.bench_data import fanout_subscriptions
from shelterbeds import create_app
from shelterbeds.domain.clock import utcnow
from shelterbeds.domain.enums import ChangeSource, UnitStatus
from shelterbeds.extensions import db
from shelterbeds.jobs.context import JobContext
from shelterbeds.jobs.sms import send_outbox
from shelterbeds.models import OutboxMessage, OutboxStatus, User
from shelterbeds.notifications.after_commit import EXTENSION_KEY, get_background
from shelterbeds.notifications.senders import OutgoingSms, RecordingSender
from shelterbeds.services import auth, units, versions
from shelterbeds.services.demo import load_demo
from tests.support.factories import DEMO_PASSWORD, SOCIALJOUR, STAFF_SARA, make_settings, unit_at

SUBSCRIBERS = 1_000
SEND_SECONDS = 0.004  # per SMS: 1,000 take at least 4 s to hand over


class SlowSender(RecordingSender):
    """A recording sender that takes a provider's time per message."""

    def send(self, message: OutgoingSms) -> str:
        time.sleep(SEND_SECONDS)
        return super().send(message)


@pytest.fixture
def fanout_app(committed_engine: Any, database_url: str) -> Any:
    """The demo and 1,000 matching subscriptions, committed; an app on its own engine."""
    with Session(committed_engine) as session:
        load_demo(session, utcnow(), password=DEMO_PASSWORD)
        # The benchmark's own 1,000 (one woman, any shelter), owned by the socialjour.
        fanout_subscriptions(session, SimpleNamespace(social_worker_email=SOCIALJOUR), SUBSCRIBERS)  # type: ignore[arg-type]
        staff = auth.user_by_email(session, STAFF_SARA)
        token = auth.create_token(session, staff, "t", utcnow())[1]
        unit_id = unit_at(session, "sara-huset", "Lägenhet 1").id
        session.commit()
    settings = make_settings(database_url, outbox_sweep_seconds=1)
    app = create_app(settings)
    app.testing = True
    sender = app.extensions[EXTENSION_KEY] = SlowSender()
    yield app, sender, {"Authorization": f"Bearer {token}"}, unit_id, settings
    background = get_background(app)
    if background is not None:
        background.stop()
    if db.engine is not None:
        versions.close_reader(db.engine)
        db.engine.dispose()


def test_freeing_a_unit_answers_before_its_1000_alerts_are_sent(fanout_app, committed_engine):
    app, sender, headers, unit_id, settings = fanout_app
    client = app.test_client()
    url = f"/api/v1/units/{unit_id}/status"
    assert client.put(url, json={"status": "occupied"}, headers=headers).status_code == 200

    started = time.perf_counter()
    r = client.put(url, json={"status": "free"}, headers=headers)
    answered = time.perf_counter() - started
    sent_when_answered = len(sender.sent)
    assert r.status_code == 200, r.json
    # The answer did not wait for the sender: handing 1,000 over takes >= 4 s.
    assert sent_when_answered < SUBSCRIBERS
    assert answered < SUBSCRIBERS * SEND_SECONDS

    # The clock's sweep runs meanwhile, on its own connections, with the same provider.
    clock = JobContext(db, settings, sender)
    sweeping = threading.Event()

    def sweep() -> None:
        while not sweeping.is_set():
            send_outbox(clock)
            time.sleep(0.05)

    sweeper = threading.Thread(target=sweep)
    sweeper.start()
    try:
        background = get_background(app)
        assert background is not None and background.wait_idle(120)
        deadline = time.monotonic() + 60
        while len(sender.sent) < SUBSCRIBERS and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        sweeping.set()
        sweeper.join()
    send_outbox(clock)  # once more: nothing is left to send

    per_phone = Counter(m.to for m in sender.sent)
    assert len(per_phone) == SUBSCRIBERS
    assert set(per_phone.values()) == {1}  # each subscriber exactly once
    with Session(committed_engine) as session:
        by_status = dict(
            session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.kind == "unit_free", OutboxMessage.unit_id == unit_id)
                .group_by(OutboxMessage.status)
            ).all()
        )
    assert by_status == {OutboxStatus.SENT: SUBSCRIBERS}


def test_alerts_committed_by_a_web_process_that_died_are_sent_by_the_clock(
    fanout_app, committed_engine
):
    """The unit is freed and committed, and nothing after the commit runs (the process
    died): every alert is still sent, once, by the clock's sweep."""
    _app, _sender, _headers, unit_id, settings = fanout_app
    with Session(committed_engine) as session:
        staff = session.scalar(select(User).where(User.email == STAFF_SARA))
        for status in (UnitStatus.OCCUPIED, UnitStatus.FREE):
            units.set_unit_status(session, staff, unit_id, status, utcnow(), ChangeSource.API)
        session.commit()
    clock = JobContext(db, settings, RecordingSender())
    while send_outbox(clock):
        pass
    sent = clock.sender.sent  # type: ignore[attr-defined]
    assert len({m.to for m in sent}) == len(sent) == SUBSCRIBERS
