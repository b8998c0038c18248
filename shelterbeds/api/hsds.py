"""The open directory (Open Referral HSDS 3.0): public, cacheable, never an address."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request

from ..domain.clock import utcnow
from ..extensions import db
from ..schemas.hsds import ServicePageSchema
from ..services.hsds import directory
from . import make_blueprint

blp = make_blueprint("open-directory", "Open directory of shelters with live capacity (HSDS 3.0)")
MAX_AGE = 300  # seconds a cache may keep the directory


@blp.get("/open/hsds/services")
@blp.doc(security=[])
@blp.response(200, ServicePageSchema)
def hsds_services() -> Any:
    """Shelters (not opted out) as HSDS 3.0 services with live capacity; no sign-in needed."""
    settings = current_app.config["SETTINGS"]
    services = directory(db.session, utcnow(), settings.freshness_thresholds())
    page = {
        "total_items": len(services),
        "total_pages": 1,
        "page_number": 1,
        "size": len(services),
        "first_page": True,
        "last_page": True,
        "empty": not services,
        "contents": services,
    }
    response = jsonify(ServicePageSchema().dump(page))
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"  # open data: any site may read it
    response.add_etag()
    return response.make_conditional(request)
