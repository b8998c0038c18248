"""Detect Swedish personal identity numbers (personnummer/samordningsnummer) in free text.

Nothing that looks like one may be stored: case references and notes are checked with
`contains_personnummer` and rejected with a clear message.
"""

from __future__ import annotations

import re
from datetime import date

# 10 or 12 digits, optionally with a - or + separator before the last four.
_CANDIDATE = re.compile(r"(?<!\d)(\d{2})?(\d{2})(\d{2})(\d{2})[-+ ]?(\d{4})(?!\d)")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _valid_date(century: str | None, yy: str, mm: str, dd: str) -> bool:
    day = int(dd)
    if day > 60:  # samordningsnummer: day + 60
        day -= 60
    years = [int(century + yy)] if century else [1900 + int(yy), 2000 + int(yy)]
    for year in years:
        try:
            date(year, int(mm), day)
            return True
        except ValueError:
            continue
    return False


def contains_personnummer(text: str) -> bool:
    """True if any 10- or 12-digit run in `text` is a valid date with a valid check digit."""
    for m in _CANDIDATE.finditer(text or ""):
        century, yy, mm, dd, last4 = m.groups()
        if _valid_date(century, yy, mm, dd) and _luhn_ok(yy + mm + dd + last4):
            return True
    return False
