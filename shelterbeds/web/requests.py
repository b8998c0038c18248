"""Placement requests on the web: the request form, "My requests", "Incoming requests"."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from marshmallow import EXCLUDE, ValidationError

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..domain.errors import Conflict, Invalid, NotFound
from ..domain.ids import parse_id
from ..domain.requests import DeclineReason, EndReason, RequestStatus, minutes_left
from ..extensions import db
from ..schemas.requests import DeclineIn, RequestIn
from ..services import requests as requests_service
from ..services.live import requests_state
from ..services.units import get_unit
from ..throttle import sms_limited
from . import bp
from .forms import MAX_CHILD_ROWS, child_rows_shown, form_children, language_choices

# The live page shows pending requests and those of the last two days (it reloads often and
# every row shown is an audited read).
RECENT = timedelta(hours=48)
PAGE_LIMIT = 50
NOT_CARRIED = (
    "csrf_token",
    "idempotency_key",
    "unit_id",
    "case_ref",
    "note",
    "callback_phone",
    "children_shown",
)
NEED_KEYS = ("wheelchair", "pets", "lgbtq", "psychiatric", "men", "honour_related")

# Words for the codes of requests and placements (pages only; the API speaks codes).
REQUEST_LABELS = {
    "pending": _l("Waiting for an answer"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
    "expired": _l("Expired"),
    "immediate": _l("Immediately"),
    "today": _l("Today"),
    "planned": _l("Planned"),
    "capacity": _l("No place (full)"),
    "wheelchair": _l("Wheelchair needs"),
    "substance_use": _l("Substance use"),
    "psychiatric": _l("Psychiatric needs"),
    "lgbtq": _l("LGBTQ"),
    "pets": _l("Pets"),
    "boys_age": _l("Boy over the age limit"),
    "men": _l("The adult is a man"),
    "security": _l("Security"),
    "language": _l("Language"),
    "staff": _l("No staff or resources"),
    "client_declined": _l("The client declined"),
    "inappropriate": _l("Inappropriate referral"),
    "other": _l("Other"),
    "own_housing": _l("Own housing"),
    "returned_home": _l("Returned home"),
    "other_shelter": _l("Other shelter"),
    "other_placement": _l("Other placement"),
    "unknown": _l("Unknown"),
    "honour_related": _l("Honour-related violence"),
}


@bp.app_template_filter("rlabel")
def rlabel(code: object) -> str:
    """Page text for a request/placement code."""
    key = str(getattr(code, "value", code))
    text = REQUEST_LABELS.get(key)
    return str(text) if text is not None else key


@bp.app_context_processor
def _pending_badge() -> dict[str, Any]:
    """Shelter staff see how many requests wait for their answer, on every page."""

    def pending_requests() -> int:
        actor = current_actor()
        if actor is None or actor.role is not Role.SHELTER_STAFF or actor.shelter_id is None:
            return 0
        now = utcnow()
        return requests_state(db.session, actor, now, now - RECENT).pending

    return {"pending_requests": pending_requests}


def split_emails(text: str) -> list[str]:
    """'a@x.se, b@x.se' -> ['a@x.se', 'b@x.se'] (commas, semicolons, spaces or lines)."""
    return [p for p in text.replace(",", " ").replace(";", " ").split() if p]


def _form_to_body(form: Any) -> dict[str, Any]:
    """The form's flat fields as the API's request body (the same schema checks both)."""
    children = form_children(form)
    needs: dict[str, Any] = {k: bool(form.get(k)) for k in NEED_KEYS}
    if form.get("substance_use"):
        needs["substance_use"] = form["substance_use"]
    if form.get("language", "").strip():
        needs["language"] = form["language"].strip().lower()
    body: dict[str, Any] = {
        "unit_id": form.get("unit_id", ""),
        "municipality_code": form.get("municipality", ""),
        "case_ref": form.get("case_ref", ""),
        "household": {"adults": form.get("adults", "1") or "1", "children": children},
        "needs": needs,
        "urgency": form.get("urgency") or "immediate",
        "callback_phone": form.get("callback_phone", ""),
        "note": form.get("note") or None,
        "protected_identity": bool(form.get("protected_identity")),
        "named_users": split_emails(form.get("named_users", "")),
    }
    if str(body["unit_id"]).isascii() and str(body["unit_id"]).isdigit():
        body["unit_id"] = int(body["unit_id"])  # anything else: the schema reports it
    return body


def _form_page(form: Any, status: int = 200, **extra: Any) -> Any:
    actor = current_actor()
    unit = None
    unit_id = parse_id(form.get("unit_id", ""))
    try:
        unit = get_unit(db.session, unit_id) if unit_id else None
    except NotFound:  # unknown or malformed unit: the form says so
        unit = None
    context = {
        "form": form,
        "unit": unit,
        "child_rows": MAX_CHILD_ROWS,
        "children_shown": child_rows_shown(form),
        "languages": language_choices(),
        "municipalities": actor.organisation.municipalities if actor.organisation else [],
        "idempotency_key": form.get("idempotency_key") or secrets.token_urlsafe(16),
        "hold_minutes": current_app.config["SETTINGS"].hold_minutes,
        # Household and needs carried to an alternative's form (nothing case-specific).
        "carry": {k: v for k, v in form.items() if k not in NOT_CARRIED and v != ""},
        **extra,
    }
    return render_template("web/request_new.html", **context), status


@bp.get("/requests/new")
@roles_required(Role.SOCIAL_WORKER)
def request_form() -> Any:
    """The request form, prefilled from the search (household and needs)."""
    return _form_page(request.args)


@bp.post("/requests/new")
@roles_required(Role.SOCIAL_WORKER)
@sms_limited
def request_create() -> Any:
    if request.form.get("children_shown"):  # "add child" without JavaScript: the form again
        return _form_page(request.form)
    settings = current_app.config["SETTINGS"]
    try:
        data = RequestIn(unknown=EXCLUDE).load(_form_to_body(request.form))
    except ValidationError as err:
        return _form_page(request.form, 422, errors=err.messages)
    try:
        req = requests_service.request_unit(
            db.session,
            current_actor(),
            data,
            utcnow(),
            settings.hold_minutes,
            idempotency_key=request.form.get("idempotency_key") or None,
            thresholds=settings.freshness_thresholds(),
        )
    except Invalid as err:
        db.session.rollback()
        problem = _("Check the fields marked below.") if err.errors else _(err.detail)
        return _form_page(request.form, 422, errors=err.errors or {}, problem=problem)
    except Conflict as err:
        db.session.rollback()
        return _form_page(
            request.form,
            409,
            problem=_conflict_text(err),
            alternatives=err.extra.get("alternatives", []),
        )
    db.session.commit()
    flash(
        _(
            "Request %(code)s sent. The place is held for you for %(minutes)d minutes.",
            code=req.code,
            minutes=settings.hold_minutes,
        ),
        "success",
    )
    return redirect(url_for("web.requests_page"))


def _conflict_text(err: Conflict) -> str:
    """Why the place cannot be requested, in the user's language (the service's detail is
    for the API)."""
    if err.extra.get("reason") == "vacancies_unknown":
        return _(
            "The shelter has not confirmed its vacancies recently, so its places cannot be "
            "requested now. Phone the shelter, or choose another place below."
        )
    return _("The place is no longer free. Choose another suitable place below.")


def _decided_elsewhere(request_id: int) -> Any:
    """A request answered, withdrawn or expired meanwhile: say so on the list, not an error."""
    db.session.rollback()
    flash(
        _("The request was already answered, withdrawn or has expired: see its status below."),
        "error",
    )
    return redirect(url_for("web.requests_page") + f"#request-{request_id}")


def _needs_text(req: Any) -> list[str]:
    """The request's needs as words for the shelter."""
    out = [rlabel(k) for k in NEED_KEYS if getattr(req, k)]
    if req.substance_use is not None:
        state = _("Detoxified") if req.substance_use.value == "detoxified" else _("Active")
        out.append(f"{rlabel('substance_use')} ({state.lower()})")
    if req.language:
        out.append(f"{rlabel('language')}: {req.language}")
    return out


