"""The SMS sender Protocol and the console and recording senders; `make_sender` picks one.

A sender either returns the provider's message id or raises one of three errors, which the
outbox treats differently:

- `PermanentFailure`: the provider refused this message (bad number, opted out). Not retried.
- `TemporaryFailure`: the provider certainly did not create it (429 rate limit). Retried.
- `OutcomeUnknown`: no usable answer (timeout, connection reset, 5xx). The message may have
  gone out; the outbox reconciles with `find_sent` instead of sending again.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from ..domain.clock import utcnow
from .phones import mask

if TYPE_CHECKING:
    from ..config import Settings

log = logging.getLogger("shelterbeds.sms")

OPTED_OUT_CODE = "21610"  # Twilio: the recipient replied STOP


@dataclass(frozen=True)
class OutgoingSms:
    to: str
    body: str
    # The status callback URL for this attempt (carries the outbox id and attempt token).
    status_callback: str | None = None
    validity_seconds: int | None = None


class SendError(Exception):
    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PermanentFailure(SendError):
    """The provider refused the message; sending it again would fail again."""


class TemporaryFailure(SendError):
    """The provider did not create the message, but may accept it later."""


class OutcomeUnknown(SendError):
    """We do not know whether the provider created the message."""


class SmsSender(Protocol):
    """What the outbox needs from a provider."""

    def send(self, message: OutgoingSms) -> str:
        """Send; return the provider's message id or raise a SendError."""
        ...

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        """The id of a message with this body sent to `to` since `since`, if any.

        Raises OutcomeUnknown when the provider cannot be asked right now.
        """
        ...


class ConsoleSender:
    """Development: log that a message would go out, with the number masked."""

    def send(self, message: OutgoingSms) -> str:
        sid = "CONSOLE" + uuid.uuid4().hex[:24]
        # The body is safe to log: SMS bodies never carry client data or addresses.
        log.info("SMS to %s (%d chars): %s", mask(message.to), len(message.body), message.body)
        print(f"[sms] to {mask(message.to)}: {message.body}", flush=True)
        return sid

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        return None  # nothing was really sent, so there is nothing to find


@dataclass
class RecordedSms:
    sid: str
    to: str
    body: str
    sent_at: datetime
    status_callback: str | None
    validity_seconds: int | None


@dataclass
class RecordingSender:
    """Tests: keep sent messages in memory, inspectable as `.sent`."""

    sent: list[RecordedSms] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, message: OutgoingSms) -> str:
        sid = "SM" + uuid.uuid4().hex
        with self._lock:
            self.sent.append(
                RecordedSms(
                    sid,
                    message.to,
                    message.body,
                    utcnow(),
                    message.status_callback,
                    message.validity_seconds,
                )
            )
        return sid

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        with self._lock:
            for sms in self.sent:
                if sms.to == to and sms.body == body and sms.sent_at >= since:
                    return sms.sid
        return None

    def to(self, phone: str) -> list[RecordedSms]:
        with self._lock:
            return [m for m in self.sent if m.to == phone]


def make_sender(settings: Settings) -> SmsSender:
    """The sender chosen by SHELTERBEDS_SMS_BACKEND."""
    if settings.sms_backend == "twilio":
        from .twilio_sender import TwilioSender

        return TwilioSender.from_settings(settings)
    if settings.sms_backend == "recording":
        return RecordingSender()
    return ConsoleSender()
