"""Onboarding and upkeep of shelters and units; the shelter profile and its history."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..domain.enums import ChangeSource, Role, UnitStatus
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound
from ..domain.profile import PROFILE_FIELDS, NarrowingWarning, narrowed
from ..models import Municipality, Shelter, ShelterProfileChange, Unit, UnitStatusChange, User
from .access import admin_county, admin_sees, require_admin_in, require_profile_editor
from .organisations import organisation_by_slug
from .units import set_unit_status, transition_unit

ADMIN_FIELDS = ("slug", "name", "operator", "municipality_code", "ivo_licence", "ivo_licence_date")
DEFAULTS: dict[str, Any] = {"accepts_women": True, "languages": [], "on_call_phones": []}


def _json(value: Any) -> Any:
    """A field value as stored in the history's JSON."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return list(value) if isinstance(value, list | tuple) else value


def list_admin_shelters(session: Session, actor: User) -> list[Shelter]:
    """Shelters this administrator manages, including inactive ones."""
    scope = admin_county(actor)
    query = select(Shelter).join(Municipality).order_by(Shelter.name)
    if scope is not None:
        query = query.where(Municipality.county_code == scope)
    return list(session.scalars(query))


def get_shelter_for(session: Session, actor: User, shelter_id: int) -> Shelter:
    """A shelter its staff or an administrator of its county may manage (else 404)."""
    shelter = session.get(Shelter, shelter_id)
    if shelter is None:
        raise NotFound(f"Shelter {shelter_id} does not exist.")
    county = shelter.municipality.county_code
    visible = (actor.role is Role.ADMIN and admin_sees(actor, county)) or (
        actor.role is Role.SHELTER_STAFF and actor.shelter_id == shelter.id
    )
    if not visible:
        raise NotFound(f"Shelter {shelter_id} does not exist.")
    return shelter


def _municipality(session: Session, code: str) -> Municipality:
    muni = session.get(Municipality, code)
    if muni is None:
        raise Invalid(
            f"Unknown municipality code {code}.",
            errors={"municipality_code": [f"Unknown municipality code {code}."]},
        )
    return muni


def _check_slug_free(session: Session, slug: str, own_id: int | None = None) -> None:
    other = session.scalar(select(Shelter.id).where(Shelter.slug == slug))
    if other is not None and other != own_id:
        raise Conflict(
            f"The slug {slug} is already used by another shelter.",
            errors={"slug": ["Already in use: choose another."]},
        )


def _accepts_someone(shelter: Shelter) -> None:
    if not (shelter.accepts_women or shelter.accepts_men):
        raise Invalid(
            "A shelter must accept women, men or both.",
            errors={"accepts_women": ["A shelter must accept women, men or both."]},
        )


def create_shelter(session: Session, actor: User, data: dict[str, Any], now: datetime) -> Shelter:
    """Add a shelter with its operator, municipality and policies (no units yet)."""
    muni = _municipality(session, data["municipality_code"])
    require_admin_in(actor, muni.county_code, "this shelter's municipality")
    _check_slug_free(session, data["slug"])
    values = DEFAULTS | data
    values["operator"] = organisation_by_slug(session, data["operator"], "operator")
    shelter = Shelter(**values, created_at=now)
    _accepts_someone(shelter)
    session.add(shelter)
    session.flush()
    return shelter


def update_shelter(
    session: Session, actor: User, shelter_id: int, data: dict[str, Any], now: datetime
) -> tuple[Shelter, list[NarrowingWarning]]:
    """Change a shelter; staff may change only the profile. Return it and any warnings.

    Every changed field is recorded in the profile history. A change that narrows whom the
    shelter accepts never touches current placements: it only warns how many units are
    occupied or held, because search applies the new policy at once.
    """
    shelter = get_shelter_for(session, actor, shelter_id)
    is_admin = require_profile_editor(actor, shelter.id, shelter.municipality.county_code)
    if not is_admin:
        barred = sorted(set(data) - set(PROFILE_FIELDS))
        if barred:
            raise Forbidden(
                "Shelter staff may change only the profile; ask an administrator for the rest.",
                errors={name: ["Only an administrator may change this."] for name in barred},
            )
    if "slug" in data:
        _check_slug_free(session, data["slug"], shelter.id)
    if "municipality_code" in data:
        muni = _municipality(session, data["municipality_code"])
        require_admin_in(actor, muni.county_code, "the new municipality")
    values = dict(data)
    if "operator" in data:
        values["operator_id"] = organisation_by_slug(session, values.pop("operator"), "operator").id
    before = {name: getattr(shelter, name) for name in values}
    changed = {k: v for k, v in values.items() if _json(before[k]) != _json(v)}
    narrowing = narrowed(before, changed)
    for name, value in changed.items():
        setattr(shelter, name, value)
        session.add(
            ShelterProfileChange(
                shelter_id=shelter.id,
                changed_at=now,
                changed_by_id=actor.id,
                field=name,
                before=_json(before[name]),
                after=_json(value),
            )
        )
    _accepts_someone(shelter)
    session.flush()
    session.refresh(shelter)  # relationships follow changed foreign keys
    return shelter, _warnings(session, shelter, narrowing)


