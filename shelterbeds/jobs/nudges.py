"""Job: nudge shelters whose vacancies have gone stale, by SMS to their on-call phones."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, select

from ..domain.clock import local
from ..models import Shelter
from ..notifications import messages, outbox
from .context import JobContext

log = logging.getLogger("shelterbeds.jobs")


def _age_text(hours: int) -> str:
    return f"för {hours} h sedan" if hours < 48 else f"för {hours // 24} dygn sedan"


def nudge_stale_shelters(ctx: JobContext, slot: str) -> int:
    """At a configured local time: one SMS per stale shelter and on-call phone (idempotent).

    Stale means not confirmed for `ageing_hours` (the stale and unknown freshness states).
    The dedupe key names the shelter, phone, local date and slot, so a second run of the
    same slot queues nothing.
    """
    now = ctx.now()
    cutoff = now - timedelta(hours=ctx.settings.ageing_hours)
    day = local(now).date().isoformat()
    queued = 0
    with ctx.db.transaction() as session:
        shelters = session.scalars(
            select(Shelter)
            .where(
                Shelter.active,
                or_(Shelter.confirmed_at.is_(None), Shelter.confirmed_at < cutoff),
            )
            .order_by(Shelter.id)
        )
        for shelter in shelters:
            if shelter.confirmed_at is None:
                age = "aldrig"
            else:
                age = _age_text(int((now - shelter.confirmed_at).total_seconds() // 3600))
            body = messages.render("stale_nudge", "sv", shelter=shelter.name, age=age)
            for phone in dict.fromkeys(shelter.on_call_phones or []):
                row = outbox.enqueue(
                    session,
                    kind="stale_nudge",
                    to=phone,
                    body=body,
                    now=now,
                    dedupe_key=f"stale_nudge:{shelter.id}:{phone}:{day}T{slot}",
                )
                queued += row is not None
    log.info("stale-vacancy nudge %s: %d SMS queued", slot, queued)
    if queued:
        outbox_policy = outbox.OutboxPolicy.from_settings(ctx.settings)
        outbox.dispatch(ctx.db.new_session, ctx.sender, ctx.now, outbox_policy)
    return queued
