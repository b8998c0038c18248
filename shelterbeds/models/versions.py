"""One row of change counters that in-process caches compare against (services/versions.py)."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class CacheVersions(Base):
    """`search` grows with every unit, shelter or hold change; `auth` with every change to
    users, API tokens and organisations; `stats` with every write to what the statistics
    count (every table but sign-in, audit and SMS bookkeeping). Bumped in the writing
    transaction itself, so a cache on any web node that still holds an older number knows it
    is out of date."""

    __tablename__ = "cache_versions"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    search: Mapped[int] = mapped_column(BigInteger, default=0)
    auth: Mapped[int] = mapped_column(BigInteger, default=0)
    stats: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
