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
from collections import defaultdict
from collections.abc import Callable
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


class Store(Protocol):
    def events(self, key: str, now: float, window: float) -> tuple[int, float | None, float | None]:
        """(count, first, last) of the events within `window` seconds before `now`."""

    def add(self, key: str, now: float, window: float) -> str:
        """Count one event at `now`; its id (for `remove`)."""

    def add_counting(
        self, key: str, now: float, window: float
    ) -> tuple[str, tuple[int, float | None, float | None]]:
        """Count one event at `now` and give `events` as it was just before: one step."""

    def remove(self, key: str, event: str) -> None:
        """Forget one event counted by `add` (a refused hit)."""

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
            end = bisect.bisect_right(times, now)
            return end, (times[0] if end else None), (times[end - 1] if end else None)

    def add(self, key: str, now: float, window: float) -> str:
        with self._lock:
            bisect.insort(self._events[key], now)
        return repr(now)

    def add_counting(
        self, key: str, now: float, window: float
    ) -> tuple[str, tuple[int, float | None, float | None]]:
        with self._lock:  # re-entrant: events and add take it too
            before = self.events(key, now, window)
            return self.add(key, now, window), before

    def remove(self, key: str, event: str) -> None:
        with self._lock:
            times = self._events.get(key, [])
            i = bisect.bisect_left(times, float(event))
            if i < len(times) and times[i] == float(event):
                del times[i]

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)


# The events within (ARGV[2], ARGV[1]] as count, first and last score, then one more event
# ARGV[3] at ARGV[1]: as `events` followed by `add`, atomically.
ADD_COUNTING = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local since = '(' .. ARGV[2]
local count = redis.call('ZCOUNT', KEYS[1], since, ARGV[1])
local first = redis.call('ZRANGEBYSCORE', KEYS[1], since, ARGV[1], 'WITHSCORES', 'LIMIT', 0, 1)
local last = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], since, 'WITHSCORES', 'LIMIT', 0, 1)
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
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
        self._add_counting = self._redis.register_script(ADD_COUNTING)

    def _run(self, build: Callable[[Any], object]) -> list[Any]:
        try:
            pipe = self._redis.pipeline()
            build(pipe)
            return list(pipe.execute())
        except self._errors as exc:
            raise _unavailable() from exc

    @staticmethod
    def _count(pipe: Any, key: str, now: float, window: float) -> None:
        # Bounded work whatever the count: a lifted limit keeps a hundred thousand events
        # per key, and reading them all on every request stalled the API (bench, Redis).
        pipe.zremrangebyscore(key, "-inf", now - window)  # out of every window
        pipe.zcount(key, f"({now - window}", now)
        pipe.zrangebyscore(key, f"({now - window}", now, start=0, num=1, withscores=True)
        pipe.zrevrangebyscore(key, now, f"({now - window}", start=0, num=1, withscores=True)

    @staticmethod
    def _counted(replies: list[Any]) -> tuple[int, float | None, float | None]:
        _removed, count, first, last = replies[:4]
        return (
            int(count),
            (float(first[0][1]) if first else None),
            (float(last[0][1]) if last else None),
        )

    def events(self, key: str, now: float, window: float) -> tuple[int, float | None, float | None]:
        return self._counted(self._run(lambda pipe: self._count(pipe, key, now, window)))

    def add(self, key: str, now: float, window: float) -> str:
        event = f"{now:.6f}:{uuid.uuid4().hex[:8]}"

        def build(pipe: Any) -> None:
            pipe.zadd(key, {event: now})
            pipe.expire(key, int(window) + 60)

        self._run(build)
        return event

    def add_counting(
        self, key: str, now: float, window: float
    ) -> tuple[str, tuple[int, float | None, float | None]]:
        event = f"{now:.6f}:{uuid.uuid4().hex[:8]}"
        try:
            count, first, last = self._add_counting(
                keys=[key], args=[repr(now), repr(now - window), event, int(window) + 60]
            )
        except self._errors as exc:
            raise _unavailable() from exc
        return event, (int(count), _score(first), _score(last))

    def remove(self, key: str, event: str) -> None:
        self._run(lambda pipe: pipe.zrem(key, event))

    def clear(self, key: str) -> None:
        self._run(lambda pipe: pipe.delete(key))


def _refused(wait: float) -> Throttled:
    return Throttled(
        f"Too many attempts. Try again in {int(wait) + 1} seconds.", retry_after=int(wait) + 1
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


class Throttles:
    """The rules bound to a store; `check` raises Throttled, `record` counts one event."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.rules = rules_from(settings)
        self.prefix = f"{settings.rate_limit_prefix}:throttle"
        self.store: Store = store or (
            RedisStore(settings.redis_url) if settings.redis_url else MemoryStore()
        )

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

    def hit(self, name: str, ident: str, now: float | None = None) -> None:
        """Check and count in one step (for limits on every use rather than on failures).

        Counted first and taken back if refused: one round trip to Redis per API request
        instead of two. A refused hit is not counted, as with `check` then `record`.
        """
        rule, now = self.rules[name], time.time() if now is None else now
        key = self._key(rule, ident)
        event, (count, first, last) = self.store.add_counting(key, now, rule.window)
        wait = rule.retry_after(count, first, last, now)
        if wait > 0:
            self.store.remove(key, event)
            raise _refused(wait)

    def clear(self, name: str, ident: str) -> None:
        self.store.clear(self._key(self.rules[name], ident))


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
