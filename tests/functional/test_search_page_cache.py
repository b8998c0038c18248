"""The API's page cache (services/search_cache.py, api/vacancies.py): a page read from it is
byte for byte the page that would be written now — ages in minutes included — and any
committed change, from any node, is seen by the next search."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from shelterbeds.domain.clock import utcnow
from shelterbeds.models import Shelter
from shelterbeds.services import search_cache
from tests.support.factories import SOCIALJOUR, STAFF_SARA, unit_at

TYPICAL = "/api/v1/vacancies?child_ages=4,9&child_sexes=f,m&municipality=1880"


@pytest.fixture
def confirmed(session, demo):
    """Every shelter confirmed at one instant; the API's clock set through `at`."""
    at = utcnow().replace(microsecond=0)
    session.execute(update(Shelter).values(confirmed_at=at))
    session.commit()
    return at


def _at(monkeypatch, when):
    monkeypatch.setattr("shelterbeds.api.vacancies.utcnow", lambda: when)


def _ages(body):
    return {h["freshness"]["age_minutes"] for h in body["results"] + body["near_misses"]}


def test_a_kept_page_is_the_page_that_would_be_written(
    client, token_for, session, confirmed, monkeypatch
):
    social = token_for(SOCIALJOUR)
    _at(monkeypatch, confirmed + timedelta(seconds=10))
    first = client.get(TYPICAL, headers=social)
    assert first.status_code == 200 and first.json["results"], first.json
    assert len(search_cache.cache_for(session).pages) == 1

    _at(monkeypatch, confirmed + timedelta(seconds=59))  # same minute of age: from the cache
    kept = client.get(TYPICAL, headers=social)
    assert kept.data == first.data
    search_cache.cache_for(session).pages.clear()  # written anew: the same bytes
    assert client.get(TYPICAL, headers=social).data == first.data
    assert _ages(first.json) == {0}


def test_ages_move_on_the_minute(client, token_for, session, confirmed, monkeypatch):
    social = token_for(SOCIALJOUR)
    _at(monkeypatch, confirmed + timedelta(seconds=30))
    assert _ages(client.get(TYPICAL, headers=social).json) == {0}
    _at(monkeypatch, confirmed + timedelta(minutes=1))
    assert _ages(client.get(TYPICAL, headers=social).json) == {1}
    _at(monkeypatch, confirmed + timedelta(minutes=7, seconds=59))
    assert _ages(client.get(TYPICAL, headers=social).json) == {7}


def test_a_change_through_another_client_is_seen_at_once(
    client, app, token_for, session, confirmed, monkeypatch
):
    """A unit taken through the API (as another node would) leaves the very next page."""
    social, staff = token_for(SOCIALJOUR), token_for(STAFF_SARA)
    _at(monkeypatch, confirmed + timedelta(seconds=5))
    unit = unit_at(session, "sara-huset", "Lägenhet 1")

    def offered():
        body = client.get("/api/v1/vacancies?wheelchair=1", headers=social).json
        return [u["id"] for h in body["results"] for u in h["units"]]

    assert offered() == [unit.id]
    assert offered() == [unit.id]  # kept
    r = client.put(f"/api/v1/units/{unit.id}/status", json={"status": "occupied"}, headers=staff)
    assert r.status_code == 200, r.json
    assert offered() == []
    r = client.put(f"/api/v1/units/{unit.id}/status", json={"status": "free"}, headers=staff)
    assert r.status_code == 200, r.json
    assert offered() == [unit.id]


def test_a_search_that_finds_nothing_is_never_kept(client, token_for, session, confirmed):
    """Each no-match search is an unmet need of its own: it goes through the service."""
    social = token_for(SOCIALJOUR)
    nothing = "/api/v1/vacancies?adults=10"
    for _ in range(2):
        r = client.get(nothing, headers=social)
        assert r.status_code == 200 and r.json["results"] == []
    assert search_cache.cache_for(session).pages == {}
