"""SQL building blocks shared by the figures: local months, local time of day, scope.

Everything here compares stored UTC timestamps with UTC instants computed in Python from
local (Stockholm) wall-clock boundaries, so the same SQL is DST-safe on PostgreSQL and SQLite
(which has no time zones).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    any_,
    bindparam,
    case,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..domain.periods import NIGHT_ENDS, NIGHT_STARTS, Period, summer_time
from ..models import Municipality, Organisation, Shelter

DAY_SECONDS = 86400


class epoch(FunctionElement[int]):  # noqa: N801  (reads like a SQL function)
    """Whole seconds since 1970-01-01 UTC of a stored timestamp."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch, "postgresql")
def _epoch_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(floor(extract(epoch from {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@dataclass(frozen=True)
class Filters:
    """Who may see what (county, None for national) and the page's narrowing filters."""

    county: str | None
    shelter: str | None = None  # slug
    municipality: str | None = None  # SCB code


def month_of(column: Any, period: Period) -> ColumnElement[Any]:
    """The local month ("YYYY-MM") of a timestamp, by comparing with the months' UTC bounds.

    Rows must already be limited to [period.start, period.end).
    """
    whens = [(column < end, literal(label)) for label, _start, end in period.bounds]
    return case(*whens, else_=literal(None))


def utc_offset(column: Any, period: Period) -> ColumnElement[Any]:
    """Seconds Stockholm is ahead of UTC at the timestamp: 7200 in summer, 3600 otherwise."""
    first, last = int(period.first[:4]), int(period.last[:4])
    whens = []
    for year in range(first - 1, last + 2):
        begins, ends = summer_time(year)
        whens.append(((column >= begins) & (column < ends), literal(7200)))
    return case(*whens, else_=literal(3600))


def local_seconds(column: Any, period: Period) -> ColumnElement[Any]:
    """Seconds since 1970-01-01 00:00 *local* time (a day boundary falls on a multiple of 86400)."""
    return epoch(column) + utc_offset(column, period)


def local_day(column: Any, period: Period) -> ColumnElement[Any]:
    """A number per local calendar day (days since 1970-01-01 local)."""
    return local_seconds(column, period) // DAY_SECONDS


def daypart_of(column: Any, period: Period) -> ColumnElement[Any]:
    """'night' (18:00–08:00 local) or 'day'."""
    seconds = local_seconds(column, period) % DAY_SECONDS
    night = (seconds >= NIGHT_STARTS * 3600) | (seconds < NIGHT_ENDS * 3600)
    return case((night, literal("night")), else_=literal("day"))


def in_period(column: Any, period: Period) -> ColumnElement[bool]:
    return (column >= period.start) & (column < period.end)


def shelter_scope(query: Any, filters: Filters) -> Any:
    """Limit a query that already selects from `shelters` to the county and chosen shelter."""
    if filters.county is not None:
        query = query.join(Municipality, Municipality.code == Shelter.municipality_code).where(
            Municipality.county_code == filters.county
        )
    if filters.shelter is not None:
        query = query.where(Shelter.slug == filters.shelter)
    return query


def placing_scope(query: Any, code_column: Any, org_column: Any, filters: Filters) -> Any:
    """Limit rows to a placing municipality in the county (or, without one, an organisation
    of the county) and to the chosen municipality."""
    if filters.county is not None:
        codes = select(Municipality.code).where(Municipality.county_code == filters.county)
        orgs = select(Organisation.id).where(Organisation.county_code == filters.county)
        query = query.where(
            or_(code_column.in_(codes), code_column.is_(None) & org_column.in_(orgs))
        )
    if filters.municipality is not None:
        query = query.where(code_column == filters.municipality)
    return query


def rows_of(session: Any, query: Any) -> list[dict[str, Any]]:
    """Run a query and return its rows as dicts keyed by the column labels."""
    return [dict(row._mapping) for row in session.execute(query)]


def nearest_rank(n: Any, numerator: int, denominator: int) -> Any:
    """The 1-based nearest rank ceil(p·n) for p = numerator/denominator, in integer SQL."""
    return (n * numerator + (denominator - 1)) // denominator


def among(session: Any, column: Any, ids: Any) -> ColumnElement[bool]:
    """SQL: `column` is one of the integer `ids`.

    On PostgreSQL one array parameter (`= ANY(…)`): an IN list of 300 shelters' ids was 300
    bind parameters that the driver re-parsed on every statement of an answer.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))
