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

import time
from dataclasses import dataclass
from itertools import chain
from typing import Any

from sqlalchemy import inspect, text, update
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.orm.attributes import NO_VALUE
from sqlalchemy.orm.util import object_mapper

from ..models import CacheVersions

SEARCH = "search"
AUTH = "auth"
WATCHED = {
    "units": SEARCH,
    "shelters": SEARCH,
    "placement_requests": SEARCH,
    "users": AUTH,
    "api_tokens": AUTH,
    "organisations": AUTH,
    "organisation_municipalities": AUTH,
}
# Bookkeeping columns that change on use and mean nothing to a cached principal.
IGNORED = {"users": {"last_login_at"}, "api_tokens": {"last_used_at"}}
_READ = text("SELECT search, auth FROM cache_versions WHERE id = 1")
CHANGED_KEY = "cache_versions_changed"
MEMO_KEY = "cache_versions_read"
MEMO_SECONDS = 1.0  # a session (one web request) reuses what it read for at most this long


@dataclass(frozen=True)
class Versions:
    search: int | None
    auth: int | None


def _mark(session: Session, table: str | None) -> None:
    kind = WATCHED.get(table or "")
    if kind is not None:
        session.info.setdefault(CHANGED_KEY, set()).add(kind)


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
        if table in WATCHED and session.is_modified(obj) and _meaningful(obj, table):
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


def has_uncommitted_changes(session: Session) -> bool:
    """Whether this session changed watched tables it has not committed (caches bypassed)."""
    return bool(session.info.get(CHANGED_KEY)) or bool(
        session.new or session.deleted or any(session.is_modified(o) for o in session.dirty)
    )


def read(session: Session) -> Versions:
    """The current counters (None if the row is missing: then nothing may be cached)."""
    memo = session.info.get(MEMO_KEY)
    if memo is not None and time.monotonic() - memo[1] < MEMO_SECONDS:
        return memo[0]  # type: ignore[no-any-return]
    # The cheapest statement there is: this runs once per API request.
    row = session.connection().execute(_READ).first()
    versions = Versions(None, None) if row is None else Versions(int(row[0]), int(row[1]))
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
