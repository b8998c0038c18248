"""Why a shelter does not suit a household, in detail, and whether it is staffed right now.

Pure functions for the search page: each reason carries the limit that decides it (the
boys' age limit, the substance-use policy, the languages spoken) and whether that limit is
an assumption rather than documented; staffing is compared with the local time of day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from .enums import MatchReason
from .matching import Household, Needs, ShelterPolicy

# A shelter "staffed by day" without hours given is taken to be staffed 08:00–17:00.
DEFAULT_DAY = (time(8, 0), time(17, 0))
_HOURS = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?\s*[-–—]\s*(\d{1,2})(?:[:.](\d{2}))?")
# Words in a shelter's assumptions note that mark a policy as assumed, by reason.
_ASSUMPTION_WORDS = {
    MatchReason.BOYS_AGE: ("pojk", "boy"),
    MatchReason.BEDS: ("plats", "bed"),
    MatchReason.SUBSTANCE_USE: ("missbruk", "substance"),
    MatchReason.PETS: ("husdjur", "pet"),
    MatchReason.LGBTQ: ("hbtq", "lgbtq"),
    MatchReason.LANGUAGE: ("språk", "language"),
}


@dataclass(frozen=True)
class ReasonDetail:
    """One reason a shelter does not suit, with the limit behind it."""

    code: MatchReason
    limit: int | str | None = None  # e.g. 15 (boys' age), "if_detoxified", "ar, en"
    assumed: bool = False  # the limit is an assumption, not documented by the shelter


def explain(
    reasons: tuple[MatchReason, ...] | list[MatchReason],
    policy: ShelterPolicy,
    household: Household,
    needs: Needs,
    assumptions: str | None = None,
) -> list[ReasonDetail]:
    """Every reason with its limit and whether the limit is an assumption."""
    note = (assumptions or "").lower()
    out = []
    for code in reasons:
        limit: int | str | None = None
        if code is MatchReason.BOYS_AGE:
            limit = policy.max_boy_age
        elif code is MatchReason.SUBSTANCE_USE:
            limit = policy.substance_use.value
        elif code is MatchReason.LANGUAGE:
            limit = ", ".join(policy.languages)
        words = _ASSUMPTION_WORDS.get(code, ())
        assumed = "antag" in note or "assum" in note
        out.append(ReasonDetail(code, limit, assumed and any(w in note for w in words)))
    return out


@dataclass(frozen=True)
class Staffing:
    """Whether a shelter is staffed at a given local time, and its hours as it states them."""

    around_clock: bool
    staffed_now: bool
    hours: str | None  # the shelter's own words, e.g. "Dagtid, ej dygnet runt"
    window: tuple[time, time] | None  # parsed or assumed staffed hours

    @property
    def warning(self) -> bool:
        return not self.around_clock and not self.staffed_now


def staffed_window(hours: str | None) -> tuple[time, time]:
    """The staffed hours from text such as "08–17" or "8.00-16.30"; day hours otherwise."""
    for match in _HOURS.finditer(hours or ""):
        h1, m1, h2, m2 = (int(g) if g else 0 for g in match.groups())
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
            continue
        start, end = h1 * 60 + m1, h2 * 60 + m2
        # "3–4 anställda" is a head count, not hours: a staffed day is at least 3 hours.
        if (end - start) % (24 * 60) < 180:
            continue
        return time(h1 % 24, m1), time(h2 % 24, m2)
    return DEFAULT_DAY


def staffing(around_clock: bool, hours: str | None, local: time) -> Staffing:
    """Is the shelter staffed at `local` (Europe/Stockholm wall time)?"""
    if around_clock:
        return Staffing(True, True, hours, None)
    start, end = staffed_window(hours)
    inside = start <= local < end if start <= end else (local >= start or local < end)
    return Staffing(False, inside, hours, (start, end))
