"""Rate limits our own code applies (per account, device, second factor, API token, SMS).

Events are kept per key in a sliding window: a Redis sorted set when
`SHELTERBEDS_REDIS_URL` is set (shared by every worker and node), else process memory (one
process: development and tests). Any Redis error fails closed: the request is refused with
503, never let through unlimited. Keys hold hashes, never an e-mail address or token.
"""

from __future__ import annotations

import bisect
import hashlib
import threading
import time
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Protocol, TypeVar

import limits
from flask import Flask, current_app, g, make_response, request

from .config import Settings
from .domain.errors import DomainError
from .domain.throttling import Rule

F = TypeVar("F", bound=Callable[..., Any])


class Throttled(DomainError):
    status = 429
    title = "Too Many Requests"


class ThrottleUnavailable(DomainError):
    status = 503
    title = "Service Unavailable"


# A busy API token is counted in the shared store a block of events at a time, not one
# round trip per request: each process reserves up to MAX_BLOCK events (about what it used
# in LEASE seconds during the last second), uses them for at most LEASE seconds, and lets
# the rest lapse. Reserved events are stamped with the end of their lease, so each counts
# at least as long as if it had been recorded when used, and lapsed ones still count: the
# limit errs towards refusing, never towards letting more through. A token used at human
# pace reserves one event at a time, exactly as before.
LEASE = 0.25
MAX_BLOCK = 32
MAX_LEASES = 10_000


class Store(Protocol):
    def events(self, key: str, now: float, window: float) -> tuple[int, float | None, float | None]:
        """(count, first, last) of the events after `now - window`, up to `now + LEASE`.

        Up to a lease ahead: events reserved for use within it count from the start.
        """

    def add(self, key: str, now: float, window: float) -> None:
        """Count one event at `now`."""

    def reserve(
        self, key: str, now: float, window: float, at: float, n: int
    ) -> tuple[list[str], tuple[int, float | None, float | None]]:
        """`events` as it was, then `n` more events at `at`, in one step; their ids."""

    def remove(self, key: str, events: list[str]) -> None:
        """Forget events counted by `reserve` (refused, or not granted)."""

    def clear(self, key: str) -> None: ...


class MemoryStore:
    """One process's events (development, tests without Redis)."""

    def __init__(self) -> None:
        self._events: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.RLock()

    def events(self, key: str, now: float, window: float) -> tuple[int, float | None, float | None]:
        # Sorted times, searched by bisection: a lifted limit (the bench) keeps thousands of
        # events per key, and a scan per request was a tenth of a cached search.
        with self._lock:
            times = self._events.get(key)
            if not times:
                return 0, None, None
            del times[: bisect.bisect_right(times, now - window)]  # out of every window
            end = bisect.bisect_right(times, now + LEASE)
            return end, (times[0] if end else None), (times[end - 1] if end else None)

    def add(self, key: str, now: float, window: float) -> None:
        with self._lock:
            bisect.insort(self._events[key], now)

    def reserve(
        self, key: str, now: float, window: float, at: float, n: int
    ) -> tuple[list[str], tuple[int, float | None, float | None]]:
        with self._lock:  # re-entrant: events and add take it too
            before = self.events(key, now, window)
            for _ in range(n):
                self.add(key, at, window)
            return [repr(at)] * n, before

    def remove(self, key: str, events: list[str]) -> None:
        with self._lock:
            times = self._events.get(key, [])
            for event in events:
                i = bisect.bisect_left(times, float(event))
                if i < len(times) and times[i] == float(event):
                    del times[i]

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)


