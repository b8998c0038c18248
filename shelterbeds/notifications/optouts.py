"""Numbers that opted out of SMS (STOP, or Twilio error 21610): never sent to, shown in the UI."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import SmsOptOut


def is_opted_out(session: Session, phone: str) -> bool:
    return session.get(SmsOptOut, phone) is not None


def opted_out(session: Session, phones: Iterable[str]) -> set[str]:
    """Which of these numbers have opted out (for showing it in the UI)."""
    phones = list(phones)
    if not phones:
        return set()
    return set(session.scalars(select(SmsOptOut.phone).where(SmsOptOut.phone.in_(phones))))


def record_opt_out(session: Session, phone: str, now: datetime, source: str) -> None:
    if session.get(SmsOptOut, phone) is None:
        session.add(SmsOptOut(phone=phone, opted_out_at=now, source=source))
        session.flush()


def remove_opt_out(session: Session, phone: str) -> bool:
    row = session.get(SmsOptOut, phone)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
