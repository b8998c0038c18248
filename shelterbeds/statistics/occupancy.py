"""Occupancy from the unit status history: unit-nights occupied ÷ unit-nights open.

Each night is counted once per unit by the unit's status at local midnight ending the day
(the night of 31 March is counted at 00:00 on 1 April and belongs to March). A closed unit
is not capacity: it counts neither as open nor as occupied; free, held and occupied units
are open. A shelter is *full* on a night when it had open units and none of them was free.
Months that have ended never change (history only grows at "now"), so their figures are read
from `shelter_months` when the clock has stored them, and computed here otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import case, func, literal, or_, select, true, union_all
from sqlalchemy.orm import Session, aliased

from ..domain.clock import utcnow
from ..domain.enums import UnitStatus
from ..domain.periods import Period
from ..models import Shelter, ShelterMonth, Unit, UnitStatusChange
from ..models.types import UTCDateTime
from .common import Family, ordered, ratio
from .sql import Filters, among, rows_of, shelter_scope

C = UnitStatusChange


def scoped_shelters(session: Session, filters: Filters) -> list[tuple[int, str, str]]:
    """(id, slug, municipality code) of the shelters in scope."""
    query = shelter_scope(select(Shelter.id, Shelter.slug, Shelter.municipality_code), filters)
    if filters.municipality is not None:
        query = query.where(Shelter.municipality_code == filters.municipality)
    return [tuple(r) for r in session.execute(query.order_by(Shelter.slug))]  # type: ignore[misc]


def live_month(
    session: Session,
    shelter_ids: Iterable[int],
    period: Period,
    month: str,
    now: datetime,
    since: datetime | None = None,
) -> dict[int, tuple[int, int, int]]:
    """{shelter id: (unit-nights open, unit-nights occupied, nights full)} for one month,
    from the status history (nights after `now` are not counted yet; with `since`, only the
    nights after it: the rest of a month whose row is stored up to `since`)."""
    ids = list(shelter_ids)
    nights = [t for t in period.nights(month) if t <= now and (since is None or t > since)]
    if not ids or not nights:
        return {}
    month_start = since or next(start for label, start, _end in period.bounds if label == month)
    census = union_all(*[select(literal(t, UTCDateTime()).label("t")) for t in nights]).subquery()
    cols = (C.id, C.unit_id, C.to_status, C.changed_at, Unit.shelter_id)
    within = (
        select(*cols)
        .join(Unit, Unit.id == C.unit_id)
        .where(Unit.shelter_id.in_(ids), C.changed_at > month_start, C.changed_at <= nights[-1])
    )
    carried = _carried(session, ids, month_start)
    changes = union_all(within, carried).subquery()
    intervals = select(
        changes.c.shelter_id,
        changes.c.to_status,
        changes.c.changed_at.label("s"),
        func.lead(changes.c.changed_at)
        .over(partition_by=changes.c.unit_id, order_by=(changes.c.changed_at, changes.c.id))
        .label("e"),
    ).subquery()
    status = intervals.c.to_status
    per_night = (
        select(
            intervals.c.shelter_id,
            census.c.t,
            func.sum(case((status != UnitStatus.CLOSED.value, 1), else_=0)).label("open"),
            func.sum(case((status == UnitStatus.OCCUPIED.value, 1), else_=0)).label("occupied"),
            func.sum(case((status == UnitStatus.FREE.value, 1), else_=0)).label("free"),
        )
        .join(
            census,
            (intervals.c.s <= census.c.t)
            & or_(intervals.c.e.is_(None), intervals.c.e > census.c.t),
        )
        .group_by(intervals.c.shelter_id, census.c.t)
        .subquery()
    )
    full = (per_night.c.open > 0) & (per_night.c.free == 0)
    stmt = select(
        per_night.c.shelter_id,
        func.sum(per_night.c.open).label("open"),
        func.sum(per_night.c.occupied).label("occupied"),
        func.sum(case((full, 1), else_=0)).label("full"),
    ).group_by(per_night.c.shelter_id)
    return {
        int(r["shelter_id"]): (int(r["open"]), int(r["occupied"]), int(r["full"]))
        for r in rows_of(session, stmt)
    }


def _carried(session: Session, ids: list[int], month_start: datetime) -> Any:
    """SQL: each unit's last status change at or before the month's start (its status then).

    One index seek per unit. On PostgreSQL a LATERAL join: joined on a correlated subquery
    (or with IN), its planner hashed the whole status history instead, 2.3 s of a 12-month
    answer at national scale (docs/STATISTICS.md, "Speed"). SQLite has no LATERAL and
    already seeks per unit.
    """
    before = aliased(C)
    latest = (
        select(before.id, before.unit_id, before.to_status, before.changed_at)
        .where(before.unit_id == Unit.id, before.changed_at <= month_start)
        .order_by(before.changed_at.desc(), before.id.desc())
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        last = latest.lateral()
        return (
            select(last.c.id, last.c.unit_id, last.c.to_status, last.c.changed_at, Unit.shelter_id)
            .select_from(Unit)
            .join(last, true())
            .where(Unit.shelter_id.in_(ids))
        )
    last_id = latest.with_only_columns(before.id).correlate(Unit).scalar_subquery()
    cols = (C.id, C.unit_id, C.to_status, C.changed_at, Unit.shelter_id)
    return select(*cols).select_from(Unit).join(C, C.id == last_id).where(Unit.shelter_id.in_(ids))


def month_figures(
    session: Session, shelters: Sequence[tuple[int, str, str]], period: Period, now: datetime
) -> dict[tuple[int, str], tuple[int, int, int]]:
    """{(shelter id, month): figures}: stored rollups, the nights after a running month's
    stored row computed live, and months without a row computed live."""
    ids = [s[0] for s in shelters]
    out: dict[tuple[int, str], tuple[int, int, int]] = {}
    if not ids:
        return out
    stored = session.execute(
        select(
            ShelterMonth.shelter_id,
            ShelterMonth.month,
            ShelterMonth.unit_nights_open,
            ShelterMonth.unit_nights_occupied,
            ShelterMonth.nights_full,
            ShelterMonth.counted_until,
        ).where(among(session, ShelterMonth.shelter_id, ids), ShelterMonth.month.in_(period.months))
    )  # plain rows, not ORM objects: thousands per answer
    partial: dict[tuple[str, datetime], list[int]] = defaultdict(list)
    for shelter_id, month, opened, occupied, full, until in stored:
        out[(shelter_id, month)] = (opened, occupied, full)
        if until is not None:  # counted up to a midnight of the month: add the nights after
            partial[(month, until)].append(shelter_id)
    for (month, until), some in partial.items():
        live = live_month(session, some, period, month, now, since=until)
        for shelter_id in some:
            opened, occupied, full = live.get(shelter_id, (0, 0, 0))
            a, b, c = out[(shelter_id, month)]
            out[(shelter_id, month)] = (a + opened, b + occupied, c + full)
    # Months before the first status change have nothing to count (the index on
    # changed_at makes this a single lookup).
    first: Any = False
    for label, _start, end in period.bounds:
        missing = [i for i in ids if (i, label) not in out]
        if not missing:
            continue
        if first is False:
            first = session.scalar(select(func.min(C.changed_at)))
        if first is None or end <= first:
            out.update({(i, label): (0, 0, 0) for i in missing})
            continue
        live = live_month(session, missing, period, label, now)
        for shelter_id in missing:
            out[(shelter_id, label)] = live.get(shelter_id, (0, 0, 0))
    return out


def complete_months(session: Session, ids: Sequence[int], period: Period) -> list[str]:
    """The period's months whose row is stored and whole for every one of `ids`."""
    if not ids:
        return []
    query = (
        select(ShelterMonth.month, func.count())
        .where(
            among(session, ShelterMonth.shelter_id, ids),
            ShelterMonth.month.in_(period.months),
            ShelterMonth.counted_until.is_(None),
        )
        .group_by(ShelterMonth.month)
    )
    return sorted(month for month, n in session.execute(query) if n == len(ids))


