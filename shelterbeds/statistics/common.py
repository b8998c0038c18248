"""How a family of figures is described and grouped: its `by` keys, counts and metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from ..domain.enums import DeclineReason
from ..domain.errors import Invalid
from ..domain.periods import Period
from ..domain.refusal_groups import GROUP_OF
from .sql import Filters, nearest_rank, rows_of


@dataclass(frozen=True)
class Family:
    """One family of figures: what it may be grouped by and which metrics it answers.

    `counts` are people/case counts (suppressed for roles without exact access); `derived`
    maps a rate or median to the count it comes from (withheld when that count is); `clock`
    gives the rows again with the columns that move with the clock alone between local
    midnights brought to `now` (a kept answer is read through it: services/stats_cache.py).
    """

    name: str
    keys: Sequence[str]
    metrics: Sequence[str]
    counts: Sequence[str]
    compute: Callable[[Session, Period, Sequence[str], Filters, Any], list[dict[str, Any]]]
    derived: Mapping[str, str] = field(default_factory=dict)
    default_by: Sequence[str] = ("month",)
    clock: Callable[[list[dict[str, Any]], datetime], list[dict[str, Any]]] | None = None


def check_by(family: Family, by: Sequence[str]) -> list[str]:
    """The validated `by` keys (in the order given, no repeats)."""
    unknown = [k for k in by if k not in family.keys]
    if unknown:
        raise Invalid(
            f"Cannot group {family.name} by {', '.join(unknown)}.",
            errors={"by": [f"Choose among: {', '.join(family.keys)}."]},
        )
    return list(dict.fromkeys(by))


def reason_group(column: Any) -> Any:
    """SQL: the comparable refusal group of a reason column."""
    return case(
        {reason: literal(group.value) for reason, group in GROUP_OF.items()},
        value=column,
        else_=literal(None),
    )


def grouped(
    session: Session,
    query: Any,
    dimensions: Mapping[str, Any],
    by: Sequence[str],
    metrics: Sequence[Any],
) -> list[dict[str, Any]]:
    """Group `query` (FROM and WHERE done) by the chosen dimensions and select `metrics`."""
    keys = [dimensions[k].label(k) for k in by]
    stmt = query.with_only_columns(*keys, *metrics)
    if keys:
        stmt = stmt.group_by(*keys).order_by(*keys)
    rows = rows_of(session, stmt)
    for row in rows:
        for key in by:
            value = row[key]
            row[key] = getattr(value, "value", value)
    return rows


def ordered(keys: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Group keys sorted by their text (a key may hold None, which sorts as "None")."""
    keys = list(keys)
    if all(isinstance(x, str) for key in keys for x in key):
        return sorted(keys)  # the same order, without a text copy of every key
    return sorted(keys, key=lambda k: tuple(str(x) for x in k))


def ratio(numerator: Any, denominator: Any, digits: int = 3) -> float | None:
    if not denominator:
        return None
    return round(float(numerator) / float(denominator), digits)


def decline_reasons() -> list[str]:
    return [r.value for r in DeclineReason]


def percentiles(
    session: Session, query: Any, dimensions: Mapping[str, Any], by: Sequence[str], value: Any
) -> dict[tuple[Any, ...], tuple[float, float]]:
    """{group key: (median, 90th percentile)} of `value` over `query`'s rows, per group.

    Window functions (PostgreSQL and SQLite ≥ 3.25): the median averages the middle two of
    an even count; the 90th percentile is the nearest rank ceil(0.9·n).
    """
    partition = [dimensions[k] for k in by] or None
    ranked = query.with_only_columns(
        *[dimensions[k].label(k) for k in by],
        value.label("v"),
        func.row_number().over(partition_by=partition, order_by=value).label("rn"),
        func.count().over(partition_by=partition).label("n"),
    ).subquery()
    cols = [ranked.c[k] for k in by]
    n, rn = ranked.c.n, ranked.c.rn
    middle = (rn == (n + 1) // 2) | (rn == (n + 2) // 2)
    stmt = select(
        *cols,
        func.avg(case((middle, ranked.c.v))).label("median"),
        func.max(case((rn == nearest_rank(n, 9, 10), ranked.c.v))).label("p90"),
    )
    if cols:
        stmt = stmt.group_by(*cols)
    out = {}
    for row in rows_of(session, stmt):
        if row["median"] is None:
            continue
        key = tuple(getattr(row[k], "value", row[k]) for k in by)
        out[key] = (float(row["median"]), float(row["p90"]))
    return out
