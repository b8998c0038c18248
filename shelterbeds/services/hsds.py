"""The open directory: shelters and their live capacity as Open Referral HSDS 3.0 services.

Public and cacheable. Never an address, a phone or anything about a client: an organisation
(the operator), one service per shelter that has not opted out (`open_data`), the
municipality it is in as its service area, its languages, and one `service_capacity` in
household units (available = free units, maximum = units in service, updated = the last
confirmation). A shelter whose vacancies are unknown (not confirmed within the stale
threshold) has no capacity entry rather than a made-up number.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.enums import UnitStatus
from ..domain.freshness import FreshnessThresholds, describe_freshness, vacancies_trusted
from ..models import Municipality, Organisation, Shelter, Unit

# Stable ids: UUIDv5 of a name in this namespace (HSDS ids are UUIDs).
NAMESPACE = uuid.UUID("6f1d6c1e-5a43-4c59-9a55-8f0b0f3b7a10")
UNIT_NAME = "household unit (room or apartment for one household)"


def stable_id(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


UNIT = {
    "id": stable_id("unit", "household"),
    "name": UNIT_NAME,
    "scheme": "shelterbeds",
    "identifier": "household_unit",
}


def directory(
    session: Session, now: datetime, thresholds: FreshnessThresholds
) -> list[dict[str, Any]]:
    """Every listed shelter as an HSDS service with its organization and capacity."""
    shelters = session.execute(
        select(Shelter, Organisation, Municipality)
        .join(Organisation, Organisation.id == Shelter.operator_id)
        .join(Municipality, Municipality.code == Shelter.municipality_code)
        .where(Shelter.active.is_(True), Shelter.open_data.is_(True))
        .order_by(Shelter.slug)
    ).all()
    counts: dict[int, dict[UnitStatus, int]] = defaultdict(dict)
    for shelter_id, status, n in session.execute(
        select(Unit.shelter_id, Unit.status, func.count())
        .where(Unit.retired_at.is_(None))
        .group_by(Unit.shelter_id, Unit.status)
    ):
        counts[shelter_id][UnitStatus(status)] = int(n)
    services = []
    for shelter, operator, municipality in shelters:
        service_id = stable_id("service", shelter.slug)
        by_status = counts.get(shelter.id, {})
        in_service = sum(n for s, n in by_status.items() if s is not UnitStatus.CLOSED)
        capacities = []
        state = describe_freshness(shelter.confirmed_at, now, thresholds).state
        if vacancies_trusted(state) and shelter.confirmed_at is not None:
            capacities.append(
                {
                    "id": stable_id("capacity", shelter.slug),
                    "service_id": service_id,
                    "unit": UNIT,
                    "available": by_status.get(UnitStatus.FREE, 0),
                    "maximum": in_service,
                    "description": "Free household units now (confirmed by the shelter).",
                    "updated": shelter.confirmed_at,
                }
            )
        services.append(
            {
                "id": service_id,
                "organization_id": stable_id("organization", operator.slug),
                "name": shelter.name,
                "description": "Protected shelter (skyddat boende) for people subjected to "
                "violence in close relationships. Placement through social services.",
                "status": "active",
                "organization": {
                    "id": stable_id("organization", operator.slug),
                    "name": operator.name,
                    "description": "Shelter operator",
                },
                "service_areas": [
                    {
                        "id": stable_id("area", municipality.code),
                        "service_id": service_id,
                        "name": municipality.name,
                        "description": f"Municipality {municipality.code} (SCB)",
                        "extent_type": "other",
                    }
                ],
                "languages": [
                    {
                        "id": stable_id("language", f"{shelter.slug}:{code}"),
                        "service_id": service_id,
                        "code": code,
                    }
                    for code in (shelter.languages or [])
                ],
                "capacities": capacities,
            }
        )
    return services
