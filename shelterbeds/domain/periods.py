"""Local (Europe/Stockholm) months and the UTC instants that bound them, DST-safely.

Statistics group by *local* month: a refusal at 00:30 on 1 March local time (23:30 UTC on
28 February) belongs to March. Month boundaries are computed as local midnights and turned
into UTC once, and the database compares stored UTC timestamps with those instants; nothing
groups by a UTC date. Plain Python, stdlib only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .clock import STOCKHOLM
from .errors import Invalid

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_MONTHS = 120  # a ten-year period at most
NIGHT_STARTS, NIGHT_ENDS = 18, 8  # local hours: 18:00–08:00 is "night" (socialjour hours)


def parse_month(text: str, field: str = "from") -> tuple[int, int]:
    """(year, month) of a "YYYY-MM" string; Invalid (naming the field) otherwise."""
    match = MONTH_RE.match(text or "")
    if not match or not MIN_YEAR <= int(match.group(1)) <= MAX_YEAR:
        raise Invalid(
            f"'{field}' must be a month written YYYY-MM between {MIN_YEAR} and {MAX_YEAR}.",
            errors={field: ["Use YYYY-MM, e.g. 2026-03."]},
        )
    return int(match.group(1)), int(match.group(2))


def month_label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def local_midnight(day: date, tz: ZoneInfo = STOCKHOLM) -> datetime:
    """The UTC instant of 00:00 local time on `day` (midnight always exists in Sweden)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def month_start(year: int, month: int, tz: ZoneInfo = STOCKHOLM) -> datetime:
    """The UTC instant the local month begins."""
    return local_midnight(date(year, month, 1), tz)


@dataclass(frozen=True)
class Period:
    """Whole local months from `first` to `last` inclusive ("YYYY-MM" each)."""

    first: str
    last: str

    @classmethod
    def of(cls, first: str, last: str) -> Period:
        """Validate and build; Invalid for a reversed or too long period."""
        a, b = parse_month(first, "from"), parse_month(last, "to")
        if b < a:
            raise Invalid("'to' is before 'from'.", errors={"to": ["Must not be before 'from'."]})
        span = (b[0] - a[0]) * 12 + b[1] - a[1] + 1
        if span > MAX_MONTHS:
            raise Invalid(
                f"A period is at most {MAX_MONTHS} months.",
                errors={"to": [f"At most {MAX_MONTHS} months after 'from'."]},
            )
        return cls(month_label(*a), month_label(*b))

    @classmethod
    def last_months(cls, now: datetime, n: int = 12) -> Period:
        """The `n` local months up to and including the current one."""
        today = now.astimezone(STOCKHOLM).date()
        return cls(
            month_label(*add_months(today.year, today.month, 1 - n)),
            month_label(today.year, today.month),
        )

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(month_label(year, 1), month_label(year, 12))

    @property
    def months(self) -> list[str]:
        y, m = parse_month(self.first)
        out = []
        while month_label(y, m) <= self.last:
            out.append(month_label(y, m))
            y, m = add_months(y, m, 1)
        return out

    @property
    def bounds(self) -> list[tuple[str, datetime, datetime]]:
        """(month, UTC start, UTC end) of every month, end exclusive."""
        out = []
        for label in self.months:
            y, m = parse_month(label)
            out.append((label, month_start(y, m), month_start(*add_months(y, m, 1))))
        return out

    @property
    def start(self) -> datetime:
        return month_start(*parse_month(self.first))

    @property
    def end(self) -> datetime:
        return month_start(*add_months(*parse_month(self.last), 1))

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        n = len(self.months)
        a = add_months(*parse_month(self.first), -n)
        b = add_months(*parse_month(self.first), -1)
        return Period(month_label(*a), month_label(*b))

    def nights(self, label: str) -> list[datetime]:
        """Census instants of a month's nights: the local midnights ending each of its days.

        The night of day D (evening D to morning D+1) is counted by a unit's status at
        00:00 local on D+1, so month M owns the midnights after its start up to its end.
        """
        y, m = parse_month(label)
        first = date(y, m, 1)
        ny, nm = add_months(y, m, 1)
        days = (date(ny, nm, 1) - first).days
        return [local_midnight(first + timedelta(days=i + 1)) for i in range(days)]


def summer_time(year: int) -> tuple[datetime, datetime]:
    """UTC instants summer time (CEST, UTC+2) begins and ends in `year` (EU rule since 1996).

    Last Sunday of March and of October, at 01:00 UTC.
    """

    def last_sunday(month: int) -> date:
        day = date(year, month, 31)
        return day - timedelta(days=(day.weekday() + 1) % 7)

    at = time(1, tzinfo=UTC)
    return datetime.combine(last_sunday(3), at), datetime.combine(last_sunday(10), at)


def days_between(start: datetime, end: datetime) -> int:
    """How many local calendar days the half-open interval [start, end) touches."""
    if end <= start:
        return 0
    a = start.astimezone(STOCKHOLM).date()
    b = (end - timedelta(microseconds=1)).astimezone(STOCKHOLM).date()
    return (b - a).days + 1
