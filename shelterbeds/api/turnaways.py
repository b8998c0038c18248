"""Turn-aways: shelter staff count the households they had to refuse."""

from __future__ import annotations

from typing import Any

from flask import current_app

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..extensions import db
from ..schemas.turnaways import TurnAwayIn, TurnAwayOut, TurnAwayQueryArgs
from ..services import turnaways
from . import make_blueprint

blp = make_blueprint("turnaways", "Refusals for lack of space or suitability (turn-aways)")


@blp.post("/turnaways")
@roles_required(Role.SHELTER_STAFF, Role.ADMIN)
@blp.arguments(TurnAwayIn)
@blp.response(201, TurnAwayOut)
def record(data: dict[str, Any]) -> Any:
    """Record a phone, walk-in or other refusal at your shelter (the case reference is hashed)."""
    settings = current_app.config["SETTINGS"]
    turnaway = turnaways.record_turnaway(
        db.session,
        current_actor(),
        now=utcnow(),
        episode_key_secret=settings.episode_secret,
        episode_hours=settings.episode_hours,
        **data,
    )
    db.session.commit()
    return turnaway


@blp.get("/turnaways")
@roles_required(Role.SHELTER_STAFF, Role.ADMIN)
@blp.arguments(TurnAwayQueryArgs, location="query", as_kwargs=True)
@blp.response(200, TurnAwayOut(many=True))
def list_(**filters: Any) -> Any:
    """Your shelter's turn-aways, newest first; `from`/`to` are local dates, both inclusive."""
    return turnaways.list_turnaways(db.session, current_actor(), **filters)
