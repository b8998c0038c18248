"""Search at national scale: a ranked, paged, compact answer (issue 10, item 1)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from scripts.bench_data import SOCIAL_WORKER_EMAIL, generate
from shelterbeds.domain.clock import utcnow
from shelterbeds.models import Municipality, Shelter
from shelterbeds.services.vacancies import county_seats
from tests.support.factories import SOCIALJOUR

TYPICAL = "/api/v1/vacancies?child_ages=4,9&child_sexes=f,m&municipality=1880"


@pytest.fixture
def national(session):
    """National-scale shelters and units (little history: search does not read it)."""
    data = generate(session, utcnow(), password="national-bench-pw", history_per_unit=1)
    session.commit()
    return data


def _county_of(session):
    rows = session.execute(
        select(Shelter.id, Municipality.county_code).join(
            Municipality, Municipality.code == Shelter.municipality_code
        )
    )
    return dict(rows.all())


def _all_pages(client, headers, url):
    pages, cursor = [], None
    while True:
        r = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=headers)
        assert r.status_code == 200, r.json
        pages.append(r)
        cursor = r.json["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50


def test_typical_search_is_small_ranked_and_paged(client, national, token_for, session):
    headers = token_for(SOCIAL_WORKER_EMAIL)
    first = client.get(TYPICAL, headers=headers)
    assert first.status_code == 200, first.json
    assert len(first.data) <= 30 * 1024, len(first.data)
    body = first.json
    assert body["limit"] == 20 and len(body["results"]) == 20
    assert body["total"] > 20 and body["next_cursor"]
    assert len(body["near_misses"]) <= 20

    pages = _all_pages(client, headers, TYPICAL)
    hits = [h for p in pages for h in p.json["results"]]
    ids = [h["shelter"]["id"] for h in hits]
    assert len(ids) == len(set(ids)) == body["total"]  # every match once, none lost
    near = [h["shelter"]["id"] for p in pages for h in p.json["near_misses"]]
    assert len(near) == len(set(near)) == body["near_misses_total"]

    # Örebro län first, then counties by distance between county seats, then freshness.
    county = _county_of(session)
    seats = county_seats()
    from shelterbeds.domain.ranking import county_order

    order = county_order("18", seats)
    ranks = [order[county[i]] for i in ids]
    assert ranks == sorted(ranks) and ranks[0] == 0 and ranks[-1] > 0
    freshness = ["fresh", "ageing", "stale"]
    for a, b in zip(hits, hits[1:], strict=False):
        if county[a["shelter"]["id"]] == county[b["shelter"]["id"]]:
            assert freshness.index(a["freshness"]["state"]) <= freshness.index(
                b["freshness"]["state"]
            )
    near_ranks = [order[county[i]] for i in near]
    assert near_ranks == sorted(near_ranks)


def test_without_a_municipality_freshness_orders(client, national, token_for):
    r = client.get("/api/v1/vacancies?limit=100", headers=token_for(SOCIAL_WORKER_EMAIL))
    states = [h["freshness"]["state"] for h in r.json["results"]]
    order = ["fresh", "ageing", "stale"]
    assert states == sorted(states, key=order.index)
    assert len(r.json["results"]) == 100


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=" + "x" * 65, "cursor"),
        ("cursor=MTIz", "cursor"),  # base64 of "123": no fingerprint
    ],
)
def test_bad_limit_or_cursor_is_422(client, demo, token_for, query, field):
    r = client.get(f"/api/v1/vacancies?{query}", headers=token_for(SOCIALJOUR))
    assert r.status_code == 422, r.json
    assert r.mimetype == "application/problem+json"
    assert field in json.dumps(r.json["errors"])


def test_a_cursor_of_another_search_is_refused(client, national, token_for):
    headers = token_for(SOCIAL_WORKER_EMAIL)
    cursor = client.get(TYPICAL, headers=headers).json["next_cursor"]
    r = client.get(f"/api/v1/vacancies?wheelchair=1&cursor={cursor}", headers=headers)
    assert r.status_code == 422
    assert "another search" in json.dumps(r.json["errors"])
    r = client.get(f"{TYPICAL}&limit=5&cursor={cursor}", headers=headers)
    assert r.status_code == 200  # the page size may change between pages


def test_search_page_links_the_next_page(client, national, session):
    from tests.support.factories import login

    login(client, SOCIAL_WORKER_EMAIL, "national-bench-pw")
    r = client.get("/search?go=1&adults=1&child_age_0=4&child_sex_0=f&municipality=1880")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert html.count('class="card hit"') == 20
    assert 'data-testid="next-page"' in html
    import re

    href = re.search(r'data-testid="next-page" href="([^"]+)"', html).group(1)
    r = client.get(href.replace("&amp;", "&"))
    assert r.status_code == 200 and 'class="card hit"' in r.get_data(as_text=True)
