"""What vacancy search reads: active shelters, their policies and the units that can be offered.

A snapshot is plain frozen data (no ORM objects), loaded in three queries, so it can be kept
in process between requests (services/search_cache.py) and read by many requests at once.

A unit can be offered when it is free, or when it is held by a pending request whose hold
has run out: a hold past `hold_expires_at` is free by definition, so reading never has to
write (the clock and the next write move the request and the unit in the database).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from ..domain.clock import as_utc
from ..domain.enums import UnitStatus
from ..domain.matching import ShelterPolicy, UnitFacts
from ..domain.requests import RequestStatus
from ..models import Municipality, PlacementRequest, Shelter, Unit


@dataclass(frozen=True)
class MunicipalityRef:
    code: str
    name: str
    county_code: str


@dataclass(frozen=True)
class UnitRow:
    """A free unit, or a held one with the instant its hold runs out."""

    id: int
    shelter_id: int
    label: str
    adult_beds: int
    child_beds: int
    wheelchair_accessible: bool
    pets_allowed: bool
    held_until: datetime | None = None  # None: free
    out: dict[str, Any] = field(default_factory=dict, compare=False)  # its JSON, once built

    @property
    def facts(self) -> UnitFacts:
        return UnitFacts(
            self.adult_beds, self.child_beds, self.wheelchair_accessible, self.pets_allowed
        )

    def offerable(self, now: datetime) -> bool:
        """Free, or held by a hold that has run out (inclusive, as domain.requests)."""
        return self.held_until is None or as_utc(now) >= self.held_until


@dataclass(frozen=True)
class ShelterRow:
    """An active shelter as search shows it; policy attributes read through `policy`."""

    id: int
    slug: str
    name: str
    municipality: MunicipalityRef
    intake_phone: str | None
    assumptions: str | None
    staffed_hours: str | None
    confirmed_at: datetime | None
    policy: ShelterPolicy
    units: tuple[UnitRow, ...] = ()
    # Pieces of the JSON answer that depend only on the shelter (built once per snapshot).
    out: dict[str, Any] = field(default_factory=dict, compare=False)

    def __getattr__(self, name: str) -> Any:  # accepts_men, lgbtq, ... for pages and schemas
        return getattr(self.policy, name)

    def free_units(self, now: datetime) -> list[UnitRow]:
        return [u for u in self.units if u.offerable(now)]


@dataclass(frozen=True)
class Snapshot:
    version: int
    shelters: tuple[ShelterRow, ...]
    municipalities: dict[str, MunicipalityRef]


def load_units(session: Session) -> dict[int, list[UnitRow]]:
    """Free units and held ones with their hold's end, by shelter (one query, no writes).

    A held unit without a pending request (not possible through the services) is left out:
    it is never offered.
    """
    pending = PlacementRequest.__table__
    rows = session.execute(
        select(
            Unit.id,
            Unit.shelter_id,
            Unit.label,
            Unit.adult_beds,
            Unit.child_beds,
            Unit.wheelchair_accessible,
            Unit.pets_allowed,
            Unit.status,
            pending.c.hold_expires_at,
        )
        .outerjoin(
            pending,
            and_(
                pending.c.unit_id == Unit.id,
                pending.c.status == RequestStatus.PENDING.value,
                Unit.status == UnitStatus.HELD,
            ),
        )
        .where(Unit.retired_at.is_(None), Unit.status.in_([UnitStatus.FREE, UnitStatus.HELD]))
        .order_by(Unit.shelter_id, Unit.label)
    )
    grouped: dict[int, list[UnitRow]] = {}
    for uid, sid, label, adults, children, wheelchair, pets, status, expires in rows:
        if UnitStatus(status) is UnitStatus.HELD and expires is None:
            continue
        grouped.setdefault(sid, []).append(
            UnitRow(
                uid,
                sid,
                label,
                adults,
                children,
                wheelchair,
                pets,
                None if expires is None else as_utc(expires),
            )
        )
    return grouped


def load_snapshot(session: Session, version: int = 0) -> Snapshot:
    """Active shelters (by name) with their offerable units, and the municipalities."""
    municipalities = {
        code: MunicipalityRef(code, name, county)
        for code, name, county in session.execute(
            select(Municipality.code, Municipality.name, Municipality.county_code)
        )
    }
    units = load_units(session)
    shelters = []
    for s in session.scalars(
        select(Shelter).where(Shelter.active).order_by(Shelter.name, Shelter.id)
    ):
        muni = municipalities[s.municipality_code]
        shelters.append(
            ShelterRow(
                id=s.id,
                slug=s.slug,
                name=s.name,
                municipality=muni,
                intake_phone=s.intake_phone,
                assumptions=s.assumptions,
                staffed_hours=s.staffed_hours,
                confirmed_at=None if s.confirmed_at is None else as_utc(s.confirmed_at),
                policy=s.policy(),  # municipality is joined-loaded: no extra query
                units=tuple(units.get(s.id, ())),
            )
        )
    return Snapshot(version, tuple(shelters), municipalities)
