"""The second factor: TOTP (RFC 6238, 30 s, 6 digits) with one-time recovery codes.

The TOTP secret is stored encrypted (Fernet: AES-128-CBC + HMAC-SHA256) under a key from
`SHELTERBEDS_TOTP_KEY`, or, when that is unset, derived from `SHELTERBEDS_SECRET_KEY` with
HKDF-SHA256 (info "shelterbeds totp secret"): a database dump alone does not give the codes.
Recovery codes are random (10 characters from 31, about 50 bits) and, being below 112 bits,
stored as salted Argon2id hashes (ASVS 5.0 6.5.2); each works once. A TOTP code lives for
its 30-second step, plus a 5-second grace after the step ends for a code typed just before
(ASVS 6.5.5); an accepted step is remembered, so a code cannot be replayed (6.5.1).
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..domain.errors import Invalid
from ..models import RecoveryCode, User
from .auth import hash_secret, verify_secret

ISSUER = "shelterbeds"
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed on a phone
GRACE_SECONDS = 5  # a code typed just before its step ended still counts this long


def _fernet(key: str) -> Fernet:
    """A Fernet key from the configured key material (any string) via HKDF-SHA256."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"shelterbeds totp secret"
    ).derive(key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _secret(user: User, key: str) -> str | None:
    if not user.totp_secret:
        return None
    try:
        return _fernet(key).decrypt(user.totp_secret.encode()).decode()
    except InvalidToken:
        return None  # the key changed: the user must be re-enrolled by an administrator


def is_enrolled(user: User) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret is not None


def begin_enrolment(user: User, key: str) -> tuple[str, str]:
    """A new secret for a user not yet enrolled; return it and its otpauth:// URI."""
    if is_enrolled(user):
        raise Invalid("A second factor is already set up for this account.")
    secret = pyotp.random_base32()
    user.totp_secret = _fernet(key).encrypt(secret.encode()).decode()
    user.totp_last_step = None
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return secret, uri


def pending_uri(user: User, key: str) -> tuple[str, str] | None:
    """The secret and URI of an enrolment started but not confirmed, if any."""
    secret = _secret(user, key)
    if secret is None or is_enrolled(user):
        return None
    return secret, pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _check_totp(user: User, code: str, key: str, now: datetime) -> bool:
    secret = _secret(user, key)
    digits = "".join(ch for ch in code if ch.isdigit())
    if secret is None or len(digits) != 6:
        return False
    totp = pyotp.TOTP(secret)
    step = int(now.timestamp()) // totp.interval
    candidates = [step]
    if int(now.timestamp()) % totp.interval < GRACE_SECONDS:
        candidates.append(step - 1)
    for candidate in candidates:
        if candidate <= (user.totp_last_step or -1):
            continue  # that code (or an earlier one) was already used: no replay
        if secrets.compare_digest(totp.generate_otp(candidate), digits):
            user.totp_last_step = candidate
            return True
    return False


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def new_recovery_codes(session: Session, user: User, now: datetime) -> list[str]:
    """Replace the user's recovery codes with fresh ones; return them (shown once)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        code = f"{raw[:5]}-{raw[5:]}"
        hashed = hash_secret(_normalise(code))
        session.add(RecoveryCode(user_id=user.id, code_hash=hashed, created_at=now))
        codes.append(code)
    session.flush()
    return codes


def confirm_enrolment(
    session: Session, user: User, code: str, key: str, now: datetime
) -> list[str]:
    """Turn the second factor on once the user proves the app works; return recovery codes."""
    if is_enrolled(user) or not _check_totp(user, code, key, now):
        raise Invalid(
            "That code is not right. Check the time on your phone and enter the current code.",
            errors={"code": ["Wrong code."]},
        )
    user.totp_enabled_at = now
    return new_recovery_codes(session, user, now)


def verify(session: Session, user: User, code: str, key: str, now: datetime) -> str | None:
    """Check a TOTP code or an unused recovery code; return which ("totp"/"recovery")."""
    if not is_enrolled(user):
        return None
    if _check_totp(user, code, key, now):
        return "totp"
    typed = _normalise(code)
    if len(typed) != 10:  # not a recovery code: spare the Argon2 work
        return None
    unused = session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    for row in unused:
        if verify_secret(row.code_hash, typed):
            # Conditional: of two sign-ins racing with one code, only one uses it.
            used = session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now)
            )
            return "recovery" if used.rowcount == 1 else None  # type: ignore[attr-defined]
    return None


def recovery_codes_left(session: Session, user: User) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def reset(session: Session, user: User) -> None:
    """Remove the second factor (an administrator, for a lost phone); re-enrol at sign-in."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()
