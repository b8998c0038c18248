"""SMS: the outbox, opt-outs, processed inbound messages, and alert subscriptions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base
from ..domain.clock import utcnow
from .organisations import Organisation
from .people import User
from .shelters import Shelter
from .types import UTCDateTime, str_enum


class OutboxStatus(StrEnum):
    """queued → sending → sent → delivered, or failed / undeliverable.

    `unknown`: the provider did not answer (timeout, 5xx); the message may or may not have
    gone out. It is reconciled, never blindly re-sent (see notifications/outbox.py).
    """

    QUEUED = "queued"
    SENDING = "sending"
    UNKNOWN = "unknown"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNDELIVERABLE = "undeliverable"


class OutboxMessage(Base):
    """One intended SMS, written in the same transaction as the event that causes it."""

    __tablename__ = "sms_outbox"
    __table_args__ = (
        Index("ix_sms_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_sms_outbox_subscription_unit", "subscription_id", "unit_id", "created_at"),
        CheckConstraint("attempts >= 0", name="attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    to_phone: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(String(640))
    # Seconds Twilio may keep trying to deliver; None: the provider's default.
    validity_seconds: Mapped[int | None] = mapped_column()
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set before each send attempt (the idempotent marker): the status callback URL carries
    # it, so a callback for an attempt whose answer we never saw still identifies the row.
    attempt_token: Mapped[str | None] = mapped_column(String(32), unique=True)
    attempt_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(20))
    error_message: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # One message per (key) — e.g. one stale nudge per shelter, phone and nudge slot.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    # For vacancy alerts: the 30-minute no-repeat rule looks these up.
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("sms_subscriptions.id", ondelete="SET NULL")
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))


class SmsOptOut(Base):
    """A number that replied STOP (or Twilio reported 21610): nothing is sent to it."""

    __tablename__ = "sms_opt_outs"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(20))  # "keyword" or "provider_21610"


class ProcessedInboundSms(Base):
    """Each inbound MessageSid is processed once; Twilio retries must change nothing."""

    __tablename__ = "sms_inbound_processed"

    message_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The reply we gave, so a replayed webhook gets the same answer without reprocessing.
    reply: Mapped[str | None] = mapped_column(String(640))


class Subscription(Base):
    """A saved need profile: when a matching unit becomes free, this phone gets one SMS."""

    __tablename__ = "sms_subscriptions"
    __table_args__ = (
        CheckConstraint(
            "(active_from IS NULL) = (active_to IS NULL)", name="active_hours_both_or_neither"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    shelter_id: Mapped[int | None] = mapped_column(
        ForeignKey("shelters.id", ondelete="CASCADE"), index=True
    )
    phone: Mapped[str] = mapped_column(String(20))
    # As in a request: {"adults": 1, "children": [{"age": 4, "sex": "f"}]}.
    household: Mapped[dict[str, Any]] = mapped_column(JSON)
    # As in a request: {"wheelchair": true, "substance_use": "detoxified", ...}.
    needs: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Local Europe/Stockholm "HH:MM"; may wrap midnight; both NULL: always.
    active_from: Mapped[str | None] = mapped_column(String(5))
    active_to: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owner: Mapped[User] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship()
    shelter: Mapped[Shelter | None] = relationship()
