"""One-time activation links: the account's holder sets their own password.

No e-mail infrastructure is needed: the administrator receives the link and hands it over.
Only the SHA-256 of the secret is stored; a link works once and expires.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..domain.errors import DomainError
from ..models import ActivationToken, User
from .auth import end_all_sessions, hash_password


class LinkGone(DomainError):
    """The link is unknown, used or expired."""

    status = 410
    title = "Link no longer valid"


GONE = (
    "This activation link is not valid: it has expired or has already been used. "
    "Ask your administrator for a new link."
)


def _sha256(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_link(
    session: Session, user: User, actor: User | None, now: datetime, valid: timedelta
) -> tuple[ActivationToken, str]:
    """Create a link secret for `user`; earlier unused links stop working. Return it raw once."""
    session.execute(
        update(ActivationToken)
        .where(ActivationToken.user_id == user.id, ActivationToken.used_at.is_(None))
        .values(expires_at=now)
    )
    raw = secrets.token_urlsafe(32)
    token = ActivationToken(
        user_id=user.id,
        token_hash=_sha256(raw),
        created_at=now,
        created_by_id=actor.id if actor else None,
        expires_at=now + valid,
    )
    session.add(token)
    session.flush()
    return token, raw


def check_link(session: Session, raw: str, now: datetime) -> ActivationToken:
    """The live token behind a link, or LinkGone."""
    token = session.scalar(
        select(ActivationToken).where(ActivationToken.token_hash == _sha256(raw))
    )
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise LinkGone(GONE)
    if not token.user.active:
        raise LinkGone("This account is disabled. Ask your administrator.")
    return token


def activate(session: Session, raw: str, password: str, now: datetime) -> User:
    """Set the password through a live link and use the link up (exactly once)."""
    token = check_link(session, raw, now)
    # The password rules fail before anything changes.
    password_hash = hash_password(password, context=(token.user.email,))
    # Conditional: of two submissions racing with one link, only one sets the password.
    result = session.execute(
        update(ActivationToken)
        .where(ActivationToken.id == token.id, ActivationToken.used_at.is_(None))
        .values(used_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkGone(GONE)
    user = token.user
    user.password_hash = password_hash
    end_all_sessions(session, user, now)
    session.flush()
    return user
