"""The embedded default as newcomers run it: gunicorn (2 workers) on a SQLite file, console SMS.

Every step of the request lifecycle answers quickly and prints its SMS in the same request;
racing decisions give one winner and 409s, never a 5xx. (These ran 30 s each and lost their
SMS when the after-commit send waited on the request's own write lock.)
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shelterbeds.db import make_engine
from shelterbeds.domain.clock import utcnow
from shelterbeds.domain.enums import UnitStatus
from shelterbeds.migrate import upgrade
from shelterbeds.models import Unit, User
from shelterbeds.services import auth
from shelterbeds.services.demo import load_demo
from shelterbeds.services.reference import ensure_reference_data
from tests.support.factories import (
    DEMO_PASSWORD,
    PG_URL,
    SOCIALJOUR,
    STAFF_SARA,
    request_body,
    unit_at,
)
from tests.support.live import gunicorn

pytestmark = pytest.mark.skipif(
    PG_URL.startswith("postgresql"), reason="the embedded SQLite default (runs in the SQLite pass)"
)
FAST = 2.0  # seconds: the bound for every step through gunicorn on SQLite
SMS_LINE = re.compile(r"\[sms\] to \+\d+\*+\d+: ")


@pytest.fixture
def embedded(tmp_path):
    """A migrated SQLite file with the demo; tokens for the socialjour and Sara-huset's staff."""
    url = f"sqlite:///{tmp_path / 'embedded.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        ensure_reference_data(session)
        load_demo(session, utcnow(), password=DEMO_PASSWORD)
        tokens = {}
        for email in (SOCIALJOUR, STAFF_SARA):
            user = session.scalar(select(User).where(User.email == email))
            tokens[email] = auth.create_token(session, user, "live", utcnow())[1]
        free = [unit_at(session, "sara-huset", label).id for label in ("Lägenhet 1", "Lägenhet 2")]
        session.commit()
    yield url, engine, tokens, free
    engine.dispose()


def _sms_count(server: Any) -> int:
    return len(SMS_LINE.findall(server.log()))


def test_every_lifecycle_step_is_fast_and_sends_its_sms(embedded, tmp_path):
    url, engine, tokens, (unit_a, unit_b) = embedded
    sw, staff = tokens[SOCIALJOUR], tokens[STAFF_SARA]
    with gunicorn(url, tmp_path) as server:

        def step(method: str, path: str, body: Any, token: str, status: int) -> Any:
            before = _sms_count(server)
            answer = server.call(method, path, body, token)
            assert answer.status == status, answer.body
            assert answer.seconds < FAST, f"{method} {path} took {answer.seconds:.1f}s"
            # The SMS leaves after the answer (the web process's background sender).
            deadline = time.monotonic() + 10
            while _sms_count(server) <= before and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _sms_count(server) > before, f"{method} {path} printed no SMS"
            return answer.body

        created = step("POST", "/api/v1/requests", request_body(unit_a), sw, 201)
        step("POST", f"/api/v1/requests/{created['id']}/accept", {}, staff, 200)
        placements = server.call("GET", "/api/v1/placements", token=sw).body
        placement = next(p for p in placements if p["request_id"] == created["id"])
        step(
            "POST", f"/api/v1/placements/{placement['id']}/end", {"reason": "own_housing"}, sw, 200
        )

        second = step("POST", "/api/v1/requests", request_body(unit_b, case_ref="SJ-2"), sw, 201)
        step("POST", f"/api/v1/requests/{second['id']}/decline", {"reason": "capacity"}, staff, 200)
        third = step("POST", "/api/v1/requests", request_body(unit_b, case_ref="SJ-3"), sw, 201)
        step("POST", f"/api/v1/requests/{third['id']}/withdraw", {}, sw, 200)
        log = server.log()
        assert f"{server.url}/requests" in log  # links follow the port
    assert "database is locked" not in log
    assert "Traceback" not in log


def test_racing_decisions_give_one_winner_and_409s(embedded, tmp_path):
    url, engine, tokens, (unit_a, unit_b) = embedded
    sw, staff = tokens[SOCIALJOUR], tokens[STAFF_SARA]
    with gunicorn(url, tmp_path, workers=4) as server:
        for round_no, unit_id in enumerate((unit_a, unit_b, unit_a, unit_b)):
            created = server.call(
                "POST", "/api/v1/requests", request_body(unit_id, case_ref=f"R-{round_no}"), sw
            )
            assert created.status == 201, created.body
            rid = created.body["id"]
            calls = [
                (f"/api/v1/requests/{rid}/accept", {}, staff),
                (f"/api/v1/requests/{rid}/decline", {"reason": "capacity"}, staff),
                (f"/api/v1/requests/{rid}/withdraw", {}, sw),
            ]
            barrier = threading.Barrier(len(calls))
            codes: list[int] = []

            def run(path: str, body: dict, token: str, barrier=barrier, codes=codes) -> None:
                barrier.wait()
                codes.append(server.call("POST", path, body, token).status)

            threads = [threading.Thread(target=run, args=c) for c in calls]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert Counter(codes) == {200: 1, 409: 2}, codes
            # Free the unit again for the next round (an accepted one is occupied).
            with engine.begin() as conn:
                conn.execute(update(Unit).where(Unit.id == unit_id).values(status=UnitStatus.FREE))
                conn.exec_driver_sql(
                    "UPDATE placements SET ended_at = CURRENT_TIMESTAMP, end_reason = 'other' "
                    "WHERE ended_at IS NULL"
                )
        assert "Traceback" not in server.log()
