"""Decline and turn-away reasons map to the groups of the UK and German annual audits."""

from __future__ import annotations

import pytest

from shelterbeds.domain.enums import DeclineReason
from shelterbeds.domain.refusal_groups import (
    CAPACITY_REASONS,
    GROUP_OF,
    RefusalGroup,
    group_of,
    need_of,
    reasons_in,
)


def test_every_reason_has_exactly_one_group():
    assert set(GROUP_OF) == set(DeclineReason)


@pytest.mark.parametrize(
    ("reason", "group"),
    [
        ("capacity", "no_place"),
        ("staff", "no_staff"),
        ("wheelchair", "unsuitable"),
        ("boys_age", "unsuitable"),
        ("security", "safety_location"),
        ("client_declined", "client_declined"),
        ("inappropriate", "inappropriate"),
        ("other", "other"),
    ],
)
def test_groups(reason, group):
    assert group_of(reason) == RefusalGroup(group)


def test_unsuitable_refusals_name_the_need_and_others_do_not():
    assert need_of("psychiatric") == "psychiatric"
    assert need_of("capacity") is None and need_of("client_declined") is None
    assert set(reasons_in("unsuitable")) == {
        DeclineReason(r)
        for r in (
            "wheelchair",
            "substance_use",
            "psychiatric",
            "lgbtq",
            "pets",
            "boys_age",
            "men",
            "language",
        )
    }


def test_no_staff_counts_as_a_turn_away_for_capacity_but_a_client_no_does_not():
    assert DeclineReason.STAFF in CAPACITY_REASONS
    assert DeclineReason.CLIENT_DECLINED not in CAPACITY_REASONS
