"""The 20-second turn-away form for shelter staff, with the shelter's recent turn-aways."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from marshmallow import ValidationError

from ..authz import current_actor, own_shelter_id, roles_required
from ..domain.clock import local, utcnow
from ..domain.enums import DeclineReason, Role, TurnAwayChannel
from ..domain.errors import Invalid
from ..domain.turnaways import MAX_AGE, resolve_when
from ..extensions import db
from ..formatting import localtime
from ..schemas.turnaways import MANUAL_CHANNELS, TurnAwayForm
from ..services import turnaways
from ..services.units import get_shelter
from . import bp

RECENT = 20
REASON_LABELS = {
    DeclineReason.CAPACITY: _l("Full: no free place"),
    DeclineReason.WHEELCHAIR: _l("Not wheelchair accessible"),
    DeclineReason.SUBSTANCE_USE: _l("Substance use"),
    DeclineReason.PSYCHIATRIC: _l("Psychiatric needs"),
    DeclineReason.LGBTQ: _l("LGBTQ person"),
    DeclineReason.PETS: _l("Pets"),
    DeclineReason.BOYS_AGE: _l("Boy over the age limit"),
    DeclineReason.MEN: _l("A man"),
    DeclineReason.SECURITY: _l("Security"),
    DeclineReason.LANGUAGE: _l("Language"),
    DeclineReason.STAFF: _l("No staff or resources"),
    DeclineReason.CLIENT_DECLINED: _l("The client declined"),
    DeclineReason.INAPPROPRIATE: _l("Inappropriate referral"),
    DeclineReason.OTHER: _l("Other reason"),
}
CHANNEL_LABELS = {
    TurnAwayChannel.PHONE: _l("Phone"),
    TurnAwayChannel.WALK_IN: _l("Walk-in"),
    TurnAwayChannel.OTHER: _l("Other"),
    TurnAwayChannel.REQUEST: _l("Placement request"),
}


def _page(form: Any, errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    shelter = get_shelter(db.session, own_shelter_id())
    municipalities = turnaways.municipality_choices(db.session)
    county = shelter.municipality.county_code
    today = local(utcnow()).date()
    return render_template(
        "web/turnaways.html",
        shelter=shelter,
        form=form,
        errors=errors or {},
        recent=turnaways.list_turnaways(db.session, current_actor(), limit=RECENT),
        nearby=[m for m in municipalities if m.county_code == county],
        municipalities=municipalities,
        reasons=REASON_LABELS,
        channels={c: CHANNEL_LABELS[c] for c in MANUAL_CHANNELS},
        channel_labels=CHANNEL_LABELS,
        county_name=shelter.municipality.county.name,
        min_day=today - MAX_AGE,
        max_day=today,
    ), status


@bp.get("/turnaways")
@roles_required(Role.SHELTER_STAFF)
def turnaways_page() -> Any:
    """The form (capacity, phone and now preselected) and the recent turn-aways."""
    return _page({})


@bp.post("/turnaways")
@roles_required(Role.SHELTER_STAFF)
def turnaways_record() -> Any:
    """Record one refusal; on bad input show the form again with what to fix."""
    actor, now = current_actor(), utcnow()
    settings = current_app.config["SETTINGS"]
    try:
        data = TurnAwayForm().load(request.form)
        occurred_at = resolve_when(data.pop("when"), now, data.pop("at"), data.pop("day"))
        turnaway = turnaways.record_turnaway(
            db.session,
            actor,
            shelter_id=actor.shelter_id,
            now=now,
            occurred_at=occurred_at,
            episode_key_secret=settings.episode_secret,
            episode_hours=settings.episode_hours,
            **data,
        )
    except ValidationError as err:
        db.session.rollback()
        return _page(request.form, err.messages_dict, 422)
    except Invalid as err:
        db.session.rollback()
        return _page(request.form, err.errors or {"form": [err.detail]}, 422)
    db.session.commit()
    people = ngettext("%(num)d adult", "%(num)d adults", turnaway.adults)
    if turnaway.children:
        people += ", " + ngettext("%(num)d child", "%(num)d children", turnaway.children)
    flash(
        _(
            "Turn-away recorded: %(people)s · %(reason)s · %(when)s.",
            people=people,
            reason=REASON_LABELS[turnaway.reason],
            when=localtime(turnaway.occurred_at),
        ),
        "success",
    )
    return redirect(url_for("web.turnaways_page"))
