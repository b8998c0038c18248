"""In-process cache of statistics answers, checked against `cache_versions.stats`.

A figure changes only when something it counts is written, or when a local midnight passes
(a night is counted, a day is reported, a month begins). Every write to a counted table
bumps `cache_versions.stats` in its own transaction (services/versions.py), so the next
request on any web node computes afresh; an answer is otherwise kept, per process, for its
key (family, grouping, period, filters, exact access) from the local midnight before it was
computed until the next. The only column the clock moves between midnights — the hours
since a shelter's last confirmation — is brought to the request's time on every read
(`Family.clock`). The JSON the API writes is kept with the answer when no column moves.

A kept answer is shared by every request of the process: readers must not change it.
A session with uncommitted changes of its own to counted tables bypasses the cache.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.orm import Session

from ..domain.clock import STOCKHOLM, as_utc
from ..domain.periods import local_midnight
from . import versions

MAX_ANSWERS = 256  # answers kept per process (family x grouping x period x filters x access)
# Rows kept per process, all answers together: a national table by shelter and month is
# ~3,600 rows (a few MB with its JSON), so this bounds the memory at tens of MB per worker.
MAX_ROWS = 40_000


@dataclass
class Kept:
    """One answer and the stats version and local day it was computed for."""

    version: int | None
    since: datetime
    until: datetime
    result: dict[str, Any]
    json: bytes | None = None  # the API's JSON, written once (families without clock columns)

    @property
    def size(self) -> int:
        """Rows held (the period's totals count as one)."""
        return len(self.result.get("rows", ())) + 1


@dataclass
class StatsCache:
    answers: OrderedDict[Hashable, Kept]
    computed: int = 0  # answers computed (tests and the bench read it)
    rows: int = 0  # rows held by the kept answers


_caches: WeakKeyDictionary[Any, StatsCache] = WeakKeyDictionary()


def cache_for(session: Session) -> StatsCache:
    """The cache of the engine (or, in tests, the connection) this session is bound to."""
    bind = session.get_bind()
    cache = _caches.get(bind)
    if cache is None:
        cache = _caches[bind] = StatsCache(OrderedDict())
    return cache


def local_day(now: datetime) -> tuple[datetime, datetime]:
    """The local midnights (UTC) before and after `now`: what the clock alone can change."""
    today = as_utc(now).astimezone(STOCKHOLM).date()
    return local_midnight(today), local_midnight(today + timedelta(days=1))


def kept_or_computed(
    session: Session, key: Hashable, now: datetime, compute: Callable[[], dict[str, Any]]
) -> Kept:
    """The answer kept for `key` if nothing it counts was written since and the local day is
    the same; otherwise `compute()`d (and kept, unless this session has its own changes)."""
    cache = cache_for(session)
    own_changes = versions.has_uncommitted_changes(session, (versions.STATS,))
    # The version is read before the data (services/versions.py): a write committed in
    # between only costs a recomputation next time, never an old answer under a new number.
    version = None if own_changes else versions.read(session).stats
    now = as_utc(now)
    if version is not None:
        hit = cache.answers.get(key)
        if hit is not None and hit.version == version and hit.since < now < hit.until:
            cache.answers.move_to_end(key)
            return hit
    since, until = local_day(now)
    kept = Kept(version, since, until, compute())
    cache.computed += 1
    # Not at the very instant of a midnight: a night is counted from it, a day reported
    # only after it, so an answer of that instant is not the rest of the day's.
    if version is not None and since < now and kept.size <= MAX_ROWS:
        _keep(cache, key, kept)
    return kept


def _keep(cache: StatsCache, key: Hashable, kept: Kept) -> None:
    """Keep `kept` for `key`, letting go of the least recently used beyond the bounds."""
    old = cache.answers.pop(key, None)
    cache.rows -= old.size if old is not None else 0
    cache.answers[key] = kept
    cache.rows += kept.size
    while len(cache.answers) > MAX_ANSWERS or cache.rows > MAX_ROWS:
        _key, dropped = cache.answers.popitem(last=False)
        cache.rows -= dropped.size
