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

    def add(self, key: str, now: float, window: float) -> None: ...

    def clear(self, key: str) -> None: ...


class MemoryStore:
    """One process's events (development, tests without Redis)."""

    def __init__(self) -> None:
        self._events: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()

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

    def add(self, key: str, now: float, window: float) -> None:
        with self._lock:
            bisect.insort(self._events[key], now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)


class RedisStore:
    """Events as a sorted set per key (score = time), shared by all workers and nodes."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)

    def _run(self, build: Callable[[Any], object]) -> list[Any]:
        try:
            pipe = self._redis.pipeline()
            build(pipe)
            return list(pipe.execute())
        except self._errors as exc:
            raise ThrottleUnavailable(
                "Rate limiting is unavailable, so this is refused for now. Try again shortly."
            ) from exc

    def events(self, key: str, now: float, window: float) -> tuple[int, float | None, float | None]:
        def build(pipe: Any) -> None:
            pipe.zremrangebyscore(key, "-inf", now - window)
            pipe.zrangebyscore(key, now - window, now, withscores=True)

        _removed, rows = self._run(build)
        scores = [float(score) for _member, score in rows]
        return len(scores), (scores[0] if scores else None), (scores[-1] if scores else None)

    def add(self, key: str, now: float, window: float) -> None:
        def build(pipe: Any) -> None:
            pipe.zadd(key, {f"{now:.6f}:{uuid.uuid4().hex[:8]}": now})
            pipe.expire(key, int(window) + 60)

        self._run(build)

    def clear(self, key: str) -> None:
        self._run(lambda pipe: pipe.delete(key))


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
            raise Throttled(
                f"Too many attempts. Try again in {int(wait) + 1} seconds.",
                retry_after=int(wait) + 1,
            )

    def record(self, name: str, ident: str, now: float | None = None) -> None:
        rule = self.rules[name]
        self.store.add(self._key(rule, ident), time.time() if now is None else now, rule.window)

    def hit(self, name: str, ident: str) -> None:
        """Check, then count (for limits on every use rather than on failures)."""
        self.check(name, ident)
        self.record(name, ident)

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
