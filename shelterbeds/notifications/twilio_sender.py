"""Everything that touches the `twilio` package: sending, looking up, signatures, TwiML.

This is the only module that imports twilio. Tests pass a fake `http_client` (a subclass of
`twilio.http.HttpClient`) so the real client code runs without the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from twilio.base.exceptions import TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from ..domain.clock import as_utc
from .senders import OutcomeUnknown, OutgoingSms, PermanentFailure, TemporaryFailure

if TYPE_CHECKING:
    from ..config import Settings

# How many recent messages to a number we read when reconciling an unknown send.
RECONCILE_PAGE = 50


@dataclass
class TwilioSender:
    """Send through Twilio's REST API with a bounded timeout."""

    client: Client
    from_number: str = ""
    messaging_service_sid: str = ""

    @classmethod
    def from_settings(
        cls, settings: Settings, http_client: HttpClient | None = None
    ) -> TwilioSender:
        if not (settings.twilio_from or settings.twilio_messaging_service_sid):
            raise ValueError("set TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID")
        http_client = http_client or TwilioHttpClient(timeout=settings.sms_timeout_seconds)
        client = Client(
            settings.twilio_account_sid, settings.twilio_auth_token, http_client=http_client
        )
        return cls(client, settings.twilio_from, settings.twilio_messaging_service_sid)

    def send(self, message: OutgoingSms) -> str:
        kwargs: dict[str, object] = {"to": message.to, "body": message.body}
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = self.from_number
        if message.status_callback:
            kwargs["status_callback"] = message.status_callback
        if message.validity_seconds:
            kwargs["validity_period"] = message.validity_seconds
        try:
            created = self.client.messages.create(**kwargs)  # type: ignore[arg-type]
        except TwilioRestException as exc:
            code = str(exc.code) if exc.code is not None else None
            text = (exc.msg or "")[:300]
            if exc.status == 429:
                raise TemporaryFailure(text or "rate limited", code) from exc
            if exc.status >= 500:
                # The request may have been processed before the error: reconcile.
                raise OutcomeUnknown(text or f"HTTP {exc.status}", code) from exc
            raise PermanentFailure(text or f"HTTP {exc.status}", code) from exc
        except Exception as exc:  # timeout, connection reset, malformed answer
            raise OutcomeUnknown(f"{type(exc).__name__}: {exc}"[:300]) from exc
        return str(created.sid)

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        try:
            recent = self.client.messages.list(to=to, limit=RECONCILE_PAGE)
        except Exception as exc:
            raise OutcomeUnknown(f"lookup failed: {type(exc).__name__}") from exc
        since = as_utc(since)
        for msg in recent:
            created = msg.date_created
            if msg.body == body and created is not None and as_utc(created) >= since:
                return str(msg.sid)
        return None


def signature_is_valid(
    auth_token: str, url: str, params: Mapping[str, str], signature: str | None
) -> bool:
    """Check `X-Twilio-Signature` for a form POST to `url` (the public URL Twilio called)."""
    if not auth_token or not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(params), signature))


def twiml_reply(text: str | None) -> str:
    """A TwiML answer with one reply message, or none."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)
