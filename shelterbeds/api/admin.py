"""Administration through the API: organisations, accounts and API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..extensions import db
from ..notifications.email import mail_activation
from ..schemas.admin import (
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
    TokenOut,
    UserChangeOut,
    UserIn,
    UserOut,
    UserPatch,
)
from ..services import account_admin, organisations
from . import make_blueprint

blp = make_blueprint("admin", "Administration: organisations, accounts, API tokens")


def activation_url(raw: str) -> str:
    """The link an administrator hands to the account's holder."""
    return current_app.config["SETTINGS"].public_url.rstrip("/") + f"/activate/{raw}"


def link_valid() -> timedelta:
    return timedelta(hours=current_app.config["SETTINGS"].activation_hours)


@blp.get("/organisations")
@roles_required(Role.ADMIN)
@blp.response(200, OrganisationOut(many=True))
def list_organisations() -> Any:
    """Organisations you administer."""
    return organisations.list_organisations(db.session, current_actor())


@blp.post("/organisations")
@roles_required(Role.ADMIN)
@blp.arguments(OrganisationIn)
@blp.response(201, OrganisationOut)
def create_organisation(data: dict[str, Any]) -> Any:
    """Add an organisation and the municipalities it covers."""
    org = organisations.create_organisation(db.session, current_actor(), data)
    db.session.commit()
    return org


@blp.patch("/organisations/<int:org_id>")
@roles_required(Role.ADMIN)
@blp.arguments(OrganisationPatch)
@blp.response(200, OrganisationOut)
def update_organisation(data: dict[str, Any], org_id: int) -> Any:
    """Change an organisation (any subset of its fields)."""
    org = organisations.update_organisation(db.session, current_actor(), org_id, data)
    db.session.commit()
    return org


@blp.get("/users")
@roles_required(Role.ADMIN)
@blp.response(200, UserOut(many=True))
def list_users() -> Any:
    """Accounts you administer."""
    return account_admin.list_users(db.session, current_actor())


class UserChange:
    """An account as changed, with the activation link (once) and sessions ended.

    Built after commit: the link is e-mailed only for an account that really exists.
    """

    def __init__(self, user: Any, raw: str | None, expires: Any, ended: int = 0) -> None:
        self._user = user
        self.activation_url = activation_url(raw) if raw else None
        self.activation_expires_at = expires
        self.sessions_ended = ended
        self.activation_emailed = self.activation_url is not None and mail_activation(
            current_app.config["SETTINGS"], user.email, user.locale, self.activation_url, expires
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._user, name)


@blp.post("/users")
@roles_required(Role.ADMIN)
@blp.arguments(UserIn)
@blp.response(201, UserChangeOut)
def create_user(data: dict[str, Any]) -> Any:
    """Create an account; the answer holds a one-time activation link to hand over."""
    user, raw, expires = account_admin.create_account(
        db.session, current_actor(), data, utcnow(), link_valid()
    )
    db.session.commit()
    return UserChange(user, raw, expires)


@blp.patch("/users/<int:user_id>")
@roles_required(Role.ADMIN)
@blp.arguments(UserPatch)
@blp.response(200, UserChangeOut)
def update_user(data: dict[str, Any], user_id: int) -> Any:
    """Change role or tenant, disable, end sessions, or issue a new activation link."""
    user, raw, expires, ended = account_admin.update_account(
        db.session, current_actor(), user_id, data, utcnow(), link_valid()
    )
    db.session.commit()
    return UserChange(user, raw, expires, ended)


@blp.get("/tokens")
@roles_required()
@blp.response(200, TokenOut(many=True))
def list_tokens() -> Any:
    """API tokens: an administrator's accounts' tokens, or your own."""
    return account_admin.list_tokens(db.session, current_actor())


@blp.delete("/tokens/<int:token_id>")
@roles_required()
@blp.response(204)
def revoke_token(token_id: int) -> None:
    """Revoke an API token (its owner, or an administrator)."""
    account_admin.revoke_token(db.session, current_actor(), token_id, utcnow())
    db.session.commit()
