"""Stored rollups give exactly the live numbers (both engines): turn-aways per shelter-month,
the running month stored up to its last local midnight, and the JSON written without
marshmallow.

Each rollup is compared with the same figures computed from the history itself (the plain
SQL path, or the answer after the stored rows are deleted), including a refusal entered
late into a month whose other figures are already stored, the DST months, and the job run
twice.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, func, select

from shelterbeds.domain.periods import Period
from shelterbeds.models import ShelterMonth
from shelterbeds.schemas.stats import ANSWERS, dump_answer
from shelterbeds.services.stats_rollup import roll_up_months, turnaways_final
from shelterbeds.statistics import FAMILIES, Filters, answer, turnaways
from tests.support.history import COUNTY, at, build_history

SCOPE = Filters(county=COUNTY)
CELL_BYS = (["shelter", "month"], ["month", "shelter"])


@pytest.fixture
def h(session):
    return build_history(session)


def _roll_up(session, now) -> int:
    """Run the clock's rollup until it has caught up; rows written."""
    written = step = roll_up_months(session, now)
    while step:
        step = roll_up_months(session, now)
        written += step
    return written


def _refusals(h: Any) -> dict[str, Any]:
    """Three shelters, refusals either side of local month boundaries and in the DST
    months, one household refused by all three across a month boundary."""
    a, b, c = h.shelter("a"), h.shelter("b"), h.shelter("c")
    for shelter in (a, b, c):  # units, so that the rollup has months to store
        h.unit(shelter, "1", opened="2025-12-01 08:00")
    h.refuse(a, "2026-01-31 23:30")  # January
    h.refuse(a, "2026-02-01 00:30")  # February (23:30 UTC on 31 January)
    night = h.episode("2026-02-28 23:10")
    h.refuse(a, "2026-02-28 23:10", episode=night)
    h.refuse(b, "2026-02-28 23:50", episode=night, reason="staff")
    h.refuse(c, "2026-03-01 00:20", episode=night)  # same household, next month
    h.refuse(b, "2026-03-29 01:30")  # before the clocks go forward
    h.refuse(b, "2026-03-29 03:30")  # after
    h.refuse(c, "2026-03-31 23:59")
    h.refuse(c, "2026-10-25 02:30")  # the hour that occurs twice (first one)
    h.refuse(a, "2026-10-31 23:30")
    h.refuse(a, "2026-11-01 00:30")
    return {"a": a, "b": b, "c": c}


def _cells(session, period, by):
    return turnaways.from_cells(session, period, by, SCOPE)


def test_turnaway_cells_equal_the_sql_before_and_after_the_rollup(session, h):
    _refusals(h)
    period = Period.of("2026-01", "2026-11")
    expected = {tuple(by): turnaways.live_rows(session, period, by, SCOPE) for by in CELL_BYS}
    assert sum(r["refusals"] for r in expected[("shelter", "month")]) == 11
    assert {(r["shelter"], r["month"]): r["episodes"] for r in expected[("shelter", "month")]}[
        ("a", "2026-02")
    ] == 2
    for by in CELL_BYS:  # nothing stored: every cell counted live
        assert _cells(session, period, by) == expected[tuple(by)], by

    now = at("2026-11-20 12:00")  # refusals of October and November may still be entered
    _roll_up(session, now)
    rows = dict(
        session.execute(
            select(ShelterMonth.month, func.count(ShelterMonth.refusals)).group_by(
                ShelterMonth.month
            )
        ).all()
    )
    assert rows["2026-09"] == 3 and rows["2026-10"] == 0 and rows["2026-11"] == 0
    assert turnaways_final("2026-09", now) and not turnaways_final("2026-10", now)
    for by in CELL_BYS:
        assert _cells(session, period, by) == expected[tuple(by)], by

    later = at("2027-01-05 12:00")  # every month of the period is final now
    _roll_up(session, later)
    assert roll_up_months(session, later) == 0  # run twice: nothing more to write
    stored = session.execute(
        select(ShelterMonth.month, ShelterMonth.refusals).where(
            ShelterMonth.month.in_(period.months)
        )
    ).all()
    assert all(refusals is not None for _m, refusals in stored)
    for by in CELL_BYS:
        assert _cells(session, period, by) == expected[tuple(by)], by
    # The answer's rows are the stored cells; its totals count episodes over the period.
    result = answer(
        session, "turnaways", period, ["shelter", "month"], SCOPE, exact=True, now=later
    )
    assert result["rows"] == expected[("shelter", "month")]
    assert result["totals"] == {"refusals": 11, "episodes": 9}  # three refusals, one episode


