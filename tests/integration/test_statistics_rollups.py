"""The fast paths give exactly the numbers of the plain SQL (both engines).

Requests grouped by shelter and/or month are summed from shelter-month cells (stored by the
clock's rollup, or computed live); unmet needs by kind are counted in one pass. Each is
compared here with the straightforward query on the same hand-built history, including a
request made at 23:50 on the last day of a month and decided in the next one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, union_all

from shelterbeds.domain.clock import STOCKHOLM
from shelterbeds.domain.periods import Period
from shelterbeds.domain.requests import RequestStatus
from shelterbeds.models import ShelterMonth, UnmetNeedSignal
from shelterbeds.services.stats_rollup import roll_up_months
from shelterbeds.statistics import Filters, answer, requests, unmet
from shelterbeds.statistics.common import grouped
from shelterbeds.statistics.request_cells import unpack_seconds
from tests.support.history import COUNTY, MUNICIPALITY, OTHER_MUNICIPALITY, at, build_history

SCOPE = Filters(county=COUNTY)
PERIOD = Period.of("2026-01", "2026-04")
BYS = ([], ["month"], ["shelter"], ["shelter", "month"], ["month", "shelter"])


@pytest.fixture
def h(session):
    return build_history(session)


def _history(h: Any) -> dict[str, Any]:
    """Two shelters, four months of requests with every outcome and uneven decision times."""
    a, b = h.shelter("a"), h.shelter("b")
    ua = h.unit(a, "1", opened="2026-01-02 08:00")
    ub = h.unit(b, "1", opened="2026-01-02 08:00")
    minutes = [3, 7, 7, 12, 45, 90, 200, 11, 5, 31]
    outcomes = ["accepted", "declined", "accepted", "withdrawn", "expired", "declined"]
    n = 0
    for month in ("01", "02", "03"):
        for day in range(1, 9):
            shelter, unit = (a, ua) if (day + n) % 3 else (b, ub)
            status = outcomes[n % len(outcomes)]
            made = f"2026-{month}-{day + 10:02d} {8 + day:02d}:15"
            decided = at(made).timestamp() + minutes[n % len(minutes)] * 60 + n
            h.request(
                shelter,
                unit,
                made,
                status,
                decided=_local(decided),
                reason="capacity" if status == "declined" else None,
            )
            n += 1
    # Made at 23:50 on the last day of January, still pending when January has ended.
    late = h.request(a, ua, "2026-01-31 23:50", "pending")
    h.request(b, ub, "2026-04-02 10:00", "accepted", decided="2026-04-02 10:04")
    return {"a": a, "b": b, "late": late}


def _local(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, UTC).astimezone(STOCKHOLM)
    return moment.strftime("%Y-%m-%d %H:%M")


def _roll_up(session, now, **kw):
    """Run the clock's rollup until it has caught up; rows written."""
    written = step = roll_up_months(session, now, **kw)
    while step:
        step = roll_up_months(session, now, **kw)
        written += step
    return written


def _cells(session, by, now, period=PERIOD):
    session.info.pop("stats_requests", None)
    return requests.from_cells(session, period, by, SCOPE, now)


def test_request_cells_equal_the_sql_live_and_after_the_rollup(session, h):
    made = _history(h)
    now = at("2026-04-10 12:00")
    expected = {tuple(by): requests.live_rows(session, PERIOD, by, SCOPE) for by in BYS}
    assert expected[()][0]["requests"] == 26 and expected[()][0]["pending"] == 1
    assert expected[()][0]["median_minutes_to_decision"] is not None
    for by in BYS:  # nothing stored yet: every cell is computed live
        assert _cells(session, by, now) == expected[tuple(by)], by

    assert _roll_up(session, now) > 0
    january = session.get(ShelterMonth, (made["a"].id, "2026-01"))
    assert january is not None and january.requests is None  # pending: not stored yet
    stored = session.get(ShelterMonth, (made["b"].id, "2026-02"))
    assert stored is not None and stored.requests is not None
    for by in BYS:  # stored months plus January of "a" and April live
        assert _cells(session, by, now) == expected[tuple(by)], by


