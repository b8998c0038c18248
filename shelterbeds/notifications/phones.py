"""Phone numbers: parse to E.164 (Swedish national format accepted) and mask for logs."""

from __future__ import annotations

import phonenumbers


def to_e164(raw: str, region: str = "SE") -> str:
    """'070-123 45 67' or '+46701234567' -> '+46701234567'; ValueError if not a valid number."""
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(phone: str) -> str:
    """'+46701234567' -> '+46******567': enough to tell numbers apart in a log, no more."""
    if len(phone) <= 6:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 6) + phone[-3:]
