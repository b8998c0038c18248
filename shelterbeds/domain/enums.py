"""Enumerations shared by models, schemas and rules. Values are the stored/API strings."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SHELTER_STAFF = "shelter_staff"
    SOCIAL_WORKER = "social_worker"
    COUNTY_ANALYST = "county_analyst"
    ADMIN = "admin"


class OrganisationKind(StrEnum):
    SOCIAL_SERVICES = "social_services"
    SOCIALJOUR = "socialjour"
    SHELTER_OPERATOR = "shelter_operator"
    COUNTY = "county"


class UnitStatus(StrEnum):
    FREE = "free"
    HELD = "held"
    OCCUPIED = "occupied"
    CLOSED = "closed"


class LgbtqPolicy(StrEnum):
    YES = "yes"
    AFTER_ASSESSMENT = "after_assessment"
    NO = "no"


class SubstancePolicy(StrEnum):
    NO = "no"
    IF_DETOXIFIED = "if_detoxified"
    YES = "yes"


class SubstanceUse(StrEnum):
    """A household's substance-use need, as searched for."""

    ACTIVE = "active"
    DETOXIFIED = "detoxified"


class Sex(StrEnum):
    FEMALE = "f"
    MALE = "m"


class Freshness(StrEnum):
    FRESH = "fresh"
    AGEING = "ageing"
    STALE = "stale"
    UNKNOWN = "unknown"


class ChangeSource(StrEnum):
    WEB = "web"
    API = "api"
    SMS = "sms"
    SYSTEM = "system"
    DEMO = "demo"


class MatchReason(StrEnum):
    """Why a shelter or unit does not suit a household (decline reasons are a subset)."""

    CAPACITY = "capacity"  # no free unit at all
    BEDS = "beds"  # free units, but too few beds for this household
    UNKNOWN_VACANCY = "unknown_vacancy"  # vacancies not confirmed recently enough
    WHEELCHAIR = "wheelchair"
    PETS = "pets"
    LGBTQ = "lgbtq"
    SUBSTANCE_USE = "substance_use"
    PSYCHIATRIC = "psychiatric"
    BOYS_AGE = "boys_age"
    MEN = "men"
    WOMEN = "women"
    LANGUAGE = "language"
    REGION = "region"  # takes placements only from its own county


class DeclineReason(StrEnum):
    """Why a shelter says no: to a placement request, or to a phone call or walk-in."""

    CAPACITY = "capacity"
    WHEELCHAIR = "wheelchair"
    SUBSTANCE_USE = "substance_use"
    PSYCHIATRIC = "psychiatric"
    LGBTQ = "lgbtq"
    PETS = "pets"
    BOYS_AGE = "boys_age"
    MEN = "men"
    SECURITY = "security"
    LANGUAGE = "language"
    STAFF = "staff"  # no staff or resources to take the household now
    CLIENT_DECLINED = "client_declined"  # the household itself said no
    INAPPROPRIATE = "inappropriate"  # the referral was not for a shelter
    OTHER = "other"


class TurnAwayChannel(StrEnum):
    """How a refused household reached the shelter; `request` is set only by the system."""

    PHONE = "phone"
    WALK_IN = "walk_in"
    OTHER = "other"
    REQUEST = "request"
