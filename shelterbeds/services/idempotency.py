"""`Idempotency-Key` for creating requests: one key per user, bound to one body."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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

    The insert runs in a savepoint: when a concurrent call holds the same key, PostgreSQL
    makes this insert wait for it and then fail on the unique constraint, after which the
    other call's request is visible. SQLite serialises the whole transactions instead.
    """
    if contains_personnummer(key):  # the key is stored: the free-text guard applies (web form)
        raise Invalid(
            "This Idempotency-Key looks like a personnummer; use a random key.",
            errors={"Idempotency-Key": ["Never use a personnummer as a key."]},
        )
    for _attempt in range(2):
        found = session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == actor.id, IdempotencyKey.key == key
            )
        )
        if found is not None:
            if found.fingerprint != fingerprint:
                raise Invalid(
                    "This Idempotency-Key was already used with a different body.",
                    errors={"Idempotency-Key": ["Use a new key for a different request."]},
                )
            if found.request_id is None:
                raise Conflict("A request with this Idempotency-Key is still being created.")
            return None, _load(session, found.request_id)
        row = IdempotencyKey(user_id=actor.id, key=key, fingerprint=fingerprint)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue
        return row, None
    raise Conflict("A request with this Idempotency-Key is being created: try again.")
