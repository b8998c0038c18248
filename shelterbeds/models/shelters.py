"""Shelters, their units, and every unit status change (the basis of occupancy statistics)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base
from ..domain.clock import utcnow
from ..domain.enums import ChangeSource, LgbtqPolicy, SubstancePolicy, UnitStatus
from ..domain.matching import ShelterPolicy, UnitFacts
from .geo import Municipality
from .organisations import Organisation
from .types import UTCDateTime, str_enum


class Shelter(Base):
    """A shelter (kvinnohus / skyddat boende). Located by municipality only: no address."""

    __tablename__ = "shelters"
    __table_args__ = (
        CheckConstraint("max_boy_age IS NULL OR max_boy_age BETWEEN 0 AND 25", name="max_boy_age"),
        CheckConstraint("accepts_women OR accepts_men", name="accepts_someone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipalities.code"), index=True)
    intake_phone: Mapped[str | None] = mapped_column(String(20))
    # E.164 numbers that get an SMS on a new placement request (the on-call phone).
    on_call_phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    ivo_licence: Mapped[str | None] = mapped_column(String(40))
    ivo_licence_date: Mapped[date | None] = mapped_column(Date())

    accepts_women: Mapped[bool] = mapped_column(default=True)
    accepts_men: Mapped[bool] = mapped_column(default=False)
    lgbtq: Mapped[LgbtqPolicy] = mapped_column(
        str_enum(LgbtqPolicy, "lgbtq_policy"), default=LgbtqPolicy.NO
    )
    substance_use: Mapped[SubstancePolicy] = mapped_column(
        str_enum(SubstancePolicy, "substance_policy"), default=SubstancePolicy.NO
    )
    psychiatric: Mapped[bool] = mapped_column(default=False)
    pets: Mapped[bool] = mapped_column(default=False)
    max_boy_age: Mapped[int | None] = mapped_column()
    staffed_around_clock: Mapped[bool] = mapped_column(default=False)
    staffed_hours: Mapped[str | None] = mapped_column(String(80))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    nationwide: Mapped[bool] = mapped_column(default=True)
    # Demo data marks its assumptions; shown wherever the shelter is shown.
    assumptions: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(default=True)
    # Listed in the open directory export (HSDS); a shelter may opt out.
    open_data: Mapped[bool] = mapped_column(default=True, server_default=true())

    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    operator: Mapped[Organisation] = relationship()
    municipality: Mapped[Municipality] = relationship(lazy="joined")
    units: Mapped[list[Unit]] = relationship(
        back_populates="shelter", order_by="Unit.id", cascade="all, delete-orphan"
    )

    def policy(self) -> ShelterPolicy:
        """The policies as a domain value for matching."""
        return ShelterPolicy(
            accepts_women=self.accepts_women,
            accepts_men=self.accepts_men,
            lgbtq=self.lgbtq,
            substance_use=self.substance_use,
            psychiatric=self.psychiatric,
            pets=self.pets,
            max_boy_age=self.max_boy_age,
            staffed_around_clock=self.staffed_around_clock,
            languages=tuple(self.languages or ()),
            nationwide=self.nationwide,
            county_code=self.municipality.county_code,
        )


class Unit(Base):
    """One household's place: a room or an apartment."""

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("shelter_id", "label"),
        CheckConstraint("adult_beds >= 1 AND adult_beds <= 20", name="adult_beds"),
        CheckConstraint("child_beds >= 0 AND child_beds <= 20", name="child_beds"),
        Index("ix_units_shelter_status", "shelter_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shelter_id: Mapped[int] = mapped_column(ForeignKey("shelters.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(40))
    adult_beds: Mapped[int] = mapped_column(default=1)
    child_beds: Mapped[int] = mapped_column(default=0)
    wheelchair_accessible: Mapped[bool] = mapped_column(default=False)
    pets_allowed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[UnitStatus] = mapped_column(
        str_enum(UnitStatus, "unit_status"), default=UnitStatus.CLOSED
    )
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    shelter: Mapped[Shelter] = relationship(back_populates="units")

    def facts(self) -> UnitFacts:
        return UnitFacts(
            adult_beds=self.adult_beds,
            child_beds=self.child_beds,
            wheelchair_accessible=self.wheelchair_accessible,
            pets_allowed=self.pets_allowed,
        )


class UnitStatusChange(Base):
    """Append-only history of unit statuses: who, when, from, to."""

    __tablename__ = "unit_status_changes"
    __table_args__ = (
        Index("ix_unit_status_changes_unit_at", "unit_id", "changed_at"),
        Index("ix_unit_status_changes_changed_at", "changed_at"),  # statistics by period
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    from_status: Mapped[UnitStatus | None] = mapped_column(str_enum(UnitStatus, "from_status"))
    to_status: Mapped[UnitStatus] = mapped_column(str_enum(UnitStatus, "to_status"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    source: Mapped[ChangeSource] = mapped_column(str_enum(ChangeSource, "change_source"))
