"""Local months, DST transitions and small-count suppression (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shelterbeds.domain.clock import STOCKHOLM
from shelterbeds.domain.errors import Invalid
from shelterbeds.domain.periods import Period, days_between, summer_time
from shelterbeds.domain.suppression import suppress_count, suppress_row


@pytest.mark.parametrize("year", range(2000, 2040))
def test_summer_time_matches_the_time_zone_database(year):
    begins, ends = summer_time(year)
    before = timedelta(seconds=1)
    assert (begins - before).astimezone(STOCKHOLM).utcoffset() == timedelta(hours=1)
    assert begins.astimezone(STOCKHOLM).utcoffset() == timedelta(hours=2)
    assert (ends - before).astimezone(STOCKHOLM).utcoffset() == timedelta(hours=2)
    assert ends.astimezone(STOCKHOLM).utcoffset() == timedelta(hours=1)


def test_month_bounds_are_local_midnights():
    period = Period.of("2026-03", "2026-04")
    (m1, s1, e1), (m2, s2, e2) = period.bounds
    assert (m1, m2) == ("2026-03", "2026-04")
    assert s1 == datetime(2026, 2, 28, 23, tzinfo=UTC)  # winter: UTC+1
    assert e1 == s2 == datetime(2026, 3, 31, 22, tzinfo=UTC)  # summer: UTC+2
    assert len(period.nights("2026-03")) == 31
    assert period.nights("2026-03")[-1] == e1
    assert period.previous() == Period("2026-01", "2026-02")
    assert Period.of("2026-01", "2026-12").previous() == Period("2025-01", "2025-12")


def test_last_months_and_year():
    now = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already 2027 in Stockholm
    assert Period.last_months(now, 12) == Period("2026-02", "2027-01")
    assert Period.year(2026).months[-1] == "2026-12"


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        ("2026-13", "2026-12", "from"),
        ("26-01", "2026-01", "from"),
        ("2026-05", "2026-04", "to"),
        ("1999-01", "2000-01", "from"),
        ("2000-01", "2010-02", "to"),
    ],
)
def test_bad_periods_say_which_field(first, last, field):
    with pytest.raises(Invalid) as err:
        Period.of(first, last)
    assert field in err.value.errors


def test_days_between_counts_local_days():
    start = datetime(2026, 3, 28, 23, tzinfo=UTC)  # 29 March 00:00 local
    assert days_between(start, start + timedelta(hours=23)) == 1  # the 23-hour day
    assert days_between(start, start) == 0


def test_suppression():
    assert [suppress_count(n) for n in (0, 1, 2, 3, None, True, 1.5)] == [
        0,
        "<3",
        "<3",
        3,
        None,
        True,
        1.5,
    ]
    row = suppress_row({"a": 2, "b": 7, "rate": 0.5}, ["a", "b"], {"rate": "a"})
    assert row == {"a": "<3", "b": 7, "rate": None}
