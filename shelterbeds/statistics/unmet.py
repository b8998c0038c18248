"""Unmet needs by kind: searches that found no suitable free unit, and suitability declines.

Both are stored as unmet-need signals (a suitability decline records one for the requesting
organisation). A signal with two needs (wheelchair and pets) counts once under each kind;
`none` is a household with no special need that still found nothing (no place of its size).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ..domain.periods import Period
from ..models import UnmetNeedSignal
from .common import Family, grouped
from .sql import Filters, daypart_of, in_period, month_of, placing_scope

S = UnmetNeedSignal
NEED_KINDS = {
    "wheelchair": S.wheelchair.is_(True),
    "pets": S.pets.is_(True),
    "lgbtq": S.lgbtq.is_(True),
    "psychiatric": S.psychiatric.is_(True),
    "men": S.men.is_(True),
    "substance_use": S.substance_use.is_not(None),
    "language": S.language.is_not(None),
    "boys": S.oldest_boy_age.is_not(None),
}


def _none_of_them() -> Any:
    return and_(*[~test for test in NEED_KINDS.values()])


def signals(period: Period, filters: Filters) -> tuple[Any, dict[str, Any]]:
    """The period's signals in scope (a query) and the keys other than `need` (columns)."""
    base = placing_scope(select(S.id), S.municipality_code, S.organisation_id, filters)
    base = base.where(in_period(S.created_at, period))
    extra = {
        "month": month_of(S.created_at, period).label("month"),
        "municipality": S.municipality_code.label("municipality"),
        "daypart": daypart_of(S.created_at, period).label("daypart"),
    }
    return base, extra


def compute(
    session: Session, period: Period, by: Sequence[str], filters: Filters, _now: Any
) -> list[dict[str, Any]]:
    """Unmet-need signals in the period by `by` (need, month, municipality, daypart)."""
    base, extra = signals(period, filters)
    if "need" not in by:
        # count(*), not count(id): the period's signals are then counted from the index alone.
        return grouped(session, base, extra, by, [func.count().label("count")])
    return _by_need(session, base, extra, by)


def _by_need(
    session: Session, base: Any, extra: dict[str, Any], by: Sequence[str]
) -> list[dict[str, Any]]:
    """One pass over the signals: a count per kind in each group of the other keys, then one
    row per (group, kind) with signals, in the order of `by` (as ORDER BY would give)."""
    others = [k for k in by if k != "need"]
    kinds = {**NEED_KINDS, "none": _none_of_them()}
    sums = [func.sum(case((test, 1), else_=0)).label(kind) for kind, test in kinds.items()]
    rows = []
    for group in grouped(session, base, extra, others, sums):
        for kind in kinds:
            if group[kind]:
                count = int(group[kind])
                rows.append({**{k: group[k] for k in others}, "need": kind, "count": count})
    nulls_last = session.get_bind().dialect.name == "postgresql"

    def order(row: dict[str, Any]) -> tuple[tuple[bool, str], ...]:
        # NULL sorts last on PostgreSQL, first on SQLite (a signal without a municipality).
        return tuple(
            (nulls_last, "") if row[k] is None else (not nulls_last, str(row[k])) for k in by
        )

    return sorted(rows, key=order)


FAMILY = Family(
    name="unmet-needs",
    keys=("need", "month", "municipality", "daypart"),
    metrics=("count",),
    counts=("count",),
    compute=compute,
    default_by=("need",),
)
