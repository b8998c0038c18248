"""The shelter staff page: units as big one-tap controls, and "still correct"."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError

from ..authz import current_actor, own_shelter_id, roles_required
from ..domain.clock import utcnow
from ..domain.enums import ChangeSource, Role, UnitStatus
from ..domain.errors import Conflict
from ..domain.freshness import describe_freshness
from ..extensions import db
from ..formatting import label
from ..notifications.optouts import opted_out
from ..schemas.shelters import UnitStatusIn
from ..services import units
from ..throttle import sms_limited
from . import bp


@bp.get("/shelter")
@roles_required(Role.SHELTER_STAFF)
def shelter_page() -> Any:
    """The staff member's own shelter."""
    actor = current_actor()
    shelter = units.get_shelter(db.session, own_shelter_id())
    thresholds = current_app.config["SETTINGS"].freshness_thresholds()
    freshness = describe_freshness(shelter.confirmed_at, utcnow(), thresholds)
    active_units = [u for u in shelter.units if u.retired_at is None]
    # A shelter whose on-call phone replied STOP silently stops getting requests: say so.
    phones = [*(shelter.on_call_phones or []), *([actor.phone] if actor.phone else [])]
    return render_template(
        "web/shelter.html",
        shelter=shelter,
        units=active_units,
        freshness=freshness,
        opted_out=sorted(opted_out(db.session, phones)),
    )


@bp.post("/shelter/units/<int:unit_id>/status")
@roles_required(Role.SHELTER_STAFF)
@sms_limited
def shelter_set_status(unit_id: int) -> Any:
    try:
        data = UnitStatusIn(unknown=EXCLUDE).load(request.form)
    except ValidationError:
        flash(_("Choose free, occupied or closed."), "error")
        return redirect(url_for("web.shelter_page"))
    try:
        unit = units.set_unit_status(
            db.session,
            current_actor(),
            unit_id,
            UnitStatus(data["status"]),
            utcnow(),
            source=ChangeSource.WEB,
        )
    except Conflict as err:
        db.session.rollback()
        if err.extra.get("current_status") == UnitStatus.HELD.value:
            flash(_("The unit is held for a placement request: answer it first."), "error")
        elif "active placement" in err.detail:
            flash(_("The unit has an active placement: end it under Placements."), "error")
        else:  # changed by someone else a moment ago
            flash(_("The unit changed meanwhile: here is its status now."), "error")
        return redirect(url_for("web.shelter_page") + f"#unit-{unit_id}")
    db.session.commit()
    flash(
        _("%(unit)s is now %(status)s.", unit=unit.label, status=label(unit.status).lower()),
        "success",
    )
    return redirect(url_for("web.shelter_page") + f"#unit-{unit.id}")


@bp.post("/shelter/confirm")
@roles_required(Role.SHELTER_STAFF)
def shelter_confirm() -> Any:
    units.confirm_shelter(db.session, current_actor(), own_shelter_id(), utcnow())
    db.session.commit()
    flash(_("Thank you: the vacancies are confirmed as correct."), "success")
    return redirect(url_for("web.shelter_page"))
