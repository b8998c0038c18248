"""The Örebro län demo of DESIGN.md: organisations, three shelters, units and accounts.

Idempotent: `load_demo` adds what is missing and never overwrites; `reset=True` restores
unit statuses, confirmations and account passwords to the initial state.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..domain.enums import (
    ChangeSource,
    LgbtqPolicy,
    OrganisationKind,
    Role,
    SubstancePolicy,
    UnitStatus,
)
from ..models import (
    IdempotencyKey,
    Municipality,
    Organisation,
    Placement,
    PlacementRequest,
    Shelter,
    Unit,
    UnitStatusChange,
    User,
)
from .auth import hash_password
from .reference import ensure_reference_data

COUNTY = "18"
# Numbers in the range PTS reserves for fiction (070-174 06 05 … 070-174 06 99).
_FICTIONAL_PHONE = "+467017406{:02d}"
# Shelter n (0, 1, 2 in SHELTERS): intake 05+n, on-call 15+n; its staff account 25+n.
STAFF_PHONES = {
    "personal.orebro@example.org": _FICTIONAL_PHONE.format(25),
    "personal.sara@example.org": _FICTIONAL_PHONE.format(26),
    "personal.karlskoga@example.org": _FICTIONAL_PHONE.format(27),
}


@dataclass(frozen=True)
class DemoShelter:
    slug: str
    name: str
    operator: str
    municipality: str
    unit_label: str
    units: int
    adult_beds: int
    child_beds: int
    free: tuple[int, ...]
    policy: dict[str, Any]
    assumptions: str
    wheelchair_units: tuple[int, ...] = ()


SHELTERS = (
    DemoShelter(
        slug="kvinnohuset-orebro",
        name="Kvinnohuset i Örebro",
        operator="Kvinnohuset i Örebro (ideell förening)",
        municipality="1880",
        unit_label="Rum {}",
        units=8,
        adult_beds=1,
        child_beds=2,
        free=(1, 2),
        policy=dict(
            accepts_men=False,
            lgbtq=LgbtqPolicy.NO,
            substance_use=SubstancePolicy.NO,
            psychiatric=False,
            pets=False,
            max_boy_age=15,
            staffed_hours="Dagtid, ej dygnet runt",
        ),
        assumptions="Antagande: tar emot medföljande pojkar upp till 15 år (ej dokumenterat).",
    ),
    DemoShelter(
        slug="sara-huset",
        name="Sara-huset (Kvinnohuset Sara)",
        operator="Kvinnohuset Sara (ideell förening)",
        municipality="1883",
        unit_label="Lägenhet {}",
        units=13,
        adult_beds=1,
        child_beds=3,
        free=(1, 2, 3),
        wheelchair_units=(1,),
        policy=dict(
            accepts_men=True,
            lgbtq=LgbtqPolicy.AFTER_ASSESSMENT,
            substance_use=SubstancePolicy.NO,
            psychiatric=False,
            pets=True,
            max_boy_age=None,
            staffed_hours="Dagtid",
        ),
        assumptions="Antagande: 1 vuxen- och 3 barnplatser per lägenhet.",
    ),
    DemoShelter(
        slug="kvinnohuset-karlskoga",
        name="Kvinnohuset i Karlskoga",
        operator="Kvinnohuset i Karlskoga (ideell förening)",
        municipality="1883",
        unit_label="Rum {}",
        units=4,
        adult_beds=1,
        child_beds=2,
        free=(1,),
        policy=dict(
            accepts_men=False,
            lgbtq=LgbtqPolicy.AFTER_ASSESSMENT,
            substance_use=SubstancePolicy.IF_DETOXIFIED,
            psychiatric=False,
            pets=False,
            max_boy_age=None,
            staffed_hours="Dagtid, 3–4 anställda",
        ),
        assumptions=(
            "Antagande: 4 rum med 1 vuxen- och 2 barnplatser; "
            "HBTQ-policy ej dokumenterad, antagen 'efter bedömning'."
        ),
    ),
)

# (email, role, organisation slug, shelter slug)
ACCOUNTS = (
    ("admin@example.org", Role.ADMIN, None, None),
    ("personal.orebro@example.org", Role.SHELTER_STAFF, "kvinnohuset-orebro", "kvinnohuset-orebro"),
    (
        "personal.karlskoga@example.org",
        Role.SHELTER_STAFF,
        "kvinnohuset-karlskoga",
        "kvinnohuset-karlskoga",
    ),
    ("personal.sara@example.org", Role.SHELTER_STAFF, "sara-huset", "sara-huset"),
    ("socialjour.orebro@example.org", Role.SOCIAL_WORKER, "socialjouren-orebro", None),
    ("socialtjanst.karlskoga@example.org", Role.SOCIAL_WORKER, "socialtjansten-karlskoga", None),
    ("lansstyrelsen@example.org", Role.COUNTY_ANALYST, "lansstyrelsen-orebro", None),
)


def slugify(text: str) -> str:
    """ASCII slug: 'Örebro' -> 'orebro'."""
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")


@dataclass
class DemoResult:
    accounts: list[tuple[str, str, str]]  # email, role, scope
    password: str | None  # None when existing passwords were kept


def _org(session: Session, slug: str, **fields: Any) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        municipalities = fields.pop("municipalities", [])
        org = Organisation(slug=slug, county_code=COUNTY, **fields)
        org.municipalities = [session.get_one(Municipality, c) for c in municipalities]
        session.add(org)
        session.flush()
    return org


def _organisations(session: Session) -> None:
    munis = session.scalars(select(Municipality).where(Municipality.county_code == COUNTY))
    for muni in munis:
        _org(
            session,
            f"socialtjansten-{slugify(muni.name)}",
            name=f"Socialtjänsten {muni.name}",
            kind=OrganisationKind.SOCIAL_SERVICES,
            municipalities=[muni.code],
        )
    _org(
        session,
        "socialjouren-orebro",
        name="Socialjouren Örebro",
        kind=OrganisationKind.SOCIALJOUR,
        municipalities=["1880", "1884"],
    )
    # Every social services organisation has a phone: placement review reminders reach it.
    social = session.scalars(
        select(Organisation)
        .where(
            Organisation.county_code == COUNTY,
            Organisation.kind.in_([OrganisationKind.SOCIAL_SERVICES, OrganisationKind.SOCIALJOUR]),
        )
        .order_by(Organisation.slug)
    )
    for n, org in enumerate(social):
        if org.phone is None:
            org.phone = _FICTIONAL_PHONE.format(40 + n)
    _org(
        session,
        "lansstyrelsen-orebro",
        name="Länsstyrelsen Örebro län",
        kind=OrganisationKind.COUNTY,
    )


def _shelters(session: Session, now: datetime, reset: bool) -> None:
    for n, spec in enumerate(SHELTERS):
        operator = _org(
            session,
            spec.slug,
            name=spec.operator,
            kind=OrganisationKind.SHELTER_OPERATOR,
            municipalities=[spec.municipality],
        )
        shelter = session.scalar(select(Shelter).where(Shelter.slug == spec.slug))
        if shelter is None:
            shelter = Shelter(
                slug=spec.slug,
                name=spec.name,
                operator=operator,
                municipality_code=spec.municipality,
                intake_phone=_FICTIONAL_PHONE.format(5 + n),
                on_call_phones=[_FICTIONAL_PHONE.format(15 + n)],
                accepts_women=True,
                staffed_around_clock=False,
                languages=["sv"],
                nationwide=True,
                assumptions=spec.assumptions,
                **spec.policy,
            )
            session.add(shelter)
            session.flush()
        have = {u.label: u for u in shelter.units}
        for i in range(1, spec.units + 1):
            label = spec.unit_label.format(i)
            initial = UnitStatus.FREE if i in spec.free else UnitStatus.OCCUPIED
            unit = have.get(label)
            if unit is None:
                unit = Unit(
                    shelter=shelter,
                    label=label,
                    adult_beds=spec.adult_beds,
                    child_beds=spec.child_beds,
                    wheelchair_accessible=i in spec.wheelchair_units,
                    pets_allowed=bool(spec.policy["pets"]),
                    status=initial,
                    status_changed_at=now,
                )
                session.add(unit)
                session.flush()
                _history(session, unit, None, initial, now)
            elif reset and unit.status is not initial:
                _history(session, unit, unit.status, initial, now)
                unit.status, unit.status_changed_at = initial, now
        if reset or shelter.confirmed_at is None:
            shelter.confirmed_at = now
    session.flush()


def _history(
    session: Session, unit: Unit, old: UnitStatus | None, new: UnitStatus, now: datetime
) -> None:
    session.add(
        UnitStatusChange(
            unit_id=unit.id,
            from_status=old,
            to_status=new,
            changed_at=now,
            source=ChangeSource.DEMO,
        )
    )


def _accounts(session: Session, password: str | None, reset: bool) -> tuple[list, str | None]:
    generated = password or secrets.token_urlsafe(12)
    hashed = hash_password(generated)  # one hash for all: same password, argon2 is slow
    used_password = False
    rows = []
    for email, role, org_slug, shelter_slug in ACCOUNTS:
        org = _org(session, org_slug) if org_slug else None
        shelter = (
            session.scalar(select(Shelter).where(Shelter.slug == shelter_slug))
            if shelter_slug
            else None
        )
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(
                email=email,
                role=role,
                organisation=org,
                shelter=shelter,
                password_hash=hashed,
            )
            session.add(user)
            used_password = True
        if user.phone is None and email in STAFF_PHONES:
            # So the SMS commands (LEDIG 3, UPPTAGEN 3, OK) can be tried with a signed webhook.
            user.phone = STAFF_PHONES[email]
        elif reset or password:
            user.password_hash = hashed
            user.active = True
            used_password = True
        scope = shelter_slug or org_slug or "—"
        if role is Role.SOCIAL_WORKER and org is not None:
            scope = f"{org_slug} ({', '.join(org.municipality_codes)})"
        if role is Role.COUNTY_ANALYST:
            scope = f"county {COUNTY}"
        if user.phone:
            scope = f"{scope}, SMS from {user.phone}"
        rows.append((email, role.value, scope))
    session.flush()
    return rows, generated if used_password else None


def load_demo(
    session: Session, now: datetime, password: str | None = None, reset: bool = False
) -> DemoResult:
    """Load (or with reset=True restore) the demo; returns accounts and the password set."""
    ensure_reference_data(session)
    _organisations(session)
    if reset:
        _clear_requests(session)
    _shelters(session, now, reset)
    rows, used = _accounts(session, password, reset)
    return DemoResult(rows, used)


def _clear_requests(session: Session) -> None:
    """Remove the demo shelters' requests and placements (the audit log stays)."""
    shelter_ids = select(Shelter.id).where(Shelter.slug.in_([s.slug for s in SHELTERS]))
    request_ids = select(PlacementRequest.id).where(PlacementRequest.shelter_id.in_(shelter_ids))
    session.execute(delete(Placement).where(Placement.shelter_id.in_(shelter_ids)))
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.request_id.in_(request_ids)))
    session.execute(delete(PlacementRequest).where(PlacementRequest.shelter_id.in_(shelter_ids)))
    session.flush()