def household_text(req: Any) -> str:
    """'1 adult, children: girl 4 years, boy 15 years' in the user's language."""
    text = ngettext("%(num)d adult", "%(num)d adults", req.adults)
    kids = [
        (
            _("boy %(age)s", age=age_text(c["age"]))
            if c.get("sex") == "m"
            else _("girl %(age)s", age=age_text(c["age"]))
        )
        for c in req.children or []
    ]
    if kids:
        text += ", " + _("children: %(list)s", list=", ".join(kids))
    return text


def age_text(age: int) -> str:
    return ngettext("%(num)d year", "%(num)d years", int(age))


def search_args(req: Any) -> dict[str, Any]:
    """The search form's fields for the request's household and needs (no case data)."""
    args: dict[str, Any] = {"go": 1, "adults": req.adults, "municipality": req.municipality_code}
    for i, child in enumerate(req.children or []):
        args[f"child_age_{i}"] = child["age"]
        args[f"child_sex_{i}"] = child.get("sex", "")
    args.update({k: 1 for k in NEED_KEYS if getattr(req, k)})
    if req.substance_use is not None:
        args["substance_use"] = req.substance_use.value
    if req.language:
        args["language"] = req.language
    return args


@bp.get("/requests")
@roles_required(Role.SOCIAL_WORKER, Role.SHELTER_STAFF, Role.ADMIN)
def requests_page() -> Any:
    """Social workers: my requests. Shelter staff: incoming requests, pending first.

    `?part=list` is the list alone, fetched by the page's live update (app.js).
    """
    actor = current_actor()
    now = utcnow()
    rows = requests_service.list_requests(
        db.session, actor, now, since=now - RECENT, limit=PAGE_LIMIT
    )
    live_version = requests_state(db.session, actor, now, now - RECENT).version
    db.session.commit()  # the audit rows
    rows.sort(key=lambda r: r.status is not RequestStatus.PENDING)
    template = (
        "web/_request_rows.html" if request.args.get("part") == "list" else "web/requests.html"
    )
    return render_template(
        template,
        rows=rows,
        household_text=household_text,
        live_version=live_version,
        search_args=search_args,
        now=now,
        staff=actor.role is Role.SHELTER_STAFF,
        minutes_left=lambda r: minutes_left(r.hold_expires_at, now),
        needs_text=_needs_text,
        decline_reasons=list(DeclineReason),
        end_reasons=list(EndReason),
    )


