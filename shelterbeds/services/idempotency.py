"""`Idempotency-Key` for creating requests: one key per user, bound to one body."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import insert_ignoring_conflict
from ..domain.errors import Conflict, Invalid, NotFound
from ..domain.personnummer import contains_personnummer
from ..models import IdempotencyKey, PlacementRequest, User


def _load(session: Session, request_id: int) -> PlacementRequest:
    req = session.get(PlacementRequest, request_id)
    if req is None:
        raise NotFound(f"Request {request_id} does not exist.")
    return req


def claim_key(
    session: Session, actor: User, key: str, fingerprint: str
) -> tuple[IdempotencyKey | None, PlacementRequest | None]:
    """Reserve (user, key), or find the request an earlier call with it created.

    One `INSERT … ON CONFLICT (user_id, key) DO NOTHING`: the unique constraint decides.
    When a concurrent call holds the same key, PostgreSQL makes this insert wait for it and
    then insert nothing, after which the other call's row is visible to the SELECT. SQLite
    serialises the whole transactions instead.
    """
    if contains_personnummer(key):  # the key is stored: the free-text guard applies (web form)
        raise Invalid(
            "This Idempotency-Key looks like a personnummer; use a random key.",
            errors={"Idempotency-Key": ["Never use a personnummer as a key."]},
        )
    statement = insert_ignoring_conflict(session.get_bind(), IdempotencyKey, "user_id", "key")
    row = session.scalars(
        statement.values(user_id=actor.id, key=key, fingerprint=fingerprint).returning(
            IdempotencyKey
        )
    ).first()
    if row is not None:
        return row, None
    found = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == actor.id, IdempotencyKey.key == key)
    )
    if found is None:  # the holder rolled back between our insert and our read
        raise Conflict("A request with this Idempotency-Key is being created: try again.")
    if found.fingerprint != fingerprint:
        raise Invalid(
            "This Idempotency-Key was already used with a different body.",
            errors={"Idempotency-Key": ["Use a new key for a different request."]},
        )
    if found.request_id is None:
        raise Conflict("A request with this Idempotency-Key is still being created.")
    return None, _load(session, found.request_id)
