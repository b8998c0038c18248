"""Clock jobs run directly: stale-vacancy nudges (idempotent) and the outbox sweep."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from shelterbeds.db import Database, is_sqlite
from shelterbeds.domain.clock import utcnow
from shelterbeds.extensions import db
from shelterbeds.jobs import JobContext
from shelterbeds.jobs.nudges import nudge_stale_shelters
from shelterbeds.jobs.sms import send_outbox
from shelterbeds.models import OutboxMessage, OutboxStatus, Shelter
from shelterbeds.notifications import outbox
from shelterbeds.notifications.senders import RecordingSender

MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 local


@pytest.fixture
def ctx(settings):
    return JobContext(db, settings, RecordingSender(), now=lambda: MORNING)


def test_stale_nudge_once_per_slot_to_stale_shelters_only(session, demo, ctx):
    sara = session.scalar(select(Shelter).where(Shelter.slug == "sara-huset"))
    orebro = session.scalar(select(Shelter).where(Shelter.slug == "kvinnohuset-orebro"))
    karlskoga = session.scalar(select(Shelter).where(Shelter.slug == "kvinnohuset-karlskoga"))
    sara.confirmed_at = MORNING - timedelta(hours=13)  # stale
    orebro.confirmed_at = None  # never confirmed
    karlskoga.confirmed_at = MORNING - timedelta(hours=1)  # fresh
    session.commit()
    assert nudge_stale_shelters(ctx, "08:00") == 2
    assert nudge_stale_shelters(ctx, "08:00") == 0  # a double run changes nothing
    sent = ctx.sender.sent
    assert {m.to for m in sent} == {sara.on_call_phones[0], orebro.on_call_phones[0]}
    assert all(len(m.body) <= 160 and "/shelter" in m.body for m in sent)
    assert any("13 h" in m.body for m in sent) and any("aldrig" in m.body for m in sent)
    assert nudge_stale_shelters(ctx, "19:00") == 2  # the evening slot is a new nudge


def test_send_outbox_job_sends_due_rows(session, demo, ctx):
    row = outbox.enqueue(session, kind="t", to="+46701234567", body="hej", now=MORNING)
    later = outbox.enqueue(
        session, kind="t", to="+46701234568", body="sen", now=MORNING + timedelta(hours=1)
    )
    session.commit()
    assert send_outbox(ctx) == 1
    session.expire_all()
    assert session.get(OutboxMessage, row.id).status is OutboxStatus.SENT
    assert session.get(OutboxMessage, later.id).status is OutboxStatus.QUEUED


@pytest.mark.postgres_only
def test_concurrent_claimers_never_share_a_row(database_url, committed_engine):
    if is_sqlite(committed_engine):
        pytest.skip("SKIP LOCKED and real parallel writers: PostgreSQL")
    now = utcnow()
    with committed_engine.begin() as conn:
        for i in range(40):
            conn.execute(
                OutboxMessage.__table__.insert().values(
                    created_at=now,
                    kind="t",
                    to_phone=f"+4670123{i:04d}",
                    body="x",
                    status=OutboxStatus.QUEUED,
                    attempts=0,
                    next_attempt_at=now,
                )
            )
    database = Database()
    database.init(database_url)
    claimed: list[list[int]] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        mine: list[int] = []
        for _ in range(10):
            with database.transaction() as s:
                mine += [c.id for c in outbox.claim_due(s, utcnow(), limit=3)]
        claimed.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    database.engine.dispose()
    ids = [i for mine in claimed for i in mine]
    assert len(ids) == len(set(ids)) == 40
    with committed_engine.connect() as conn:
        attempts = conn.execute(text("SELECT max(attempts) FROM sms_outbox")).scalar()
        sending = conn.execute(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENDING)
        ).scalar()
    assert attempts == 1 and sending == 40
