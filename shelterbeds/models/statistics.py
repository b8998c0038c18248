"""Facts kept for the county statistics: confirmations history and monthly rollups.

`shelter_confirmations` keeps every "still correct" stamp (`shelters.confirmed_at` holds only
the latest), so reporting compliance can be computed for any period. `shelter_months`
holds the unit-nights, days reported and request outcomes of completed local months per
shelter: unit status history and confirmations are only written at "now", so a month that has
ended never changes, and a month's requests are final once none is pending; its figures can be
stored once and read instead of re-scanning the history (national
scale, see docs/STATISTICS.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..domain.clock import utcnow
from .types import UTCDateTime


class ShelterConfirmation(Base):
    """One "still correct" confirmation of a shelter's vacancies (by staff, web/API/SMS)."""

    __tablename__ = "shelter_confirmations"
    __table_args__ = (Index("ix_shelter_confirmations_shelter_at", "shelter_id", "confirmed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shelter_id: Mapped[int] = mapped_column(ForeignKey("shelters.id", ondelete="CASCADE"))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ShelterMonth(Base):
    """One shelter's figures for one completed local month (a rollup, recomputable)."""

    __tablename__ = "shelter_months"
    # A period's rows of every shelter in scope: by month first (the primary key leads with
    # the shelter, and scanning the table grows with the years stored).
    __table_args__ = (Index("ix_shelter_months_month_shelter", "month", "shelter_id"),)

    shelter_id: Mapped[int] = mapped_column(
        ForeignKey("shelters.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM, local
    unit_nights_open: Mapped[int] = mapped_column()
    unit_nights_occupied: Mapped[int] = mapped_column()
    nights_full: Mapped[int] = mapped_column()
    days_reported: Mapped[int] = mapped_column()
    # Requests made in the month, stored once none of them is pending any more (a request
    # leaves pending only once, so the month's outcomes are then final); NULL until then.
    requests: Mapped[int | None] = mapped_column()
    accepted: Mapped[int | None] = mapped_column()
    declined: Mapped[int | None] = mapped_column()
    withdrawn: Mapped[int | None] = mapped_column()
    expired: Mapped[int | None] = mapped_column()
    # Seconds from request to accept/decline of each decided request, ascending, packed as
    # little-endian 32-bit integers (statistics/request_cells.py): exact medians and
    # percentiles of any set of shelter-months can be merged, and reading them is a copy.
    decision_times: Mapped[bytes | None] = mapped_column(LargeBinary())
    # Turn-aways of the shelter-month (rows; distinct episodes within it), stored once no
    # refusal can be entered for the month any more (31 days after it ended); NULL until then.
    refusals: Mapped[int | None] = mapped_column()
    episodes: Mapped[int | None] = mapped_column()
    # NULL: the whole month is counted (it has ended). The running month's row counts its
    # unit-nights and days reported up to this instant (a local midnight) only; the rest is
    # computed live and the row is completed once the month has ended.
    counted_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
