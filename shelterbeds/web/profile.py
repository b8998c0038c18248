"""The shelter's own profile, kept true by its staff; every change is kept as history."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE

from ..authz import current_actor, own_shelter_id, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..extensions import db
from ..schemas.admin import ShelterPatch
from ..services import shelter_admin
from . import bp
from .admin_shelters import CHOICES, LISTS, POLICY_BOOLEANS, PROFILE_FORM
from .forms import form_input, form_values, narrowing_text, submit


def _page(shelter: Any, values: Any, errors: dict[str, Any]) -> str:
    return render_template(
        "web/profile.html",
        shelter=shelter,
        values=values,
        errors=errors,
        choices=CHOICES,
        history=shelter_admin.profile_history(db.session, current_actor(), shelter.id, limit=50),
    )


@bp.get("/shelter/profile")
@roles_required(Role.SHELTER_STAFF)
def profile_page() -> Any:
    """The profile form and its history."""
    actor = current_actor()
    shelter = shelter_admin.get_shelter_for(db.session, actor, own_shelter_id())
    return _page(shelter, form_values(shelter, PROFILE_FORM), {})


@bp.post("/shelter/profile")
@roles_required(Role.SHELTER_STAFF)
def profile_save() -> Any:
    """Save the profile; search applies it at once. Warn what it means for current stays."""
    actor = current_actor()
    shelter = shelter_admin.get_shelter_for(db.session, actor, own_shelter_id())

    def action(data: dict[str, Any]) -> Any:
        _s, warnings = shelter_admin.update_shelter(db.session, actor, shelter.id, data, utcnow())
        flash(_("The profile is saved and applies to searches at once."), "success")
        for warning in warnings:
            flash(narrowing_text(warning), "info")
        return redirect(url_for("web.profile_page"))

    data = form_input(PROFILE_FORM, booleans=POLICY_BOOLEANS, lists=LISTS)
    return submit(
        ShelterPatch(unknown=EXCLUDE),
        data,
        action,
        lambda e: _page(shelter, request.form, e),
    )