def summed_figures(
    session: Session,
    shelters: Sequence[tuple[int, str, str]],
    period: Period,
    now: datetime,
    per_shelter: bool,
) -> dict[tuple[int, str], tuple[int, int, int]]:
    """{(shelter id, or 0 for all of them, month): figures}.

    Months stored whole for every shelter are summed by the database (12 rows a period
    without the shelter key, instead of thousands of shelter-months); the others, usually
    only the running month, as `month_figures`.
    """
    ids = [s[0] for s in shelters]
    out: dict[tuple[int, str], tuple[int, int, int]] = {}
    complete = complete_months(session, ids, period)
    if complete:
        group = [ShelterMonth.shelter_id] if per_shelter else []
        query = (
            select(
                *group,
                ShelterMonth.month,
                func.sum(ShelterMonth.unit_nights_open),
                func.sum(ShelterMonth.unit_nights_occupied),
                func.sum(ShelterMonth.nights_full),
            )
            .where(
                among(session, ShelterMonth.shelter_id, ids),
                ShelterMonth.month.in_(complete),
                ShelterMonth.counted_until.is_(None),
            )
            .group_by(*group, ShelterMonth.month)
        )
        for row in session.execute(query).all():
            values: Any = row  # (shelter id,) month and three sums
            shelter_id = int(values[0]) if per_shelter else 0
            month, opened, occupied, full = values[-4:]
            out[(shelter_id, str(month))] = (int(opened), int(occupied), int(full))
    for label in period.months:
        if label in complete:
            continue
        for (shelter_id, month), values in month_figures(
            session, shelters, Period(label, label), now
        ).items():
            key = (shelter_id if per_shelter else 0, month)
            a, b, c = out.get(key, (0, 0, 0))
            out[key] = (a + values[0], b + values[1], c + values[2])
    return out


