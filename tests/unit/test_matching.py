"""Every policy in the matching rules, one behaviour per test."""

from __future__ import annotations

import pytest

from shelterbeds.domain.enums import LgbtqPolicy, MatchReason, Sex, SubstancePolicy, SubstanceUse
from shelterbeds.domain.matching import (
    Child,
    Household,
    Needs,
    ShelterPolicy,
    UnitFacts,
    match_shelter,
    shelter_fit,
    unit_fit,
)

UNIT = UnitFacts(adult_beds=1, child_beds=2)
ONE = Household()


def kids(*spec: tuple[int, str]) -> Household:
    return Household(adults=1, children=tuple(Child(a, Sex(s)) for a, s in spec))


@pytest.mark.parametrize(
    ("household", "ok"),
    [
        (Household(adults=1), True),
        (Household(adults=2), False),
        (kids((3, "f"), (5, "m")), True),
        (kids((3, "f"), (5, "m"), (7, "f")), False),
    ],
)
def test_beds_for_adults_and_children(household, ok):
    fit = unit_fit(UNIT, household, Needs())
    assert fit.ok is ok
    if not ok:
        assert fit.mismatches == (MatchReason.BEDS,)


def test_wheelchair_needs_an_accessible_unit():
    assert unit_fit(UNIT, ONE, Needs(wheelchair=True)).mismatches == (MatchReason.WHEELCHAIR,)
    accessible = UnitFacts(1, 2, wheelchair_accessible=True)
    fit = unit_fit(accessible, ONE, Needs(wheelchair=True))
    assert fit.ok and "wheelchair_accessible" in fit.notes


def test_pets_need_policy_and_unit():
    assert (
        MatchReason.PETS in shelter_fit(ShelterPolicy(pets=False), ONE, Needs(pets=True)).mismatches
    )
    assert shelter_fit(ShelterPolicy(pets=True), ONE, Needs(pets=True)).ok
    assert unit_fit(UnitFacts(1, 0, pets_allowed=False), ONE, Needs(pets=True)).mismatches == (
        MatchReason.PETS,
    )
    assert unit_fit(UnitFacts(1, 0, pets_allowed=True), ONE, Needs(pets=True)).ok


@pytest.mark.parametrize(
    ("policy", "ok", "note"),
    [
        (LgbtqPolicy.YES, True, "lgbtq_yes"),
        (LgbtqPolicy.AFTER_ASSESSMENT, True, "lgbtq_after_assessment"),
        (LgbtqPolicy.NO, False, None),
    ],
)
def test_lgbtq(policy, ok, note):
    fit = shelter_fit(ShelterPolicy(lgbtq=policy), ONE, Needs(lgbtq=True))
    assert fit.ok is ok
    if note:
        assert note in fit.notes
    else:
        assert fit.mismatches == (MatchReason.LGBTQ,)


def test_lgbtq_policy_irrelevant_without_the_need():
    assert shelter_fit(ShelterPolicy(lgbtq=LgbtqPolicy.NO), ONE, Needs()).ok


@pytest.mark.parametrize(
    ("policy", "need", "ok"),
    [
        (SubstancePolicy.NO, SubstanceUse.ACTIVE, False),
        (SubstancePolicy.NO, SubstanceUse.DETOXIFIED, False),
        (SubstancePolicy.IF_DETOXIFIED, SubstanceUse.ACTIVE, False),
        (SubstancePolicy.IF_DETOXIFIED, SubstanceUse.DETOXIFIED, True),
        (SubstancePolicy.YES, SubstanceUse.ACTIVE, True),
        (SubstancePolicy.YES, SubstanceUse.DETOXIFIED, True),
    ],
)
def test_substance_use(policy, need, ok):
    fit = shelter_fit(ShelterPolicy(substance_use=policy), ONE, Needs(substance_use=need))
    assert fit.ok is ok
    if not ok:
        assert fit.mismatches == (MatchReason.SUBSTANCE_USE,)
    elif policy is SubstancePolicy.IF_DETOXIFIED:
        assert "substance_use_if_detoxified" in fit.notes


def test_psychiatric():
    assert shelter_fit(
        ShelterPolicy(psychiatric=False), ONE, Needs(psychiatric=True)
    ).mismatches == (MatchReason.PSYCHIATRIC,)
    assert shelter_fit(ShelterPolicy(psychiatric=True), ONE, Needs(psychiatric=True)).ok


def test_men_and_women():
    assert shelter_fit(ShelterPolicy(accepts_men=False), ONE, Needs(men=True)).mismatches == (
        MatchReason.MEN,
    )
    fit = shelter_fit(ShelterPolicy(accepts_men=True), ONE, Needs(men=True))
    assert fit.ok and "men_accepted" in fit.notes
    men_only = ShelterPolicy(accepts_women=False, accepts_men=True)
    assert shelter_fit(men_only, ONE, Needs()).mismatches == (MatchReason.WOMEN,)


