"""Passwords, server-side web sessions and API tokens. Secrets are stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.errors import Invalid, NotFound
from ..models import ApiToken, User, UserSession
from . import audit

_hasher = PasswordHasher()
# Verifying against a dummy hash for unknown e-mails keeps timing the same either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
# ASVS 5.0 6.2: at least 12 characters (new passwords), at least 64 allowed, any character,
# no composition rules, refused when common or made of the context (e-mail, service name).
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
_COMMON_FILE = Path(__file__).resolve().parent.parent / "data" / "common_passwords_sv.txt"
_CONTEXT_WORDS = ("shelterbeds", "skyddat boende", "kvinnohus")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """zxcvbn's 30,000 most common passwords plus a shipped Swedish list, lower case."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    words = {w.lower() for w in FREQUENCY_LISTS["passwords"]}
    for line in _COMMON_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            words.add(line.strip().lower())
    return frozenset(words)


def password_problem(password: str, context: tuple[str, ...] = ()) -> str | None:
    """Why a new password is refused, or None. No composition rules (ASVS 5.0 6.2.5)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"At least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"At most {MAX_PASSWORD_LENGTH} characters."
    folded = password.lower()
    squeezed = "".join(folded.split())
    if folded in common_passwords() or squeezed in common_passwords() or len(set(folded)) < 4:
        return "This password is too common. Choose another, e.g. a few unrelated words."
    words = [*_CONTEXT_WORDS, *(c.lower() for c in context if c)]
    for word in words:
        local = word.split("@")[0]
        if len(local) >= 4 and (local in folded or folded in word):
            return "The password must not contain your e-mail address or the service's name."
    return None


def configure_password_hashing(time_cost: int, memory_kib: int) -> None:
    """Set the Argon2id cost for this process (settings; low in tests, where it is the cost
    of most fixtures). Existing hashes with another cost still verify and are rehashed."""
    global _hasher, _DUMMY_HASH
    if (_hasher.time_cost, _hasher.memory_cost) == (time_cost, memory_kib):
        return
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    _DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str, context: tuple[str, ...] = ()) -> str:
    """Argon2id hash of a new password that meets the rules (`context`: e.g. the e-mail)."""
    problem = password_problem(password, context)
    if problem:
        raise Invalid(f"Choose another password: {problem}", errors={"password": [problem]})
    return _hasher.hash(password)


def hash_secret(secret: str) -> str:
    """Argon2id (salted) hash of a low-entropy one-time secret, e.g. a recovery code."""
    return _hasher.hash(secret)


def verify_secret(stored: str, secret: str) -> bool:
    try:
        return bool(_hasher.verify(stored, secret))
    except (VerificationError, InvalidHashError):
        return False


def change_password(
    session: Session, user: User, current: str, new: str, now: datetime, keep_raw: str | None
) -> int:
    """Change one's own password (the current one first); end every other session.

    Return how many other sessions ended. Raises Invalid on a wrong current password or a
    new one that breaks the rules; nothing changes then.
    """
    if not user.password_hash or not verify_secret(user.password_hash, current):
        raise Invalid(
            "Your current password is not right.",
            errors={"current_password": ["Not your current password."]},
        )
    user.password_hash = hash_password(new, context=(user.email,))
    keep = _sha256(keep_raw) if keep_raw else None
    others = session.scalars(
        select(UserSession).where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.token_hash != keep,
        )
    ).all()
    for row in others:
        row.revoked_at = now
    audit.record(session, user, "password.changed", "user", user.id, now)
    session.flush()
    return len(others)


def _sha256(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def authenticate(session: Session, email: str, password: str, now: datetime) -> User | None:
    """Return the active user with this e-mail and password, else None."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active or not user.password_hash:
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    return user


def start_session(session: Session, user: User, now: datetime, detail: str | None = None) -> str:
    """Create a server-side session (audited as a sign-in); return the raw id for the cookie."""
    raw = secrets.token_urlsafe(32)
    session.add(UserSession(user=user, token_hash=_sha256(raw), created_at=now, last_seen_at=now))
    audit.record(session, user, "signin", "user", user.id, now, detail=detail)
    session.flush()
    return raw


def record_auth_event(
    session: Session, email: str, action: str, now: datetime, detail: str | None = None
) -> None:
    """Audit a sign-in event by e-mail (a failure: the account, if any; never the e-mail)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    audit.record(session, user, action, "user", user.id if user else None, now,
                 detail=detail if user else "unknown_account")  # fmt: skip


def resolve_session(
    session: Session, raw: str, now: datetime, idle: timedelta, absolute: timedelta
) -> User | None:
    """The user behind a live session (touching it), or None if unknown, revoked or timed out."""
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _sha256(raw)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    if now - row.last_seen_at > idle or now - row.created_at > absolute:
        row.revoked_at = now
        return None
    # Touch at most once a minute: a write per page view is wasted I/O.
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
    return row.user


def end_session(session: Session, raw: str, now: datetime) -> None:
    """Revoke a session so its cookie no longer works (logout)."""
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _sha256(raw)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        audit.record(session, row.user, "signout", "user", row.user_id, now)


def end_all_sessions(session: Session, user: User, now: datetime) -> int:
    """Revoke every live session of a user (disable, password reset); return how many."""
    rows = session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
    return len(rows)


def create_token(session: Session, user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """Create an API token; the raw value is returned once and never stored."""
    raw = "sb_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name[:80], token_hash=_sha256(raw), prefix=raw[:10], created_at=now
    )
    session.add(token)
    session.flush()
    return token, raw


def resolve_token(session: Session, raw: str, now: datetime) -> User | None:
    """The active user behind a live API token, or None."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _sha256(raw)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return token.user


def user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"No user with e-mail {email}.")
    return user
