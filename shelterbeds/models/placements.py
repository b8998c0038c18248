"""Placements: an accepted request, followed up until it ends with a coded reason.

At most one active placement per unit: the partial unique index
``uq_placements_unit_active`` (``unit_id WHERE ended_at IS NULL``), on PostgreSQL and
SQLite. Why a placement and a pending hold cannot coexist: see models/requests.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base
from ..domain.requests import EndReason
from .geo import Municipality
from .organisations import Organisation
from .people import User
from .requests import PlacementRequest
from .shelters import Shelter, Unit
from .types import UTCDateTime, str_enum

_ACTIVE = text("ended_at IS NULL")


class Placement(Base):
    """A household placed in a unit, paid for and followed up by the placing organisation."""

    __tablename__ = "placements"
    __table_args__ = (
        Index(
            "uq_placements_unit_active",
            "unit_id",
            unique=True,
            postgresql_where=_ACTIVE,
            sqlite_where=_ACTIVE,
        ),
        Index("ix_placements_shelter_started", "shelter_id", "started_at"),
        Index("ix_placements_org_started", "organisation_id", "started_at"),
        Index("ix_placements_ended_at", "ended_at"),  # length of stay by period
        CheckConstraint(
            "(ended_at IS NULL AND end_reason IS NULL) OR "
            "(ended_at IS NOT NULL AND end_reason IS NOT NULL)",
            name="ended_with_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("placement_requests.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    shelter_id: Mapped[int] = mapped_column(ForeignKey("shelters.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[EndReason | None] = mapped_column(str_enum(EndReason, "end_reason"))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    request: Mapped[PlacementRequest] = relationship()
    unit: Mapped[Unit] = relationship()
    shelter: Mapped[Shelter] = relationship()
    organisation: Mapped[Organisation] = relationship()
    municipality: Mapped[Municipality] = relationship()
    ended_by: Mapped[User | None] = relationship()

    @property
    def active(self) -> bool:
        return self.ended_at is None
