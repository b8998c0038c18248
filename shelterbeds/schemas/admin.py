"""Administration: organisations, shelters, units, accounts and tokens (in and out)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from ..domain.enums import LgbtqPolicy, OrganisationKind, Role, SubstancePolicy
from .common import LANGUAGE_CODE, MUNICIPALITY_CODE, FreeText, no_personal_data
from .phones import Phone
from .shelters import PoliciesOut, UnitStatusOut

SLUG = validate.Regexp(
    r"^[a-z0-9-]+$", error="Use only lower-case letters a-z, digits and hyphens."
)
COUNTY_CODE = validate.Regexp(r"^\d{2}$", error="Use a 2-digit county code such as 18.")


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


class OrganisationIn(Schema):
    """Create an organisation (PATCH: any subset of the same fields)."""

    slug = fields.String(required=True, validate=[validate.Length(1, 64), SLUG])
    name = FreeText(required=True, validate=validate.Length(1, 160))
    kind = fields.Enum(OrganisationKind, by_value=True, required=True)
    county_code = fields.String(
        allow_none=True,
        validate=COUNTY_CODE,
        metadata={"description": "Derived from the municipalities when left out"},
    )
    municipalities = fields.List(
        fields.String(validate=MUNICIPALITY_CODE),
        validate=validate.Length(max=300),
        metadata={"description": "SCB codes of the municipalities the organisation covers"},
    )
    phone = Phone(allow_none=True)

    @post_load
    def _dedupe(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        if "municipalities" in data:
            data["municipalities"] = _unique(data["municipalities"])
        return data


class OrganisationPatch(OrganisationIn):
    """Any subset of the organisation's fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class OrganisationOut(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    kind = fields.Enum(OrganisationKind, by_value=True)
    county_code = fields.String(allow_none=True)
    municipalities = fields.List(fields.String(), attribute="municipality_codes")
    phone = fields.String(allow_none=True)