def _group_key(by: Sequence[str]) -> Any:
    """A function from (month, slug, municipality) to the group key (a tuple) of `by`.

    itemgetter rather than a tuple comprehension: it runs for thousands of cells per answer.
    """
    where = [{"month": 0, "shelter": 1, "municipality": 2}[k] for k in by]
    if not where:
        return lambda _v: ()
    if len(where) == 1:  # itemgetter of one index gives the item, not a tuple
        only = where[0]
        return lambda v: (v[only],)
    return itemgetter(*where)


def compute(
    session: Session, period: Period, by: Sequence[str], filters: Filters, now: Any
) -> list[dict[str, Any]]:
    """Unit-nights open and occupied, occupancy and nights full, summed by `by`."""
    now = now or utcnow()
    shelters = scoped_shelters(session, filters)
    info: dict[int, tuple[int, str | None, str | None]] = {s[0]: s for s in shelters}
    info[0] = (0, None, None)  # all shelters' sum
    # The rows and the totals of one answer need the same figures: compute them once.
    cache = session.info.setdefault("stats_occupancy", {})
    per_shelter = "shelter" in by or "municipality" in by
    key = (period, filters, now, per_shelter)
    if key not in cache and (period, filters, now, True) in cache:
        key = (period, filters, now, True)  # the rows' figures give the totals too
    if key not in cache:
        cache[key] = summed_figures(session, shelters, period, now, per_shelter)
    figures = cache[key]
    sums: dict[tuple[Any, ...], list[int]] = {}
    group_of = _group_key(by)
    for (shelter_id, month), (opened, occupied, full) in figures.items():
        _id, slug, municipality = info[shelter_id]
        group = group_of((month, slug, municipality))
        acc = sums.get(group)
        if acc is None:
            sums[group] = [opened, occupied, full]
        else:
            acc[0] += opened
            acc[1] += occupied
            acc[2] += full
    rows = []
    for key in ordered(sums):
        opened, occupied, full = sums[key]
        row: dict[str, Any] = dict(zip(by, key, strict=True))
        row["unit_nights_open"] = opened
        row["unit_nights_occupied"] = occupied
        row["occupancy"] = ratio(occupied, opened)
        row["nights_full"] = full
        rows.append(row)
    return rows


FAMILY = Family(
    name="occupancy",
    keys=("shelter", "month", "municipality"),
    metrics=("unit_nights_open", "unit_nights_occupied", "occupancy", "nights_full"),
    counts=(),  # unit-nights count places, not people: never suppressed
    compute=compute,
    default_by=("shelter", "month"),
)
