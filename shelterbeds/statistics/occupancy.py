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
from typing import Any

from sqlalchemy import case, func, literal, or_, select, true, union_all
from sqlalchemy.orm import Session, aliased

from ..domain.clock import utcnow
from ..domain.enums import UnitStatus
from ..domain.periods import Period
from ..models import Shelter, ShelterMonth, Unit, UnitStatusChange
from ..models.types import UTCDateTime
from .common import Family, ratio
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


def compute(
    session: Session, period: Period, by: Sequence[str], filters: Filters, now: Any
) -> list[dict[str, Any]]:
    """Unit-nights open and occupied, occupancy and nights full, summed by `by`."""
    now = now or utcnow()
    shelters = scoped_shelters(session, filters)
    info = {s[0]: s for s in shelters}
    # The rows and the totals of one answer need the same figures: compute them once.
    cache = session.info.setdefault("stats_occupancy", {})
    key = (period, filters, now)
    if key not in cache:
        cache[key] = month_figures(session, shelters, period, now)
    figures = cache[key]
    sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (shelter_id, month), values in figures.items():
        _id, slug, municipality = info[shelter_id]
        keys = {"shelter": slug, "month": month, "municipality": municipality}
        acc = sums[tuple(keys[k] for k in by)]
        for i, v in enumerate(values):
            acc[i] += v
    rows = []
    for key in sorted(sums, key=lambda k: tuple(str(x) for x in k)):
        opened, occupied, full = sums[key]
        row: dict[str, Any] = dict(zip(by, key, strict=True))
        row.update(
            unit_nights_open=opened,
            unit_nights_occupied=occupied,
            occupancy=ratio(occupied, opened),
            nights_full=full,
        )
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