# `events` within (ARGV[1], ARGV[2]] (count, first and last score), then ARGV[4] events at
# ARGV[3] named ARGV[6]:1 .. ARGV[6]:ARGV[4]: as `events` followed by `add`s, atomically.
# Only adding renews the key's expiry: a read (ARGV[4] = 0) does not keep a key alive.
RESERVE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local since = '(' .. ARGV[1]
local count = redis.call('ZCOUNT', KEYS[1], since, ARGV[2])
local first = redis.call('ZRANGEBYSCORE', KEYS[1], since, ARGV[2], 'WITHSCORES', 'LIMIT', 0, 1)
local last = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[2], since, 'WITHSCORES', 'LIMIT', 0, 1)
local n = tonumber(ARGV[4])
for i = 1, n do
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[6] .. ':' .. i)
end
if n > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[5])
end
return {count, first[2] or false, last[2] or false}
"""


def _score(reply: Any) -> float | None:
    return None if reply is None else float(reply)


def _unavailable() -> ThrottleUnavailable:
    return ThrottleUnavailable(
        "Rate limiting is unavailable, so this is refused for now. Try again shortly."
    )


class RedisStore:
    """Events as a sorted set per key (score = time), shared by all workers and nodes."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        # A script, not a pipeline: one command to send and one reply to read is half the
        # client's work on the path every API request takes.
        self._reserve = self._redis.register_script(RESERVE)

    def _run(self, build: Callable[[Any], object]) -> list[Any]:
        try:
            pipe = self._redis.pipeline()
            build(pipe)
            return list(pipe.execute())
        except self._errors as exc:
            raise _unavailable() from exc

    def events(self, key: str, now: float, window: float) -> tuple[int, float | None, float | None]:
        return self.reserve(key, now, window, now, 0)[1]

    def add(self, key: str, now: float, window: float) -> None:
        self.reserve(key, now, window, now, 1)

    def reserve(
        self, key: str, now: float, window: float, at: float, n: int
    ) -> tuple[list[str], tuple[int, float | None, float | None]]:
        # Bounded work whatever the count: a lifted limit keeps a hundred thousand events
        # per key, and reading them all on every request stalled the API (bench, Redis).
        name = f"{at:.6f}:{uuid.uuid4().hex[:8]}"
        try:
            count, first, last = self._reserve(
                keys=[key],
                args=[repr(now - window), repr(now + LEASE), repr(at), n, int(window) + 60, name],
            )
        except self._errors as exc:
            raise _unavailable() from exc
        return [f"{name}:{i}" for i in range(1, n + 1)], (int(count), _score(first), _score(last))

    def remove(self, key: str, events: list[str]) -> None:
        if events:
            self._run(lambda pipe: pipe.zrem(key, *events))

    def clear(self, key: str) -> None:
        self._run(lambda pipe: pipe.delete(key))


def _refused(wait: float, what: str = "attempts") -> Throttled:
    return Throttled(
        f"Too many {what}. Try again in {int(wait) + 1} seconds.", retry_after=int(wait) + 1
    )


def _rule(name: str, spec: str, free: int | None = None, max_delay: float = 30.0) -> Rule:
    item = limits.parse(spec)
    return Rule(name, item.amount, float(item.get_expiry()), free=free, max_delay=max_delay)


def rules_from(settings: Settings) -> dict[str, Rule]:
    """Every rule, from the settings (see README, Settings)."""
    return {
        # Failed sign-ins per account from a client without this account's device cookie.
        "account": _rule(
            "account",
            f"{settings.login_account_failures_per_hour} per hour",
            free=settings.login_free_failures,
            max_delay=settings.login_max_delay_seconds,
        ),
        # Failed sign-ins per device cookie (a device where this account signed in before).
        "device": _rule(
            "device", "10 per hour", free=3, max_delay=settings.login_max_delay_seconds
        ),
        # Wrong second-factor codes per account.
        "second_factor": _rule("second_factor", "20 per hour", free=3, max_delay=30.0),
        "api_token": _rule("api_token", settings.api_rate_limit),
        "sms": _rule("sms", settings.sms_rate_limit),
    }


@dataclass
class _Lease:
    """One process's reserved events for one key, and how busy the key was here lately."""

    left: int = 0  # reserved events not used yet
    until: float = 0.0  # usable before this instant
    second: int = 0  # the wall-clock second `hits` counts
    hits: int = 0
    hits_before: int = 0  # hits in the second before `second`

    def seen(self, now: float) -> None:
        second = int(now)
        if second != self.second:
            self.hits_before = self.hits if second == self.second + 1 else 0
            self.second, self.hits = second, 0
        self.hits += 1

    def block(self) -> int:
        return max(1, min(MAX_BLOCK, int(self.hits_before * LEASE)))


