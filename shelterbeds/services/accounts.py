"""Accounts: create users with a role and a tenant that fit together."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.enums import Role
from ..domain.errors import Conflict, Invalid, NotFound
from ..models import Organisation, Shelter, User
from .auth import hash_password


def create_user(
    session: Session,
    *,
    email: str,
    role: Role,
    org_slug: str | None,
    shelter_slug: str | None,
    password: str | None,
) -> User:
    """Create an account; shelter staff need a shelter, everyone but admins an organisation."""
    email = email.strip().lower()
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"An account for {email} already exists.")
    shelter = None
    if shelter_slug:
        shelter = session.scalar(select(Shelter).where(Shelter.slug == shelter_slug))
        if shelter is None:
            raise NotFound(f"No shelter with slug {shelter_slug}.")
    if role is Role.SHELTER_STAFF and shelter is None:
        raise Invalid("Shelter staff need --shelter.", errors={"shelter": ["Required."]})
    org = None
    if org_slug:
        org = session.scalar(select(Organisation).where(Organisation.slug == org_slug))
        if org is None:
            raise NotFound(f"No organisation with slug {org_slug}.")
    elif shelter is not None:
        org = shelter.operator
    if role is not Role.ADMIN and org is None:
        raise Invalid("This role needs --org.", errors={"org": ["Required."]})
    user = User(
        email=email,
        role=role,
        organisation=org,
        shelter=shelter,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    return user
