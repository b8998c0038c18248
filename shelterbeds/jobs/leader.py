"""Only one scheduler runs jobs per database: a PostgreSQL advisory lock or a file lock.

PostgreSQL: `pg_try_advisory_lock` on a dedicated AUTOCOMMIT connection. The lock belongs to
that session, so it disappears the moment the leader's process or connection dies, and a
follower (retrying every few seconds) takes over. The leader re-checks it holds the lock.
SQLite: a `filelock` lock file next to the database file; the OS releases it when the
process dies.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from ..db import is_sqlite, make_engine

log = logging.getLogger("shelterbeds.scheduler")

# A fixed 32-bit key: "shelterbeds scheduler" (fits pg_locks.objid with classid 0).
ADVISORY_KEY = 0x5B3D_0001


class LeaderLock(Protocol):
    def try_acquire(self) -> bool: ...
    def still_held(self) -> bool: ...
    def release(self) -> None: ...


class PostgresLeaderLock:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url, poolclass=NullPool)
        self.conn: Connection | None = None

    def try_acquire(self) -> bool:
        try:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as exc:
            log.warning("cannot reach the database for the leader lock: %s", type(exc).__name__)
            return False
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
        if got:
            self.conn = conn
            return True
        conn.close()
        return False

    def still_held(self) -> bool:
        if self.conn is None:
            return False
        try:
            held = self.conn.execute(
                text(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                    "AND granted AND pid = pg_backend_pid() AND classid = 0 AND objid = :k)"
                ),
                {"k": ADVISORY_KEY},
            ).scalar()
        except SQLAlchemyError:
            held = False
        if not held:
            self.release()
        return bool(held)

    def release(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self.conn.close()  # closing the session releases the lock
            self.conn = None


class FileLeaderLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        # Not thread-local: the leadership check runs in a scheduler worker thread.
        self.lock = FileLock(str(path), thread_local=False)

    def try_acquire(self) -> bool:
        try:
            self.lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def still_held(self) -> bool:
        return self.lock.is_locked

    def release(self) -> None:
        if self.lock.is_locked:
            self.lock.release(force=True)


def make_leader_lock(database_url: str) -> LeaderLock:
    """The right lock for the database: advisory lock on PostgreSQL, file lock on SQLite."""
    if is_sqlite(database_url):
        db_file = database_url.split("///", 1)[-1] or "shelterbeds"
        return FileLeaderLock(Path(f"{db_file}.scheduler.lock"))
    return PostgresLeaderLock(database_url)
