"""Request transitions, hold arithmetic, review dates and phone parsing (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shelterbeds.domain.errors import Conflict
from shelterbeds.domain.matching import Household, Needs
from shelterbeds.domain.requests import (
    RequestStatus,
    Urgency,
    check_transition,
    first_review,
    hold_expired,
    minutes_left,
    next_review_after,
    review_overdue,
)
from shelterbeds.notifications.phones import to_e164 as normalise_phone
from shelterbeds.services.requests import RequestInput

T0 = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
FINAL = [s for s in RequestStatus if s is not RequestStatus.PENDING]


@pytest.mark.parametrize("new", FINAL)
def test_pending_may_move_to_every_final_state(new):
    check_transition(RequestStatus.PENDING, new)


@pytest.mark.parametrize("current", FINAL)
@pytest.mark.parametrize("new", list(RequestStatus))
def test_nothing_leaves_a_final_state(current, new):
    with pytest.raises(Conflict) as info:
        check_transition(current, new)
    assert info.value.extra["current_status"] == current.value
    assert current.value in info.value.detail


def test_pending_to_pending_is_not_a_transition():
    with pytest.raises(Conflict):
        check_transition(RequestStatus.PENDING, RequestStatus.PENDING)


def test_hold_arithmetic():
    expires = T0 + timedelta(minutes=60)
    assert not hold_expired(expires, T0)
    assert hold_expired(expires, expires)
    assert minutes_left(expires, T0) == 60
    assert minutes_left(expires, T0 + timedelta(minutes=59, seconds=1)) == 1
    assert minutes_left(expires, expires + timedelta(seconds=1)) == 0


def test_review_schedule_day_14_then_every_30_days():
    assert first_review(T0, 14) == T0 + timedelta(days=14)
    assert next_review_after(T0, T0, 14, 30) == T0 + timedelta(days=14)
    assert next_review_after(T0, T0 + timedelta(days=14), 14, 30) == T0 + timedelta(days=44)
    assert next_review_after(T0, T0 + timedelta(days=50), 14, 30) == T0 + timedelta(days=74)
    assert review_overdue(T0, T0) and not review_overdue(T0, T0 - timedelta(seconds=1))
    assert not review_overdue(None, T0)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("070-123 45 67", "+46701234567"),
        ("0701234567", "+46701234567"),
        ("+46 (0)70 123 45 67", "+46701234567"),
        ("08-123 456 78", "+46812345678"),
        ("+47 412 34 567", "+4741234567"),
    ],
)
def test_phone_numbers_become_e164(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12", "070-123", "hello", "+46 70 123 45 67 89 00"])
def test_bad_phone_numbers_are_refused(raw):
    with pytest.raises(ValueError):
        normalise_phone(raw)


def test_fingerprint_changes_with_the_body():
    base = RequestInput(1, "1880", "A-1", Household(), Needs(), Urgency.TODAY, "+46701234567")
    same = RequestInput(1, "1880", "A-1", Household(), Needs(), Urgency.TODAY, "+46701234567")
    other = RequestInput(1, "1880", "A-2", Household(), Needs(), Urgency.TODAY, "+46701234567")
    assert base.fingerprint() == same.fingerprint() != other.fingerprint()
