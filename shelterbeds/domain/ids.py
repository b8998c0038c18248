"""Database ids: what a path, query or form may call an id before it reaches the database."""

from __future__ import annotations

# Primary keys are INTEGER columns: PostgreSQL's int4 ends here. A larger number cannot be
# an id, and sending it to PostgreSQL fails the query ("out of range") instead of finding
# nothing — so it is answered as "not found" before any query runs.
MAX_ID = 2**31 - 1


def parse_id(raw: object) -> int | None:
    """An id from untrusted text, or None if it cannot be one (not digits, 0, too large)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 10:
        value = int(raw)
    else:
        return None
    return value if 1 <= value <= MAX_ID else None
