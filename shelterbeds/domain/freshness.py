"""How old a shelter's last confirmation is, and whether its vacancies can be trusted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .clock import as_utc
from .enums import Freshness


@dataclass(frozen=True)
class FreshnessThresholds:
    """Upper bounds (exclusive) of each state; older than `stale` is unknown."""

    fresh: timedelta = timedelta(hours=2)
    ageing: timedelta = timedelta(hours=12)
    stale: timedelta = timedelta(hours=24)


def freshness_state(
    confirmed_at: datetime | None, now: datetime, thresholds: FreshnessThresholds
) -> Freshness:
    """Classify the age of a confirmation; never confirmed means unknown."""
    if confirmed_at is None:
        return Freshness.UNKNOWN
    age = as_utc(now) - as_utc(confirmed_at)
    if age < thresholds.fresh:
        return Freshness.FRESH
    if age < thresholds.ageing:
        return Freshness.AGEING
    if age < thresholds.stale:
        return Freshness.STALE
    return Freshness.UNKNOWN


def vacancies_trusted(state: Freshness) -> bool:
    """Free units are shown as free only while the confirmation is not unknown."""
    return state is not Freshness.UNKNOWN


@dataclass(frozen=True)
class FreshnessInfo:
    """What search and the staff page show: when confirmed, the state, the age."""

    confirmed_at: datetime | None
    state: Freshness
    age_minutes: int | None


def describe_freshness(
    confirmed_at: datetime | None, now: datetime, thresholds: FreshnessThresholds
) -> FreshnessInfo:
    age = (
        None
        if confirmed_at is None
        else int((as_utc(now) - as_utc(confirmed_at)).total_seconds() // 60)
    )
    return FreshnessInfo(confirmed_at, freshness_state(confirmed_at, now, thresholds), age)
