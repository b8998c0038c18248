"""Statistics on hand-built histories with known answers (both engines).

Every history lives in Uppsala län (county 03), away from the Örebro demo, and is rolled
back after the test. Times are written in local Stockholm time.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from shelterbeds.domain.periods import Period
from shelterbeds.statistics import Filters, answer
from tests.support.history import COUNTY, OTHER_MUNICIPALITY, at, build_history

NOW = at("2027-06-15 12:00")
SCOPE = Filters(county=COUNTY)


def figures(session, family, first, last, by, exact=True, filters=SCOPE, now: datetime = NOW):
    return answer(session, family, Period.of(first, last), by, filters, exact=exact, now=now)


def by_key(result, *keys):
    return {tuple(r[k] for k in keys): r for r in result["rows"]}


@pytest.fixture
def h(session):
    return build_history(session)


def test_refusals_at_2330_and_0030_fall_in_their_local_months(session, h):
    a = h.shelter("a")
    h.refuse(a, "2026-01-31 23:30")  # 22:30 UTC
    h.refuse(a, "2026-02-01 00:30")  # 23:30 UTC on 31 January: still February locally
    result = figures(session, "turnaways", "2026-01", "2026-02", ["month"])
    rows = by_key(result, "month")
    assert rows[("2026-01",)]["refusals"] == 1
    assert rows[("2026-02",)]["refusals"] == 1
    assert result["totals"] == {"refusals": 2, "episodes": 2}


@pytest.mark.parametrize(
    ("late", "early", "months"),
    [
        # Summer time began on 29 March 2026: 1 April 00:30 local is 22:30 UTC on 31 March.
        ("2026-03-31 23:30", "2026-04-01 00:30", ("2026-03", "2026-04")),
        # Summer time ended on 25 October 2026: 1 November 00:30 local is 23:30 UTC.
        ("2026-10-31 23:30", "2026-11-01 00:30", ("2026-10", "2026-11")),
    ],
)
def test_dst_months_keep_local_boundaries(session, h, late, early, months):
    a = h.shelter("a")
    h.refuse(a, late)
    h.refuse(a, early)
    result = figures(session, "turnaways", months[0], months[1], ["month"])
    assert {r["month"]: r["refusals"] for r in result["rows"]} == {months[0]: 1, months[1]: 1}


def test_one_household_refused_by_three_shelters_in_a_night(session, h):
    shelters = [h.shelter(s) for s in ("a", "b", "c")]
    episode = h.episode("2026-05-10 21:00")
    for shelter, when in zip(shelters, ("21:00", "22:15", "23:40"), strict=True):
        h.refuse(shelter, f"2026-05-10 {when}", episode=episode)
    result = figures(session, "turnaways", "2026-05", "2026-05", ["shelter"])
    assert result["totals"] == {"refusals": 3, "episodes": 1}
    assert [(r["shelter"], r["refusals"], r["episodes"]) for r in result["rows"]] == [
        ("a", 1, 1),
        ("b", 1, 1),
        ("c", 1, 1),
    ]
    by_month = figures(session, "turnaways", "2026-05", "2026-05", ["month"])
    assert by_month["rows"] == [{"month": "2026-05", "refusals": 3, "episodes": 1}]


def test_refusals_by_reason_group_and_placing_municipality(session, h):
    a = h.shelter("a")
    for reason in ("capacity", "capacity", "staff", "wheelchair", "security", "client_declined"):
        h.refuse(a, "2026-05-02 12:00", reason=reason)
    h.refuse(a, "2026-05-02 12:00", reason="inappropriate", municipality=OTHER_MUNICIPALITY)
    groups = by_key(figures(session, "turnaways", "2026-05", "2026-05", ["group"]), "group")
    assert {k[0]: v["refusals"] for k, v in groups.items()} == {
        "no_place": 2,
        "no_staff": 1,
        "unsuitable": 1,
        "safety_location": 1,
        "client_declined": 1,
        "inappropriate": 1,
    }
    places = figures(session, "turnaways", "2026-05", "2026-05", ["municipality"])
    assert {r["municipality"]: r["refusals"] for r in places["rows"]} == {"0305": 1, "0380": 6}
    only = figures(
        session,
        "turnaways",
        "2026-05",
        "2026-05",
        ["reason"],
        filters=Filters(county=COUNTY, municipality=OTHER_MUNICIPALITY),
    )
    assert only["rows"] == [{"reason": "inappropriate", "refusals": 1, "episodes": 1}]


def test_night_and_day_follow_local_time_in_summer_and_winter(session, h):
    a = h.shelter("a")
    h.refuse(a, "2026-07-01 18:30")  # 16:30 UTC: night locally
    h.refuse(a, "2026-07-01 07:30")  # night
    h.refuse(a, "2026-07-01 08:30")  # day (06:30 UTC)
    h.refuse(a, "2026-01-10 17:30")  # day (16:30 UTC)
    h.refuse(a, "2026-01-10 18:00")  # night
    result = figures(session, "turnaways", "2026-01", "2026-07", ["daypart"])
    assert {r["daypart"]: r["refusals"] for r in result["rows"]} == {"night": 3, "day": 2}


def test_occupancy_placements_across_month_ends_and_closed_units(session, h):
    a = h.shelter("a")
    one = h.unit(a, "1", opened="2025-12-20 10:00")
    two = h.unit(a, "2", opened="2025-12-20 10:00")
    # Unit 1 occupied from 30 January afternoon to 2 February morning: nights of 30 and
    # 31 January and of 1 February.
    h.status(one, "occupied", "2026-01-30 15:00")
    h.status(one, "free", "2026-02-02 10:00")
    # Unit 2 closed from 10 February noon to 20 February noon: the nights of 10–19 February.
    h.status(two, "closed", "2026-02-10 12:00")
    h.status(two, "free", "2026-02-20 12:00")
    result = figures(session, "occupancy", "2026-01", "2026-02", ["month"])
    rows = by_key(result, "month")
    assert rows[("2026-01",)]["unit_nights_open"] == 62
    assert rows[("2026-01",)]["unit_nights_occupied"] == 2
    assert rows[("2026-02",)]["unit_nights_open"] == 28 + 18
    assert rows[("2026-02",)]["unit_nights_occupied"] == 1
    assert rows[("2026-02",)]["occupancy"] == round(1 / 46, 3)
    assert result["totals"]["unit_nights_open"] == 62 + 46


@pytest.mark.parametrize(("month", "nights"), [("2026-03", 31), ("2026-10", 31), ("2026-02", 28)])
def test_dst_months_have_one_night_per_day(session, h, month, nights):
    a = h.shelter("a")
    h.unit(a, "1", opened="2025-12-01 10:00")
    result = figures(session, "occupancy", month, month, ["month"])
    assert result["rows"][0]["unit_nights_open"] == nights
    assert result["rows"][0]["nights_full"] == 0


def test_nights_full_and_a_unit_that_did_not_exist_yet(session, h):
    a = h.shelter("a")
    one = h.unit(a, "1", opened="2026-03-01 10:00")  # the night of 1 March is its first
    h.status(one, "occupied", "2026-03-05 14:00")
    h.status(one, "free", "2026-03-08 09:00")  # nights of 5, 6 and 7 March full
    h.unit(a, "2")  # closed from creation: never capacity
    result = figures(session, "occupancy", "2026-03", "2026-03", ["shelter"])
    row = result["rows"][0]
    assert (row["unit_nights_open"], row["unit_nights_occupied"], row["nights_full"]) == (31, 3, 3)


def test_occupancy_of_the_current_month_counts_only_nights_so_far(session, h):
    a = h.shelter("a")
    h.unit(a, "1", opened="2026-12-01 10:00")
    result = figures(
        session, "occupancy", "2026-12", "2026-12", ["month"], now=at("2026-12-11 12:00")
    )
    assert result["rows"][0]["unit_nights_open"] == 10  # nights of 1–10 December


def test_requests_outcomes_success_rate_and_minutes_to_decision(session, h):
    a = h.shelter("a")
    unit = h.unit(a, "1")
    h.request(a, unit, "2026-05-01 10:00", "accepted", decided="2026-05-01 10:10")
    h.request(
        a, unit, "2026-05-02 10:00", "declined", decided="2026-05-02 10:20", reason="capacity"
    )
    h.request(a, unit, "2026-05-03 10:00", "accepted", decided="2026-05-03 10:30")
    h.request(a, unit, "2026-05-04 10:00", "declined", decided="2026-05-04 11:40", reason="pets")
    h.request(a, unit, "2026-05-05 10:00", "withdrawn", decided="2026-05-05 10:05")
    h.request(a, unit, "2026-05-06 10:00", "expired", decided="2026-05-06 11:00")
    h.request(a, unit, "2026-05-07 10:00", "pending")
    t = figures(session, "requests", "2026-05", "2026-05", ["month"])["totals"]
    assert (t["requests"], t["accepted"], t["declined"], t["withdrawn"], t["expired"]) == (
        7,
        2,
        2,
        1,
        1,
    )
    assert t["pending"] == 1
    assert t["success_rate"] == round(2 / 6, 3)
    # Decisions took 10, 20, 30 and 100 minutes: median (20+30)/2, p90 nearest rank 4.
    assert t["median_minutes_to_decision"] == 25.0
    assert t["p90_minutes_to_decision"] == 100.0
    groups = figures(session, "requests", "2026-05", "2026-05", ["group"])
    assert {r["group"]: r["requests"] for r in groups["rows"]} == {
        None: 5,
        "no_place": 1,
        "unsuitable": 1,
    }


def test_suppression_hides_one_and_two_and_what_derives_from_them(session, h):
    a, b = h.shelter("a"), h.shelter("b")
    for _ in range(3):
        h.refuse(a, "2026-05-02 12:00")
    h.refuse(b, "2026-05-02 12:00")
    unit = h.unit(b, "1")
    h.request(b, unit, "2026-05-01 10:00", "accepted", decided="2026-05-01 10:10")
    hidden = figures(session, "turnaways", "2026-05", "2026-05", ["shelter"], exact=False)
    assert hidden["suppressed"] is True
    assert [(r["shelter"], r["refusals"], r["episodes"]) for r in hidden["rows"]] == [
        ("a", 3, 3),
        ("b", "<3", "<3"),
    ]
    assert hidden["totals"] == {"refusals": 4, "episodes": 4}
    exact = figures(session, "turnaways", "2026-05", "2026-05", ["shelter"])
    assert exact["suppressed"] is False and exact["rows"][1]["refusals"] == 1
    req = figures(session, "requests", "2026-05", "2026-05", ["shelter"], exact=False)["rows"]
    assert req[0]["requests"] == "<3" and req[0]["declined"] == 0
    assert req[0]["success_rate"] is None and req[0]["median_minutes_to_decision"] is None


def test_previous_period_is_the_same_length_just_before(session, h):
    a = h.shelter("a")
    h.refuse(a, "2025-12-15 12:00")
    h.refuse(a, "2025-11-15 12:00")
    h.refuse(a, "2026-01-15 12:00")
    result = figures(session, "turnaways", "2026-01", "2026-02", ["month"])
    assert result["previous"]["from"] == "2025-11" and result["previous"]["to"] == "2025-12"
    assert result["previous"]["totals"]["refusals"] == 2
    assert result["totals"]["refusals"] == 1


def test_other_counties_are_out_of_scope(session, h, demo):
    a = h.shelter("a")
    h.refuse(a, "2026-05-02 12:00")
    orebro = figures(session, "turnaways", "2026-05", "2026-05", [], filters=Filters(county="18"))
    assert orebro["totals"]["refusals"] == 0
    national = figures(session, "turnaways", "2026-05", "2026-05", [], filters=Filters(None))
    assert national["totals"]["refusals"] == 1


def test_unmet_needs_by_kind(session, h):
    h.unmet("2026-05-01 22:00", wheelchair=True, pets=True)
    h.unmet("2026-05-02 12:00", wheelchair=True)
    h.unmet("2026-05-03 12:00")
    result = figures(session, "unmet-needs", "2026-05", "2026-05", ["need"])
    assert {r["need"]: r["count"] for r in result["rows"]} == {
        "wheelchair": 2,
        "pets": 1,
        "none": 1,
    }
    assert result["totals"]["count"] == 3


def test_length_of_stay_and_end_reasons(session, h):
    a = h.shelter("a")
    unit = h.unit(a, "1")
    h.placement(a, unit, "2026-04-20 12:00", "2026-05-02 12:00", "own_housing")  # 12 days
    h.placement(a, unit, "2026-05-02 12:00", "2026-05-04 00:00", "own_housing")  # 1.5 days
    h.placement(a, unit, "2026-05-04 12:00", "2026-05-24 12:00", "returned_home")  # 20 days
    h.placement(a, unit, "2026-05-25 12:00", None)  # still there: not counted
    result = figures(session, "stays", "2026-05", "2026-05", ["reason"])
    rows = by_key(result, "reason")
    assert rows[("own_housing",)]["ended"] == 2
    assert rows[("own_housing",)]["mean_days"] == 6.8
    assert rows[("returned_home",)]["median_days"] == 20.0
    assert result["totals"]["median_days"] == 12.0


def test_reporting_compliance(session, h):
    a = h.shelter("a")
    unit = h.unit(a, "1")
    h.confirm(a, "2026-02-01 08:00")
    h.confirm(a, "2026-02-01 20:00")  # same day: one day reported
    h.confirm(a, "2026-02-02 00:30")
    h.status(unit, "free", "2026-02-10 09:00", source="web")
    h.status(unit, "free", "2026-02-11 09:00", source="system")  # a hold: not a report
    result = figures(session, "compliance", "2026-02", "2026-02", ["shelter"])
    row = result["rows"][0]
    assert (row["days_reported"], row["days"]) == (3, 28)
    assert row["compliance"] == round(3 / 28, 3)


def test_rollups_give_the_live_numbers_and_are_written_once(session, h):
    from sqlalchemy import func, select

    from shelterbeds.models import ShelterMonth
    from shelterbeds.services.stats_rollup import roll_up_months

    a = h.shelter("a")
    one = h.unit(a, "1", opened="2026-01-10 10:00")
    h.status(one, "occupied", "2026-01-30 15:00")
    h.status(one, "free", "2026-02-02 10:00")
    h.status(one, "closed", "2026-03-05 10:00")
    h.confirm(a, "2026-01-15 09:00")
    now = at("2026-03-20 12:00")
    live = figures(session, "occupancy", "2026-01", "2026-03", ["shelter", "month"], now=now)
    live_compliance = figures(session, "compliance", "2026-01", "2026-03", ["month"], now=now)
    written = roll_up_months(session, now)
    assert written >= 3  # January and February; March (not ended) up to last midnight
    assert roll_up_months(session, now) == 0  # idempotent
    stored = session.scalar(
        select(func.count()).select_from(ShelterMonth).where(ShelterMonth.shelter_id == a.id)
    )
    assert stored == 3
    assert session.get(ShelterMonth, (a.id, "2026-03")).counted_until == at("2026-03-20 00:00")
    # The stored rows are read instead of the history: change a stored figure and see it.
    again = figures(session, "occupancy", "2026-01", "2026-03", ["shelter", "month"], now=now)
    assert again["rows"] == live["rows"]
    assert [r["unit_nights_open"] for r in live["rows"]] == [22, 28, 4]
    compliance = figures(session, "compliance", "2026-01", "2026-03", ["month"], now=now)
    assert compliance["rows"] == live_compliance["rows"]
    assert [r["days_reported"] for r in compliance["rows"]] == [3, 1, 1]
    row = session.get(ShelterMonth, (a.id, "2026-01"))
    row.unit_nights_open = 999
    session.flush()
    tampered = figures(session, "occupancy", "2026-01", "2026-01", ["month"], now=now)
    assert tampered["rows"][0]["unit_nights_open"] == 999
