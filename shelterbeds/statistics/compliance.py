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
from .common import Family, ratio
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


def compute(
    session: Session, period: Period, by: Sequence[str], filters: Filters, now: Any
) -> list[dict[str, Any]]:
    """Days reported, days in period, compliance (and, by shelter, hours since confirmed)."""
    now = now or utcnow()
    shelters = _shelters(session, filters)
    cache = session.info.setdefault("stats_compliance", {})  # rows and totals share it
    key = (period, filters, now)
    if key not in cache:
        cache[key] = _reported(session, [s.id for s in shelters], period, now)
    reported = cache[key]
    sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    last: dict[tuple[Any, ...], datetime | None] = {}
    bounds = period.bounds  # computed once: it converts every month's local midnights
    # Days of each month up to today, for every shelter registered before the month began
    # (counted once, not per shelter: thousands of shelter-months per answer).
    whole = [days_between(start, min(end, now)) for _label, start, end in bounds]
    for s in shelters:
        created = as_utc(s.created_at)
        keys = {"shelter": s.slug, "municipality": s.municipality_code}
        confirmed = as_utc(s.confirmed_at) if s.confirmed_at else None
        for (label, start, end), days in zip(bounds, whole, strict=True):
            if created >= end:
                days = 0
            elif created > start:
                days = days_between(created, min(end, now))
            keys["month"] = label
            key = tuple(keys[k] for k in by)
            # Stamps from before the shelter was registered (imported history) do not count.
            acc = sums[key]
            acc[0] += min(reported.get((s.id, label), 0), days)
            acc[1] += days
            if "shelter" in by:
                last[key] = confirmed
    rows = []
    for key in sorted(sums, key=lambda k: tuple(str(x) for x in k)):
        days_reported, days = sums[key]
        row: dict[str, Any] = dict(zip(by, key, strict=True))
        row.update(days_reported=days_reported, days=days, compliance=ratio(days_reported, days))
        confirmed = last.get(key)
        row["last_confirmed_at"] = confirmed.isoformat() if confirmed else None
        row["hours_since_confirmation"] = (
            round((now - confirmed).total_seconds() / 3600, 1) if confirmed else None
        )
        rows.append(row)
    return rows


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
)
