"""Races for one unit with real commits on separate connections: never two active holds.

PostgreSQL: threads, each with its own connection. SQLite: processes on the same file
(the deployment shape there: several workers on one machine).
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from shelterbeds.db import is_sqlite, make_engine
from shelterbeds.domain.clock import utcnow
from shelterbeds.domain.enums import Sex
from shelterbeds.domain.errors import Conflict
from shelterbeds.domain.matching import Child, Household, Needs
from shelterbeds.domain.requests import DeclineReason, Urgency
from shelterbeds.domain.turnaways import EpisodePolicy
from shelterbeds.models import Placement, PlacementRequest, Unit, User
from shelterbeds.services import holds
from shelterbeds.services import requests as svc
from shelterbeds.services.requests import RequestInput
from tests.support.factories import (
    demo_with_one_free_unit,
    on_postgres,
    on_sqlite,
)

SOCIALJOUR = "socialjour.orebro@example.org"

EPISODES = EpisodePolicy(secret="test-secret", hours=72)


def _input(unit_id: int, case_ref: str = "SJ-RACE") -> RequestInput:
    return RequestInput(
        unit_id=unit_id,
        municipality_code="1880",
        case_ref=case_ref,
        household=Household(1, (Child(4, Sex.FEMALE),)),
        needs=Needs(),
        urgency=Urgency.IMMEDIATE,
        callback_phone="+46701234567",
    )


_setup = demo_with_one_free_unit


def _attempt(engine: Engine, user_id: int, work: Callable[[Session, User], Any]) -> Any:
    """Run `work` in its own session and transaction; 'conflict' if it raised Conflict."""
    with Session(engine) as session:
        try:
            result = work(session, session.get_one(User, user_id))
            session.commit()
            return result
        except Conflict:
            session.rollback()
            return "conflict"


def _race(n: int, job: Callable[[int], Any]) -> list[Any]:
    """Start n threads at once (barrier); return each result or the exception it raised."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = job(i)
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def _state(engine: Engine, unit_id: int) -> tuple[str, int, int]:
    with Session(engine) as session:
        unit = session.get_one(Unit, unit_id)
        pending = session.scalar(
            select(func.count())
            .select_from(PlacementRequest)
            .where(PlacementRequest.unit_id == unit_id, PlacementRequest.status == "pending")
        )
        active = session.scalar(
            select(func.count())
            .select_from(Placement)
            .where(Placement.unit_id == unit_id, Placement.ended_at.is_(None))
        )
        return unit.status.value, pending, active


@pytest.fixture
def race_engine(committed_engine: Engine) -> Any:
    """An engine without pooling: every session opens a connection of its own."""
    engine = make_engine(
        str(committed_engine.url.render_as_string(hide_password=False)), poolclass=NullPool
    )
    yield engine
    engine.dispose()


def _request_job(
    engine: Engine, ids: dict[str, int], key: str | None = None
) -> Callable[[int], Any]:
    def job(i: int) -> Any:
        def work(session: Session, user: User) -> Any:
            req = svc.request_unit(
                session, user, _input(ids["unit"]), utcnow(), 60, idempotency_key=key
            )
            return req.id

        return _attempt(engine, ids["social_worker"], work)

    return job


@on_postgres
def test_fifty_threads_race_for_the_last_free_unit(race_engine):
    ids = _setup(race_engine)
    results = _race(50, _request_job(race_engine, ids))
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    outcome = Counter("conflict" if r == "conflict" else "hold" for r in results)
    assert outcome == {"hold": 1, "conflict": 49}
    assert _state(race_engine, ids["unit"]) == ("held", 1, 0)


@on_postgres
def test_same_idempotency_key_at_once_makes_one_request(race_engine):
    ids = _setup(race_engine)
    results = _race(8, _request_job(race_engine, ids, key="same-key"))
    assert [r for r in results if isinstance(r, Exception)] == []
    assert len(set(results)) == 1 and results[0] != "conflict"
    with Session(race_engine) as session:
        assert session.scalar(select(func.count()).select_from(PlacementRequest)) == 1


