"""Organisations: social services, socialjour, shelter operators, the county."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base
from ..domain.clock import utcnow
from ..domain.enums import OrganisationKind
from .geo import County, Municipality
from .types import UTCDateTime, str_enum

organisation_municipalities = Table(
    "organisation_municipalities",
    Base.metadata,
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    Column("municipality_code", ForeignKey("municipalities.code"), primary_key=True),
)


class Organisation(Base):
    """A tenant. Social services organisations cover one or more municipalities."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind, "organisation_kind"))
    county_code: Mapped[str | None] = mapped_column(ForeignKey("counties.code"), index=True)
    # E.164 number for SMS to the organisation (e.g. review reminders).
    phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    county: Mapped[County | None] = relationship()
    municipalities: Mapped[list[Municipality]] = relationship(
        secondary=organisation_municipalities, order_by=Municipality.code
    )

    @property
    def municipality_codes(self) -> list[str]:
        return [m.code for m in self.municipalities]
