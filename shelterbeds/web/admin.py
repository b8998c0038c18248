"""Administration pages: organisations, accounts and API tokens (shelters: admin_shelters)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import OrganisationKind, Role
from ..extensions import db
from ..notifications.email import mail_activation
from ..schemas.admin import OrganisationIn, OrganisationPatch, UserIn
from ..services import account_admin, organisations
from ..services.access import admin_county
from ..services.shelter_admin import list_admin_shelters
from . import bp
from .forms import form_input, form_values, option, option_label, submit

ORG_FIELDS = ("slug", "name", "kind", "county_code", "municipalities", "phone")
USER_FIELDS = ("email", "role", "organisation", "shelter", "phone", "locale")


bp.add_app_template_filter(option, "policy_option")
bp.add_app_template_filter(option_label, "option_label")


def _link(raw: str) -> str:
    return current_app.config["SETTINGS"].public_url.rstrip("/") + f"/activate/{raw}"


def _created(user: Any, raw: str, expires: Any) -> dict[str, Any]:
    """The new link to show (once), e-mailed too when SMTP is configured; after commit."""
    url = _link(raw)
    return {"user": user, "url": url, "expires": expires, "emailed": _mail(user, url, expires)}


def _mail(user: Any, url: str, expires: Any) -> bool:
    settings = current_app.config["SETTINGS"]
    return mail_activation(settings, user.email, user.locale, url, expires)


def _valid() -> timedelta:
    return timedelta(hours=current_app.config["SETTINGS"].activation_hours)


@bp.get("/admin")
@roles_required(Role.ADMIN)
def admin_index() -> Any:
    """Overview: what this administrator manages."""
    actor = current_actor()
    return render_template(
        "admin/index.html",
        scope=admin_county(actor),
        organisations=organisations.list_organisations(db.session, actor),
        shelters=list_admin_shelters(db.session, actor),
        users=account_admin.list_users(db.session, actor),
    )


def _orgs_page(values: dict[str, Any], errors: dict[str, Any]) -> str:
    actor = current_actor()
    return render_template(
        "admin/organisations.html",
        organisations=organisations.list_organisations(db.session, actor),
        kinds=list(OrganisationKind),
        values=values,
        errors=errors,
    )


@bp.get("/admin/organisations")
@roles_required(Role.ADMIN)
def admin_organisations() -> Any:
    return _orgs_page({"county_code": admin_county(current_actor()) or ""}, {})


@bp.post("/admin/organisations")
@roles_required(Role.ADMIN)
def admin_create_organisation() -> Any:
    def action(data: dict[str, Any]) -> Any:
        org = organisations.create_organisation(db.session, current_actor(), data)
        flash(_("Organisation %(name)s added.", name=org.name), "success")
        return redirect(url_for("web.admin_organisations"))

    data = form_input(ORG_FIELDS, lists=("municipalities",))
    return submit(
        OrganisationIn(unknown=EXCLUDE), data, action, lambda e: _orgs_page(request.form, e)
    )


def _org_page(org: Any, values: dict[str, Any], errors: dict[str, Any]) -> str:
    return render_template(
        "admin/organisation.html",
        org=org,
        kinds=list(OrganisationKind),
        values=values,
        errors=errors,
    )


@bp.get("/admin/organisations/<int:org_id>")
@roles_required(Role.ADMIN)
def admin_organisation(org_id: int) -> Any:
    org = organisations.get_organisation(db.session, current_actor(), org_id)
    values = form_values(org, ORG_FIELDS) | {"municipalities": " ".join(org.municipality_codes)}
    return _org_page(org, values, {})


@bp.post("/admin/organisations/<int:org_id>")
@roles_required(Role.ADMIN)
def admin_update_organisation(org_id: int) -> Any:
    org = organisations.get_organisation(db.session, current_actor(), org_id)

    def action(data: dict[str, Any]) -> Any:
        organisations.update_organisation(db.session, current_actor(), org_id, data)
        flash(_("Saved."), "success")
        return redirect(url_for("web.admin_organisation", org_id=org_id))

    data = form_input(ORG_FIELDS, lists=("municipalities",))
    return submit(
        OrganisationPatch(unknown=EXCLUDE),
        data,
        action,
        lambda e: _org_page(org, request.form, e),
    )


def _users_page(values: Any, errors: dict[str, Any], created: Any = None) -> str:
    actor = current_actor()
    return render_template(
        "admin/users.html",
        users=account_admin.list_users(db.session, actor),
        roles=list(Role),
        organisations=organisations.list_organisations(db.session, actor),
        shelters=list_admin_shelters(db.session, actor),
        values=values,
        errors=errors,
        created=created,
    )


@bp.get("/admin/users")
@roles_required(Role.ADMIN)
def admin_users() -> Any:
    return _users_page({}, {})


@bp.post("/admin/users")
@roles_required(Role.ADMIN)
def admin_create_user() -> Any:
    """Create an account and show its one-time activation link (once)."""

    def action(data: dict[str, Any]) -> Any:
        user, raw, expires = account_admin.create_account(
            db.session, current_actor(), data, utcnow(), _valid()
        )
        db.session.commit()
        return _users_page({}, {}, created=_created(user, raw, expires))

    data = form_input(USER_FIELDS)
    return submit(UserIn(unknown=EXCLUDE), data, action, lambda e: _users_page(request.form, e))


@bp.post("/admin/users/<int:user_id>")
@roles_required(Role.ADMIN)
def admin_user_action(user_id: int) -> Any:
    """Disable, enable, end sessions or issue a new activation link."""
    actions = {
        "disable": {"active": False},
        "enable": {"active": True},
        "end_sessions": {"end_sessions": True},
        "new_link": {"new_activation_link": True},
        "reset_2fa": {"reset_second_factor": True},
    }
    change = actions.get(request.form.get("action", ""))
    if change is None:
        flash(_("Unknown action."), "error")
        return redirect(url_for("web.admin_users"))
    user, raw, expires, ended = account_admin.update_account(
        db.session, current_actor(), user_id, change, utcnow(), _valid()
    )
    db.session.commit()
    if raw:
        return _users_page({}, {}, created=_created(user, raw, expires))
    if "active" in change:
        flash(_("%(email)s is now %(state)s.", email=user.email,
                state=_("active") if user.active else _("disabled")), "success")  # fmt: skip
    if "reset_second_factor" in change:
        flash(_("%(email)s sets up a second factor again at the next sign-in.",
                email=user.email), "success")  # fmt: skip
    if ended or "end_sessions" in change:
        flash(_("%(n)d sessions ended.", n=ended), "success")
    return redirect(url_for("web.admin_users"))


@bp.get("/admin/tokens")
@roles_required(Role.ADMIN)
def admin_tokens() -> Any:
    tokens = account_admin.list_tokens(db.session, current_actor())
    return render_template("admin/tokens.html", tokens=tokens)


@bp.post("/admin/tokens/<int:token_id>/revoke")
@roles_required(Role.ADMIN)
def admin_revoke_token(token_id: int) -> Any:
    token = account_admin.revoke_token(db.session, current_actor(), token_id, utcnow())
    db.session.commit()
    flash(_("Token %(prefix)s… revoked.", prefix=token.prefix), "success")
    return redirect(url_for("web.admin_tokens"))
