"""Open Referral HSDS 3.0 output: the parts of `service` the open directory publishes.

Field names are HSDS 3.0's (service, organization, service_area, language,
service_capacity, unit). There is deliberately no `location`, `address` or `phone`.
"""

from __future__ import annotations

from marshmallow import Schema, fields


class UnitSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    scheme = fields.String()
    identifier = fields.String()


class ServiceCapacitySchema(Schema):
    id = fields.String(required=True)
    service_id = fields.String(required=True)
    unit = fields.Nested(UnitSchema, required=True)
    available = fields.Integer(required=True)
    maximum = fields.Integer()
    description = fields.String()
    updated = fields.DateTime(required=True)


class OrganizationSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)


class ServiceAreaSchema(Schema):
    id = fields.String(required=True)
    service_id = fields.String()
    name = fields.String()
    description = fields.String()
    extent_type = fields.String()


class LanguageSchema(Schema):
    id = fields.String(required=True)
    service_id = fields.String()
    code = fields.String()


class ServiceSchema(Schema):
    id = fields.String(required=True)
    organization_id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String()
    status = fields.String(required=True)
    organization = fields.Nested(OrganizationSchema, required=True)
    service_areas = fields.List(fields.Nested(ServiceAreaSchema))
    languages = fields.List(fields.Nested(LanguageSchema))
    capacities = fields.List(fields.Nested(ServiceCapacitySchema))


class ServicePageSchema(Schema):
    """HSDS 3.0 API page of services (everything on one page: a county has few)."""

    total_items = fields.Integer(required=True)
    total_pages = fields.Integer(required=True)
    page_number = fields.Integer(required=True)
    size = fields.Integer(required=True)
    first_page = fields.Boolean(required=True)
    last_page = fields.Boolean(required=True)
    empty = fields.Boolean(required=True)
    contents = fields.List(fields.Nested(ServiceSchema), required=True)