@pytest.mark.parametrize(
    ("children", "limit", "ok"),
    [
        (((15, "m"),), 15, True),
        (((16, "m"),), 15, False),
        (((16, "f"),), 15, True),  # the limit is for boys only
        (((4, "f"), (16, "m")), 15, False),  # any boy over the limit
        (((17, "m"),), None, True),  # no limit
    ],
)
def test_boys_age_limit(children, limit, ok):
    fit = shelter_fit(ShelterPolicy(max_boy_age=limit), kids(*children), Needs())
    assert fit.ok is ok
    if not ok:
        assert fit.mismatches == (MatchReason.BOYS_AGE,)


def test_language_is_matched_case_insensitively():
    policy = ShelterPolicy(languages=("sv", "AR"))
    assert "language_spoken" in shelter_fit(policy, ONE, Needs(language="ar")).notes
    assert shelter_fit(policy, ONE, Needs(language="so")).mismatches == (MatchReason.LANGUAGE,)


def test_staffing_is_not_a_reason_a_shelter_fits():
    # Staffed hours are a warning by time of day (domain/explain.py), never "why it matches".
    assert shelter_fit(ShelterPolicy(), ONE, Needs()).notes == ()


def test_region_limit_only_for_shelters_that_are_not_nationwide():
    local = ShelterPolicy(nationwide=False, county_code="18")
    assert shelter_fit(local, ONE, Needs(), placing_county="01").mismatches == (MatchReason.REGION,)
    assert shelter_fit(local, ONE, Needs(), placing_county="18").ok
    assert shelter_fit(ShelterPolicy(county_code="18"), ONE, Needs(), placing_county="01").ok


class TestMatchShelter:
    def test_matching_units_are_returned(self):
        units = [(1, UnitFacts(1, 2)), (2, UnitFacts(1, 2, wheelchair_accessible=True))]
        m = match_shelter(ShelterPolicy(), units, ONE, Needs(wheelchair=True))
        assert m.matching_units == (2,)
        assert m.near_miss_reason is None

    def test_full_shelter_is_a_near_miss_for_capacity(self):
        m = match_shelter(ShelterPolicy(), [], ONE, Needs())
        assert not m.matches and m.near_miss_reason is MatchReason.CAPACITY

    def test_one_policy_reason_is_a_near_miss(self):
        m = match_shelter(ShelterPolicy(), [(1, UNIT)], ONE, Needs(lgbtq=True))
        assert m.near_miss_reason is MatchReason.LGBTQ

    def test_two_reasons_are_not_a_single_reason_near_miss_but_both_are_kept(self):
        m = match_shelter(ShelterPolicy(), [(1, UNIT)], ONE, Needs(lgbtq=True, psychiatric=True))
        assert not m.matches and m.near_miss_reason is None
        assert m.reasons == (MatchReason.LGBTQ, MatchReason.PSYCHIATRIC)

    def test_a_boy_of_16_with_a_dog_fails_on_both(self):
        orebro = ShelterPolicy(max_boy_age=15, pets=False)
        m = match_shelter(orebro, [(1, UNIT)], kids((16, "m")), Needs(pets=True))
        assert m.reasons == (MatchReason.PETS, MatchReason.BOYS_AGE)  # the unit's "no pets" once

    def test_a_match_has_no_reasons(self):
        assert match_shelter(ShelterPolicy(), [(1, UNIT)], ONE, Needs()).reasons == ()

    def test_untrusted_vacancies_are_never_offered(self):
        m = match_shelter(ShelterPolicy(), [(1, UNIT)], ONE, Needs(), vacancies_trusted=False)
        assert not m.matches and m.near_miss_reason is MatchReason.UNKNOWN_VACANCY

    def test_untrusted_and_unsuitable_reports_the_policy(self):
        m = match_shelter(ShelterPolicy(), [], ONE, Needs(lgbtq=True), vacancies_trusted=False)
        assert m.near_miss_reason is MatchReason.LGBTQ

    def test_best_unit_decides_the_near_miss_reason(self):
        units = [(1, UnitFacts(1, 0)), (2, UnitFacts(1, 3))]
        m = match_shelter(ShelterPolicy(), units, kids((3, "f"), (5, "f")), Needs(wheelchair=True))
        assert m.near_miss_reason is MatchReason.WHEELCHAIR


def test_need_kinds_are_stable_keys():
    needs = Needs(wheelchair=True, substance_use=SubstanceUse.DETOXIFIED, language="ar")
    assert needs.kinds() == ["wheelchair", "substance_use_detoxified", "language"]
