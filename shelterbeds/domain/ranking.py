"""Order search results for a placing municipality: its county first, then nearer counties.

Distances are between county seats (residensstäder), great-circle, in whole kilometres: a
county is a unit a social worker reasons in ("in the county", "next county over"), and 21
points are enough to put Västmanland before Norrbotten for a placement from Örebro.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

EARTH_RADIUS_KM = 6371.0


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def county_order(
    placing_county: str | None, seats: Mapping[str, tuple[float, float]]
) -> dict[str, int]:
    """Rank of every county for a placing county: 0 for itself, then km to its seat.

    Without a placing county (or one without a known seat) every county ranks 0, so
    freshness alone orders the results.
    """
    here = seats.get(placing_county or "")
    if here is None:
        return {code: 0 for code in seats}
    return {
        code: 0 if code == placing_county else max(1, round(distance_km(here, there)))
        for code, there in seats.items()
    }
