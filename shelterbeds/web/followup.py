"""Placement follow-up for the placing municipality: every placement made for it."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..extensions import db
from ..services.followup import municipality_codes, placements_for_municipalities
from . import bp


@bp.get("/placements/follow-up")
@roles_required(Role.SOCIAL_WORKER)
def followup_page() -> Any:
    """Placements for our municipalities, whoever placed them; reviews due and overdue."""
    actor = current_actor()
    include_ended = request.args.get("ended") == "1"
    rows = placements_for_municipalities(db.session, actor, utcnow(), include_ended=include_ended)
    db.session.commit()  # the audit rows
    return render_template(
        "stats/followup.html",
        rows=rows,
        codes=municipality_codes(actor),
        include_ended=include_ended,
        overdue=sum(1 for r in rows if r.review.overdue),
    )
