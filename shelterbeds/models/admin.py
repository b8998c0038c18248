"""Administration records: shelter profile history and one-time account activation links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base
from ..domain.clock import utcnow
from .people import User
from .types import UTCDateTime


class ShelterProfileChange(Base):
    """Append-only history of a shelter's profile: who changed which field, when, from, to."""

    __tablename__ = "shelter_profile_changes"
    __table_args__ = (Index("ix_shelter_profile_changes_shelter_at", "shelter_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shelter_id: Mapped[int] = mapped_column(ForeignKey("shelters.id", ondelete="CASCADE"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)

    changed_by: Mapped[User | None] = relationship(lazy="joined")


class ActivationToken(Base):
    """A one-time link to set a password; only the SHA-256 of the secret is stored."""

    __tablename__ = "activation_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined", foreign_keys=[user_id])
