"""Turn-away rules: case-reference hashing, episode windows, when a refusal may have happened.

Pure functions (stdlib only). The case reference a social worker gives is never stored: it is
normalised and turned into a keyed hash (HMAC-SHA256) together with the municipality code, so
refusals of the same household can be grouped into one episode without keeping the reference.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .clock import STOCKHOLM
from .errors import Invalid

# A refusal may be entered a little "in the future" because clocks on phones drift.
FUTURE_TOLERANCE = timedelta(minutes=5)
# Older refusals are not entered by hand: statistics for a month close soon after it ends.
MAX_AGE = timedelta(days=31)

# Dashes people type or paste (hyphen-minus, hyphen, non-breaking hyphen, figure dash,
# en dash, em dash, minus sign) are one and the same in a case reference.
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class EpisodePolicy:
    """How refusals are grouped into episodes: the HMAC key and the window (from settings)."""

    secret: str
    hours: int


def normalise_case_ref(raw: str) -> str:
    """The form of a case reference that is hashed: NFKC, casefolded, no whitespace, one dash.

    "ÄR 2026-0042", "är2026–0042" and " Är 2026 - 0042 " are the same reference; other
    punctuation is kept, because "12/3" and "1/23" are different cases.
    """
    text = unicodedata.normalize("NFKC", raw or "").translate(_DASHES).casefold()
    return _WHITESPACE.sub("", text)


def household_key(secret: str, municipality_code: str, case_ref: str) -> str:
    """HMAC-SHA256 (hex) of the municipality code and the normalised case reference.

    The municipality is part of the key because case references are only unique within one
    municipality's social services. Without the secret the hash cannot be reversed by trying
    likely references.
    """
    if not secret:
        raise ValueError("an episode key secret is required")
    ref = normalise_case_ref(case_ref)
    if not ref:
        raise ValueError("an empty case reference identifies no household")
    message = f"{municipality_code}\x1f{ref}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def lock_id(key: str) -> int:
    """A signed 32-bit number derived from a household key (for a per-household lock).

    Two households may share a number; that only makes them wait for each other briefly.
    """
    value = int(key[:8], 16)
    return value - (1 << 32) if value >= (1 << 31) else value


def check_occurred_at(occurred_at: datetime, now: datetime) -> None:
    """Raise Invalid unless the refusal happened in the last 31 days and not in the future."""
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    if occurred_at > now + FUTURE_TOLERANCE:
        raise Invalid(
            "A turn-away cannot be recorded for a time in the future.",
            errors={"occurred_at": ["Must not be in the future."]},
        )
    if occurred_at < now - MAX_AGE:
        raise Invalid(
            f"A turn-away can be recorded at most {MAX_AGE.days} days afterwards.",
            errors={"occurred_at": [f"Must be within the last {MAX_AGE.days} days."]},
        )


def nearest_episode(
    candidates: Iterable[tuple[int, datetime]], occurred_at: datetime, window: timedelta
) -> int | None:
    """The id of the episode this refusal belongs to, or None if it opens a new one.

    An episode is anchored at the time of the refusal that opened it and never moves; a
    refusal joins an episode of the same household whose anchor lies less than `window`
    before or after it (refusals are often entered afterwards, in any order). If several
    qualify, the nearest anchor wins, then the later one.
    """
    ranked = [
        (abs(occurred_at - started_at), -started_at.timestamp(), episode_id)
        for episode_id, started_at in candidates
        if abs(occurred_at - started_at) < window
    ]
    return min(ranked)[2] if ranked else None


def local_to_utc(value: datetime, tz: ZoneInfo = STOCKHOLM) -> datetime:
    """Interpret a naive local (Stockholm) wall-clock time as UTC, DST-safely.

    A time skipped when clocks go forward (02:00–03:00 on the last Sunday in March) does not
    exist and is rejected; a time that occurs twice when clocks go back is read as the first
    (summer time) occurrence.
    """
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    aware = value.replace(tzinfo=tz, fold=0)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != value:
        raise Invalid(
            "That local time does not exist: the clocks were put forward.",
            errors={"occurred_at": ["This local time does not exist (summer time began)."]},
        )
    return aware.astimezone(UTC)


WHEN_CHOICES = ("now", "today", "yesterday", "other")


def resolve_when(
    when: str, now: datetime, at: time | None = None, day: date | None = None
) -> datetime:
    """The UTC instant of a form's "when": now, or a local time today, yesterday or on a day."""
    if when == "now":
        return now
    if at is None:
        raise Invalid("Give the time of the refusal.", errors={"at": ["Give a time (HH:MM)."]})
    today = now.astimezone(STOCKHOLM).date()
    if when == "today":
        chosen = today
    elif when == "yesterday":
        chosen = today - timedelta(days=1)
    elif when == "other" and day is not None:
        chosen = day
    elif when == "other":
        raise Invalid("Give the date of the refusal.", errors={"day": ["Give a date."]})
    else:
        raise Invalid("Choose when it happened.", errors={"when": ["Unknown choice."]})
    return local_to_utc(datetime.combine(chosen, at))
