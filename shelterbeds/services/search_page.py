"""The search page's answer: the ranked page of the vacancy search, plus what a person at
the phone needs beside it — each "almost suitable" shelter with every reason in the way
explained, and whether each matching shelter is staffed right now.

One source: the near misses are those of the same ranked search the API answers with
(services/vacancies.py), so a shelter is never a match here and a near miss there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ..domain.clock import STOCKHOLM, as_utc
from ..domain.enums import MatchReason
from ..domain.explain import ReasonDetail, Staffing, explain, staffing
from ..domain.freshness import FreshnessInfo, FreshnessThresholds
from ..models import User
from .snapshot import ShelterRow
from .vacancies import SearchResult, VacancyQuery, search_vacancies


@dataclass
class NearMiss:
    """An almost suitable shelter with every reason in the way, explained."""

    shelter: ShelterRow
    freshness: FreshnessInfo
    reasons: list[ReasonDetail]

    @property
    def codes(self) -> list[MatchReason]:
        return [r.code for r in self.reasons]


@dataclass
class PageAnswer:
    """What the search page shows for one submitted form."""

    result: SearchResult
    near: list[NearMiss]
    staffing: dict[int, Staffing] = field(default_factory=dict)  # by matching shelter id
    local_now: datetime | None = None  # Europe/Stockholm, for "not staffed now (02:10)"


def search_for_page(
    session: Session,
    actor: User,
    query: VacancyQuery,
    now: datetime,
    thresholds: FreshnessThresholds,
) -> PageAnswer:
    """The vacancy search, with its near misses explained and staffing as of now."""
    result = search_vacancies(session, actor, query, now, thresholds, with_almost=True)
    near = [
        NearMiss(
            hit.shelter,
            hit.freshness,
            explain(
                hit.reasons,
                hit.shelter.policy,
                query.household,
                query.needs,
                hit.shelter.assumptions,
            ),
        )
        for hit in result.almost
    ]
    local = as_utc(now).astimezone(STOCKHOLM)
    staff = {
        hit.shelter.id: staffing(
            hit.shelter.policy.staffed_around_clock, hit.shelter.staffed_hours, local.time()
        )
        for hit in result.matches
    }
    return PageAnswer(result, near, staff, local)
