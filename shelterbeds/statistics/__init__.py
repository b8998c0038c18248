"""County statistics: read-only SQL aggregates, one module per family of figures.

`answer()` gives the "Statistics answer" of ../shared/CONTRACT.md for one family: the rows
grouped `by` the chosen keys, the totals of the period and of the period before it, with
small counts suppressed for roles without exact access. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..domain.periods import Period
from ..domain.suppression import suppress_row
from . import compliance, occupancy, requests, stays, turnaways, unmet
from .common import Family, check_by
from .sql import Filters

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        turnaways.FAMILY,
        requests.FAMILY,
        occupancy.FAMILY,
        unmet.FAMILY,
        compliance.FAMILY,
        stays.FAMILY,
    )
}

__all__ = ["FAMILIES", "Family", "Filters", "Period", "answer", "totals"]


def totals(
    session: Session, family: Family, period: Period, filters: Filters, now: datetime
) -> dict[str, Any]:
    """The family's metrics over the whole period (episodes de-duplicated over it)."""
    rows = family.compute(session, period, [], filters, now)
    row = rows[0] if rows else {m: 0 if m in family.counts else None for m in family.metrics}
    return {m: row.get(m) for m in family.metrics}


def answer(
    session: Session,
    name: str,
    period: Period,
    by: Sequence[str] | None,
    filters: Filters,
    *,
    exact: bool,
    now: datetime,
) -> dict[str, Any]:
    """One family's figures for the period, grouped `by`, with totals and the previous period."""
    family = FAMILIES[name]
    keys = check_by(family, family.default_by if by is None else by)
    for cache in ("stats_occupancy", "stats_compliance", "stats_requests"):  # one answer only
        session.info.pop(cache, None)
    if session.get_bind().dialect.name == "postgresql":
        # An answer's statements read a few thousand rows each through indexes; starting
        # parallel workers for them cost more than the statements (10–15 ms each, measured
        # on the national data: docs/STATISTICS.md, "Speed"). For this transaction only.
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    rows = family.compute(session, period, keys, filters, now)
    shape = [*keys, *family.metrics]
    if any(list(r) != shape for r in rows):  # each row: the keys, then the metrics
        rows = [{k: r.get(k) for k in shape} for r in rows]
    before = period.previous()
    result: dict[str, Any] = {
        "from": period.first,
        "to": period.last,
        "by": keys,
        "rows": rows,
        "totals": totals(session, family, period, filters, now),
        "previous": {
            "from": before.first,
            "to": before.last,
            "totals": totals(session, family, before, filters, now),
        },
        "suppressed": not exact,
    }
    if not exact and family.counts:  # unit-nights and days are never suppressed
        hide = lambda r: suppress_row(r, family.counts, family.derived)  # noqa: E731
        result["rows"] = [hide(r) for r in rows]
        result["totals"] = hide(result["totals"])
        result["previous"]["totals"] = hide(result["previous"]["totals"])
    return result