class ShelterIn(Schema):
    """Create a shelter with its policies (PATCH: any subset; staff: profile fields only)."""

    slug = fields.String(required=True, validate=[validate.Length(1, 64), SLUG])
    name = FreeText(required=True, validate=validate.Length(1, 160))
    operator = fields.String(
        required=True, validate=SLUG, metadata={"description": "Slug of the operating organisation"}
    )
    municipality_code = fields.String(required=True, validate=MUNICIPALITY_CODE)
    intake_phone = Phone(allow_none=True)
    on_call_phones = fields.List(Phone(), validate=validate.Length(max=10))
    ivo_licence = FreeText(allow_none=True, validate=validate.Length(max=40))
    ivo_licence_date = fields.Date(allow_none=True)
    accepts_women = fields.Boolean()
    accepts_men = fields.Boolean()
    lgbtq = fields.Enum(LgbtqPolicy, by_value=True)
    substance_use = fields.Enum(SubstancePolicy, by_value=True)
    psychiatric = fields.Boolean()
    pets = fields.Boolean()
    max_boy_age = fields.Integer(allow_none=True, validate=validate.Range(0, 25))
    staffed_around_clock = fields.Boolean()
    staffed_hours = FreeText(allow_none=True, validate=validate.Length(max=80))
    languages = fields.List(fields.String(validate=LANGUAGE_CODE), validate=validate.Length(max=30))
    nationwide = fields.Boolean()
    open_data = fields.Boolean(
        metadata={"description": "Listed in the public open directory (HSDS); false opts out."}
    )

    @validates_schema
    def _accepts_someone(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("accepts_women") is False and data.get("accepts_men") is False:
            raise ValidationError("A shelter must accept women, men or both.", "accepts_women")

    @post_load
    def _dedupe(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        for name in ("languages", "on_call_phones"):
            if name in data:
                data[name] = _unique(data[name])
        return data


class ShelterPatch(ShelterIn):
    """Any subset of the shelter's fields (shelter staff: the profile fields only)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class ShelterAdminOut(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    operator = fields.Function(lambda s: s.operator.slug)
    municipality_code = fields.String()
    intake_phone = fields.String(allow_none=True)
    on_call_phones = fields.List(fields.String())
    ivo_licence = fields.String(allow_none=True)
    ivo_licence_date = fields.Date(allow_none=True)
    policies = fields.Function(lambda s: PoliciesOut().dump(s))
    active = fields.Boolean()
    open_data = fields.Boolean()


class ShelterChangeOut(ShelterAdminOut):
    warnings = fields.List(fields.String(), metadata={"description": "What the change affects"})


class ProfileChangeOut(Schema):
    field = fields.String()
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    changed_at = fields.AwareDateTime()
    changed_by = fields.Function(lambda c: c.changed_by.email if c.changed_by else None)


class UnitIn(Schema):
    label = FreeText(required=True, validate=validate.Length(1, 40))
    adult_beds = fields.Integer(validate=validate.Range(1, 20))
    child_beds = fields.Integer(validate=validate.Range(0, 20))
    wheelchair_accessible = fields.Boolean()
    pets_allowed = fields.Boolean()


class UnitPatch(UnitIn):
    """Any subset; `status` closes or reopens, `retired: true` retires it (kept as history)."""

    label = FreeText(validate=validate.Length(1, 40))
    status = fields.String(
        validate=validate.OneOf(["free", "occupied", "closed"]),
        metadata={"description": "As PUT /units/{id}/status"},
    )
    retired = fields.Boolean(
        metadata={"description": "true retires the unit (not if held or occupied)"}
    )


class UnitAdminOut(UnitStatusOut):
    shelter_id = fields.Integer()
    retired_at = fields.AwareDateTime(allow_none=True)


class UserIn(Schema):
    email = fields.Email(required=True, validate=[validate.Length(max=254), no_personal_data])
    role = fields.Enum(Role, by_value=True, required=True)
    organisation = fields.String(
        allow_none=True, validate=SLUG, metadata={"description": "Organisation slug"}
    )
    shelter = fields.String(
        allow_none=True, validate=SLUG, metadata={"description": "Shelter slug (shelter_staff)"}
    )
    phone = Phone(allow_none=True)
    locale = fields.String(validate=validate.OneOf(["sv", "en"]))


class UserPatch(Schema):
    role = fields.Enum(Role, by_value=True)
    organisation = fields.String(allow_none=True, validate=SLUG)
    shelter = fields.String(allow_none=True, validate=SLUG)
    phone = Phone(allow_none=True)
    locale = fields.String(validate=validate.OneOf(["sv", "en"]))
    active = fields.Boolean(
        metadata={"description": "false disables the account and ends its sessions"}
    )
    end_sessions = fields.Boolean(metadata={"description": "true signs the user out everywhere"})
    new_activation_link = fields.Boolean(
        metadata={"description": "true issues a new one-time link to set a password"}
    )
    reset_second_factor = fields.Boolean(
        metadata={"description": "true removes the second factor (lost phone); set up again "
                  "at the next sign-in; ends the user's sessions"}
    )  # fmt: skip


class UserOut(Schema):
    id = fields.Integer()
    email = fields.String()
    role = fields.Enum(Role, by_value=True)
    organisation = fields.Function(lambda u: u.organisation.slug if u.organisation else None)
    shelter = fields.Function(lambda u: u.shelter.slug if u.shelter else None)
    phone = fields.String(allow_none=True)
    locale = fields.String()
    active = fields.Boolean()
    activated = fields.Function(lambda u: u.password_hash is not None)
    second_factor = fields.Function(
        lambda u: u.totp_enabled_at is not None,
        metadata={"description": "The account has a second factor set up"},
    )
    created_at = fields.AwareDateTime()
    last_login_at = fields.AwareDateTime(allow_none=True)


class UserChangeOut(UserOut):
    activation_url = fields.String(
        allow_none=True, metadata={"description": "One-time link; hand it to the user"}
    )
    activation_expires_at = fields.AwareDateTime(allow_none=True)
    activation_emailed = fields.Boolean(
        metadata={"description": "The link was also e-mailed (SHELTERBEDS_SMTP_URL set)"}
    )
    sessions_ended = fields.Integer()


class TokenOut(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    user = fields.Function(lambda t: t.user.email)
    created_at = fields.AwareDateTime()
    last_used_at = fields.AwareDateTime(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)


class ImportArgs(Schema):
    dry_run = fields.Boolean(load_default=False)


class ExportArgs(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))
