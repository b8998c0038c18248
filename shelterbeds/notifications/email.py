"""Optional e-mail of activation links over SMTP (SHELTERBEDS_SMTP_URL); off when unset.

URL forms: `smtps://user:password@host:465` (TLS), `smtp://user:password@host:587` (STARTTLS,
required), `smtp+plain://host:25` (no TLS: only for a relay on the same machine).
The message holds only the link: never client data.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from flask import render_template
from flask_babel import force_locale

log = logging.getLogger(__name__)
SCHEMES = ("smtp", "smtps", "smtp+plain")


class EmailSender(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


@dataclass(frozen=True)
class SmtpSender:
    """Send one message per connection (activation links are rare)."""

    url: str
    sender: str
    timeout: float = 10.0

    def send(self, to: str, subject: str, body: str) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ValueError("SHELTERBEDS_SMTP_URL must be smtp://, smtps:// or smtp+plain://")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if parts.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(
                parts.hostname, parts.port or 465, timeout=self.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(parts.hostname, parts.port or 587, timeout=self.timeout)
        with smtp:
            if parts.scheme == "smtp":
                smtp.starttls(context=context)  # raises if the server does not offer it
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            smtp.send_message(message)


def sender_for(smtp_url: str, smtp_from: str) -> EmailSender | None:
    """The configured sender, or None when e-mail is off."""
    return SmtpSender(smtp_url, smtp_from) if smtp_url else None


def send_activation_link(
    sender: EmailSender | None, to: str, url: str, expires: datetime, locale: str
) -> bool:
    """E-mail an activation link after commit; True if sent. Failures are logged, not raised:
    the administrator still has the link to hand over."""
    if sender is None:
        return False
    with force_locale(locale):
        subject = render_template("email/activation_subject.txt").strip()
        body = render_template("email/activation.txt", url=url, expires=expires)
    try:
        sender.send(to, subject, body)
    except (OSError, smtplib.SMTPException, ValueError):
        log.exception("activation e-mail to account %s could not be sent", to.split("@")[-1])
        return False
    return True


def mail_activation(settings: Any, to: str, locale: str, url: str, expires: datetime) -> bool:
    """E-mail an activation link if the settings turn e-mail on; True if sent."""
    sender = sender_for(settings.smtp_url, settings.smtp_from)
    return send_activation_link(sender, to, url, expires, locale)
