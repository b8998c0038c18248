"""Detect Swedish personal identity numbers (personnummer/samordningsnummer) in free text.

One detector for every guard: schemas reject free text that contains one (API and web
alike), the logging filter scrubs them from log lines, SMS bodies are checked before they
are queued. Nothing that looks like one may be stored.

What counts as a candidate, after normalisation:
- 10 digits (YYMMDDNNNN) or 12 digits (CCYYMMDDNNNN), with a valid date (a samordningsnummer
  adds 60 to the day) and a valid Luhn check digit over the last 10;
- any Unicode decimal digit (Arabic-Indic, full-width, ...) counts as its digit;
- invisible characters (Unicode format characters: zero-width space, soft hyphen, word
  joiner, BOM, ...) are ignored wherever they stand;
- digits may be separated by short runs (at most 3 characters) of separators: any dash
  (hyphen, en/em dash, minus sign, ...), plus, space (any Unicode space), dot or slash, so
  `850101–1236`, `850101 - 1236`, `850101.1236`, `85 01 01 12 36` and `8 5 0 1 0 1 1 2 3 6`
  are all found.
A candidate inside a longer number must start and end at a separator or at the end of the
number: `850101-1236` inside `Rum 3 850101-1236` is found, inside the unbroken digits
`12345850101123699` it is not (that is some other number).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

_MAX_SEPARATOR_RUN = 3
_EXTRA_DASHES = {"\u2212", "\u2796", "\ufe63", "\uff0d"}  # minus signs not in category Pd
_SEPARATORS = {"+", ".", "/", "\uff0b", "\uff0e", "\uff0f"}
REDACTED = "[personnummer]"


@dataclass(frozen=True)
class _Digit:
    value: str  # the ASCII digit
    index: int  # position in the original text
    group_start: bool  # preceded by a separator (or the start of the number)


def _digit(ch: str) -> str | None:
    if ch.isdecimal():
        return str(unicodedata.decimal(ch, 0))
    return None


def _is_invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf"


def _is_separator(ch: str) -> bool:
    return (
        ch.isspace()
        or ch in _SEPARATORS
        or ch in _EXTRA_DASHES
        or unicodedata.category(ch) in ("Pd", "Zs")
    )


def _numbers(text: str) -> list[list[_Digit]]:
    """Split text into numbers: digits joined by short separator runs, invisibles ignored."""
    numbers: list[list[_Digit]] = []
    current: list[_Digit] = []
    separators = 0  # separator characters since the last digit
    for i, ch in enumerate(text):
        value = _digit(ch)
        if value is not None:
            current.append(_Digit(value, i, group_start=not current or separators > 0))
            separators = 0
        elif _is_invisible(ch):
            continue
        elif _is_separator(ch) and current and separators < _MAX_SEPARATOR_RUN:
            separators += 1
        else:
            if current:
                numbers.append(current)
            current, separators = [], 0
    if current:
        numbers.append(current)
    return numbers


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


def _is_personnummer(digits: str) -> bool:
    century = digits[:2] if len(digits) == 12 else None
    tail = digits[-10:]
    return _valid_date(century, tail[0:2], tail[2:4], tail[4:6]) and _luhn_ok(tail)


def find_personnummer(text: str | None) -> list[tuple[int, int]]:
    """Spans (start, end) in `text` of everything that is a personnummer or samordningsnummer."""
    spans: list[tuple[int, int]] = []
    for number in _numbers(text or ""):
        n = len(number)
        for start in range(n):
            if not number[start].group_start:
                continue
            for length in (12, 10):
                end = start + length
                if end > n or (end < n and not number[end].group_start):
                    continue
                digits = "".join(d.value for d in number[start:end])
                if _is_personnummer(digits):
                    spans.append((number[start].index, number[end - 1].index + 1))
                    break
    return spans


def contains_personnummer(text: str | None) -> bool:
    """True if `text` holds anything that is a personnummer or samordningsnummer."""
    return bool(find_personnummer(text))


def scrub(text: str) -> str:
    """`text` with every personnummer replaced by a marker (for log lines)."""
    spans = find_personnummer(text)
    if not spans:
        return text
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:  # overlapping candidates: extend the one already redacted
            last = max(end, last)
            continue
        out.append(text[last:start])
        out.append(REDACTED)
        last = end
    out.append(text[last:])
    return "".join(out)
