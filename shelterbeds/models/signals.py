"""Unmet-need signals: searches that found no suitable free unit. No free text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..domain.clock import utcnow
from ..domain.enums import SubstanceUse
from .types import UTCDateTime, str_enum


class UnmetNeedSignal(Base):
    """One search that found nothing: the household's shape and needs, the municipality, when."""

    __tablename__ = "unmet_need_signals"
    __table_args__ = (
        Index("ix_unmet_need_signals_created_at", "created_at"),
        Index("ix_unmet_need_signals_dedupe", "created_by_id", "profile_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # Who searched (a staff account, not a client) and a canonical key of the need profile:
    # together they keep repeated searches for one household from inflating the count.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    profile_key: Mapped[str] = mapped_column(String(200))
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.code"))
    adults: Mapped[int] = mapped_column()
    children: Mapped[int] = mapped_column()
    oldest_boy_age: Mapped[int | None] = mapped_column()
    wheelchair: Mapped[bool] = mapped_column(default=False)
    pets: Mapped[bool] = mapped_column(default=False)
    lgbtq: Mapped[bool] = mapped_column(default=False)
    substance_use: Mapped[SubstanceUse | None] = mapped_column(
        str_enum(SubstanceUse, "substance_use_need")
    )
    psychiatric: Mapped[bool] = mapped_column(default=False)
    men: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str | None] = mapped_column(String(3))
    # The need kinds present, denormalised for "unmet needs by kind" statistics.
    need_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
