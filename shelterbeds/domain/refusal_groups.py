"""Decline and turn-away reasons mapped to groups comparable with UK and German audits.

The UK (Women's Aid "Annual Audit": *no space*, *unable to meet needs*, *no staff*,
*safety*, *declined*, *inappropriate referral*) and German (Frauenhauskoordinierung
statistics: *kein Platz*, *Bedarf passt nicht*, *Sicherheitsgründe*, *Frau hat abgesagt*)
annual reports group refusals in nearly the same way; these groups let the county's figures
sit next to theirs. Plain Python, stdlib only.
"""

from __future__ import annotations

from enum import StrEnum

from .enums import DeclineReason


class RefusalGroup(StrEnum):
    NO_PLACE = "no_place"
    NO_STAFF = "no_staff"
    UNSUITABLE = "unsuitable"  # the household's needs could not be met (see `need_of`)
    SAFETY_LOCATION = "safety_location"
    CLIENT_DECLINED = "client_declined"
    INAPPROPRIATE = "inappropriate"
    OTHER = "other"


GROUP_OF: dict[DeclineReason, RefusalGroup] = {
    DeclineReason.CAPACITY: RefusalGroup.NO_PLACE,
    DeclineReason.STAFF: RefusalGroup.NO_STAFF,
    DeclineReason.WHEELCHAIR: RefusalGroup.UNSUITABLE,
    DeclineReason.SUBSTANCE_USE: RefusalGroup.UNSUITABLE,
    DeclineReason.PSYCHIATRIC: RefusalGroup.UNSUITABLE,
    DeclineReason.LGBTQ: RefusalGroup.UNSUITABLE,
    DeclineReason.PETS: RefusalGroup.UNSUITABLE,
    DeclineReason.BOYS_AGE: RefusalGroup.UNSUITABLE,
    DeclineReason.MEN: RefusalGroup.UNSUITABLE,
    DeclineReason.LANGUAGE: RefusalGroup.UNSUITABLE,
    DeclineReason.SECURITY: RefusalGroup.SAFETY_LOCATION,
    DeclineReason.CLIENT_DECLINED: RefusalGroup.CLIENT_DECLINED,
    DeclineReason.INAPPROPRIATE: RefusalGroup.INAPPROPRIATE,
    DeclineReason.OTHER: RefusalGroup.OTHER,
}

# Reasons that say "we could not take anyone now": counted as turn-aways for capacity.
CAPACITY_REASONS = frozenset({DeclineReason.CAPACITY, DeclineReason.STAFF})


def group_of(reason: DeclineReason | str) -> RefusalGroup:
    """The comparable group of a decline or turn-away reason."""
    return GROUP_OF[DeclineReason(reason)]


def need_of(reason: DeclineReason | str) -> str | None:
    """For an *unsuitable* refusal, the need that could not be met (the reason's code)."""
    value = DeclineReason(reason)
    return value.value if GROUP_OF[value] is RefusalGroup.UNSUITABLE else None


def reasons_in(group: RefusalGroup | str) -> list[DeclineReason]:
    """The reasons that make up a group, in enum order."""
    wanted = RefusalGroup(group)
    return [reason for reason, g in GROUP_OF.items() if g is wanted]
