"""Two `shelterbeds scheduler` processes on one database: exactly one leads and runs jobs;
when the leader dies the other takes over (PostgreSQL advisory lock, SQLite file lock)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import select

from shelterbeds.domain.clock import utcnow
from shelterbeds.models import OutboxMessage, OutboxStatus

SHELTERBEDS = str(Path(sys.executable).with_name("shelterbeds"))
TAKEOVER_LIMIT = 30  # seconds, from the issue


class Proc:
    def __init__(self, database_url: str) -> None:
        env = {
            **os.environ,
            "SHELTERBEDS_DATABASE_URL": database_url,
            "SHELTERBEDS_LEADER_RETRY_SECONDS": "1",
            "SHELTERBEDS_OUTBOX_SWEEP_SECONDS": "1",
            "SHELTERBEDS_SMS_BACKEND": "console",
            "SHELTERBEDS_STALE_NUDGE_TIMES": "",
            "SHELTERBEDS_ENV": "development",
        }
        self.popen = subprocess.Popen(
            [SHELTERBEDS, "scheduler"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line)

    def said(self, text: str) -> bool:
        return any(text in line for line in list(self.lines))

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)
        self.reader.join(5)
        if self.popen.stdout is not None:
            self.popen.stdout.close()


def _wait(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def _queue_sms(engine, body: str) -> int:
    with engine.begin() as conn:
        return conn.execute(
            OutboxMessage.__table__.insert()
            .values(
                created_at=utcnow(),
                kind="test",
                to_phone="+46701234567",
                body=body,
                status=OutboxStatus.QUEUED,
                attempts=0,
                next_attempt_at=utcnow(),
            )
            .returning(OutboxMessage.id)
        ).scalar_one()


def _status(engine, message_id: int) -> OutboxStatus:
    with engine.connect() as conn:
        return conn.execute(
            select(OutboxMessage.status).where(OutboxMessage.id == message_id)
        ).scalar_one()


def test_one_leader_runs_jobs_and_the_other_takes_over(database_url, committed_engine):
    a, b = Proc(database_url), Proc(database_url)
    try:
        assert _wait(lambda: a.said("leader acquired") or b.said("leader acquired"), 30), (
            a.lines + b.lines
        )
        leader, follower = (a, b) if a.said("leader acquired") else (b, a)
        assert _wait(lambda: follower.said("waiting for leader"), 20), follower.lines
        assert not follower.said("leader acquired")

        # The leader runs the jobs: a queued SMS is sent (console sender) by it alone.
        first = _queue_sms(committed_engine, "first")
        assert _wait(lambda: _status(committed_engine, first) is OutboxStatus.SENT, 20)
        assert "first" in "".join(leader.lines) and "first" not in "".join(follower.lines)

        assert not leader.said("leadership lost"), leader.lines
        leader.stop()
        killed_at = time.monotonic()
        assert _wait(lambda: follower.said("leader acquired"), TAKEOVER_LIMIT), follower.lines
        assert time.monotonic() - killed_at <= TAKEOVER_LIMIT
        second = _queue_sms(committed_engine, "second")
        assert _wait(lambda: _status(committed_engine, second) is OutboxStatus.SENT, 20)
        assert "second" in "".join(follower.lines)
        time.sleep(3)  # a few leadership checks later it still leads
        assert not follower.said("leadership lost"), follower.lines
    finally:
        a.stop()
        b.stop()
