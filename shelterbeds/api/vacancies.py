"""Needs-based vacancy search for social workers."""

from __future__ import annotations

from typing import Any

from flask import current_app

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..extensions import db
from ..formatting import label
from ..schemas.vacancies import VacancyQueryArgs, VacancySearchOut, encode_cursor
from ..services.vacancies import VacancyQuery, search_vacancies
from . import make_blueprint

blp = make_blueprint("vacancies", "Find a suitable free place for a household")


@blp.get("/vacancies")
@roles_required(Role.SOCIAL_WORKER, Role.ADMIN)
@blp.arguments(VacancyQueryArgs, location="query", as_kwargs=False)
@blp.response(200, VacancySearchOut)
def vacancies(query: VacancyQuery) -> Any:
    """Free units matching a household's needs, one ranked page; near misses with their reason.

    Ranked for `municipality`: its county first, then the other counties by distance between
    county seats, then freshness. `limit` per page (default 20); `next_cursor` continues.
    """
    settings = current_app.config["SETTINGS"]
    result = search_vacancies(
        db.session, current_actor(), query, utcnow(), settings.freshness_thresholds()
    )
    db.session.commit()  # the unmet-need signal, if any
    return {
        "results": [
            {
                "shelter": h.shelter,
                "units": h.units,
                "freshness": h.freshness,
                "why": [{"code": n, "text": label(n)} for n in h.notes],
            }
            for h in result.matches
        ],
        "near_misses": [
            {
                "shelter": h.shelter,
                "reason": h.reason.value if h.reason else None,
                "reason_text": label(h.reason),
                "freshness": h.freshness,
            }
            for h in result.near_misses
        ],
        "unmet_need_recorded": result.no_match,
        "total": result.total,
        "near_misses_total": result.near_total,
        "limit": query.limit,
        "next_cursor": None
        if result.next_offset is None
        else encode_cursor(query, result.next_offset),
    }
