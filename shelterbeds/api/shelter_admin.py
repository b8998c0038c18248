"""Shelters and units: onboarding by administrators, the profile by the shelter's own staff."""

from __future__ import annotations

from typing import Any

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import ChangeSource, Role
from ..extensions import db
from ..schemas.admin import (
    ProfileChangeOut,
    ShelterAdminOut,
    ShelterChangeOut,
    ShelterIn,
    ShelterPatch,
    UnitAdminOut,
    UnitIn,
    UnitPatch,
)
from ..services import shelter_admin
from . import make_blueprint

blp = make_blueprint("shelter_admin", "Onboarding and upkeep of shelters, units and profiles")


class ShelterChange:
    """A changed shelter with the warnings the change raised."""

    def __init__(self, shelter: Any, warnings: list[Any]) -> None:
        self._shelter, self.warnings = shelter, [str(w) for w in warnings]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._shelter, name)


@blp.post("/shelters")
@roles_required(Role.ADMIN)
@blp.arguments(ShelterIn)
@blp.response(201, ShelterAdminOut)
def create_shelter(data: dict[str, Any]) -> Any:
    """Add a shelter with its operator, municipality, IVO licence and policies."""
    shelter = shelter_admin.create_shelter(db.session, current_actor(), data, utcnow())
    db.session.commit()
    return shelter


@blp.get("/shelters/<int:shelter_id>")
@roles_required(Role.ADMIN, Role.SHELTER_STAFF)
@blp.response(200, ShelterAdminOut)
def get_shelter(shelter_id: int) -> Any:
    """A shelter's full profile (its staff, or an administrator)."""
    return shelter_admin.get_shelter_for(db.session, current_actor(), shelter_id)


@blp.patch("/shelters/<int:shelter_id>")
@roles_required(Role.ADMIN, Role.SHELTER_STAFF)
@blp.arguments(ShelterPatch)
@blp.response(200, ShelterChangeOut)
def update_shelter(data: dict[str, Any], shelter_id: int) -> Any:
    """Change a shelter. Its own staff may change the profile fields; search follows at once."""
    shelter, warnings = shelter_admin.update_shelter(
        db.session, current_actor(), shelter_id, data, utcnow()
    )
    db.session.commit()
    return ShelterChange(shelter, warnings)


@blp.get("/shelters/<int:shelter_id>/history")
@roles_required(Role.ADMIN, Role.SHELTER_STAFF)
@blp.response(200, ProfileChangeOut(many=True))
def profile_history(shelter_id: int) -> Any:
    """Who changed which profile field, when, from what to what (newest first)."""
    return shelter_admin.profile_history(db.session, current_actor(), shelter_id)


@blp.get("/shelters/<int:shelter_id>/units")
@roles_required(Role.ADMIN, Role.SHELTER_STAFF)
@blp.response(200, UnitAdminOut(many=True))
def list_units(shelter_id: int) -> Any:
    """All the shelter's units, retired ones included."""
    return shelter_admin.list_units(db.session, current_actor(), shelter_id)


@blp.post("/shelters/<int:shelter_id>/units")
@roles_required(Role.ADMIN)
@blp.arguments(UnitIn)
@blp.response(201, UnitAdminOut)
def add_unit(data: dict[str, Any], shelter_id: int) -> Any:
    """Add a unit; it starts closed until the shelter's staff set it free."""
    unit = shelter_admin.add_unit(db.session, current_actor(), shelter_id, data, utcnow())
    db.session.commit()
    return unit


@blp.patch("/shelters/<int:shelter_id>/units/<int:unit_id>")
@roles_required(Role.ADMIN)
@blp.arguments(UnitPatch)
@blp.response(200, UnitAdminOut)
def update_unit(data: dict[str, Any], shelter_id: int, unit_id: int) -> Any:
    """Rename, change beds or accessibility, close, or retire (`"retired": true`) a unit."""
    unit = shelter_admin.update_unit(
        db.session, current_actor(), shelter_id, unit_id, data, utcnow(), ChangeSource.API
    )
    db.session.commit()
    return unit
