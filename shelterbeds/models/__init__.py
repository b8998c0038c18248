"""Typed SQLAlchemy models, one module per aggregate; importing this registers them all."""

from ..db import Base
from .geo import County, Municipality
from .organisations import Organisation, organisation_municipalities
from .people import ApiToken, User, UserSession
from .shelters import Shelter, Unit, UnitStatusChange
from .signals import UnmetNeedSignal
from .turnaways import TurnAway, TurnAwayEpisode

__all__ = [
    "ApiToken",
    "Base",
    "County",
    "Municipality",
    "Organisation",
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
