"""Per-process cache of API token -> user, so a request does not look its token up each time.

Keyed by the token's SHA-256 (the raw token is never kept). An entry is used only while
`cache_versions.auth` is the number it was cached under: revoking a token, or changing or
disabling a user or an organisation, bumps that number in the same transaction
(services/versions.py), so every web node refuses a revoked token on its very next request.
A version rather than a short TTL, because a TTL would leave a revoked token working for the
length of the TTL. Entries are also rechecked against the database once a minute, which keeps
`last_used_at` as current as before (services/auth.py touches it at most once a minute).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict, manager_of_class

from ..models import User
from . import auth, versions

RECHECK = timedelta(minutes=1)
_USERS = manager_of_class(User)
MAX_TOKENS = 10_000


@dataclass(frozen=True)
class Entry:
    columns: dict[str, Any]
    version: int
    checked_at: datetime


_caches: WeakKeyDictionary[Any, OrderedDict[str, Entry]] = WeakKeyDictionary()


def _cache(session: Session) -> OrderedDict[str, Entry]:
    bind = session.get_bind()
    cache = _caches.get(bind)
    if cache is None:
        cache = _caches[bind] = OrderedDict()
    return cache


def _attach(session: Session, columns: dict[str, Any]) -> User:
    """The cached user as a persistent object of this session, without a query.

    A new object each time (never shared between sessions), added as if loaded: cheaper
    than `merge(load=False)`, which copies every attribute onto a second object. Built as
    a loader builds one (the columns straight into its state, no attribute events): half
    the cost of `User(**columns)`, on the path of every API request.
    """
    present = session.identity_map.get(session.identity_key(User, columns["id"]))
    if present is not None:
        return present  # type: ignore[no-any-return]
    user = _USERS.new_instance()
    instance_dict(user).update(
        {k: list(v) if isinstance(v, list) else v for k, v in columns.items()}
    )
    make_transient_to_detached(user)
    session.add(user)
    return user


def resolve(session: Session, raw: str, now: datetime) -> User | None:
    """The active user behind a live API token, or None (as services.auth.resolve_token)."""
    key = hashlib.sha256(raw.encode()).hexdigest()
    version = versions.read(session).auth  # before the data: see services/versions.py
    cache = _cache(session)
    entry = cache.get(key)
    if (
        entry is not None
        and version is not None
        and entry.version == version
        and now - entry.checked_at < RECHECK
    ):
        cache.move_to_end(key)
        return _attach(session, entry.columns)
    user = auth.resolve_token(session, raw, now)
    if user is None or version is None:
        cache.pop(key, None)
        return user
    columns = {a.key: getattr(user, a.key) for a in inspect(User).column_attrs}
    cache[key] = Entry(columns, version, now)
    while len(cache) > MAX_TOKENS:
        cache.popitem(last=False)
    return user
