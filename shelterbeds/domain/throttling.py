"""Rate-limit rules as pure functions: how long to wait after recent failures or hits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """At most `limit` events per `window` seconds; with `free` set, a growing delay too.

    The delay after n recent events is 0 for the first `free`, then 1, 2, 4, ... seconds up
    to `max_delay`. An attacker is slowed to a crawl long before the hourly cap, and the cap
    is a ceiling, not a lock: the oldest failure leaves the window and a try is allowed again.
    """

    name: str
    limit: int
    window: float
    free: int | None = None
    max_delay: float = 30.0

    def delay(self, events: int) -> float:
        if self.free is None or events < self.free:
            return 0.0
        return float(min(2.0 ** (events - self.free), self.max_delay))

    def retry_after(
        self, events: int, first: float | None, last: float | None, now: float
    ) -> float:
        """Seconds until the next event is allowed (0: now), given the events in the window."""
        wait = 0.0
        if events >= self.limit and first is not None:
            wait = first + self.window - now
        if last is not None:
            wait = max(wait, last + self.delay(events) - now)
        return max(wait, 0.0)

    def grant(
        self, events: int, first: float | None, last: float | None, now: float, wanted: int
    ) -> int:
        """How many of `wanted` events may happen now, given the events in the window.

        A plain limit grants what is left of it (events reserved ahead of `now` count as
        spent); a rule with a growing delay grants one event or none.
        """
        if self.free is None:
            return max(0, min(wanted, self.limit - events))
        return 1 if self.retry_after(events, first, last, now) == 0 else 0
