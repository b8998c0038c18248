"""Needs-based vacancy search for social workers."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import get_locale

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..extensions import db
from ..formatting import label
from ..schemas.vacancies import SearchJson, VacancyQueryArgs, VacancySearchOut, encode_cursor
from ..services import search_cache
from ..services.vacancies import VacancyQuery, search_vacancies
from . import make_blueprint

blp = make_blueprint("vacancies", "Find a suitable free place for a household")


@blp.get("/vacancies")
@roles_required(Role.SOCIAL_WORKER, Role.ADMIN)
# An instance, not the class: webargs would build (deep-copy) a new schema per request.
@blp.arguments(VacancyQueryArgs(), location="query", as_kwargs=False)
@blp.response(200, VacancySearchOut)
def vacancies(query: VacancyQuery) -> Any:
    """Free units matching a household's needs, one ranked page; near misses with their reason.

    Ranked for `municipality`: its county first, then the other counties by distance between
    county seats, then freshness. `limit` per page (default 20); `next_cursor` continues.
    """
    thresholds = current_app.config["SETTINGS"].freshness_thresholds()
    now, locale = utcnow(), str(get_locale())
    key = (query, locale, thresholds)
    body = search_cache.cached_page(db.session, key, now)
    if body is None:
        result = search_vacancies(db.session, current_actor(), query, now, thresholds)
        db.session.commit()  # the unmet-need signal, if any
        cursor = None if result.next_offset is None else encode_cursor(query, result.next_offset)
        # Written as VacancySearchOut would dump it, from parts kept per snapshot (SearchJson).
        body = json_writer(locale).page(result, query.limit, cursor)
        if not result.no_match and result.snapshot and result.valid_until:
            # A page with matches reads the same for everyone until it changes (a no-match
            # page is not kept: each such search is counted as an unmet need).
            search_cache.keep_page(db.session, result.snapshot, key, now, result.valid_until, body)
    return current_app.response_class(body, mimetype="application/json")


_WRITERS: dict[str, SearchJson] = {}


def json_writer(locale: str) -> SearchJson:
    """One writer per language: its texts for codes are kept between requests."""
    writer = _WRITERS.get(locale)
    if writer is None:
        writer = _WRITERS[locale] = SearchJson(label)
    return writer
