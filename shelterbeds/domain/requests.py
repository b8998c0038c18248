"""Placement requests and placements as plain rules: states, transitions, review dates."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from .clock import as_utc
from .enums import DeclineReason
from .errors import Conflict


class RequestStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class Urgency(StrEnum):
    IMMEDIATE = "immediate"
    TODAY = "today"
    PLANNED = "planned"


# Declines that say the household's needs could not be met here (an unmet-need signal).
SUITABILITY_REASONS = frozenset(
    {
        DeclineReason.WHEELCHAIR,
        DeclineReason.SUBSTANCE_USE,
        DeclineReason.PSYCHIATRIC,
        DeclineReason.LGBTQ,
        DeclineReason.PETS,
        DeclineReason.BOYS_AGE,
        DeclineReason.MEN,
        DeclineReason.LANGUAGE,
    }
)


class EndReason(StrEnum):
    OWN_HOUSING = "own_housing"
    RETURNED_HOME = "returned_home"
    OTHER_SHELTER = "other_shelter"
    OTHER_PLACEMENT = "other_placement"
    OTHER = "other"
    UNKNOWN = "unknown"


# The only moves a request can make: out of pending, once.
TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.PENDING: frozenset(
        {
            RequestStatus.ACCEPTED,
            RequestStatus.DECLINED,
            RequestStatus.WITHDRAWN,
            RequestStatus.EXPIRED,
        }
    ),
    RequestStatus.ACCEPTED: frozenset(),
    RequestStatus.DECLINED: frozenset(),
    RequestStatus.WITHDRAWN: frozenset(),
    RequestStatus.EXPIRED: frozenset(),
}


def check_transition(current: RequestStatus, new: RequestStatus) -> None:
    """Raise Conflict (naming the current state) unless `current` may move to `new`."""
    if new not in TRANSITIONS[current]:
        raise Conflict(
            f"The request is already {current.value}; it cannot become {new.value}.",
            current_status=current.value,
        )


def hold_expired(hold_expires_at: datetime, now: datetime) -> bool:
    """A hold ends at its expiry instant (inclusive)."""
    return as_utc(now) >= as_utc(hold_expires_at)


def minutes_left(hold_expires_at: datetime, now: datetime) -> int:
    """Whole minutes left on a hold, rounded up; 0 once expired."""
    seconds = (as_utc(hold_expires_at) - as_utc(now)).total_seconds()
    return 0 if seconds <= 0 else int(-(-seconds // 60))


def first_review(started_at: datetime, first_days: int) -> datetime:
    """The first follow-up date of a placement (default: day 14)."""
    return as_utc(started_at) + timedelta(days=first_days)


def next_review_after(
    started_at: datetime, after: datetime, first_days: int, every_days: int
) -> datetime:
    """The first review date of the schedule (day `first_days`, then every `every_days`)
    strictly later than `after`."""
    due = first_review(started_at, first_days)
    after = as_utc(after)
    if due > after:
        return due
    periods = int((after - due) // timedelta(days=every_days)) + 1
    return due + timedelta(days=every_days * periods)


def review_overdue(next_review_at: datetime | None, now: datetime) -> bool:
    return next_review_at is not None and as_utc(next_review_at) <= as_utc(now)
