"""Inbound SMS: opt-out keywords, and staff commands that update a shelter without a browser.

`LEDIG <unit>`, `UPPTAGEN <unit>` (label, or the number in it: "LEDIG 3" for "Rum 3") and
`OK` (still correct) from a registered staff phone. Each MessageSid is processed once: a
replayed webhook gets the stored reply and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain.enums import ChangeSource, Role, UnitStatus
from ..domain.errors import DomainError
from ..models import ProcessedInboundSms, Unit, User
from ..notifications import messages, optouts
from ..notifications.phones import to_e164
from . import units

# Twilio answers its own opt-out keywords itself (and blocks our reply to them).
TWILIO_STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
STOP_WORDS = {"STOPP", "AVSLUTA"} | TWILIO_STOP_WORDS
START_WORDS = {"START", "UNSTOP", "YES"}
STATUS_WORDS = {
    "LEDIG": UnitStatus.FREE,
    "FREE": UnitStatus.FREE,
    "UPPTAGEN": UnitStatus.OCCUPIED,
    "OCCUPIED": UnitStatus.OCCUPIED,
}
CONFIRM_WORDS = {"OK", "STÄMMER"}


@dataclass(frozen=True)
class InboundResult:
    reply: str | None
    duplicate: bool = False


def _staff_by_phone(session: Session, phone: str) -> User | None:
    return session.scalar(
        select(User).where(User.phone == phone, User.active, User.role == Role.SHELTER_STAFF)
    )


def find_unit(session: Session, shelter_id: int, ref: str) -> Unit | None:
    """A shelter's unit by label (any case) or by the number in its label; None if unclear."""
    candidates = list(
        session.scalars(
            select(Unit).where(Unit.shelter_id == shelter_id, Unit.retired_at.is_(None))
        )
    )
    ref = ref.strip()
    exact = [u for u in candidates if u.label.casefold() == ref.casefold()]
    if len(exact) == 1:
        return exact[0]
    if ref.isdigit():
        numbered = [u for u in candidates if re.findall(r"\d+", u.label) == [str(int(ref))]]
        if len(numbered) == 1:
            return numbered[0]
    return None


def _command(session: Session, user: User, text: str, now: datetime) -> str:
    locale = user.locale
    word, _sep, rest = text.partition(" ")
    word = word.upper()
    if word in CONFIRM_WORDS and not rest.strip():
        assert user.shelter_id is not None
        shelter = units.confirm_shelter(session, user, user.shelter_id, now)
        return messages.render("reply_confirmed", locale, shelter=shelter.name)
    if word in STATUS_WORDS and rest.strip():
        assert user.shelter_id is not None
        unit = find_unit(session, user.shelter_id, rest)
        if unit is None:
            problem = (
                f"Unknown unit '{rest.strip()[:20]}'."
                if locale == "en"
                else f"Okänt rum '{rest.strip()[:20]}'."
            )
            return messages.render("reply_help", locale, problem=problem)
        status = STATUS_WORDS[word]
        try:
            with session.begin_nested():
                units.set_unit_status(session, user, unit.id, status, now, source=ChangeSource.SMS)
        except DomainError as err:
            return messages.render("reply_help", locale, problem=err.detail[:80])
        return messages.render(
            "reply_unit_status", locale, unit=unit.label, free=status is UnitStatus.FREE
        )
    return messages.render("reply_help", locale, problem="")


def handle_inbound(
    session: Session, *, message_sid: str, from_phone: str, body: str, now: datetime
) -> InboundResult:
    """Process one inbound SMS once; return the reply text (None: reply nothing)."""
    seen = session.get(ProcessedInboundSms, message_sid)
    if seen is not None:
        return InboundResult(seen.reply, duplicate=True)
    marker = ProcessedInboundSms(message_sid=message_sid, processed_at=now)
    try:
        with session.begin_nested():
            session.add(marker)
    except IntegrityError:  # the same sid is being processed concurrently
        return InboundResult(None, duplicate=True)

    try:
        phone = to_e164(from_phone)
    except ValueError:
        phone = from_phone
    text = " ".join(body.split())
    word = text.upper()
    user = _staff_by_phone(session, phone)
    locale = user.locale if user else "sv"

    if word in STOP_WORDS:
        optouts.record_opt_out(session, phone, now, "keyword")
        reply = None if word in TWILIO_STOP_WORDS else messages.render("reply_opted_out", locale)
    elif word in START_WORDS:
        optouts.remove_opt_out(session, phone)
        reply = messages.render("reply_opted_in", locale)
    elif user is None:
        reply = messages.render("reply_unknown_sender", "sv")
    else:
        reply = _command(session, user, text, now)
    marker.reply = reply
    session.flush()
    return InboundResult(reply)