def _pending_request(engine: Engine, ids: dict[str, int], now: Any) -> int:
    with Session(engine) as session:
        user = session.get_one(User, ids["social_worker"])
        req = svc.request_unit(session, user, _input(ids["unit"]), now, 60)
        session.commit()
        return req.id


@on_postgres
@pytest.mark.parametrize("round_", range(5))
def test_accept_racing_expiry(race_engine, round_):
    ids = _setup(race_engine)
    now = utcnow()
    rid = _pending_request(race_engine, ids, now)

    def job(i: int) -> Any:
        if i == 0:
            return _attempt(
                race_engine,
                ids["staff"],
                lambda s, u: svc.accept(s, u, rid, now + timedelta(minutes=59)).id,
            )
        later = now + timedelta(minutes=61)
        return _attempt(race_engine, ids["staff"], lambda s, u: holds.expire_holds(s, later))

    accepted, expired = _race(2, job)
    assert not isinstance(accepted, Exception) and not isinstance(expired, Exception)
    # Exactly one of them happened, and the unit agrees with it.
    assert (accepted == "conflict") != (expired == 0)
    status, pending, active = _state(race_engine, ids["unit"])
    if accepted == "conflict":
        assert (status, pending, active) == ("free", 0, 0)
    else:
        assert (status, pending, active) == ("occupied", 0, 1)


@on_postgres
@pytest.mark.parametrize("round_", range(5))
def test_decline_racing_withdraw(race_engine, round_):
    ids = _setup(race_engine)
    rid = _pending_request(race_engine, ids, utcnow())

    def job(i: int) -> Any:
        if i == 0:
            return _attempt(
                race_engine,
                ids["staff"],
                lambda s, u: (
                    svc.decline(
                        s, u, rid, DeclineReason.CAPACITY, utcnow(), episodes=EPISODES
                    ).status.value
                ),
            )
        return _attempt(
            race_engine,
            ids["social_worker"],
            lambda s, u: svc.withdraw(s, u, rid, utcnow()).status.value,
        )

    results = _race(2, job)
    assert sorted(map(str, results)) in (["conflict", "declined"], ["conflict", "withdrawn"])
    assert _state(race_engine, ids["unit"]) == ("free", 0, 0)
    with Session(race_engine) as session:
        final = session.get_one(PlacementRequest, rid).status.value
    assert final in results


def _process_worker(url: str, ids: dict[str, int], start: Any, out: Any) -> None:
    """One process: its own engine on the same SQLite file, then the race."""
    engine = make_engine(url, poolclass=NullPool)
    start.wait()
    try:
        out.put(_request_job(engine, ids)(0))
    except Exception as exc:  # reported to the parent
        out.put(f"error: {exc!r}")
    finally:
        engine.dispose()


@on_sqlite
def test_four_processes_race_on_sqlite(race_engine):
    assert is_sqlite(race_engine)
    ids = _setup(race_engine)
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(4), ctx.Queue()
    url = race_engine.url.render_as_string(hide_password=False)
    procs = [ctx.Process(target=_process_worker, args=(url, ids, start, out)) for _ in range(4)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    assert [r for r in results if isinstance(r, str) and r.startswith("error")] == []
    outcome = Counter("conflict" if r == "conflict" else "hold" for r in results)
    assert outcome == {"hold": 1, "conflict": 3}
    assert _state(race_engine, ids["unit"]) == ("held", 1, 0)


@on_sqlite
def test_threads_race_on_sqlite_too(race_engine):
    ids = _setup(race_engine)
    results = _race(8, _request_job(race_engine, ids))
    assert [r for r in results if isinstance(r, Exception)] == []
    assert Counter("conflict" if r == "conflict" else "hold" for r in results) == {
        "hold": 1,
        "conflict": 7,
    }
    assert _state(race_engine, ids["unit"]) == ("held", 1, 0)
