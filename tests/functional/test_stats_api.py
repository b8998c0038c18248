"""A scripted history entered through the public API gives exactly the expected statistics.

Refusals either side of the last local month boundary, capacity and staff refusals of one
household at two shelters (one episode), request outcomes, a placement started and ended;
then the analyst reads /api/v1/stats/*: exact numbers in JSON, CSV and XLSX; an
administrator sees small counts as "<3"; shelter staff and social workers get 403.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from shelterbeds.domain.clock import STOCKHOLM, utcnow
from shelterbeds.domain.enums import UnitStatus
from shelterbeds.domain.periods import add_months, month_label, month_start
from shelterbeds.domain.turnaways import MAX_AGE
from shelterbeds.models import Shelter, Unit
from tests.support.factories import (
    ADMIN,
    ANALYST,
    SOCIALJOUR,
    STAFF_OREBRO,
    STAFF_SARA,
    request_body,
)


def _free_units(session, slug):
    return list(
        session.scalars(
            select(Unit.id)
            .join(Shelter)
            .where(Shelter.slug == slug, Unit.status == UnitStatus.FREE)
            .order_by(Unit.id)
        )
    )


@pytest.fixture
def scripted(client, demo, token_for, session):
    """Enter the history; return the two months either side of the boundary."""
    now = utcnow()
    today = now.astimezone(STOCKHOLM)
    boundary = month_start(today.year, today.month)
    if now - boundary < timedelta(hours=1):
        pytest.skip("the first hour of a month: the refusal before it may be too old to enter")
    if now - (boundary - timedelta(minutes=30)) > MAX_AGE:
        pytest.skip("the last half hour of a 31-day month: 23:30 before it is too old to enter")
    this = month_label(today.year, today.month)
    before = month_label(*add_months(today.year, today.month, -1))
    orebro, sara, worker = token_for(STAFF_OREBRO), token_for(STAFF_SARA), token_for(SOCIALJOUR)

    def refuse(headers, minutes, reason):
        at = (boundary + timedelta(minutes=minutes)).isoformat()
        body = {
            "adults": 1,
            "children": 2,
            "reason": reason,
            "channel": "phone",
            "municipality_code": "1880",
            "case_ref": "ÄR 2026-77",
            "occurred_at": at,
        }
        r = client.post("/api/v1/turnaways", json=body, headers=headers)
        assert r.status_code == 201, r.json

    refuse(orebro, -30, "capacity")  # 23:30 on the last day of last month
    refuse(orebro, 30, "capacity")  # 00:30 on the 1st: this month, same household
    refuse(sara, 45, "staff")  # the same household at Sara-huset: still one episode

    def request(unit_id, case_ref):
        r = client.post(
            "/api/v1/requests", json=request_body(unit_id, case_ref=case_ref), headers=worker
        )
        assert r.status_code == 201, r.json
        return r.json["id"]

    first, second = _free_units(session, "kvinnohuset-orebro")[:2]
    rid = request(first, "SJ-1")
    assert (
        client.post(
            f"/api/v1/requests/{rid}/decline", json={"reason": "capacity"}, headers=orebro
        ).status_code
        == 200
    )
    rid = request(first, "SJ-2")
    assert (
        client.post(
            f"/api/v1/requests/{rid}/decline", json={"reason": "pets"}, headers=orebro
        ).status_code
        == 200
    )
    rid = request(second, "SJ-3")
    assert client.post(f"/api/v1/requests/{rid}/withdraw", headers=worker).status_code == 200
    rid = request(second, "SJ-4")
    r = client.post(f"/api/v1/requests/{rid}/accept", headers=orebro)
    assert r.status_code == 200, r.json
    placements = client.get("/api/v1/placements", headers=worker).json
    placement = next(p for p in placements if p["request_id"] == rid)
    r = client.post(
        f"/api/v1/placements/{placement['id']}/end", json={"reason": "own_housing"}, headers=worker
    )
    assert r.status_code == 200, r.json
    return before, this


def _get(client, headers, path, **query):
    r = client.get(f"/api/v1/stats/{path}", query_string=query, headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r


def test_the_analyst_gets_exactly_the_expected_numbers(client, token_for, scripted):
    before, this = scripted
    analyst = token_for(ANALYST)
    months = _get(client, analyst, "turnaways", **{"from": before, "to": this, "by": "month"}).json
    assert months["suppressed"] is False and months["by"] == ["month"]
    assert months["rows"] == [
        {"month": before, "refusals": 1, "episodes": 1},
        {"month": this, "refusals": 3, "episodes": 2},
    ]
    assert months["totals"] == {"refusals": 4, "episodes": 2}
    shelters = _get(client, analyst, "turnaways", **{"from": before, "to": this, "by": "shelter"})
    assert [(r["shelter"], r["refusals"], r["episodes"]) for r in shelters.json["rows"]] == [
        ("kvinnohuset-orebro", 3, 2),
        ("sara-huset", 1, 1),
    ]
    groups = _get(client, analyst, "turnaways", **{"from": this, "to": this, "by": "group"}).json
    assert {r["group"]: r["refusals"] for r in groups["rows"]} == {"no_place": 2, "no_staff": 1}

    req = _get(client, analyst, "requests", **{"from": this, "to": this}).json["totals"]
    assert (req["requests"], req["accepted"], req["declined"], req["withdrawn"]) == (4, 1, 2, 1)
    assert req["expired"] == 0 and req["pending"] == 0 and req["success_rate"] == 0.25
    assert req["median_minutes_to_decision"] is not None

    unmet = _get(client, analyst, "unmet-needs", **{"from": this, "to": this}).json
    assert unmet["totals"]["count"] == 1
    stays = _get(client, analyst, "stays", **{"from": this, "to": this}).json
    assert stays["rows"][0]["reason"] == "own_housing" and stays["rows"][0]["ended"] == 1
    occupancy = _get(client, analyst, "occupancy", **{"from": this, "to": this}).json
    assert {r["shelter"] for r in occupancy["rows"]} == {
        "kvinnohuset-orebro",
        "kvinnohuset-karlskoga",
        "sara-huset",
    }
    compliance = _get(client, analyst, "compliance", **{"from": this, "to": this}).json
    assert {r["shelter"] for r in compliance["rows"]} >= {"kvinnohuset-orebro"}


def test_csv_and_xlsx_carry_the_json_numbers(client, token_for, scripted):
    before, this = scripted
    analyst = token_for(ANALYST)
    query = {"from": before, "to": this, "by": "shelter,month"}
    rows = _get(client, analyst, "turnaways", **query).json["rows"]
    expected = [[r["shelter"], r["month"], r["refusals"], r["episodes"]] for r in rows]
    assert len(expected) == 3

    r = _get(client, analyst, "turnaways", format="csv", **query)
    assert r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(r.get_data(as_text=True))))
    assert table[0] == ["shelter", "month", "refusals", "episodes"]
    assert [[a, b, int(c), int(d)] for a, b, c, d in table[1:]] == expected

    r = _get(client, analyst, "turnaways", format="xlsx", **query)
    sheet = load_workbook(io.BytesIO(r.data)).active
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert cells[0] == ["shelter", "month", "refusals", "episodes"]
    assert cells[1:] == expected


def test_small_counts_are_hidden_from_a_role_without_exact_access(client, token_for, scripted):
    before, this = scripted
    admin = token_for(ADMIN)
    query = {"from": before, "to": this, "by": "shelter"}
    body = _get(client, admin, "turnaways", **query).json
    assert body["suppressed"] is True
    assert [(r["shelter"], r["refusals"], r["episodes"]) for r in body["rows"]] == [
        ("kvinnohuset-orebro", 3, "<3"),
        ("sara-huset", "<3", "<3"),
    ]
    table = _get(client, admin, "turnaways", format="csv", **query).get_data(as_text=True)
    assert "sara-huset,<3,<3" in table
    sheet = load_workbook(
        io.BytesIO(_get(client, admin, "turnaways", format="xlsx", **query).data)
    ).active
    assert list(sheet.iter_rows(values_only=True))[2] == ("sara-huset", "<3", "<3")


@pytest.mark.parametrize("who", [STAFF_OREBRO, SOCIALJOUR])
@pytest.mark.parametrize(
    "path", ["turnaways", "requests", "occupancy", "unmet-needs", "compliance", "stays"]
)
def test_shelter_staff_and_social_workers_get_403(client, demo, token_for, who, path):
    r = client.get(f"/api/v1/stats/{path}", headers=token_for(who))
    assert r.status_code == 403 and r.mimetype == "application/problem+json"


def test_no_token_is_401(client, demo):
    assert client.get("/api/v1/stats/turnaways").status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-13"}, "from"),
        ({"from": "2026-05", "to": "2026-04"}, "to"),
        ({"from": "2000-01", "to": "2026-04"}, "to"),
        ({"by": "colour"}, "by"),
        ({"by": "Shelter;drop"}, "by"),
        ({"format": "pdf"}, "format"),
        ({"shelter": "no-such-shelter"}, "shelter"),
        ({"municipality": "0180"}, "municipality"),  # Stockholm: not the analyst's county
        ({"municipality": "18800"}, "municipality"),
    ],
)
def test_bad_queries_are_422_naming_the_field(client, demo, token_for, query, field):
    r = client.get("/api/v1/stats/turnaways", query_string=query, headers=token_for(ANALYST))
    assert r.status_code == 422, r.json
    assert field in r.json["errors"] or field in str(r.json["errors"])


def test_filters_narrow_to_a_shelter_and_a_municipality(client, token_for, scripted):
    before, this = scripted
    analyst = token_for(ANALYST)
    body = _get(
        client,
        analyst,
        "turnaways",
        **{"from": before, "to": this, "by": "month", "shelter": "sara-huset"},
    ).json
    assert body["rows"] == [{"month": this, "refusals": 1, "episodes": 1}]
    body = _get(
        client, analyst, "turnaways", **{"from": before, "to": this, "municipality": "1884"}
    ).json
    assert body["rows"] == [] and body["totals"] == {"refusals": 0, "episodes": 0}


def test_default_period_is_the_last_twelve_months(client, demo, token_for):
    body = _get(client, token_for(ANALYST), "occupancy").json
    today = utcnow().astimezone(STOCKHOLM)
    assert body["to"] == month_label(today.year, today.month)
    assert body["from"] == month_label(*add_months(today.year, today.month, -11))
    assert body["previous"]["to"] == month_label(*add_months(today.year, today.month, -12))
