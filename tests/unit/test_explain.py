"""Near-miss reasons with their limits, and staffing against the time of day."""

from __future__ import annotations

from datetime import time

import pytest

from shelterbeds.domain.enums import MatchReason, Sex, SubstancePolicy
from shelterbeds.domain.explain import DEFAULT_DAY, explain, staffed_window, staffing
from shelterbeds.domain.matching import Child, Household, Needs, ShelterPolicy

BOY_16 = Household(1, (Child(16, Sex.MALE),))
OREBRO_NOTE = "Antagande: tar emot medföljande pojkar upp till 15 år (ej dokumenterat)."


def test_boys_age_reason_carries_the_limit_and_the_assumption():
    policy = ShelterPolicy(max_boy_age=15)
    reasons = (MatchReason.PETS, MatchReason.BOYS_AGE)
    pets, boys = explain(reasons, policy, BOY_16, Needs(pets=True), OREBRO_NOTE)
    assert (boys.code, boys.limit, boys.assumed) == (MatchReason.BOYS_AGE, 15, True)
    assert (pets.code, pets.assumed) == (MatchReason.PETS, False)  # the note is about boys


def test_a_documented_limit_is_not_an_assumption():
    (boys,) = explain((MatchReason.BOYS_AGE,), ShelterPolicy(max_boy_age=12), BOY_16, Needs())
    assert boys.limit == 12 and not boys.assumed
    note = "Antagande: 1 vuxen- och 3 barnplatser per lägenhet."
    (boys,) = explain((MatchReason.BOYS_AGE,), ShelterPolicy(max_boy_age=12), BOY_16, Needs(), note)
    assert not boys.assumed


def test_substance_and_language_limits():
    policy = ShelterPolicy(substance_use=SubstancePolicy.IF_DETOXIFIED, languages=("sv", "ar"))
    sub, lang = explain((MatchReason.SUBSTANCE_USE, MatchReason.LANGUAGE), policy, BOY_16, Needs())
    assert sub.limit == "if_detoxified" and lang.limit == "sv, ar"


@pytest.mark.parametrize(
    ("hours", "window"),
    [
        ("08–17", (time(8), time(17))),
        ("kl. 8.30-16.00 vardagar", (time(8, 30), time(16))),
        ("22-06", (time(22), time(6))),
        ("Dagtid, 3–4 anställda", DEFAULT_DAY),  # a head count, not hours
        ("Dagtid", DEFAULT_DAY),
        (None, DEFAULT_DAY),
        ("99-77", DEFAULT_DAY),
    ],
)
def test_staffed_window(hours, window):
    assert staffed_window(hours) == window


def test_a_day_staffed_shelter_at_3_am_is_a_warning():
    night = staffing(False, "Dagtid", time(3, 0))
    assert night.warning and not night.staffed_now and night.hours == "Dagtid"
    day = staffing(False, "Dagtid", time(10, 0))
    assert day.staffed_now and not day.warning
    assert not staffing(True, None, time(3, 0)).warning
    overnight = staffing(False, "22-06", time(3, 0))
    assert overnight.staffed_now
