"""Two shelters refusing the same household at the same moment: still one episode.

Real threads, one connection each, real commits (PostgreSQL: advisory lock per household;
SQLite: BEGIN IMMEDIATE serialises writers).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelterbeds.domain.clock import utcnow
from shelterbeds.models import Shelter, TurnAway
from shelterbeds.services import auth
from shelterbeds.services.demo import load_demo
from shelterbeds.services.turnaways import record_turnaway
from tests.support.factories import DEMO_PASSWORD

SECRET = "concurrency-secret"
STAFF = {
    "kvinnohuset-orebro": "personal.orebro@example.org",
    "kvinnohuset-karlskoga": "personal.karlskoga@example.org",
    "sara-huset": "personal.sara@example.org",
}


def _load_demo(engine):
    with Session(engine) as session:
        load_demo(session, utcnow(), password=DEMO_PASSWORD)
        session.commit()


def _refuse(engine, slug, case_ref, *, before_commit=None):
    """Record one refusal in its own transaction; `before_commit` runs with the lock held."""
    with Session(engine) as session:
        actor = auth.user_by_email(session, STAFF[slug])
        shelter_id = session.scalar(select(Shelter.id).where(Shelter.slug == slug))
        now = utcnow()
        turnaway = record_turnaway(
            session,
            actor,
            shelter_id=shelter_id,
            adults=1,
            children=1,
            reason="capacity",
            channel="phone",
            now=now,
            occurred_at=now - timedelta(minutes=1),
            municipality_code="1880",
            case_ref=case_ref,
            episode_key_secret=SECRET,
            episode_hours=72,
        )
        if before_commit:
            before_commit()
        session.commit()
        return turnaway.id


def _run(targets):
    errors, threads = [], []

    def wrap(target):
        try:
            target()
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    for target in targets:
        threads.append(threading.Thread(target=wrap, args=(target,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert errors == []


def _episodes(engine):
    with Session(engine) as session:
        return session.execute(
            select(func.count(), func.count(func.distinct(TurnAway.episode_id)))
        ).one()


def test_second_refusal_waits_for_the_first_and_joins_its_episode(committed_engine):
    _load_demo(committed_engine)
    first_flushed = threading.Event()

    def first():
        # Hold the transaction open after the episode is written but before it is committed:
        # without a per-household lock the second transaction would not see it.
        _refuse(
            committed_engine,
            "kvinnohuset-orebro",
            "SoS 2026/99",
            before_commit=lambda: (first_flushed.set(), time.sleep(0.5)),
        )

    def second():
        assert first_flushed.wait(timeout=30)
        _refuse(committed_engine, "sara-huset", "sos 2026/99")

    _run([first, second])
    assert tuple(_episodes(committed_engine)) == (2, 1)


def test_many_shelters_at_once_make_one_episode(committed_engine):
    _load_demo(committed_engine)
    start = threading.Barrier(len(STAFF))

    def refuse(slug):
        def go():
            start.wait(timeout=30)
            _refuse(committed_engine, slug, "K-SAME-1")

        return go

    _run([refuse(slug) for slug in STAFF])
    assert tuple(_episodes(committed_engine)) == (len(STAFF), 1)
