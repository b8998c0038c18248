"""Administration pages for shelters and their units."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import ChangeSource, LgbtqPolicy, Role, SubstancePolicy
from ..extensions import db
from ..schemas.admin import ShelterIn, ShelterPatch, UnitIn, UnitPatch
from ..services import organisations, shelter_admin
from ..services.access import admin_county
from . import bp
from .forms import form_input, form_values, narrowing_text, submit

POLICY_BOOLEANS = (
    "accepts_women",
    "accepts_men",
    "psychiatric",
    "pets",
    "staffed_around_clock",
    "nationwide",
    "open_data",
)
PROFILE_FORM = (
    *POLICY_BOOLEANS,
    "lgbtq",
    "substance_use",
    "max_boy_age",
    "staffed_hours",
    "languages",
    "intake_phone",
    "on_call_phones",
)
SHELTER_FORM = (
    "slug",
    "name",
    "operator",
    "municipality_code",
    "ivo_licence",
    "ivo_licence_date",
    *PROFILE_FORM,
)
LISTS = ("languages", "on_call_phones")
UNIT_FORM = ("label", "adult_beds", "child_beds", "wheelchair_accessible", "pets_allowed")
UNIT_BOOLEANS = ("wheelchair_accessible", "pets_allowed")
CHOICES = {"lgbtq": list(LgbtqPolicy), "substance_use": list(SubstancePolicy)}


def shelter_form_values(shelter: Any) -> dict[str, Any]:
    values = form_values(shelter, SHELTER_FORM)
    values["operator"] = shelter.operator.slug
    return values


def _shelters_page(values: Any, errors: dict[str, Any]) -> str:
    actor = current_actor()
    return render_template(
        "admin/shelters.html",
        shelters=shelter_admin.list_admin_shelters(db.session, actor),
        operators=organisations.list_organisations(db.session, actor),
        choices=CHOICES,
        values=values,
        errors=errors,
    )


@bp.get("/admin/shelters")
@roles_required(Role.ADMIN)
def admin_shelters() -> Any:
    defaults = {
        "accepts_women": True,
        "nationwide": True,
        "open_data": True,
        "lgbtq": "no",
        "substance_use": "no",
    }
    return _shelters_page(defaults, {})


@bp.post("/admin/shelters")
@roles_required(Role.ADMIN)
def admin_create_shelter() -> Any:
    def action(data: dict[str, Any]) -> Any:
        shelter = shelter_admin.create_shelter(db.session, current_actor(), data, utcnow())
        db.session.flush()
        flash(_("Shelter %(name)s added. Now add its units.", name=shelter.name), "success")
        return redirect(url_for("web.admin_shelter", shelter_id=shelter.id))

    data = form_input(SHELTER_FORM, booleans=POLICY_BOOLEANS, lists=LISTS)
    return submit(
        ShelterIn(unknown=EXCLUDE), data, action, lambda e: _shelters_page(request.form, e)
    )


def _shelter_page(shelter: Any, values: Any, errors: dict[str, Any]) -> str:
    actor = current_actor()
    return render_template(
        "admin/shelter.html",
        shelter=shelter,
        units=shelter_admin.list_units(db.session, actor, shelter.id),
        history=shelter_admin.profile_history(db.session, actor, shelter.id, limit=50),
        operators=organisations.list_organisations(db.session, actor),
        choices=CHOICES,
        values=values,
        errors=errors,
        scope=admin_county(actor),
    )


def _admin_shelter(shelter_id: int) -> Any:
    shelter = shelter_admin.get_shelter_for(db.session, current_actor(), shelter_id)
    return shelter


@bp.get("/admin/shelters/<int:shelter_id>")
@roles_required(Role.ADMIN)
def admin_shelter(shelter_id: int) -> Any:
    shelter = _admin_shelter(shelter_id)
    return _shelter_page(shelter, shelter_form_values(shelter), {})


@bp.post("/admin/shelters/<int:shelter_id>")
@roles_required(Role.ADMIN)
def admin_update_shelter(shelter_id: int) -> Any:
    shelter = _admin_shelter(shelter_id)

    def action(data: dict[str, Any]) -> Any:
        _s, warnings = shelter_admin.update_shelter(
            db.session, current_actor(), shelter_id, data, utcnow()
        )
        flash(_("Saved."), "success")
        for warning in warnings:
            flash(narrowing_text(warning), "info")
        return redirect(url_for("web.admin_shelter", shelter_id=shelter_id))

    data = form_input(SHELTER_FORM, booleans=POLICY_BOOLEANS, lists=LISTS)
    return submit(
        ShelterPatch(unknown=EXCLUDE),
        data,
        action,
        lambda e: _shelter_page(shelter, request.form, e),
    )


@bp.post("/admin/shelters/<int:shelter_id>/units")
@roles_required(Role.ADMIN)
def admin_add_unit(shelter_id: int) -> Any:
    shelter = _admin_shelter(shelter_id)

    def action(data: dict[str, Any]) -> Any:
        unit = shelter_admin.add_unit(
            db.session, current_actor(), shelter_id, data, utcnow(), ChangeSource.WEB
        )
        flash(_("%(unit)s added (closed until staff set it free).", unit=unit.label), "success")
        return redirect(url_for("web.admin_shelter", shelter_id=shelter_id) + "#units")

    data = form_input(UNIT_FORM, booleans=UNIT_BOOLEANS)
    return submit(
        UnitIn(unknown=EXCLUDE),
        data,
        action,
        lambda e: _shelter_page(shelter, shelter_form_values(shelter), e),
    )


@bp.post("/admin/shelters/<int:shelter_id>/units/<int:unit_id>")
@roles_required(Role.ADMIN)
def admin_update_unit(shelter_id: int, unit_id: int) -> Any:
    """Save a unit's label, beds and accessibility; or close, reopen or retire it."""
    shelter = _admin_shelter(shelter_id)
    verb = request.form.get("action", "save")
    if verb == "retire":
        data: dict[str, Any] = {"retired": True}
    elif verb in ("closed", "free"):
        data = {"status": verb}
    else:
        data = form_input(UNIT_FORM, booleans=UNIT_BOOLEANS)

    def action(loaded: dict[str, Any]) -> Any:
        unit = shelter_admin.update_unit(
            db.session, current_actor(), shelter_id, unit_id, loaded, utcnow(), ChangeSource.WEB
        )
        flash(_("%(unit)s saved.", unit=unit.label), "success")
        return redirect(url_for("web.admin_shelter", shelter_id=shelter_id) + "#units")

    return submit(
        UnitPatch(unknown=EXCLUDE),
        data,
        action,
        lambda e: _shelter_page(shelter, shelter_form_values(shelter), e),
    )
