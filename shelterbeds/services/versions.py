"""Change versions for in-process caches, bumped in the same transaction as the change.

Every Session that writes to a watched table (by ORM flush or by an UPDATE/INSERT/DELETE
statement it executes) bumps the matching counter in `cache_versions` just before it
commits: the bump commits or rolls back with the change itself. A cache in any process
(any web node) reads the counters once per request and reloads when they moved, so a change
through one node is seen by every node's next request. The bump is the last statement of
the transaction, so the row lock it takes on PostgreSQL is held only while committing and is
always taken after every other lock (no deadlock with the conditional UPDATEs on units).

Why read the counters *before* the data: under READ COMMITTED a writer may commit between
the two reads; data newer than its counter only costs a reload next time, while the opposite
order could label old data with a new counter.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from contextlib import suppress
from dataclasses import dataclass
from itertools import chain
from typing import Any

from sqlalchemy import Engine, inspect, text, update
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.orm.attributes import NO_VALUE
from sqlalchemy.orm.util import object_mapper

from ..models import CacheVersions

SEARCH = "search"
AUTH = "auth"
STATS = "stats"
WATCHED = {
    "units": SEARCH,
    "shelters": SEARCH,
    "placement_requests": SEARCH,
    "users": AUTH,
    "api_tokens": AUTH,
    "organisations": AUTH,
    "organisation_municipalities": AUTH,
}
# The statistics count (almost) everything, so they watch every table but these: sign-in,
# sessions, audit, SMS and idempotency bookkeeping, written on reads and sends, which no
# figure counts. A table added later is watched until it is listed here (a needless reload
# is harmless; a missed change would not be).
NOT_COUNTED = frozenset(
    {
        "users",
        "user_sessions",
        "api_tokens",
        "activation_tokens",
        "recovery_codes",
        "audit_events",
        "idempotency_keys",
        "sms_outbox",
        "sms_inbound_processed",
        "sms_opt_outs",
        "sms_subscriptions",
        "cache_versions",
    }
)
# Bookkeeping columns that change on use and mean nothing to a cached principal.
IGNORED = {"users": {"last_login_at"}, "api_tokens": {"last_used_at"}}
READ_SQL = "SELECT search, auth, stats FROM cache_versions WHERE id = 1"
_READ = text(READ_SQL)
CHANGED_KEY = "cache_versions_changed"
MEMO_KEY = "cache_versions_read"
MEMO_SECONDS = 1.0  # a session (one web request) reuses what it read for at most this long


@dataclass(frozen=True)
class Versions:
    search: int | None
    auth: int | None
    stats: int | None


def _mark(session: Session, table: str | None) -> None:
    if not table:
        return
    kind = WATCHED.get(table)
    if kind is not None:
        session.info.setdefault(CHANGED_KEY, set()).add(kind)
    if table not in NOT_COUNTED:
        session.info.setdefault(CHANGED_KEY, set()).add(STATS)


def _meaningful(obj: Any, table: str) -> bool:
    """Whether a dirty object changed more than bookkeeping columns."""
    ignored = IGNORED.get(table)
    if not ignored:
        return True
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        if attr.key in ignored:
            continue
        history = state.attrs[attr.key].history
        if history.added and history.added != [NO_VALUE]:
            return True
    return False


def _table(obj: Any) -> str:
    return str(getattr(object_mapper(obj).persist_selectable, "name", ""))


def on_execute(state: ORMExecuteState) -> None:
    """An UPDATE/INSERT/DELETE statement run through a Session on a watched table."""
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _mark(state.session, getattr(table, "name", None))


def on_flush(session: Session, _ctx: Any) -> None:
    """Objects written by a flush (the history is still the pre-flush one here)."""
    for obj in chain(session.new, session.deleted):
        _mark(session, _table(obj))
    for obj in session.dirty:
        table = _table(obj)
        watched = table in WATCHED or table not in NOT_COUNTED
        if watched and session.is_modified(obj) and _meaningful(obj, table):
            _mark(session, table)


def on_before_commit(session: Session) -> None:
    """Bump what this transaction changed, as its last statement."""
    session.flush()  # objects not yet flushed are marked by their flush
    changed = session.info.pop(CHANGED_KEY, None)
    if not changed:
        return
    table = CacheVersions.__table__
    values = {kind: table.c[kind] + 1 for kind in changed}
    session.connection().execute(update(table).where(table.c.id == 1).values(**values))  # type: ignore[arg-type]
    session.info.pop(MEMO_KEY, None)


def on_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(CHANGED_KEY, None)
        session.info.pop(MEMO_KEY, None)


def has_uncommitted_changes(session: Session, kinds: tuple[str, ...] = (SEARCH, AUTH)) -> bool:
    """Whether this session changed tables watched for `kinds` (or anything at all) that it
    has not committed: caches of those kinds are then bypassed (it must see its own writes).
    A search that stores an unmet-need signal still reads the search caches."""
    changed = session.info.get(CHANGED_KEY) or ()
    return any(kind in changed for kind in kinds) or bool(
        session.new or session.deleted or any(session.is_modified(o) for o in session.dirty)
    )


class _Reader:
    """One autocommit DB-API connection per engine and process that only reads the counters.

    A cached search then touches no pooled connection at all: no checkout, no pre-ping, no
    BEGIN/COMMIT — one round trip per request. Reading outside the request's transaction is
    as safe as inside: what matters is that the counters are read before the data. Raw
    DB-API, so no engine event turns the read into a transaction (SQLite's BEGIN IMMEDIATE
    would hold the write lock).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Any = None
        self.pid = 0
        self.lock = threading.Lock()

    def _connect(self) -> Any:
        conn = self.engine.raw_connection()
        if self.engine.dialect.name != "sqlite":  # SQLite's is autocommit already
            conn.rollback()  # out of whatever the pool's ping left open
            conn.dbapi_connection.autocommit = True  # type: ignore[union-attr]
        weakref.finalize(self.engine, conn.close)
        return conn

    def read(self) -> Any:
        error = self.engine.dialect.loaded_dbapi.Error
        with self.lock:
            for attempt in (1, 2):
                if self.conn is None or self.pid != os.getpid():  # a forked worker: its own
                    self.conn, self.pid = self._connect(), os.getpid()
                try:
                    cursor = self.conn.cursor()
                    cursor.execute(READ_SQL)
                    row = cursor.fetchone()
                    cursor.close()
                    return row
                except error:
                    self.close()  # a dropped connection: once more on a fresh one
                    if attempt == 2:
                        raise
        return None

    def close(self) -> None:
        if self.conn is not None and self.pid == os.getpid():
            with suppress(Exception):
                self.conn.close()
        self.conn = None