def test_a_request_decided_after_its_month_ended_is_stored_once_settled(session, h):
    made = _history(h)
    now = at("2026-04-10 12:00")
    _roll_up(session, now)
    january = Period.of("2026-01", "2026-01")
    before = requests.live_rows(session, january, ["shelter"], SCOPE)[0]
    late = made["late"]
    late.status, late.decided_at = RequestStatus.ACCEPTED, at("2026-02-01 00:40")
    session.flush()
    expected = {tuple(by): requests.live_rows(session, PERIOD, by, SCOPE) for by in BYS}
    after = requests.live_rows(session, january, ["shelter"], SCOPE)[0]
    assert (after["shelter"], after["accepted"], after["pending"]) == (
        "a",
        before["accepted"] + 1,
        0,
    )
    for by in BYS:  # January of "a" is still computed live, with the new outcome
        assert _cells(session, by, now) == expected[tuple(by)], by
    assert roll_up_months(session, now) == 1  # only that shelter-month is written
    row = session.get(ShelterMonth, (made["a"].id, "2026-01"))
    assert (row.requests, row.accepted) == (after["requests"], after["accepted"])
    seconds = unpack_seconds(row.decision_times)
    assert seconds == sorted(seconds) and len(seconds) == after["accepted"] + after["declined"]
    for by in BYS:
        assert _cells(session, by, now) == expected[tuple(by)], by
    assert roll_up_months(session, now) == 0  # idempotent


def test_stored_request_cells_are_what_the_answer_reads(session, h):
    made = _history(h)
    now = at("2026-04-10 12:00")
    _roll_up(session, now)
    before = answer(session, "requests", PERIOD, ["month"], SCOPE, exact=True, now=now)
    row = session.get(ShelterMonth, (made["b"].id, "2026-02"))
    row.requests += 100
    row.expired += 100
    session.flush()
    after = answer(session, "requests", PERIOD, ["month"], SCOPE, exact=True, now=now)
    february = [r for r in after["rows"] if r["month"] == "2026-02"][0]
    assert (
        february["requests"]
        == [r for r in before["rows"] if r["month"] == "2026-02"][0]["requests"] + 100
    )
    assert after["totals"]["requests"] == before["totals"]["requests"] + 100
    # Other groupings and a placing municipality are computed from the requests.
    by_reason = answer(session, "requests", PERIOD, ["reason"], SCOPE, exact=True, now=now)
    assert sum(r["requests"] for r in by_reason["rows"]) == before["totals"]["requests"]
    placed = Filters(county=COUNTY, municipality=MUNICIPALITY)
    live = answer(session, "requests", PERIOD, ["month"], placed, exact=True, now=now)
    assert live["totals"]["requests"] == before["totals"]["requests"]


def test_the_rollup_catches_up_missed_months_oldest_first_and_writes_once(session, h):
    made = _history(h)
    now = at("2026-04-10 12:00")
    ids = (made["a"].id, made["b"].id)

    def stored():
        return session.execute(
            select(
                ShelterMonth.shelter_id,
                ShelterMonth.month,
                ShelterMonth.requests,
                ShelterMonth.accepted,
                ShelterMonth.decision_times,
                ShelterMonth.unit_nights_open,
            )
            .where(ShelterMonth.shelter_id.in_(ids))
            .order_by(ShelterMonth.shelter_id, ShelterMonth.month)
        ).all()

    _roll_up(session, now, limit_months=1)  # one month per run
    first = stored()
    # The three ended months, and April (running) up to its last midnight.
    assert {(s, m) for s, m, *_ in first} == {(i, m) for i in ids for m in PERIOD.months}
    assert roll_up_months(session, now) == 0
    assert stored() == first


def _unmet_by_union(session, period, by, filters):
    """The plain query: one SELECT per kind, unioned, grouped (the reference)."""
    from sqlalchemy import literal

    s = UnmetNeedSignal
    base, extra = unmet.signals(period, filters)
    kinds = {**unmet.NEED_KINDS, "none": unmet._none_of_them()}
    parts = [
        base.where(test).with_only_columns(
            s.id.label("id"), literal(kind).label("need"), *extra.values()
        )
        for kind, test in kinds.items()
    ]
    table = union_all(*parts).subquery()
    dims = {k: table.c[k] for k in ("need", *extra)}
    query = select(table.c.id).select_from(table)
    return grouped(session, query, dims, by, [func.count(table.c.id).label("count")])


def test_unmet_needs_in_one_pass_equal_the_union_of_kinds(session, h):
    h.unmet("2026-01-31 23:30", wheelchair=True, pets=True)
    h.unmet("2026-02-01 00:30", wheelchair=True, language="ar")
    h.unmet("2026-02-10 12:00", municipality=OTHER_MUNICIPALITY)
    h.unmet("2026-02-11 19:00", municipality=None, psychiatric=True, oldest_boy_age=14)
    h.unmet("2026-03-03 07:00", municipality=OTHER_MUNICIPALITY, men=True, lgbtq=True)
    h.unmet("2026-03-04 09:00", substance_use="active")
    cases = (
        ["need"],
        ["month", "need"],
        ["need", "month"],
        ["need", "municipality"],
        ["municipality", "need", "daypart"],
    )
    for by in cases:
        expected = _unmet_by_union(session, PERIOD, by, SCOPE)
        assert expected, by
        assert unmet.compute(session, PERIOD, by, SCOPE, None) == expected, by
