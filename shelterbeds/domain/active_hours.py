"""Active hours of an alert subscription: local HH:MM to HH:MM, which may wrap midnight."""

from __future__ import annotations

from datetime import datetime, time

from .clock import STOCKHOLM, as_utc


def parse_hhmm(value: str) -> time:
    """'18:00' -> time(18, 0); ValueError otherwise."""
    hh, sep, mm = value.partition(":")
    if not sep or len(hh) != 2 or len(mm) != 2 or not (hh.isdigit() and mm.isdigit()):
        raise ValueError(value)
    return time(int(hh), int(mm))


def is_active(active_from: str | None, active_to: str | None, now: datetime) -> bool:
    """Whether `now` (UTC) falls in the local window [from, to); no window means always.

    18:00–08:00 wraps midnight: active from 18:00 to 23:59 and from 00:00 to 07:59. A window
    whose ends are equal covers the whole day.
    """
    if active_from is None or active_to is None:
        return True
    start, end = parse_hhmm(active_from), parse_hhmm(active_to)
    t = as_utc(now).astimezone(STOCKHOLM).time().replace(second=0, microsecond=0)
    if start == end:
        return True
    if start < end:
        return start <= t < end
    return t >= start or t < end
