"""Inbound SMS: opt-out keywords, and staff commands that update a shelter without a browser.

`LEDIG <unit>`, `UPPTAGEN <unit>` (label, or the number in it: "LEDIG 3" for "Rum 3") and
`OK` (still correct) from a staff member's registered phone or from one of the shelter's
on-call phones (a shared phone that belongs to the shelter, not to a person). Each
MessageSid is processed once: a replayed webhook gets the stored reply and changes nothing.
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
from ..models import ProcessedInboundSms, Shelter, ShelterConfirmation, Unit, User
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


@dataclass(frozen=True)
class Sender:
    """Who texted: a staff member (`user`) or a shelter's on-call phone (`user` None)."""

    shelter_id: int
    user: User | None
    locale: str


def _sender(session: Session, phone: str) -> Sender | None:
    """The staff member with this phone, else the one shelter that lists it as on-call."""
    user = session.scalar(
        select(User).where(User.phone == phone, User.active, User.role == Role.SHELTER_STAFF)
    )
    if user is not None and user.shelter_id is not None:
        return Sender(user.shelter_id, user, user.locale)
    # On-call lists are small JSON arrays; a few hundred shelters nationally, so filtering
    # here is cheaper than a JSON containment query that differs between the two engines.
    rows = session.execute(select(Shelter.id, Shelter.on_call_phones).where(Shelter.active)).all()
    shelters = [shelter_id for shelter_id, phones in rows if phone in (phones or [])]
    if len(shelters) == 1:  # a number on two shelters' lists cannot say which one it means
        return Sender(shelters[0], None, "sv")
    return None


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


def _command(session: Session, sender: Sender, text: str, now: datetime) -> str:
    locale = sender.locale
    word, _sep, rest = text.partition(" ")
    word = word.upper()
    if word in CONFIRM_WORDS and not rest.strip():
        shelter = units.get_shelter(session, sender.shelter_id)
        shelter.confirmed_at = now
        session.add(ShelterConfirmation(shelter_id=shelter.id, confirmed_at=now))
        session.flush()
        return messages.render("reply_confirmed", locale, shelter=shelter.name)
    if word in STATUS_WORDS and rest.strip():
        unit = find_unit(session, sender.shelter_id, rest)
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
                units.apply_staff_status(
                    session, unit, status, now, actor=sender.user, source=ChangeSource.SMS
                )
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
    sender = _sender(session, phone)
    locale = sender.locale if sender else "sv"

    if word in STOP_WORDS:
        optouts.record_opt_out(session, phone, now, "keyword")
        reply = None if word in TWILIO_STOP_WORDS else messages.render("reply_opted_out", locale)
    elif word in START_WORDS:
        optouts.remove_opt_out(session, phone)
        reply = messages.render("reply_opted_in", locale)
    elif sender is None:
        reply = messages.render("reply_unknown_sender", "sv")
    else:
        reply = _command(session, sender, text, now)
    marker.reply = reply
    session.flush()
    return InboundResult(reply)
