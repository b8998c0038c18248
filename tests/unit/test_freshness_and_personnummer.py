"""Freshness states at their thresholds; personnummer detection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shelterbeds.domain.enums import Freshness
from shelterbeds.domain.freshness import FreshnessThresholds, describe_freshness, freshness_state
from shelterbeds.domain.personnummer import contains_personnummer

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
T = FreshnessThresholds()


@pytest.mark.parametrize(
    ("age", "state"),
    [
        (timedelta(0), Freshness.FRESH),
        (timedelta(hours=2) - timedelta(seconds=1), Freshness.FRESH),
        (timedelta(hours=2), Freshness.AGEING),
        (timedelta(hours=12), Freshness.STALE),
        (timedelta(hours=24) - timedelta(seconds=1), Freshness.STALE),
        (timedelta(hours=24), Freshness.UNKNOWN),
        (timedelta(days=30), Freshness.UNKNOWN),
    ],
)
def test_freshness_thresholds(age, state):
    assert freshness_state(NOW - age, NOW, T) is state


def test_never_confirmed_is_unknown():
    assert freshness_state(None, NOW, T) is Freshness.UNKNOWN
    assert describe_freshness(None, NOW, T).age_minutes is None


def test_thresholds_are_settings():
    tight = FreshnessThresholds(timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=15))
    assert freshness_state(NOW - timedelta(minutes=20), NOW, tight) is Freshness.UNKNOWN


def test_naive_times_are_treated_as_utc():
    naive = (NOW - timedelta(minutes=30)).replace(tzinfo=None)
    assert describe_freshness(naive, NOW, T).age_minutes == 30


@pytest.mark.parametrize(
    "text",
    [
        "19811218-9876",
        "811218-9876",
        "ref 8112189876 x",
        "198112189876",
        "811278-9873",
        "811218+9876",
    ],
)
def test_personnummer_is_detected(text):
    assert contains_personnummer(text)


@pytest.mark.parametrize(
    "text",
    [
        "2024-0042",
        "811218-9875",
        "811318-9876",
        "dnr 12345",
        "",
        "0701740605",
        "+46701740605",
        "IFO-2026-117",
    ],
)
def test_other_text_is_not_a_personnummer(text):
    assert not contains_personnummer(text)
