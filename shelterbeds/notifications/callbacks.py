"""Twilio delivery reports: move an outbox row forward only, so replays change nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import OutboxMessage, OutboxStatus
from .optouts import record_opt_out
from .senders import OPTED_OUT_CODE

FINAL = (OutboxStatus.DELIVERED, OutboxStatus.FAILED, OutboxStatus.UNDELIVERABLE)
# Forward-only order for status callbacks (equal rank: no move).
RANK = {
    OutboxStatus.QUEUED: 0,
    OutboxStatus.SENDING: 1,
    OutboxStatus.UNKNOWN: 1,
    OutboxStatus.SENT: 2,
    OutboxStatus.DELIVERED: 3,
    OutboxStatus.FAILED: 3,
    OutboxStatus.UNDELIVERABLE: 3,
}

# Twilio MessageStatus values -> ours (statuses before "sent" do not move anything).
_CALLBACK_STATUS = {
    "sent": OutboxStatus.SENT,
    "delivered": OutboxStatus.DELIVERED,
    "undelivered": OutboxStatus.FAILED,
    "failed": OutboxStatus.FAILED,
}


def apply_status_callback(
    session: Session,
    *,
    message_sid: str,
    message_status: str,
    error_code: str | None,
    now: datetime,
    outbox_id: int | None = None,
    token: str | None = None,
) -> OutboxMessage | None:
    """Move a row forward on a delivery report; replays and out-of-order reports do nothing."""
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.provider_id == message_sid))
    if row is None and outbox_id is not None and token:
        row = session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.id == outbox_id, OutboxMessage.attempt_token == token
            )
        )
    if row is None:
        return None
    new = _CALLBACK_STATUS.get(message_status.lower())
    if new is OutboxStatus.FAILED and error_code == OPTED_OUT_CODE:
        new = OutboxStatus.UNDELIVERABLE
        record_opt_out(session, row.to_phone, now, "provider_21610")
    if row.provider_id is None:
        # The callback proves the provider created it, though our attempt saw no answer.
        row.provider_id = message_sid
        row.sent_at = row.sent_at or now
        if new is None and RANK[row.status] < RANK[OutboxStatus.SENT]:
            new = OutboxStatus.SENT
    if new is not None and RANK[new] > RANK[row.status]:
        row.status = new
        if new in FINAL:
            row.finished_at = now
            if error_code:
                row.error_code = error_code
    session.flush()
    return row
