"""Placements on the web: start, next review (overdue highlighted), end with a reason."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..domain.errors import Conflict
from ..domain.requests import EndReason
from ..extensions import db
from ..schemas.requests import EndIn
from ..services import placements
from ..throttle import sms_limited
from . import bp


@bp.get("/placements")
@roles_required(Role.SOCIAL_WORKER, Role.SHELTER_STAFF, Role.ADMIN)
def placements_page() -> Any:
    """Both parties' placements, active first."""
    now = utcnow()
    rows = placements.list_placements(db.session, current_actor(), now)
    db.session.commit()  # the audit rows
    return render_template(
        "web/placements.html",
        rows=[(p, placements.review_due(p, now)) for p in rows],
        end_reasons=list(EndReason),
    )


def _already_ended(placement_id: int) -> Any:
    """Ended meanwhile (by the other party, say): a message on the list, not an error page."""
    db.session.rollback()
    flash(_("The placement has already ended."), "error")
    return redirect(url_for("web.placements_page") + f"#placement-{placement_id}")


@bp.post("/placements/<int:placement_id>/end")
@roles_required(Role.SOCIAL_WORKER, Role.SHELTER_STAFF)
@sms_limited
def placement_end(placement_id: int) -> Any:
    try:
        data = EndIn(unknown=EXCLUDE).load(request.form)
    except ValidationError:
        flash(_("Choose why the placement ended."), "error")
        return redirect(url_for("web.placements_page") + f"#placement-{placement_id}")
    try:
        placement = placements.end_placement(
            db.session, current_actor(), placement_id, EndReason(data["reason"]), utcnow()
        )
    except Conflict:
        return _already_ended(placement_id)
    db.session.commit()
    flash(_("The placement has ended and %(unit)s is free.", unit=placement.unit.label), "success")
    return redirect(url_for("web.placements_page"))


@bp.post("/placements/<int:placement_id>/review")
@roles_required(Role.SOCIAL_WORKER)
def placement_review(placement_id: int) -> Any:
    settings = current_app.config["SETTINGS"]
    try:
        placements.record_review(
            db.session,
            current_actor(),
            placement_id,
            utcnow(),
            settings.review_first_days,
            settings.review_every_days,
        )
    except Conflict:
        return _already_ended(placement_id)
    db.session.commit()
    flash(_("Follow-up recorded; the next review date is set."), "success")
    return redirect(url_for("web.placements_page") + f"#placement-{placement_id}")
