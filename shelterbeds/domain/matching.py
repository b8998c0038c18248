"""Match a household and its needs against a shelter's policies and its units.

Pure functions over small frozen dataclasses, so search, alert subscriptions and request
validation all apply exactly the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .enums import LgbtqPolicy, MatchReason, Sex, SubstancePolicy, SubstanceUse


@dataclass(frozen=True)
class Child:
    age: int
    sex: Sex


@dataclass(frozen=True)
class Household:
    adults: int = 1
    children: tuple[Child, ...] = ()

    @property
    def child_count(self) -> int:
        return len(self.children)

    @property
    def oldest_boy(self) -> int | None:
        ages = [c.age for c in self.children if c.sex is Sex.MALE]
        return max(ages) if ages else None


@dataclass(frozen=True)
class Needs:
    wheelchair: bool = False
    pets: bool = False
    lgbtq: bool = False
    substance_use: SubstanceUse | None = None
    psychiatric: bool = False
    men: bool = False  # the adult is a man
    language: str | None = None  # ISO 639-1 code
    honour_related: bool = False

    def kinds(self) -> list[str]:
        """The need kinds present, as stable keys (for unmet-need statistics)."""
        keys = [
            k for k in ("wheelchair", "pets", "lgbtq", "psychiatric", "men") if getattr(self, k)
        ]
        if self.substance_use is not None:
            keys.append(f"substance_use_{self.substance_use.value}")
        if self.language:
            keys.append("language")
        if self.honour_related:
            keys.append("honour_related")
        return keys


@dataclass(frozen=True)
class ShelterPolicy:
    accepts_women: bool = True
    accepts_men: bool = False
    lgbtq: LgbtqPolicy = LgbtqPolicy.NO
    substance_use: SubstancePolicy = SubstancePolicy.NO
    psychiatric: bool = False
    pets: bool = False
    max_boy_age: int | None = None  # None: no age limit for accompanying boys
    staffed_around_clock: bool = False
    languages: tuple[str, ...] = ()
    nationwide: bool = True
    county_code: str = ""


@dataclass(frozen=True)
class UnitFacts:
    adult_beds: int
    child_beds: int
    wheelchair_accessible: bool = False
    pets_allowed: bool = False


@dataclass(frozen=True)
class Fit:
    """The outcome of matching: mismatches (empty when it fits) and notes on why it fits."""

    mismatches: tuple[MatchReason, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.mismatches


def shelter_fit(
    policy: ShelterPolicy,
    household: Household,
    needs: Needs,
    placing_county: str | None = None,
) -> Fit:
    """Check the shelter-wide policies; notes explain conditional yeses."""
    bad: list[MatchReason] = []
    notes: list[str] = []

    if needs.men and not policy.accepts_men:
        bad.append(MatchReason.MEN)
    if not needs.men and not policy.accepts_women:
        bad.append(MatchReason.WOMEN)
    if needs.men and policy.accepts_men:
        notes.append("men_accepted")

    if needs.lgbtq:
        if policy.lgbtq is LgbtqPolicy.NO:
            bad.append(MatchReason.LGBTQ)
        elif policy.lgbtq is LgbtqPolicy.AFTER_ASSESSMENT:
            notes.append("lgbtq_after_assessment")
        else:
            notes.append("lgbtq_yes")

    if needs.substance_use is not None:
        allowed = policy.substance_use is SubstancePolicy.YES or (
            policy.substance_use is SubstancePolicy.IF_DETOXIFIED
            and needs.substance_use is SubstanceUse.DETOXIFIED
        )
        if not allowed:
            bad.append(MatchReason.SUBSTANCE_USE)
        elif policy.substance_use is SubstancePolicy.IF_DETOXIFIED:
            notes.append("substance_use_if_detoxified")
        else:
            notes.append("substance_use_yes")

    if needs.psychiatric:
        if policy.psychiatric:
            notes.append("psychiatric_yes")
        else:
            bad.append(MatchReason.PSYCHIATRIC)

    if needs.pets and not policy.pets:
        bad.append(MatchReason.PETS)

    oldest_boy = household.oldest_boy
    if oldest_boy is not None and policy.max_boy_age is not None:
        if oldest_boy > policy.max_boy_age:
            bad.append(MatchReason.BOYS_AGE)
        else:
            notes.append("boys_within_age_limit")

    if needs.language:
        if needs.language.lower() in {lang.lower() for lang in policy.languages}:
            notes.append("language_spoken")
        else:
            bad.append(MatchReason.LANGUAGE)

    if (
        placing_county
        and not policy.nationwide
        and policy.county_code
        and placing_county != policy.county_code
    ):
        bad.append(MatchReason.REGION)

    # Staffing is not a reason a shelter fits: it is a warning that depends on the time of
    # day (see `staffing`), shown beside the result.
    return Fit(tuple(bad), tuple(notes))


def unit_fit(unit: UnitFacts, household: Household, needs: Needs) -> Fit:
    """Check one unit's beds and facilities against the household."""
    bad: list[MatchReason] = []
    if household.adults > unit.adult_beds or household.child_count > unit.child_beds:
        bad.append(MatchReason.BEDS)
    if needs.wheelchair and not unit.wheelchair_accessible:
        bad.append(MatchReason.WHEELCHAIR)
    if needs.pets and not unit.pets_allowed:
        bad.append(MatchReason.PETS)
    notes = ("wheelchair_accessible",) if needs.wheelchair and unit.wheelchair_accessible else ()
    return Fit(tuple(bad), notes)


@dataclass(frozen=True)
class ShelterMatch:
    """Matching outcome for one shelter: its suitable units, or the one thing in the way."""

    matching_units: tuple[int, ...]
    notes: tuple[str, ...]
    near_miss_reason: MatchReason | None  # set when exactly one reason stands in the way
    reasons: tuple[MatchReason, ...] = ()  # every reason in the way (empty when it matches)

    @property
    def matches(self) -> bool:
        return bool(self.matching_units)


def match_shelter(
    policy: ShelterPolicy,
    free_units: Sequence[tuple[int, UnitFacts]],
    household: Household,
    needs: Needs,
    *,
    vacancies_trusted: bool = True,
    placing_county: str | None = None,
) -> ShelterMatch:
    """Find the shelter's suitable free units; if none, the single reason (if only one).

    `free_units` are (unit id, facts) of units whose status is free. Untrusted (unknown
    freshness) vacancies are never offered; such a shelter is a near miss only when
    freshness is all that stands in the way.
    """
    policy_fit = shelter_fit(policy, household, needs, placing_county)
    fits = [(uid, unit_fit(facts, household, needs)) for uid, facts in free_units]
    suitable = tuple(uid for uid, fit in fits if fit.ok)
    unit_notes = tuple(dict.fromkeys(n for uid, fit in fits if fit.ok for n in fit.notes))

    if policy_fit.ok and suitable and vacancies_trusted:
        return ShelterMatch(suitable, policy_fit.notes + unit_notes, None)

    # Which reasons stand in the way? Policy reasons plus the best unit's reasons; with
    # untrusted vacancies the units say nothing, so only policies and freshness count.
    reasons = list(policy_fit.mismatches)
    if not vacancies_trusted:
        if not reasons:
            reasons.append(MatchReason.UNKNOWN_VACANCY)
    elif not free_units:
        reasons.append(MatchReason.CAPACITY)
    elif not suitable:
        best = min((fit.mismatches for _, fit in fits), key=len)
        reasons.extend(r for r in best if r not in reasons)
    near = reasons[0] if len(reasons) == 1 else None
    return ShelterMatch((), policy_fit.notes, near, tuple(reasons))
