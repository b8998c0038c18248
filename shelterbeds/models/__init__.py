"""Typed SQLAlchemy models, one module per aggregate; importing this registers them all."""

from ..db import Base
from .audit import AuditEvent
from .geo import County, Municipality
from .organisations import Organisation, organisation_municipalities
from .people import ApiToken, User, UserSession
from .placements import Placement
from .requests import IdempotencyKey, PlacementRequest
from .shelters import Shelter, Unit, UnitStatusChange
from .signals import UnmetNeedSignal

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "County",
    "IdempotencyKey",
    "Municipality",
    "Organisation",
    "Placement",
    "PlacementRequest",
    "Shelter",
    "Unit",
    "UnitStatusChange",
    "UnmetNeedSignal",
    "User",
    "UserSession",
    "organisation_municipalities",
]
