"""Placements: list them and end them with a coded reason."""

from __future__ import annotations

from typing import Any

from flask import current_app

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..domain.requests import EndReason
from ..extensions import db
from ..schemas.requests import EndIn, PlacementListArgs, PlacementOut
from ..services import placements
from ..throttle import sms_limited
from . import make_blueprint

blp = make_blueprint("placements", "Placements: follow-up and ending")


@blp.get("/placements")
@roles_required(Role.SOCIAL_WORKER, Role.SHELTER_STAFF, Role.ADMIN)
@blp.arguments(PlacementListArgs, location="query", as_kwargs=False)
@blp.response(200, PlacementOut(many=True))
def list_placements(args: dict[str, Any]) -> Any:
    """Your organisation's or shelter's placements, active first (`?active=1|0`)."""
    rows = placements.list_placements(db.session, current_actor(), utcnow(), args["active"])
    db.session.commit()  # the audit rows
    return rows


@blp.get("/placements/<int:placement_id>")
@roles_required(Role.SOCIAL_WORKER, Role.SHELTER_STAFF, Role.ADMIN)
@blp.response(200, PlacementOut)
def get_placement(placement_id: int) -> Any:
    """One placement (its two parties only)."""
    placement = placements.get_placement(db.session, current_actor(), placement_id, utcnow())
    db.session.commit()
    return placement


@blp.post("/placements/<int:placement_id>/end")
@roles_required(Role.SOCIAL_WORKER, Role.SHELTER_STAFF)
@blp.arguments(EndIn, as_kwargs=False)
@blp.response(200, PlacementOut)
@sms_limited
def end_placement(data: dict[str, Any], placement_id: int) -> Any:
    """End the placement with a coded reason; the unit becomes free (either party)."""
    placement = placements.end_placement(
        db.session, current_actor(), placement_id, EndReason(data["reason"]), utcnow()
    )
    db.session.commit()
    return placement


@blp.post("/placements/<int:placement_id>/review")
@roles_required(Role.SOCIAL_WORKER)
@blp.response(200, PlacementOut)
def review_placement(placement_id: int) -> Any:
    """Record a follow-up; `next_review_at` moves to the next date (the placing organisation)."""
    settings = current_app.config["SETTINGS"]
    placement = placements.record_review(
        db.session,
        current_actor(),
        placement_id,
        utcnow(),
        settings.review_first_days,
        settings.review_every_days,
    )
    db.session.commit()
    return placement