@bp.post("/requests/<int:request_id>/accept")
@roles_required(Role.SHELTER_STAFF)
@sms_limited
def request_accept(request_id: int) -> Any:
    settings = current_app.config["SETTINGS"]
    try:
        placement = requests_service.accept(
            db.session, current_actor(), request_id, utcnow(), settings.review_first_days
        )
    except Conflict:
        return _decided_elsewhere(request_id)
    db.session.commit()
    flash(_("Accepted: %(unit)s is now occupied.", unit=placement.unit.label), "success")
    return redirect(url_for("web.requests_page"))


@bp.post("/requests/<int:request_id>/decline")
@roles_required(Role.SHELTER_STAFF)
@sms_limited
def request_decline(request_id: int) -> Any:
    try:
        data = DeclineIn(unknown=EXCLUDE).load(request.form)
    except ValidationError:
        flash(_("Choose a reason for declining."), "error")
        return redirect(url_for("web.requests_page") + f"#request-{request_id}")
    try:
        requests_service.decline(
            db.session,
            current_actor(),
            request_id,
            DeclineReason(data["reason"]),
            utcnow(),
            episodes=current_app.config["SETTINGS"].episode_policy(),
        )
    except Conflict:
        return _decided_elsewhere(request_id)
    db.session.commit()
    flash(_("Declined. The place is free again."), "success")
    return redirect(url_for("web.requests_page"))


@bp.post("/requests/<int:request_id>/withdraw")
@roles_required(Role.SOCIAL_WORKER)
@sms_limited
def request_withdraw(request_id: int) -> Any:
    try:
        requests_service.withdraw(db.session, current_actor(), request_id, utcnow())
    except Conflict:
        return _decided_elsewhere(request_id)
    db.session.commit()
    flash(_("Withdrawn. The place is free again."), "success")
    return redirect(url_for("web.requests_page"))
