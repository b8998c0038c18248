"""Record and list turn-aways; group refusals of one household into episodes.

Called by the turn-away form and API (phone and walk-in refusals) and by the decline of a
placement request (channel `request`). The case reference is hashed here and then dropped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..domain.enums import DeclineReason, TurnAwayChannel
from ..domain.errors import Invalid
from ..domain.personnummer import contains_personnummer
from ..domain.turnaways import (
    check_occurred_at,
    household_key,
    lock_id,
    nearest_episode,
    normalise_case_ref,
)
from ..models import Municipality, TurnAway, TurnAwayEpisode, User
from .access import require_shelter_staff_of, shelter_scope
from .units import get_shelter

MAX_ADULTS = 10
MAX_CHILDREN = 15
MAX_LIST = 500
# First key of PostgreSQL's two-key advisory locks taken here ("TA"): keeps these locks
# apart from any other advisory lock the service takes (one-key locks are a separate space).
_LOCK_NAMESPACE = 0x5441

E = TypeVar("E", bound=StrEnum)


def _coerce(enum: type[E], value: E | str, field: str) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise Invalid(
            f"Unknown {field} {value!r}.", errors={field: [f"Must be one of: {allowed}."]}
        ) from None


def _check_counts(adults: int, children: int) -> None:
    errors: dict[str, list[str]] = {}
    if not 1 <= adults <= MAX_ADULTS:
        errors["adults"] = [f"Between 1 and {MAX_ADULTS}."]
    if not 0 <= children <= MAX_CHILDREN:
        errors["children"] = [f"Between 0 and {MAX_CHILDREN}."]
    if errors:
        raise Invalid("The household's size is out of range.", errors=errors)


def _lock_household(session: Session, key: str) -> None:
    """Serialise episode assignment for one household until this transaction ends.

    Without it, two shelters refusing the same household at the same moment would each
    find no episode and open one each. PostgreSQL: a transaction-scoped advisory lock on the
    household key, so the second transaction looks for episodes only after the first has
    committed (READ COMMITTED: its query then sees the new episode). SQLite: every
    transaction already starts with BEGIN IMMEDIATE (db.py), which holds the database's one
    write lock, so transactions that record turn-aways run one after the other anyway.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(CAST(:ns AS integer), CAST(:k AS integer))"),
            {"ns": _LOCK_NAMESPACE, "k": lock_id(key)},
        )
    elif dialect != "sqlite":
        raise RuntimeError(f"episode locking is not implemented for {dialect}")


def assign_episode(
    session: Session, key: str | None, occurred_at: datetime, window: timedelta, now: datetime
) -> TurnAwayEpisode:
    """The household's episode this refusal belongs to; a new one if none is near enough."""
    if key is not None:
        _lock_household(session, key)
        candidates = session.execute(
            select(TurnAwayEpisode.id, TurnAwayEpisode.started_at).where(
                TurnAwayEpisode.episode_key == key,
                TurnAwayEpisode.started_at > occurred_at - window,
                TurnAwayEpisode.started_at < occurred_at + window,
            )
        ).all()
        found = nearest_episode(((r.id, r.started_at) for r in candidates), occurred_at, window)
        if found is not None:
            episode = session.get(TurnAwayEpisode, found)
            assert episode is not None
            return episode
    episode = TurnAwayEpisode(episode_key=key, started_at=occurred_at, created_at=now)
    session.add(episode)
    session.flush()
    return episode


def _episode_key(secret: str, municipality_code: str | None, case_ref: str | None) -> str | None:
    if case_ref is None or not normalise_case_ref(case_ref):
        return None
    if contains_personnummer(case_ref):
        raise Invalid(
            "The case reference looks like a personnummer.",
            errors={"case_ref": ["Never enter a personnummer: use your own case reference."]},
        )
    if municipality_code is None:
        raise Invalid(
            "A case reference identifies a household only together with its municipality.",
            errors={"municipality_code": ["Give the municipality with the case reference."]},
        )
    return household_key(secret, municipality_code, case_ref)


def record_turnaway(
    session: Session,
    actor: User,
    *,
    shelter_id: int | None,
    adults: int,
    children: int,
    reason: DeclineReason | str,
    channel: TurnAwayChannel | str,
    now: datetime,
    episode_key_secret: str,
    episode_hours: int,
    occurred_at: datetime | None = None,
    municipality_code: str | None = None,
    case_ref: str | None = None,
    request_id: int | None = None,
) -> TurnAway:
    """Record one refusal by a shelter and put it in its household's episode.

    `shelter_id` None means the actor's own shelter (staff). `case_ref` (with
    `municipality_code`) groups refusals of one household within `episode_hours`; it is
    hashed with `episode_key_secret` and never stored. `channel="request"` needs the
    declined `request_id`. Flushes, never commits.
    """
    if shelter_id is None:
        shelter_id = actor.shelter_id
        if shelter_id is None:
            raise Invalid("Say which shelter refused.", errors={"shelter_id": ["Required."]})
    require_shelter_staff_of(actor, shelter_id)
    shelter = get_shelter(session, shelter_id)
    reason = _coerce(DeclineReason, reason, "reason")
    channel = _coerce(TurnAwayChannel, channel, "channel")
    _check_counts(adults, children)
    if (channel is TurnAwayChannel.REQUEST) != (request_id is not None):
        raise Invalid(
            "Only a declined placement request has a request id, and it must have one.",
            errors={"request_id": ["Give it exactly when the channel is 'request'."]},
        )
    occurred_at = now if occurred_at is None else occurred_at
    check_occurred_at(occurred_at, now)
    if municipality_code is not None and session.get(Municipality, municipality_code) is None:
        raise Invalid(
            f"Unknown municipality code {municipality_code}.",
            errors={"municipality_code": ["Use a 4-digit SCB municipality code, e.g. 1880."]},
        )
    key = _episode_key(episode_key_secret, municipality_code, case_ref)
    episode = assign_episode(session, key, occurred_at, timedelta(hours=episode_hours), now)
    turnaway = TurnAway(
        shelter_id=shelter.id,
        recorded_by_id=actor.id,
        occurred_at=occurred_at,
        recorded_at=now,
        adults=adults,
        children=children,
        reason=reason,
        channel=channel,
        municipality_code=municipality_code,
        request_id=request_id,
        episode_id=episode.id,
        episode_key=key,
    )
    session.add(turnaway)
    session.flush()
    return turnaway


def list_turnaways(
    session: Session,
    actor: User,
    *,
    shelter_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
) -> list[TurnAway]:
    """Turn-aways newest first: staff their own shelter's, an admin any shelter's or all.

    `since` is inclusive and `until` exclusive, both on when the refusal happened.
    """
    scope = shelter_scope(actor, shelter_id)
    query = select(TurnAway).order_by(TurnAway.occurred_at.desc(), TurnAway.id.desc())
    if scope is not None:
        query = query.where(TurnAway.shelter_id == scope)
    if since is not None:
        query = query.where(TurnAway.occurred_at >= since)
    if until is not None:
        query = query.where(TurnAway.occurred_at < until)
    return list(session.scalars(query.limit(max(1, min(limit, MAX_LIST)))))


def municipality_choices(session: Session) -> list[Municipality]:
    """All municipalities, sorted by name the Swedish way (Å, Ä, Ö after Z)."""
    swedish = str.maketrans({"å": "{", "ä": "|", "ö": "}"})
    munis = session.scalars(select(Municipality))
    return sorted(munis, key=lambda m: m.name.casefold().translate(swedish))
