"""Onboarding organisations: social services, socialjour, shelter operators, the county."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.enums import OrganisationKind
from ..domain.errors import Conflict, Invalid, NotFound
from ..models import County, Municipality, Organisation, User
from .access import admin_county, admin_sees, require_admin_in


def list_organisations(session: Session, actor: User) -> list[Organisation]:
    """Organisations this administrator manages (all, or those of their county)."""
    scope = admin_county(actor)
    query = select(Organisation).order_by(Organisation.name)
    if scope is not None:
        query = query.where(Organisation.county_code == scope)
    return list(session.scalars(query))


def get_organisation(session: Session, actor: User, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None or not admin_sees(actor, org.county_code):
        raise NotFound(f"Organisation {org_id} does not exist.")
    return org


def organisation_by_slug(session: Session, slug: str, field: str = "organisation") -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        raise Invalid(
            f"No organisation with slug {slug}.", errors={field: [f"Unknown organisation {slug}."]}
        )
    return org


def municipalities_for(session: Session, codes: list[str]) -> list[Municipality]:
    """Municipalities by SCB code; every unknown code is a field error."""
    found = {
        m.code: m for m in session.scalars(select(Municipality).where(Municipality.code.in_(codes)))
    }
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise Invalid(
            "Unknown municipality code: " + ", ".join(unknown) + ".",
            errors={"municipalities": [f"Unknown municipality code {c}." for c in unknown]},
        )
    return [found[c] for c in codes]


def _check_slug_free(session: Session, slug: str, own_id: int | None = None) -> None:
    other = session.scalar(select(Organisation.id).where(Organisation.slug == slug))
    if other is not None and other != own_id:
        raise Conflict(
            f"The slug {slug} is already used by another organisation.",
            errors={"slug": ["Already in use: choose another."]},
        )


def _settle_county(session: Session, org: Organisation, given: Any) -> None:
    """Set the county: as given (must be known and hold the municipalities) or derived."""
    counties = {m.county_code for m in org.municipalities}
    if given is not None:
        if session.get(County, given) is None:
            raise Invalid(f"Unknown county {given}.", errors={"county_code": ["Unknown county."]})
        outside = [m.code for m in org.municipalities if m.county_code != given]
        if outside:
            raise Invalid(
                "Municipalities outside the organisation's county.",
                errors={"municipalities": [f"{c} is not in county {given}." for c in outside]},
            )
        org.county_code = given
    elif len(counties) == 1:
        org.county_code = counties.pop()
    elif counties:
        raise Invalid(
            "The municipalities lie in several counties: give county_code.",
            errors={"county_code": ["Required when municipalities span counties."]},
        )


def create_organisation(session: Session, actor: User, data: dict[str, Any]) -> Organisation:
    """Add an organisation with the municipalities it covers."""
    _check_slug_free(session, data["slug"])
    org = Organisation(
        slug=data["slug"], name=data["name"], kind=data["kind"], phone=data.get("phone")
    )
    org.municipalities = municipalities_for(session, data.get("municipalities", []))
    given = data.get("county_code")
    if given is None and not org.municipalities:
        given = admin_county(actor)  # a county admin's organisations are in their county
    _settle_county(session, org, given)
    if org.kind is OrganisationKind.COUNTY and org.county_code is None:
        raise Invalid(
            "A county organisation needs its county.", errors={"county_code": ["Required."]}
        )
    require_admin_in(actor, org.county_code, "this organisation")
    session.add(org)
    session.flush()
    return org


def update_organisation(
    session: Session, actor: User, org_id: int, data: dict[str, Any]
) -> Organisation:
    """Change any of an organisation's fields; the result must stay in the admin's county."""
    org = get_organisation(session, actor, org_id)
    if "slug" in data:
        _check_slug_free(session, data["slug"], org.id)
        org.slug = data["slug"]
    for name in ("name", "kind", "phone"):
        if name in data:
            setattr(org, name, data[name])
    if "municipalities" in data:
        org.municipalities = municipalities_for(session, data["municipalities"])
    if "municipalities" in data or "county_code" in data:
        _settle_county(session, org, data.get("county_code", org.county_code))
    require_admin_in(actor, org.county_code, "this organisation")
    session.flush()
    return org