def test_a_late_refusal_in_a_rolled_up_month_is_counted_and_stored_once_final(session, h):
    made = _refusals(h)
    january = Period.of("2026-01", "2026-01")
    now = at("2026-02-10 12:00")
    _roll_up(session, now)
    row = session.get(ShelterMonth, (made["b"].id, "2026-01"))
    assert row is not None and row.unit_nights_open > 0  # occupancy stored …
    assert row.refusals is None  # … refusals not: they may still be entered
    before = _cells(session, january, ["shelter", "month"])
    h.refuse(made["b"], "2026-01-20 14:00")  # entered late, within the 31 days
    expected = turnaways.live_rows(session, january, ["shelter", "month"], SCOPE)
    assert expected != before
    assert _cells(session, january, ["shelter", "month"]) == expected
    result = answer(session, "turnaways", january, None, SCOPE, exact=True, now=now)
    assert result["rows"] == expected

    final = at("2026-03-05 12:00")  # 31 days (and an hour) after January ended
    assert _roll_up(session, final) > 0
    row = session.get(ShelterMonth, (made["b"].id, "2026-01"))
    assert (row.refusals, row.episodes) == (1, 1)
    assert _cells(session, january, ["shelter", "month"]) == expected
    assert roll_up_months(session, final) == 0


def _without_rollups(session, compute):
    """The same figures after every stored row is deleted (computed from the history)."""
    session.execute(delete(ShelterMonth))
    session.flush()
    return compute()


def test_the_running_month_stored_to_its_last_midnight_equals_live(session, h):
    """March 2026 (clocks go forward on the 29th) while it runs and once it has ended."""
    a, b = h.shelter("a"), h.shelter("b")
    one = h.unit(a, "1", opened="2026-02-20 10:00")
    two = h.unit(a, "2", opened="2026-03-03 10:00")
    three = h.unit(b, "1", opened="2026-02-25 10:00")
    h.status(one, "occupied", "2026-03-10 15:00")
    h.status(two, "closed", "2026-03-29 02:30", source="system")  # not staff: not reported
    h.status(three, "occupied", "2026-03-29 23:30")
    h.confirm(a, "2026-03-15 09:00")
    h.confirm(b, "2026-03-29 03:10")
    period = Period.of("2026-02", "2026-03")
    families = {"occupancy": ["shelter", "month"], "compliance": ["shelter", "month"]}

    def figures(now):
        return {
            name: answer(session, name, period, by, SCOPE, exact=True, now=now)
            for name, by in families.items()
        }

    now = at("2026-03-30 12:00")
    assert _roll_up(session, now) > 0
    row = session.get(ShelterMonth, (a.id, "2026-03"))
    assert row.counted_until == at("2026-03-30 00:00")  # 22:00 UTC: summer time
    # Changes and a confirmation after that midnight are counted live.
    h.status(one, "free", "2026-03-30 08:00")
    h.confirm(b, "2026-03-30 09:00")
    stored = figures(now)
    later = at("2026-04-01 10:00")  # March ended; its row still counts to the 30th
    stored_later = figures(later)
    assert roll_up_months(session, now) == 0  # run twice at the same time: nothing new
    live = _without_rollups(session, lambda: figures(now))
    live_later = figures(later)
    assert stored == live
    assert stored_later == live_later
    march = {r["shelter"]: r for r in live_later["occupancy"]["rows"] if r["month"] == "2026-03"}
    assert march["a"]["unit_nights_open"] == 31 + 26  # unit 2: the nights of the 3rd–28th
    assert march["b"]["unit_nights_occupied"] == 3  # the nights of the 29th, 30th and 31st

    # Once March has ended the job completes its row: the same numbers, from the row alone.
    _roll_up(session, later)
    row = session.get(ShelterMonth, (a.id, "2026-03"))
    assert row.counted_until is None
    assert figures(later) == live_later
    assert roll_up_months(session, later) == 0


def test_the_written_json_equals_the_schema_dump(session, h):
    made = _refusals(h)
    unit = h.unit(made["a"], "2", opened="2026-01-02 08:00")
    h.request(made["a"], unit, "2026-01-05 10:00", "accepted", decided="2026-01-05 10:07")
    h.request(made["b"], unit, "2026-01-06 10:00", "declined", decided="2026-01-06 10:30")
    h.request(made["b"], unit, "2026-02-06 10:00", "pending")
    h.unmet("2026-01-31 23:30", wheelchair=True, pets=True)
    h.confirm(made["a"], "2026-01-15 09:00")
    h.placement(made["c"], unit, "2026-01-10 12:00", "2026-02-02 10:00")
    now = at("2026-03-10 12:00")
    _roll_up(session, now)
    period = Period.of("2026-01", "2026-03")
    for name, family in FAMILIES.items():
        for by in (list(family.default_by), [], list(family.keys[:2])):
            for exact in (True, False):
                result = answer(session, name, period, by, SCOPE, exact=exact, now=now)
                assert result["rows"] or not by, (name, by)
                assert dump_answer(name, result) == ANSWERS[name]().dump(result), (name, by)
