"""Typed SQLAlchemy models, one module per aggregate; importing this registers them all."""

from ..db import Base
from .admin import ActivationToken, ShelterProfileChange
from .audit import AuditEvent
from .geo import County, Municipality
from .notifications import OutboxMessage, OutboxStatus, ProcessedInboundSms, SmsOptOut, Subscription
from .organisations import Organisation, organisation_municipalities
from .people import ApiToken, RecoveryCode, User, UserSession
from .placements import Placement
from .requests import IdempotencyKey, PlacementRequest, RequestAccess
from .shelters import Shelter, Unit, UnitStatusChange
from .signals import UnmetNeedSignal
from .statistics import ShelterConfirmation, ShelterMonth
from .turnaways import TurnAway, TurnAwayEpisode
from .versions import CacheVersions

__all__ = [
    "ActivationToken",
    "ShelterProfileChange",
    "ShelterMonth",
    "ShelterConfirmation",
    "ApiToken",
    "AuditEvent",
    "Base",
    "CacheVersions",
    "County",
    "IdempotencyKey",
    "Municipality",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "ProcessedInboundSms",
    "SmsOptOut",
    "Subscription",
    "Placement",
    "PlacementRequest",
    "RecoveryCode",
    "RequestAccess",
    "Shelter",
    "TurnAway",
    "TurnAwayEpisode",
    "Unit",
    "UnitStatusChange",
    "UnmetNeedSignal",
    "User",
    "UserSession",
    "organisation_municipalities",
]
