"""Placement requests (a hold on one unit) and idempotency keys for creating them.

No name, personnummer or address is stored: the household is its shape (adults; each
child's age and sex), the needs are codes, the case reference is the requester's own.

Why two active holds or placements on one unit cannot exist (PostgreSQL and SQLite):

1. Two pending requests on a unit: the partial unique index
   ``uq_placement_requests_unit_pending`` on ``unit_id WHERE status = 'pending'`` refuses
   the second row, whatever the code does.
2. Two active placements on a unit: ``uq_placements_unit_active`` on
   ``unit_id WHERE ended_at IS NULL`` (models/placements.py) refuses the second row.
3. A pending request and an active placement on one unit: a request is inserted only in
   the transaction whose conditional ``UPDATE units SET status='held' WHERE status='free'``
   changed one row; a placement is inserted only in the transaction whose conditional
   ``UPDATE units SET status='occupied' WHERE status='held'`` changed one row, together with
   the request's own conditional ``pending -> accepted``. Every way out of pending moves the
   unit out of ``held`` in the same transaction, and ending a placement moves it
   ``occupied -> free``. A unit has one status, so "held" (pending request) and "occupied
   by a placement" exclude each other; staff cannot set a unit with an active placement
   free (services.units.set_unit_status), nor touch a held unit. The conditional UPDATEs
   serialise on the unit row (PostgreSQL row lock, re-checked after the wait; SQLite's
   BEGIN IMMEDIATE write lock), so a loser sees the winner's status and gets a Conflict.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base
from ..domain.clock import utcnow
from ..domain.enums import Sex, SubstanceUse
from ..domain.matching import Child, Household, Needs
from ..domain.requests import DeclineReason, RequestStatus, Urgency
from .geo import Municipality
from .organisations import Organisation
from .people import User
from .shelters import Shelter, Unit
from .types import UTCDateTime, str_enum

_PENDING = text("status = 'pending'")


class PlacementRequest(Base):
    """A social worker's request for one unit; while pending, the unit is held."""

    __tablename__ = "placement_requests"
    __table_args__ = (
        Index(
            "uq_placement_requests_unit_pending",
            "unit_id",
            unique=True,
            postgresql_where=_PENDING,
            sqlite_where=_PENDING,
        ),
        Index("ix_placement_requests_status_expires", "status", "hold_expires_at"),
        Index("ix_placement_requests_shelter_created", "shelter_id", "created_at"),
        Index("ix_placement_requests_org_created", "organisation_id", "created_at"),
        Index("ix_placement_requests_created_at", "created_at"),  # statistics by period
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Short public code for SMS and links (no client data in an SMS).
    code: Mapped[str] = mapped_column(String(8), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    shelter_id: Mapped[int] = mapped_column(ForeignKey("shelters.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"), index=True)
    case_ref: Mapped[str] = mapped_column(String(40))

    adults: Mapped[int] = mapped_column()
    children: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    wheelchair: Mapped[bool] = mapped_column(default=False)
    pets: Mapped[bool] = mapped_column(default=False)
    lgbtq: Mapped[bool] = mapped_column(default=False)
    psychiatric: Mapped[bool] = mapped_column(default=False)
    men: Mapped[bool] = mapped_column(default=False)
    honour_related: Mapped[bool] = mapped_column(default=False)
    substance_use: Mapped[SubstanceUse | None] = mapped_column(
        str_enum(SubstanceUse, "request_substance_use")
    )
    language: Mapped[str | None] = mapped_column(String(3))

    urgency: Mapped[Urgency] = mapped_column(str_enum(Urgency, "urgency"))
    callback_phone: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(500))

    status: Mapped[RequestStatus] = mapped_column(
        str_enum(RequestStatus, "request_status"), default=RequestStatus.PENDING
    )
    hold_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decline_reason: Mapped[DeclineReason | None] = mapped_column(
        str_enum(DeclineReason, "decline_reason")
    )
    # Skyddade personuppgifter: only the named users (RequestAccess) may see it.
    protected_identity: Mapped[bool] = mapped_column(default=False)
    # Retention: case reference, note and phone removed by the clock (statistics unchanged).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship()
    shelter: Mapped[Shelter] = relationship()
    organisation: Mapped[Organisation] = relationship()
    municipality: Mapped[Municipality] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def household(self) -> Household:
        kids = tuple(Child(age=int(c["age"]), sex=Sex(c["sex"])) for c in self.children or ())
        return Household(adults=self.adults, children=kids)

    def needs(self) -> Needs:
        return Needs(
            wheelchair=self.wheelchair,
            pets=self.pets,
            lgbtq=self.lgbtq,
            substance_use=self.substance_use,
            psychiatric=self.psychiatric,
            men=self.men,
            language=self.language,
            honour_related=self.honour_related,
        )


class RequestAccess(Base):
    """A user named on a protected-identity request: only they (and no one else) see it."""

    __tablename__ = "request_access"
    __table_args__ = (UniqueConstraint("request_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("placement_requests.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IdempotencyKey(Base):
    """`Idempotency-Key` of a request creation: one per user and key, bound to one body."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("placement_requests.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