class Throttles:
    """The rules bound to a store; `check` raises Throttled, `record` counts one event."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.rules = rules_from(settings)
        self.prefix = f"{settings.rate_limit_prefix}:throttle"
        self.store: Store = store or (
            RedisStore(settings.redis_url) if settings.redis_url else MemoryStore()
        )
        self._leases: OrderedDict[str, _Lease] = OrderedDict()
        self._lock = threading.Lock()

    def _key(self, rule: Rule, ident: str) -> str:
        return f"{self.prefix}:{rule.name}:{hashlib.sha256(ident.encode()).hexdigest()[:32]}"

    def retry_after(self, name: str, ident: str, now: float | None = None) -> float:
        rule = self.rules[name]
        now = time.time() if now is None else now
        count, first, last = self.store.events(self._key(rule, ident), now, rule.window)
        return rule.retry_after(count, first, last, now)

    def check(self, name: str, ident: str, now: float | None = None) -> None:
        wait = self.retry_after(name, ident, now)
        if wait > 0:
            raise _refused(wait)

    def record(self, name: str, ident: str, now: float | None = None) -> None:
        rule = self.rules[name]
        self.store.add(self._key(rule, ident), time.time() if now is None else now, rule.window)

    def _lease(self, key: str, now: float) -> _Lease | None:
        """This key's lease with the hit counted; None if it has an event left to use."""
        with self._lock:
            lease = self._leases.get(key)
            if lease is None:
                lease = self._leases[key] = _Lease()
                if len(self._leases) > MAX_LEASES:
                    self._leases.popitem(last=False)  # its unused events lapse (still counted)
            else:
                self._leases.move_to_end(key)  # most recently used last
            lease.seen(now)
            if lease.left and now < lease.until:
                lease.left -= 1
                return None
            return lease

    def hit(self, name: str, ident: str, now: float | None = None) -> None:
        """Check and count in one step (for limits on every use rather than on failures).

        Counted first and taken back if refused: at most one round trip to the store per
        request, and for a busy token one per block (see LEASE). A refused hit is not
        counted, as with `check` then `record`.
        """
        rule, now = self.rules[name], time.time() if now is None else now
        key = self._key(rule, ident)
        lease = self._lease(key, now)
        if lease is None:
            return
        wanted = lease.block() if rule.free is None else 1
        at = now + LEASE if wanted > 1 else now
        events, (count, first, last) = self.store.reserve(key, now, rule.window, at, wanted)
        granted = rule.grant(count, first, last, now, wanted)
        if granted < wanted:
            self.store.remove(key, events[granted:])
        if not granted:
            limit = f"requests (at most {rule.limit} per {rule.window:g} seconds)"
            raise _refused(rule.retry_after(count, first, last, now), limit)
        with self._lock:
            lease.left, lease.until = granted - 1, at

    def clear(self, name: str, ident: str) -> None:
        key = self._key(self.rules[name], ident)
        with self._lock:
            self._leases.pop(key, None)
        self.store.clear(key)


def _answer(error: DomainError) -> Any:
    from .errors import error_page, problem
    from .extensions import db, wants_problem_json

    db.session.rollback()
    if wants_problem_json():
        response = problem(error.status, error.title, error.detail, error.errors, **error.extra)
    else:
        response = make_response(error_page(error.status, error.detail))
    if "retry_after" in error.extra:
        response.headers["Retry-After"] = str(error.extra["retry_after"])
    return response


def _storage_down(error: Exception) -> Any:
    """Flask-Limiter's Redis is down: refuse (fail closed) with 503, not a 500."""
    return _answer(ThrottleUnavailable("Rate limiting is unavailable. Try again shortly."))


def init_app(app: Flask, settings: Settings) -> None:
    import redis

    app.extensions["shelterbeds_throttles"] = Throttles(settings)
    app.register_error_handler(Throttled, _answer)
    app.register_error_handler(ThrottleUnavailable, _answer)
    app.register_error_handler(redis.RedisError, _storage_down)


def sms_limited(view: F) -> F:
    """Limit a view that sends SMS, per account (or per sender number for inbound SMS).

    Checked before the view runs; counted only when it succeeds (a refused or invalid
    request sent nothing).
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor = g.get("actor")
        ident = f"user:{actor.id}" if actor is not None else f"from:{request.form.get('From', '')}"
        throttles().check("sms", ident)
        result = view(*args, **kwargs)
        status = getattr(result, "status_code", 200)
        if isinstance(result, tuple) and len(result) > 1 and isinstance(result[1], int):
            status = result[1]
        if status < 400:
            throttles().record("sms", ident)
        return result

    return wrapper  # type: ignore[return-value]


def throttles() -> Throttles:
    """The running app's throttles."""
    return current_app.extensions["shelterbeds_throttles"]  # type: ignore[no-any-return]
