"""Turn-aways: refusals and de-duplicated episodes per shelter, municipality, month, reason.

A refusal is a row of `turn_aways`; an episode is a distinct `episode_id` (one household
refused by three shelters in a night: three refusals, one episode). An episode with
refusals in two groups counts once in each, and once in the totals. By shelter and month,
months whose refusals are final are read from `shelter_months` (services/stats_rollup.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from ..domain.periods import Period
from ..models import Shelter, ShelterMonth, TurnAway
from .common import Family, grouped, reason_group
from .occupancy import scoped_shelters
from .sql import Filters, among, daypart_of, in_period, month_of, shelter_scope

CELL_KEYS = frozenset({"shelter", "month"})  # what stored shelter-months can be grouped by


def compute(
    session: Session, period: Period, by: Sequence[str], filters: Filters, _now: Any
) -> list[dict[str, Any]]:
    """Refusals and episodes in the period, grouped by `by`.

    By shelter and month (without a placing municipality) each row is one shelter-month:
    stored once final, else counted here; both give the same numbers
    (tests/integration/test_statistics_turnaway_cells.py). Episodes of any other grouping
    span shelters or months, so they are counted distinct over the period's refusals.
    """
    if set(by) == CELL_KEYS and filters.municipality is None:
        return from_cells(session, period, by, filters)
    return live_rows(session, period, by, filters)


def live_rows(
    session: Session, period: Period, by: Sequence[str], filters: Filters
) -> list[dict[str, Any]]:
    """The figures by SQL over the period's refusals (any `by`, any filter)."""
    at = TurnAway.occurred_at
    query = select(TurnAway.id)
    if "shelter" in by or filters.county is not None or filters.shelter is not None:
        # Without them, the refusals and their episodes are counted from the index alone.
        query = shelter_scope(query.join(Shelter, Shelter.id == TurnAway.shelter_id), filters)
    query = query.where(in_period(at, period))
    if filters.municipality is not None:
        query = query.where(TurnAway.municipality_code == filters.municipality)
    dimensions = {
        "shelter": Shelter.slug,
        "municipality": TurnAway.municipality_code,
        "month": month_of(at, period),
        "reason": TurnAway.reason,
        "group": reason_group(TurnAway.reason),
        "daypart": daypart_of(at, period),
        "channel": TurnAway.channel,
    }
    metrics = [
        func.count().label("refusals"),
        func.count(distinct(TurnAway.episode_id)).label("episodes"),
    ]
    return grouped(session, query, dimensions, by, metrics)


def month_cells(
    session: Session, shelter_ids: Sequence[int], period: Period
) -> dict[tuple[int, str], tuple[int, int]]:
    """{(shelter id, month): (refusals, episodes)}: stored where final, else counted."""
    ids = list(shelter_ids)
    if not ids:
        return {}
    stored = session.execute(
        select(
            ShelterMonth.shelter_id,
            ShelterMonth.month,
            ShelterMonth.refusals,
            ShelterMonth.episodes,
        ).where(
            among(session, ShelterMonth.shelter_id, ids),
            ShelterMonth.month.in_(period.months),
            ShelterMonth.refusals.is_not(None),
        )
    )
    out = {(s, m): (n or 0, e or 0) for s, m, n, e in stored}  # never NULL: filtered
    missing = [label for label in period.months if any((i, label) not in out for i in ids)]
    if missing:
        live = Period(missing[0], missing[-1])
        month = month_of(TurnAway.occurred_at, live).label("month")
        query = (
            select(
                TurnAway.shelter_id,
                month,
                func.count(),
                func.count(distinct(TurnAway.episode_id)),
            )
            .where(among(session, TurnAway.shelter_id, ids), in_period(TurnAway.occurred_at, live))
            .group_by(TurnAway.shelter_id, month)
        )
        for shelter_id, label, n, e in session.execute(query):
            out.setdefault((int(shelter_id), label), (int(n), int(e)))
    return out


def from_cells(
    session: Session, period: Period, by: Sequence[str], filters: Filters
) -> list[dict[str, Any]]:
    """One row per shelter-month with refusals, in the SQL path's row order."""
    shelters = scoped_shelters(session, filters)  # ordered by slug, as the SQL orders
    rank = {s[0]: i for i, s in enumerate(shelters)}
    slug = {s[0]: s[1] for s in shelters}
    months = {label: i for i, label in enumerate(period.months)}
    cells = month_cells(session, list(rank), period)
    shelter_first = by[0] == "shelter"

    def place(key: tuple[int, str]) -> tuple[int, int]:
        order = (rank[key[0]], months[key[1]])
        return order if shelter_first else (order[1], order[0])

    rows = []
    for key in sorted((k for k, v in cells.items() if v[0]), key=place):
        refusals, episodes = cells[key]
        row = {"shelter": slug[key[0]], "month": key[1]}
        rows.append({**{b: row[b] for b in by}, "refusals": refusals, "episodes": episodes})
    return rows


FAMILY = Family(
    name="turnaways",
    keys=("shelter", "municipality", "month", "reason", "group", "daypart", "channel"),
    metrics=("refusals", "episodes"),
    counts=("refusals", "episodes"),
    compute=compute,
    default_by=("shelter", "month"),
)
