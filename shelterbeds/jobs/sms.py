"""Job: send the SMS outbox and reconcile sends whose outcome is unknown."""

from __future__ import annotations

from ..notifications.outbox import OutboxPolicy, dispatch, reconcile_unknown
from .context import JobContext

BATCH = 200  # claimed and sent per round; outcomes are recorded 100 at a time
MAX_BATCHES = 10  # bound one run (2,000 SMS); the next run continues


def send_outbox(ctx: JobContext) -> int:
    """Send everything due (in batches), then reconcile unknown outcomes; return sends tried."""
    policy = OutboxPolicy.from_settings(ctx.settings)
    total = 0
    for _ in range(MAX_BATCHES):
        n = dispatch(ctx.db.new_session, ctx.sender, ctx.now, policy, limit=BATCH)
        total += n
        if n < BATCH:
            break
    reconcile_unknown(ctx.db.new_session, ctx.sender, ctx.now, policy)
    return total
