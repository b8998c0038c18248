"""Job: store the statistics rollups (ended months, the running month to last midnight)."""

from __future__ import annotations

import logging

from ..services.stats_rollup import roll_up_months
from .context import JobContext

log = logging.getLogger("shelterbeds.jobs")


def roll_up_statistics(ctx: JobContext) -> int:
    """Compute and store the missing months (idempotent; a missed night catches up)."""
    with ctx.db.transaction() as session:
        written = roll_up_months(session, ctx.now())
    if written:
        log.info("statistics: %d shelter-month rows stored", written)
    return written
