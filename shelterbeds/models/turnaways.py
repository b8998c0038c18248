"""Turn-aways (refusals for lack of space or suitability) and the episodes that group them.

Why a table of episodes rather than "episode_id = id of the first turn-away": an episode row
exists before any refusal points at it, so `turn_aways.episode_id` is NOT NULL and written in
the same INSERT (no self-referencing update, no NULL window for statistics to trip over); it
carries the anchor time the 72-hour window is measured from, which never moves even when
older refusals are entered later; and it is the natural place to add episode facts later.
Statistics count refusals as rows of `turn_aways` and episodes as distinct `episode_id`.

No free text and no client data: the case reference is kept only as a keyed hash.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base
from ..domain.clock import utcnow
from ..domain.enums import DeclineReason, TurnAwayChannel
from .geo import Municipality
from .types import UTCDateTime, str_enum


class TurnAwayEpisode(Base):
    """One household's search: its refusals within the episode window share this row.

    `episode_key` is the HMAC of municipality and case reference (NULL when no reference was
    given: such a refusal is an episode of its own). `started_at` is the anchor: when the
    refusal that opened the episode happened.
    """

    __tablename__ = "turnaway_episodes"
    __table_args__ = (Index("ix_turnaway_episodes_key_started", "episode_key", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_key: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TurnAway(Base):
    """One refusal by one shelter: who was refused (counts only), why, how, when, from where."""

    __tablename__ = "turn_aways"
    __table_args__ = (
        CheckConstraint("adults >= 1 AND adults <= 10", name="adults"),
        CheckConstraint("children >= 0 AND children <= 15", name="children"),
        # A refusal through a placement request points at it; a manual one does not.
        CheckConstraint(
            "(channel = 'request' AND request_id IS NOT NULL)"
            " OR (channel <> 'request' AND request_id IS NULL)",
            name="request_channel",
        ),
        Index("ix_turn_aways_shelter_occurred", "shelter_id", "occurred_at"),
        # Statistics by period; with the episode, a period's distinct episodes are counted
        # from the index alone (it replaces the index on occurred_at only).
        Index("ix_turn_aways_occurred_episode", "occurred_at", "episode_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shelter_id: Mapped[int] = mapped_column(ForeignKey("shelters.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    adults: Mapped[int] = mapped_column()
    children: Mapped[int] = mapped_column(default=0)
    reason: Mapped[DeclineReason] = mapped_column(str_enum(DeclineReason, "turnaway_reason"))
    channel: Mapped[TurnAwayChannel] = mapped_column(str_enum(TurnAwayChannel, "turnaway_channel"))
    municipality_code: Mapped[str | None] = mapped_column(
        ForeignKey("municipalities.code"), index=True
    )
    # The declined placement request. A plain integer on this branch: the requests table is
    # built elsewhere and the foreign key to requests.id is added when the two are merged.
    # Unique: one request is declined at most once, so it yields at most one turn-away.
    request_id: Mapped[int | None] = mapped_column(ForeignKey("placement_requests.id"), unique=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("turnaway_episodes.id"), index=True)
    episode_key: Mapped[str | None] = mapped_column(String(64))

    episode: Mapped[TurnAwayEpisode] = relationship()
    municipality: Mapped[Municipality | None] = relationship(lazy="joined")
