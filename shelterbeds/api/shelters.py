"""Shelters, unit status and "still correct" confirmations."""

from __future__ import annotations

from typing import Any

from flask import current_app

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import ChangeSource, Role, UnitStatus
from ..domain.freshness import describe_freshness
from ..extensions import db
from ..schemas.shelters import ConfirmationOut, ShelterOut, UnitStatusIn, UnitStatusOut
from ..services import shelters, units
from ..throttle import sms_limited
from . import make_blueprint

blp = make_blueprint("shelters", "Shelters, their units and freshness")


@blp.get("/shelters")
@roles_required()
@blp.response(200, ShelterOut(many=True))
def list_shelters() -> Any:
    """Shelters with policies, unit summary and freshness."""
    settings = current_app.config["SETTINGS"]
    return shelters.list_shelters(
        db.session, current_actor(), utcnow(), settings.freshness_thresholds()
    )


@blp.put("/units/<int:unit_id>/status")
@roles_required(Role.SHELTER_STAFF, Role.ADMIN)
@blp.arguments(UnitStatusIn)
@blp.response(200, UnitStatusOut)
@sms_limited
def set_unit_status(data: dict[str, Any], unit_id: int) -> Any:
    """Set a unit free, occupied or closed (staff of its shelter)."""
    unit = units.set_unit_status(
        db.session,
        current_actor(),
        unit_id,
        UnitStatus(data["status"]),
        utcnow(),
        source=ChangeSource.API,
    )
    db.session.commit()
    return unit


@blp.post("/shelters/<int:shelter_id>/confirmation")
@roles_required(Role.SHELTER_STAFF, Role.ADMIN)
@blp.response(200, ConfirmationOut)
def confirm(shelter_id: int) -> Any:
    """Confirm the shelter's vacancies are still correct."""
    now = utcnow()
    shelter = units.confirm_shelter(db.session, current_actor(), shelter_id, now)
    db.session.commit()
    thresholds = current_app.config["SETTINGS"].freshness_thresholds()
    return {
        "shelter_id": shelter.id,
        "confirmed_at": shelter.confirmed_at,
        "freshness": describe_freshness(shelter.confirmed_at, now, thresholds),
    }
