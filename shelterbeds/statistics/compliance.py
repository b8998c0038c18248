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
from .sql import Filters, in_period, local_day, month_of, rows_of, shelter_scope

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
    session: Session, ids: Sequence[int], period: Period
) -> dict[tuple[int, str], int]:
    """{(shelter id, month): local days with a report}, from confirmations and staff changes."""
    if not ids:
        return {}
    confirmations = select(
        ShelterConfirmation.shelter_id.label("shelter_id"),
        ShelterConfirmation.confirmed_at.label("at"),
    ).where(
        ShelterConfirmation.shelter_id.in_(ids),
        in_period(ShelterConfirmation.confirmed_at, period),
    )
    changes = (
        select(Unit.shelter_id.label("shelter_id"), UnitStatusChange.changed_at.label("at"))
        .join(Unit, Unit.id == UnitStatusChange.unit_id)
        .where(
            Unit.shelter_id.in_(ids),
            UnitStatusChange.source.in_(STAFF_SOURCES),
            in_period(UnitStatusChange.changed_at, period),
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
    """Stored figures of ended months (`shelter_months`), the rest computed live."""
    reported: dict[tuple[int, str], int] = {}
    if not ids:
        return reported
    stored = session.execute(
        select(ShelterMonth.shelter_id, ShelterMonth.month, ShelterMonth.days_reported).where(
            ShelterMonth.shelter_id.in_(ids), ShelterMonth.month.in_(period.months)
        )
    )
    have: set[tuple[int, str]] = set()
    for shelter_id, month, days in stored:
        reported[(shelter_id, month)] = days
        have.add((shelter_id, month))
    missing = [
        label
        for label, _start, end in period.bounds
        if end > now or any((i, label) not in have for i in ids)
    ]
    if missing:
        live = live_reported(session, ids, Period(missing[0], missing[-1]))
        for (shelter_id, month), days in live.items():
            if (shelter_id, month) not in have:
                reported[(shelter_id, month)] = days
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
    for s in shelters:
        created = as_utc(s.created_at)
        for label, start, end in bounds:
            opened = max(start, created)
            days = days_between(opened, min(end, now))
            keys = {"shelter": s.slug, "month": label, "municipality": s.municipality_code}
            key = tuple(keys[k] for k in by)
            # Stamps from before the shelter was registered (imported history) do not count.
            sums[key][0] += min(reported.get((s.id, label), 0), days)
            sums[key][1] += days
            if "shelter" in by:
                last[key] = as_utc(s.confirmed_at) if s.confirmed_at else None
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
