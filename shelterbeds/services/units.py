"""Shelter staff keep vacancies current: set a unit's status, confirm "still correct"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..domain.enums import ChangeSource, UnitStatus
from ..domain.errors import Conflict, Invalid, NotFound
from ..models import Placement, Shelter, ShelterConfirmation, Unit, UnitStatusChange, User
from . import alerts
from .access import require_shelter_staff_of

# Staff set these directly; `held` belongs to placement requests.
STAFF_SETTABLE = (UnitStatus.FREE, UnitStatus.OCCUPIED, UnitStatus.CLOSED)


def get_unit(session: Session, unit_id: int) -> Unit:
    """The unit with its shelter (and the shelter's municipality) in one query."""
    unit = session.get(Unit, unit_id, options=[joinedload(Unit.shelter)])
    if unit is None or unit.retired_at is not None:
        raise NotFound(f"Unit {unit_id} does not exist.")
    return unit


def get_shelter(session: Session, shelter_id: int) -> Shelter:
    shelter = session.get(Shelter, shelter_id)
    if shelter is None or not shelter.active:
        raise NotFound(f"Shelter {shelter_id} does not exist.")
    return shelter


def transition_unit(
    session: Session,
    unit: Unit,
    expected: UnitStatus,
    new: UnitStatus,
    *,
    actor: User | None,
    now: datetime,
    source: ChangeSource,
) -> None:
    """Move a unit from `expected` to `new` with a conditional UPDATE, and record history.

    The WHERE on the current status is what decides races (on SQLite too, where row locks
    do not exist): if another transaction moved the unit first, nothing is updated and the
    caller gets a Conflict naming the state it found.
    """
    result = session.execute(
        update(Unit)
        .where(Unit.id == unit.id, Unit.status == expected)
        .values(status=new, status_changed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(unit)
        raise Conflict(
            f"Unit {unit.label} is {unit.status.value}, not {expected.value}.",
            current_status=unit.status.value,
        )
    # The row now holds exactly these values: no re-read, nothing left to flush.
    set_committed_value(unit, "status", new)
    set_committed_value(unit, "status_changed_at", now)
    session.add(
        UnitStatusChange(
            unit_id=unit.id,
            from_status=expected,
            to_status=new,
            changed_at=now,
            changed_by_id=actor.id if actor else None,
            source=source,
        )
    )
    unit.shelter.confirmed_at = now
    session.flush()
    if new is UnitStatus.FREE:
        alerts.unit_became_free(session, unit, now)


def set_unit_status(
    session: Session,
    actor: User,
    unit_id: int,
    status: UnitStatus,
    now: datetime,
    source: ChangeSource = ChangeSource.WEB,
) -> Unit:
    """Staff set a unit free, occupied or closed; the shelter counts as confirmed."""
    unit = get_unit(session, unit_id)
    require_shelter_staff_of(actor, unit.shelter_id)
    return apply_staff_status(session, unit, status, now, actor=actor, source=source)


def apply_staff_status(
    session: Session,
    unit: Unit,
    status: UnitStatus,
    now: datetime,
    *,
    actor: User | None,
    source: ChangeSource,
) -> Unit:
    """Set a unit free/occupied/closed for its shelter (the caller checked who may).

    `actor` is None for a command from the shelter's own on-call phone (no personal account).
    """
    if status not in STAFF_SETTABLE:
        raise Invalid(
            "A unit is held only by a placement request.",
            errors={"status": ["Must be free, occupied or closed."]},
        )
    if unit.status is UnitStatus.HELD:
        from .holds import expire_run_out  # holds builds on transition_unit above

        expire_run_out(session, unit, now)  # a hold past its time is free: make it so
    if unit.status is UnitStatus.HELD:
        raise Conflict(
            f"Unit {unit.label} is held for a placement request: accept or decline it first.",
            current_status=unit.status.value,
        )
    if status is not UnitStatus.OCCUPIED and session.scalar(
        select(Placement.id).where(Placement.unit_id == unit.id, Placement.ended_at.is_(None))
    ):
        raise Conflict(
            f"Unit {unit.label} has an active placement: end the placement (with its reason) "
            "under Placements instead.",
            current_status=unit.status.value,
        )
    if unit.status is status:
        unit.shelter.confirmed_at = now
        session.add(ShelterConfirmation(shelter_id=unit.shelter_id, confirmed_at=now))
        session.flush()
        return unit
    transition_unit(session, unit, unit.status, status, actor=actor, now=now, source=source)
    return unit


def confirm_shelter(session: Session, actor: User, shelter_id: int, now: datetime) -> Shelter:
    """Stamp the shelter's vacancies as still correct."""
    shelter = get_shelter(session, shelter_id)
    require_shelter_staff_of(actor, shelter.id)
    shelter.confirmed_at = now
    # Kept as history for reporting compliance (statistics/compliance.py).
    session.add(ShelterConfirmation(shelter_id=shelter.id, confirmed_at=now))
    session.flush()
    return shelter
