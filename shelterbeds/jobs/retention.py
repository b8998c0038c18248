"""The retention job: anonymise requests and placements past the retention period."""

from __future__ import annotations

from ..services import retention
from .context import JobContext


def anonymise_expired(ctx: JobContext) -> int:
    """Remove case details older than SHELTERBEDS_RETENTION_MONTHS (daily; idempotent)."""
    with ctx.db.transaction() as session:
        return retention.anonymise_expired(session, ctx.now(), ctx.settings.retention_months)
