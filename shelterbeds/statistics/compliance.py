"""Reporting compliance: on what share of days each shelter kept its vacancies current.

A shelter *reported* on a local day when its staff confirmed the vacancies ("still correct",
on the web, by API or SMS) or changed a unit's status themselves that day (changes made by
the system, such as a hold, do not count). Compliance = days reported ÷ days in the period
(from the shelter's creation, up to today). Also the time since the last confirmation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select, union_all
from sqlalchemy.orm import Session

from ..domain.clock import as_utc, utcnow
from ..domain.enums import ChangeSource
from ..domain.periods import Period, days_between
from ..models import Shelter, ShelterConfirmation, ShelterMonth, Unit, UnitStatusChange
from .common import Family, ordered, ratio
from .occupancy import complete_months
from .sql import Filters, among, local_day, month_of, rows_of, shelter_scope

STAFF_SOURCES = (ChangeSource.WEB, ChangeSource.API, ChangeSource.SMS)


def _shelters(session: Session, filters: Filters) -> list[Any]:
    query = shelter_scope(
        select(
            Shelter.id,
            Shelter.slug,
            Shelter.municipality_code,
            Shelter.created_at,
            Shelter.confirmed_at,
        ),
        filters,
    )
    if filters.municipality is not None:
        query = query.where(Shelter.municipality_code == filters.municipality)
    return list(session.execute(query.order_by(Shelter.slug)))


def live_reported(
    session: Session,
    ids: Sequence[int],
    period: Period,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[tuple[int, str], int]:
    """{(shelter id, month): local days with a report}, from confirmations and staff changes
    (only stamps from `since` and before `until`, each a local midnight, when given)."""
    if not ids:
        return {}
    start = period.start if since is None else max(since, period.start)
    end = period.end if until is None else min(until, period.end)
    if end <= start:
        return {}

    def within(column: Any) -> Any:
        return (column >= start) & (column < end)

    confirmations = select(
        ShelterConfirmation.shelter_id.label("shelter_id"),
        ShelterConfirmation.confirmed_at.label("at"),
    ).where(
        among(session, ShelterConfirmation.shelter_id, ids),
        within(ShelterConfirmation.confirmed_at),
    )
    changes = (
        select(Unit.shelter_id.label("shelter_id"), UnitStatusChange.changed_at.label("at"))
        .join(Unit, Unit.id == UnitStatusChange.unit_id)
        .where(
            among(session, Unit.shelter_id, ids),
            UnitStatusChange.source.in_(STAFF_SOURCES),
            within(UnitStatusChange.changed_at),
        )
    )
    stamps = union_all(confirmations, changes).subquery()
    month = month_of(stamps.c.at, period).label("month")
    stmt = select(
        stamps.c.shelter_id,
        month,
        func.count(distinct(local_day(stamps.c.at, period))).label("days"),
    ).group_by(stamps.c.shelter_id, month)
    return {
        (int(found["shelter_id"]), found["month"]): int(found["days"])
        for found in rows_of(session, stmt)
    }


def _reported(
    session: Session, ids: Sequence[int], period: Period, now: datetime
) -> dict[tuple[int, str], int]:
    """Stored figures (`shelter_months`), the days after a running month's stored row and
    months without a row computed live."""
    reported: dict[tuple[int, str], int] = {}
    if not ids:
        return reported
    stored = session.execute(
        select(
            ShelterMonth.shelter_id,
            ShelterMonth.month,
            ShelterMonth.days_reported,
            ShelterMonth.counted_until,
        ).where(among(session, ShelterMonth.shelter_id, ids), ShelterMonth.month.in_(period.months))
    )
    partial: dict[tuple[str, datetime], list[int]] = defaultdict(list)
    for shelter_id, month, days, until in stored:
        reported[(shelter_id, month)] = days
        if until is not None:  # counted up to a midnight of the month: add the days after
            partial[(month, until)].append(shelter_id)
    for (month, until), some in partial.items():
        live = live_reported(session, some, Period(month, month), since=until)
        for key, days in live.items():
            reported[key] += days
    missing = [label for label in period.months if any((i, label) not in reported for i in ids)]
    if missing:
        live = live_reported(session, ids, Period(missing[0], missing[-1]))
        for key, days in live.items():
            reported.setdefault(key, days)
    return reported


def _summed(
    session: Session, shelters: Sequence[Any], period: Period, now: datetime, per_month: bool
) -> dict[tuple[int, str | None], int]:
    """{(shelter id, month or None for the period): days reported}, capped by the days the
    shelter existed in each month.

    A shelter registered before the period began cannot have reported on more days than
    the month had, so its months stored whole for every such shelter are summed by the
    database (a row per shelter, not per shelter-month); its other months, usually only the
    running one, and every month of a shelter registered later are counted per month.
    """
    start = period.start
    established = [s.id for s in shelters if as_utc(s.created_at) <= start]
    young = [s for s in shelters if as_utc(s.created_at) > start]
    out: dict[tuple[int, str | None], int] = defaultdict(int)
    complete = complete_months(session, established, period)
    if complete:
        group = [ShelterMonth.shelter_id, *([ShelterMonth.month] if per_month else [])]
        query = (
            select(*group, func.sum(ShelterMonth.days_reported))
            .where(
                among(session, ShelterMonth.shelter_id, established),
                ShelterMonth.month.in_(complete),
                ShelterMonth.counted_until.is_(None),
            )
            .group_by(*group)
        )
        for row in session.execute(query).all():
            values: Any = row  # shelter id, (month,) days reported
            out[(int(values[0]), str(values[1]) if per_month else None)] += int(values[-1])
    rest = [label for label in period.months if label not in complete]
    if established and rest:
        cells = _reported(session, established, Period(rest[0], rest[-1]), now)
        wanted = set(rest)
        for (shelter_id, label), days in cells.items():
            if label in wanted:
                out[(shelter_id, label if per_month else None)] += days
    # Months that ended before a shelter was registered count nothing for it: not read.
    first = min((as_utc(s.created_at) for s in young), default=None)
    counted = [label for label, _start, end in period.bounds if first is not None and end > first]
    if counted:
        cells = _reported(session, [s.id for s in young], Period(counted[0], counted[-1]), now)
        wanted_months = set(counted)
        bounds = [b for b in period.bounds if b[0] in wanted_months]  # once, not per shelter
        for s in young:
            created = as_utc(s.created_at)
            for label, month_start, end in bounds:
                if created >= end:
                    continue
                days = days_between(max(month_start, created), min(end, now))
                # Stamps from before the shelter was registered (imported history) do not
                # count.
                found = min(cells.get((s.id, label), 0), days)
                out[(s.id, label if per_month else None)] += found
    return out


def compute(
    session: Session, period: Period, by: Sequence[str], filters: Filters, now: Any
) -> list[dict[str, Any]]:
    """Days reported, days in period, compliance (and, by shelter, hours since confirmed)."""
    now = now or utcnow()
    shelters = _shelters(session, filters)
    per_month = "month" in by
    cache = session.info.setdefault("stats_compliance", {})  # rows and totals share it
    key = (period, filters, now, per_month)
    if key not in cache:
        cache[key] = _summed(session, shelters, period, now, per_month)
    reported = cache[key]
    sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    last: dict[tuple[Any, ...], datetime | None] = {}
    bounds = period.bounds  # computed once: it converts every month's local midnights
    # Days of each month up to today, for every shelter registered before the month began
    # (counted once, not per shelter: thousands of shelter-months per answer).
    whole = [days_between(start, min(end, now)) for _label, start, end in bounds]
    for s in shelters:
        created = as_utc(s.created_at)
        keys: dict[str, Any] = {"shelter": s.slug, "municipality": s.municipality_code}
        confirmed = as_utc(s.confirmed_at) if s.confirmed_at else None
        if per_month:
            for (label, start, end), days in zip(bounds, whole, strict=True):
                if created >= end:
                    days = 0
                elif created > start:
                    days = days_between(created, min(end, now))
                keys["month"] = label
                key = tuple(keys[k] for k in by)
                acc = sums[key]
                acc[0] += reported.get((s.id, label), 0)
                acc[1] += days
                if "shelter" in by:
                    last[key] = confirmed
        else:
            # Local days never straddle a month: the period's days are the months' days.
            key = tuple(keys[k] for k in by)
            acc = sums[key]
            acc[0] += reported.get((s.id, None), 0)
            acc[1] += days_between(max(period.start, created), min(period.end, now))
            if "shelter" in by:
                last[key] = confirmed
    rows = []
    for key in ordered(sums):
        days_reported, days = sums[key]
        row: dict[str, Any] = dict(zip(by, key, strict=True))
        row.update(days_reported=days_reported, days=days, compliance=ratio(days_reported, days))
        confirmed = last.get(key)
        row["last_confirmed_at"] = confirmed.isoformat() if confirmed else None
        row["hours_since_confirmation"] = _hours_since(confirmed, now)
        rows.append(row)
    return rows


def _hours_since(confirmed: datetime | None, now: datetime) -> float | None:
    return round((now - confirmed).total_seconds() / 3600, 1) if confirmed else None


def at_now(rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The rows with the hours since each shelter's last confirmation as of `now` (the only
    column that moves between local midnights)."""
    now = as_utc(now)
    out = []
    for row in rows:
        stamp = row.get("last_confirmed_at")
        if stamp is not None:
            hours = _hours_since(datetime.fromisoformat(stamp), now)
            row = {**row, "hours_since_confirmation": hours}
        out.append(row)
    return out


FAMILY = Family(
    name="compliance",
    keys=("shelter", "month", "municipality"),
    metrics=(
        "days_reported",
        "days",
        "compliance",
        "last_confirmed_at",
        "hours_since_confirmation",
    ),
    counts=(),
    compute=compute,
    default_by=("shelter",),
    clock=at_now,
)
