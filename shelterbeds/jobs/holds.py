"""Clock job: release holds whose time is up (idempotent, one transaction per run)."""

from __future__ import annotations

from datetime import datetime

from ..db import Database
from ..domain.clock import utcnow
from ..services import requests


def expire_holds(database: Database, now: datetime | None = None) -> int:
    """Expire every pending request past `hold_expires_at` and free its unit; the count."""
    with database.transaction() as session:
        return requests.expire_holds(session, now or utcnow())
