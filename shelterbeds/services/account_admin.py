"""Administrators manage accounts and API tokens, within their county."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.enums import OrganisationKind, Role
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound
from ..models import ApiToken, Organisation, Shelter, User
from . import audit, second_factor
from .access import admin_county, admin_sees, require_role
from .activation import issue_link
from .auth import end_all_sessions
from .organisations import organisation_by_slug


def user_county(user: User) -> str | None:
    """The county an account belongs to (None: a national administrator)."""
    if user.shelter is not None:
        return user.shelter.municipality.county_code
    return user.organisation.county_code if user.organisation else None


def list_users(session: Session, actor: User) -> list[User]:
    users = session.scalars(select(User).order_by(User.email))
    return [u for u in users if admin_sees(actor, user_county(u))]


def get_user(session: Session, actor: User, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not admin_sees(actor, user_county(user)):
        raise NotFound(f"User {user_id} does not exist.")
    return user


def _shelter_by_slug(session: Session, slug: str) -> Shelter:
    shelter = session.scalar(select(Shelter).where(Shelter.slug == slug))
    if shelter is None:
        raise Invalid(
            f"No shelter with slug {slug}.", errors={"shelter": [f"Unknown shelter {slug}."]}
        )
    return shelter


def _place(
    session: Session, actor: User, user: User, role: Role, org: Organisation | None, shelter: Any
) -> None:
    """Give the account a role and a tenant that fit together, inside the admin's county."""
    if role is Role.SHELTER_STAFF:
        if shelter is None:
            raise Invalid("Shelter staff need a shelter.", errors={"shelter": ["Required."]})
        org = org or shelter.operator
    else:
        shelter = None
    if role is Role.ADMIN:
        if org is not None and org.kind is not OrganisationKind.COUNTY:
            raise Invalid(
                "An administrator is national (no organisation) or of a county organisation.",
                errors={"organisation": ["Leave empty, or choose a county organisation."]},
            )
    elif org is None:
        raise Invalid("This role needs an organisation.", errors={"organisation": ["Required."]})
    user.role, user.organisation, user.shelter = role, org, shelter
    county = user_county(user)
    if not admin_sees(actor, county):
        raise Forbidden(
            f"You administer county {admin_county(actor)} only: this account would be outside it.",
            errors={"organisation": ["Outside your county."]},
        )


def _phone_free(session: Session, phone: str | None, own_id: int | None) -> None:
    if phone is None:
        return
    other = session.scalar(select(User.id).where(User.phone == phone))
    if other is not None and other != own_id:
        raise Conflict(
            "Another account has this phone number.", errors={"phone": ["Already in use."]}
        )


def create_account(
    session: Session, actor: User, data: dict[str, Any], now: datetime, link_valid: timedelta
) -> tuple[User, str, datetime]:
    """Create an account without a password; return it, the activation secret and its expiry."""
    require_role(actor, Role.ADMIN)
    email = data["email"].strip().lower()
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(
            f"An account for {email} already exists.", errors={"email": ["Already in use."]}
        )
    _phone_free(session, data.get("phone"), None)
    org = organisation_by_slug(session, data["organisation"]) if data.get("organisation") else None
    shelter = _shelter_by_slug(session, data["shelter"]) if data.get("shelter") else None
    user = User(
        email=email, phone=data.get("phone"), locale=data.get("locale", "sv"), created_at=now
    )
    _place(session, actor, user, data["role"], org, shelter)
    session.add(user)
    session.flush()
    token, raw = issue_link(session, user, actor, now, link_valid)
    return user, raw, token.expires_at


def update_account(
    session: Session,
    actor: User,
    user_id: int,
    data: dict[str, Any],
    now: datetime,
    link_valid: timedelta,
) -> tuple[User, str | None, datetime | None, int]:
    """Change role/tenant/phone, disable or enable, end sessions, or issue a new link.

    Return the user, a new activation secret (or None), its expiry and how many sessions ended.
    """
    user = get_user(session, actor, user_id)
    before = (user.role, user.organisation, user.shelter)
    if "role" in data or "organisation" in data or "shelter" in data:
        org = user.organisation
        if "organisation" in data:
            org = (
                organisation_by_slug(session, data["organisation"])
                if data["organisation"]
                else None
            )
        shelter = user.shelter
        if "shelter" in data:
            shelter = _shelter_by_slug(session, data["shelter"]) if data["shelter"] else None
        _place(session, actor, user, data.get("role", user.role), org, shelter)
    if "phone" in data:
        _phone_free(session, data["phone"], user.id)
        user.phone = data["phone"]
    if "locale" in data:
        user.locale = data["locale"]
    ended = 0
    if data.get("active") is False and user.id == actor.id:
        raise Invalid(
            "You cannot disable your own account.", errors={"active": ["Your own account."]}
        )
    if "active" in data:
        user.active = data["active"]
    privilege_changed = (user.role, user.organisation, user.shelter) != before
    if data.get("reset_second_factor"):
        second_factor.reset(session, user)
        audit.record(session, actor, "second_factor.reset", "user", user.id, now)
    if (
        data.get("active") is False
        or data.get("end_sessions")
        or privilege_changed
        or data.get("reset_second_factor")
    ):
        # A new role or tenant takes a new session (signing in again), never an old one's.
        ended = end_all_sessions(session, user, now)
    raw, expires = None, None
    if data.get("new_activation_link"):
        token, raw = issue_link(session, user, actor, now, link_valid)
        expires = token.expires_at
    session.flush()
    return user, raw, expires, ended


def list_tokens(session: Session, actor: User) -> list[ApiToken]:
    """Admins: tokens of the accounts they manage; everyone else: their own."""
    tokens = session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc()))
    if actor.role is Role.ADMIN:
        return [t for t in tokens if admin_sees(actor, user_county(t.user))]
    return [t for t in tokens if t.user_id == actor.id]


def revoke_token(session: Session, actor: User, token_id: int, now: datetime) -> ApiToken:
    """Revoke an API token: its owner, or an administrator of the owner's county."""
    token = session.get(ApiToken, token_id)
    allowed = token is not None and (
        token.user_id == actor.id
        or (actor.role is Role.ADMIN and admin_sees(actor, user_county(token.user)))
    )
    if token is None or not allowed:
        raise NotFound(f"Token {token_id} does not exist.")
    if token.revoked_at is None:
        token.revoked_at = now
    session.flush()
    return token
