"""Unmet needs by kind: searches that found no suitable free unit, and suitability declines.

Both are stored as unmet-need signals (a suitability decline records one for the requesting
organisation). A signal with two needs (wheelchair and pets) counts once under each kind;
`none` is a household with no special need that still found nothing (no place of its size).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, literal, select, union_all
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


def compute(
    session: Session, period: Period, by: Sequence[str], filters: Filters, _now: Any
) -> list[dict[str, Any]]:
    """Unmet-need signals in the period by `by` (need, month, municipality, daypart)."""
    base = placing_scope(select(S.id), S.municipality_code, S.organisation_id, filters)
    base = base.where(in_period(S.created_at, period))
    extra = {
        "month": month_of(S.created_at, period).label("month"),
        "municipality": S.municipality_code.label("municipality"),
        "daypart": daypart_of(S.created_at, period).label("daypart"),
    }
    if "need" not in by:
        return grouped(session, base, extra, by, [func.count(S.id).label("count")])
    kinds = {**NEED_KINDS, "none": _none_of_them()}
    parts = [
        base.where(test).with_only_columns(
            S.id.label("id"), literal(kind).label("need"), *extra.values()
        )
        for kind, test in kinds.items()
    ]
    unpivot = union_all(*parts).subquery()
    dims: dict[str, Any] = {k: unpivot.c[k] for k in ("need", *extra)}
    query = select(unpivot.c.id).select_from(unpivot)
    return grouped(session, query, dims, by, [func.count(unpivot.c.id).label("count")])


FAMILY = Family(
    name="unmet-needs",
    keys=("need", "month", "municipality", "daypart"),
    metrics=("count",),
    counts=("count",),
    compute=compute,
    default_by=("need",),
)
