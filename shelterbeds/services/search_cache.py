"""In-process cache of what search reads and of ranked answers, checked against versions.

Per process (per database bind) it keeps:

- the snapshot (services/snapshot.py: active shelters, policies, offerable units), valid
  while `cache_versions.search` has not moved — every unit, shelter or hold change bumps it
  in its own transaction (services/versions.py), so any web node's next request reloads;
- ranked answers per household, needs and placing municipality, valid while the version
  holds *and* until the next instant at which the clock alone changes an answer: a
  shelter's confirmation crossing a freshness threshold, or a hold running out;
- pages as the API writes them (one page of one answer in one language), valid while the
  version holds and until the answer's next clock edge or the next minute any shown
  shelter's age in minutes moves, whichever comes first — a page read from it is the
  page that would be written now, byte for byte.

A session with uncommitted changes of its own bypasses both (it must see its own writes).
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.orm import Session

from ..domain.clock import as_utc
from ..domain.freshness import FreshnessThresholds
from . import versions
from .snapshot import Snapshot, load_snapshot

MAX_ANSWERS = 512  # ranked answers kept per process (distinct need profiles)
MAX_PAGES = 1024  # written pages kept per process (profile x page x language)


@dataclass
class SearchCache:
    snapshot: Snapshot | None = None
    answers: OrderedDict[Any, tuple[datetime, datetime, Any]] = field(default_factory=OrderedDict)
    # Instants at which the clock alone changes an answer, per thresholds (sorted).
    edges: dict[FreshnessThresholds, list[datetime]] = field(default_factory=dict)
    # Pages as written for the API, each until the first instant it would read differently.
    pages: OrderedDict[Any, tuple[datetime, datetime, Any]] = field(default_factory=OrderedDict)
    loads: int = 0  # snapshots loaded (tests and the bench read it)


_caches: WeakKeyDictionary[Any, SearchCache] = WeakKeyDictionary()


def cache_for(session: Session) -> SearchCache:
    """The cache of the engine (or, in tests, the connection) this session is bound to."""
    bind = session.get_bind()
    cache = _caches.get(bind)
    if cache is None:
        cache = _caches[bind] = SearchCache()
    return cache


def current_snapshot(session: Session) -> Snapshot:
    """The cached snapshot if its version is current, else a fresh one (then cached)."""
    if versions.has_uncommitted_changes(session):
        return load_snapshot(session)
    version = versions.read(session).search  # before the data: see services/versions.py
    if version is None:
        return load_snapshot(session)
    cache = cache_for(session)
    snap = cache.snapshot
    if snap is None or snap.version != version:
        snap = load_snapshot(session, version)
        cache.snapshot, cache.loads = snap, cache.loads + 1
        cache.answers.clear()
        cache.edges.clear()
        cache.pages.clear()
    return snap


def _edges(cache: SearchCache, snap: Snapshot, thresholds: FreshnessThresholds) -> list[datetime]:
    found = cache.edges.get(thresholds)
    if found is None:
        instants = set()
        for shelter in snap.shelters:
            if shelter.confirmed_at is not None:
                for limit in (thresholds.fresh, thresholds.ageing, thresholds.stale):
                    instants.add(shelter.confirmed_at + limit)
            instants.update(u.held_until for u in shelter.units if u.held_until is not None)
        found = cache.edges[thresholds] = sorted(instants)
    return found


def cached_answer(
    session: Session,
    snap: Snapshot,
    key: Any,
    now: datetime,
    thresholds: FreshnessThresholds,
) -> Any | None:
    """A ranked answer computed for `key` that is still what `now` would compute, or None."""
    if versions.has_uncommitted_changes(session):
        return None
    cache = cache_for(session)
    if cache.snapshot is not snap:
        return None
    hit = cache.answers.get((key, thresholds))
    if hit is None:
        return None
    since, until, answer = hit
    if not since <= as_utc(now) < until:
        return None
    cache.answers.move_to_end((key, thresholds))
    return answer


def keep_answer(
    session: Session,
    snap: Snapshot,
    key: Any,
    now: datetime,
    thresholds: FreshnessThresholds,
    answer: Any,
) -> None:
    """Remember an answer until the next instant at which the clock alone could change it."""
    if versions.has_uncommitted_changes(session):
        return
    cache = cache_for(session)
    if cache.snapshot is not snap:
        return
    now = as_utc(now)
    edges = _edges(cache, snap, thresholds)
    i = bisect.bisect_right(edges, now)
    since = edges[i - 1] if i else datetime.min.replace(tzinfo=now.tzinfo)
    until = edges[i] if i < len(edges) else datetime.max.replace(tzinfo=now.tzinfo)
    cache.answers[(key, thresholds)] = (since, until, answer)
    while len(cache.answers) > MAX_ANSWERS:
        cache.answers.popitem(last=False)


def next_edge(
    session: Session, snap: Snapshot, now: datetime, thresholds: FreshnessThresholds
) -> datetime:
    """The first instant after `now` at which the clock alone changes some answer."""
    now = as_utc(now)
    edges = _edges(cache_for(session), snap, thresholds)
    i = bisect.bisect_right(edges, now)
    return edges[i] if i < len(edges) else datetime.max.replace(tzinfo=now.tzinfo)


def cached_page(session: Session, key: Any, now: datetime) -> Any | None:
    """A page kept for `key` that is still what would be written at `now`, or None.

    Reads the version (one round trip, shared with the token check) so that a change
    committed through any node is seen at once, as for every other cached read.
    """
    snap = current_snapshot(session)
    if versions.has_uncommitted_changes(session):
        return None
    cache = cache_for(session)
    hit = cache.pages.get(key)
    if hit is None or cache.snapshot is not snap:
        return None
    since, until, page = hit
    if not since <= as_utc(now) < until:
        return None
    cache.pages.move_to_end(key)
    return page


def keep_page(
    session: Session, snap: Snapshot, key: Any, since: datetime, until: datetime, page: Any
) -> None:
    """Remember a page written from `snap`, valid from `since` until `until`."""
    cache = cache_for(session)
    if versions.has_uncommitted_changes(session) or cache.snapshot is not snap:
        return
    cache.pages[key] = (as_utc(since), until, page)
    while len(cache.pages) > MAX_PAGES:
        cache.pages.popitem(last=False)
