"""Entry points that queue the SMS for request and placement events; they take plain values.

The request services call these inside their own transaction, so the SMS is queued if and
only if the event commits. Each renders a `templates/sms/*.txt` message (no address, no
client data: a short code and a link) and writes outbox rows; the web layer sends them
right after the commit and the clock retries. Numbers that opted out are skipped at send
time (marked undeliverable), so callers need not check.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.clock import local
from ..models import Organisation, OutboxMessage, Shelter, User
from . import messages, outbox

# Time-critical alerts are worthless late: Twilio drops them if undelivered by then.
URGENT_VALIDITY_SECONDS = 900


def locales_for_phones(session: Session, phones: list[str]) -> dict[str, str]:
    """Each number's SMS language, in one query: English if it is the phone of a user who
    chose English, Swedish otherwise."""
    english = set(
        session.scalars(select(User.phone).where(User.phone.in_(phones), User.locale == "en"))
    )
    return {phone: "en" if phone in english else "sv" for phone in phones}


def queue_new_request(
    session: Session,
    *,
    shelter: Shelter,
    request_code: str,
    now: datetime,
    hold_minutes: int = 60,
    validity_seconds: int | None = URGENT_VALIDITY_SECONDS,
) -> list[OutboxMessage]:
    """Tell the shelter's on-call phones about a new placement request."""
    return _to_on_call_phones(
        session,
        shelter,
        "new_request",
        request_code,
        now,
        validity_seconds,
        code=request_code,
        shelter=shelter.name,
        minutes=hold_minutes,
    )


def queue_request_withdrawn(
    session: Session, *, shelter: Shelter, request_code: str, now: datetime
) -> list[OutboxMessage]:
    """Tell the shelter's on-call phones that a request they were told about is withdrawn."""
    return _to_on_call_phones(
        session,
        shelter,
        "request_withdrawn",
        request_code,
        now,
        URGENT_VALIDITY_SECONDS,
        code=request_code,
        shelter=shelter.name,
    )


def queue_placement_ended(
    session: Session,
    *,
    shelter: Shelter,
    request_code: str,
    now: datetime,
    callback_phone: str | None = None,
    locale: str | None = None,
) -> list[OutboxMessage]:
    """Tell the other party that a placement ended: the requester's callback phone when the
    shelter ended it, else the shelter's on-call phones (its unit is free again)."""
    if callback_phone is None:
        return _to_on_call_phones(
            session, shelter, "placement_ended", request_code, now, None,
            code=request_code, shelter=shelter.name,
        )  # fmt: skip
    body = messages.render("placement_ended", locale, code=request_code, shelter=shelter.name)
    row = outbox.enqueue(
        session,
        kind="placement_ended",
        to=callback_phone,
        body=body,
        now=now,
        dedupe_key=f"placement_ended:{request_code}:{callback_phone}",
    )
    return [row] if row is not None else []


def _to_on_call_phones(
    session: Session,
    shelter: Shelter,
    kind: str,
    request_code: str,
    now: datetime,
    validity_seconds: int | None,
    /,
    **context: Any,
) -> list[OutboxMessage]:
    """One message of `kind` per on-call phone, each in its owner's language, once per request."""
    phones = list(dict.fromkeys(shelter.on_call_phones or []))
    if not phones:
        return []
    locales = locales_for_phones(session, phones)
    queued = []
    for phone in phones:
        body = messages.render(kind, locales[phone], **context)
        row = outbox.enqueue(
            session,
            kind=kind,
            to=phone,
            body=body,
            now=now,
            validity_seconds=validity_seconds,
            dedupe_key=f"{kind}:{request_code}:{phone}",
        )
        if row is not None:
            queued.append(row)
    return queued


def queue_request_decided(
    session: Session,
    *,
    phone: str,
    locale: str | None,
    request_code: str,
    outcome: str,
    now: datetime,
    validity_seconds: int | None = URGENT_VALIDITY_SECONDS,
) -> OutboxMessage | None:
    """Tell the requester's callback phone that the request was accepted or declined."""
    if outcome not in ("accepted", "declined"):
        raise ValueError(f"outcome must be accepted or declined, not {outcome!r}")
    body = messages.render("request_decided", locale, code=request_code, outcome=outcome)
    return outbox.enqueue(
        session,
        kind="request_decided",
        to=phone,
        body=body,
        now=now,
        validity_seconds=validity_seconds,
        dedupe_key=f"request_decided:{request_code}",
    )


def queue_request_expired(
    session: Session, *, phone: str, locale: str | None, request_code: str, now: datetime
) -> OutboxMessage | None:
    """Tell the requester's callback phone that the hold ran out unanswered."""
    body = messages.render("request_expired", locale, code=request_code)
    return outbox.enqueue(
        session,
        kind="request_expired",
        to=phone,
        body=body,
        now=now,
        validity_seconds=URGENT_VALIDITY_SECONDS,
        dedupe_key=f"request_expired:{request_code}",
    )


def queue_hold_half_passed(
    session: Session,
    *,
    shelter: Shelter,
    request_code: str,
    hold_expires_at: datetime,
    now: datetime,
) -> list[OutboxMessage]:
    """Remind the shelter's on-call phones when half the hold has passed unanswered."""
    expires = local(hold_expires_at).strftime("%H:%M")
    return _to_on_call_phones(
        session,
        shelter,
        "hold_half_passed",
        request_code,
        now,
        URGENT_VALIDITY_SECONDS,
        code=request_code,
        expires=expires,
    )


def queue_review_due(
    session: Session,
    *,
    organisation: Organisation,
    placement_code: str,
    due_date: date,
    now: datetime,
) -> OutboxMessage | None:
    """Remind the placing organisation's phone that a placement review is due.

    One per placement and due date, so a reminder job may run as often as it likes.
    None if the organisation has no phone or was already reminded.
    """
    if not organisation.phone:
        return None
    body = messages.render("review_due", "sv", code=placement_code, due=due_date.isoformat())
    return outbox.enqueue(
        session,
        kind="review_due",
        to=organisation.phone,
        body=body,
        now=now,
        dedupe_key=f"review_due:{placement_code}:{due_date.isoformat()}",
    )
