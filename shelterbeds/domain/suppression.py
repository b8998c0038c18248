"""Small-count suppression: counts of 1 and 2 are shown as "<3" to roles without exact access.

Zero stays zero (nothing to protect) and 3 and more are shown. A figure derived from a
suppressed count (a rate, a median) is withheld too, or it would give the count away.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

SUPPRESSED = "<3"
THRESHOLD = 3


def suppress_count(value: Any) -> Any:
    """ "<3" for 1 or 2, the value itself otherwise."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < THRESHOLD:
        return SUPPRESSED
    return value


def suppress_row(
    row: Mapping[str, Any], counts: Iterable[str], derived: Mapping[str, str]
) -> dict[str, Any]:
    """A copy of `row` with small `counts` hidden and `derived` figures (name -> the count
    they come from) withheld as None when that count is small."""
    out = dict(row)
    for name in counts:
        if name in out:
            out[name] = suppress_count(out[name])
    for name, base in derived.items():
        if name in out and out.get(base) == SUPPRESSED:
            out[name] = None
    return out
