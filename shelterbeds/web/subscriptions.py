"""The alerts page: your organisation's subscriptions, a form to add one, opt-out warnings."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..extensions import db
from ..models import Shelter
from ..schemas.subscriptions import SubscriptionIn
from ..services import subscriptions
from . import bp
from .forms import child_rows_shown, form_children, language_choices

CHILD_ROWS = 4
NEED_FLAGS = ("wheelchair", "pets", "lgbtq", "psychiatric", "men")


def _form_to_data(form: Any) -> dict[str, Any]:
    """The page's flat form fields as the API's nested subscription body."""
    children = form_children(form, CHILD_ROWS)
    needs: dict[str, Any] = {k: True for k in NEED_FLAGS if form.get(k)}
    if form.get("substance_use"):
        needs["substance_use"] = form["substance_use"]
    if form.get("language", "").strip():
        needs["language"] = form["language"].strip().lower()
    data: dict[str, Any] = {
        "phone": form.get("phone", ""),
        "household": {"adults": form.get("adults") or 1, "children": children},
        "needs": needs,
    }
    if form.get("shelter_id"):
        data["shelter_id"] = form["shelter_id"]
    if form.get("active_from") or form.get("active_to"):
        data["active_from"] = form.get("active_from") or None
        data["active_to"] = form.get("active_to") or None
    return data


def _page(form: Any, errors: Any = None, status: int = 200) -> Any:
    actor = current_actor()
    subs = subscriptions.list_subscriptions(db.session, actor)
    shelters = db.session.scalars(select(Shelter).where(Shelter.active).order_by(Shelter.name))
    return render_template(
        "web/subscriptions.html",
        subscriptions=subs,
        opted_out=subscriptions.opted_out_phones(db.session, subs),
        shelters=list(shelters),
        form=form,
        errors=errors or {},
        child_rows=CHILD_ROWS,
        children_shown=child_rows_shown(form, CHILD_ROWS),
        languages=language_choices(),
        need_flags=NEED_FLAGS,
    ), status


@bp.get("/subscriptions")
@roles_required(Role.SOCIAL_WORKER, Role.SHELTER_STAFF)
def subscriptions_page() -> Any:
    """SMS alerts when a matching place becomes free."""
    return _page({})


@bp.post("/subscriptions")
@roles_required(Role.SOCIAL_WORKER, Role.SHELTER_STAFF)
def subscriptions_create() -> Any:
    if request.form.get("children_shown"):  # "add child" without JavaScript: the form again
        return _page(request.form)
    try:
        data = SubscriptionIn().load(_form_to_data(request.form))
    except ValidationError as err:
        return _page(request.form, err.messages, 422)
    subscriptions.create_subscription(db.session, current_actor(), now=utcnow(), **data)
    db.session.commit()
    flash(_("The alert is saved."), "success")
    return redirect(url_for("web.subscriptions_page"))


@bp.post("/subscriptions/<int:subscription_id>/delete")
@roles_required(Role.SOCIAL_WORKER, Role.SHELTER_STAFF)
def subscriptions_delete(subscription_id: int) -> Any:
    subscriptions.delete_subscription(db.session, current_actor(), subscription_id)
    db.session.commit()
    flash(_("The alert is deleted."), "success")
    return redirect(url_for("web.subscriptions_page"))