def _warnings(session: Session, shelter: Shelter, narrowing: list[str]) -> list[NarrowingWarning]:
    if not narrowing:
        return []
    busy = session.scalar(
        select(func.count())
        .select_from(Unit)
        .where(
            Unit.shelter_id == shelter.id,
            Unit.retired_at.is_(None),
            Unit.status.in_([UnitStatus.OCCUPIED, UnitStatus.HELD]),
        )
    )
    if not busy:
        return []
    return [NarrowingWarning(busy, tuple(narrowing))]


def profile_history(
    session: Session, actor: User, shelter_id: int, limit: int = 200
) -> list[ShelterProfileChange]:
    shelter = get_shelter_for(session, actor, shelter_id)
    return list(
        session.scalars(
            select(ShelterProfileChange)
            .where(ShelterProfileChange.shelter_id == shelter.id)
            .order_by(ShelterProfileChange.changed_at.desc(), ShelterProfileChange.id.desc())
            .limit(limit)
        )
    )


def _admin_shelter(session: Session, actor: User, shelter_id: int) -> Shelter:
    shelter = get_shelter_for(session, actor, shelter_id)
    if actor.role is not Role.ADMIN:
        raise Forbidden("Only an administrator adds or changes units.")
    return shelter


def _check_label_free(session: Session, shelter_id: int, label: str, own_id: int | None) -> None:
    other = session.scalar(
        select(Unit.id).where(Unit.shelter_id == shelter_id, Unit.label == label)
    )
    if other is not None and other != own_id:
        raise Conflict(
            f"This shelter already has a unit called {label} (perhaps retired).",
            errors={"label": ["Already in use in this shelter: choose another."]},
        )


def add_unit(
    session: Session,
    actor: User,
    shelter_id: int,
    data: dict[str, Any],
    now: datetime,
    source: ChangeSource = ChangeSource.API,
) -> Unit:
    """Add a unit; it starts closed until staff set it free."""
    shelter = _admin_shelter(session, actor, shelter_id)
    _check_label_free(session, shelter.id, data["label"], None)
    unit = Unit(shelter_id=shelter.id, status=UnitStatus.CLOSED, status_changed_at=now, **data)
    session.add(unit)
    session.flush()
    session.add(
        UnitStatusChange(
            unit_id=unit.id,
            from_status=None,
            to_status=UnitStatus.CLOSED,
            changed_at=now,
            changed_by_id=actor.id,
            source=source,
        )
    )
    session.flush()
    return unit


def update_unit(
    session: Session,
    actor: User,
    shelter_id: int,
    unit_id: int,
    data: dict[str, Any],
    now: datetime,
    source: ChangeSource = ChangeSource.API,
) -> Unit:
    """Rename, change beds and accessibility, close/reopen or retire a unit (never delete)."""
    shelter = _admin_shelter(session, actor, shelter_id)
    unit = session.get(Unit, unit_id)
    if unit is None or unit.shelter_id != shelter.id:
        raise NotFound(f"Unit {unit_id} does not exist in this shelter.")
    if unit.retired_at is not None:
        raise Conflict(f"Unit {unit.label} is retired; add a new unit instead.")
    data = dict(data)
    retire = data.pop("retired", False)
    status = data.pop("status", None)
    if "label" in data:
        _check_label_free(session, shelter.id, data["label"], unit.id)
    for name, value in data.items():
        setattr(unit, name, value)
    session.flush()
    if status is not None:
        set_unit_status(session, actor, unit.id, UnitStatus(status), now, source=source)
    if retire:
        retire_unit(session, actor, unit, now, source)
    return unit


def retire_unit(
    session: Session, actor: User, unit: Unit, now: datetime, source: ChangeSource
) -> None:
    """Take a unit out of service for good; never while it is held or occupied."""
    session.refresh(unit)
    if unit.status in (UnitStatus.HELD, UnitStatus.OCCUPIED):
        raise Conflict(
            f"Unit {unit.label} is {unit.status.value}: retire it only when free or closed.",
            errors={"retired": [f"The unit is {unit.status.value}."]},
            current_status=unit.status.value,
        )
    if unit.status is not UnitStatus.CLOSED:
        transition_unit(
            session, unit, unit.status, UnitStatus.CLOSED, actor=actor, now=now, source=source
        )
    # Conditional, like every status change: a unit opened and taken meanwhile stays in use.
    result = session.execute(
        update(Unit)
        .where(Unit.id == unit.id, Unit.status == UnitStatus.CLOSED, Unit.retired_at.is_(None))
        .values(retired_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(unit)
        raise Conflict(
            f"Unit {unit.label} changed meanwhile ({unit.status.value}); try again.",
            current_status=unit.status.value,
        )
    session.refresh(unit)


def list_units(session: Session, actor: User, shelter_id: int) -> list[Unit]:
    """All units of a shelter, retired ones included (history is kept)."""
    shelter = get_shelter_for(session, actor, shelter_id)
    return list(shelter.units)