_readers: weakref.WeakKeyDictionary[Engine, _Reader] = weakref.WeakKeyDictionary()


def close_reader(engine: Engine) -> None:
    """Give back the counters' connection (tests that dispose of an engine)."""
    reader = _readers.pop(engine, None)
    if reader is not None:
        reader.close()


def read(session: Session) -> Versions:
    """The current counters (None if the row is missing: then nothing may be cached)."""
    memo = session.info.get(MEMO_KEY)
    if memo is not None and time.monotonic() - memo[1] < MEMO_SECONDS:
        return memo[0]  # type: ignore[no-any-return]
    bind = session.get_bind()
    if isinstance(bind, Engine) and not has_uncommitted_changes(session):
        reader = _readers.get(bind)
        if reader is None:
            reader = _readers[bind] = _Reader(bind)
        row = reader.read()
    else:  # a session bound to one connection (tests), or seeing its own writes
        row = session.connection().execute(_READ).first()
    versions = Versions(None, None, None) if row is None else Versions(*(int(v) for v in row))
    session.info[MEMO_KEY] = (versions, time.monotonic())
    return versions


def install() -> None:
    """Listen on every Session (idempotent; create_app calls it)."""
    from sqlalchemy import event

    for name, fn in (
        ("do_orm_execute", on_execute),
        ("after_flush", on_flush),
        ("before_commit", on_before_commit),
        ("after_soft_rollback", on_rollback),
    ):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)
