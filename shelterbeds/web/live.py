"""The endpoint the live pages poll (every 10 s, app.js): cheap, and 304 when nothing changed.

The answer is a count and a fingerprint computed by one aggregate query; its ETag is the
fingerprint, so a poll where nothing changed costs that query and an empty 304. Only when
the fingerprint changes does the page fetch the rows (`/requests?part=list`, audited).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, make_response, request

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..extensions import db
from ..schemas.forms import LiveRequestsOut
from ..services.live import requests_state
from . import bp
from .requests import RECENT


@bp.get("/requests/live")
@roles_required(Role.SOCIAL_WORKER, Role.SHELTER_STAFF, Role.ADMIN)
def requests_live() -> Any:
    """`{"pending", "version"}` with an ETag; `If-None-Match` that still holds gives 304."""
    now = utcnow()
    state = requests_state(db.session, current_actor(), now, now - RECENT)
    db.session.rollback()  # read only
    etag = f'"{state.version}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = make_response("", 304)
    else:
        response = jsonify(LiveRequestsOut().dump(state))
    response.headers["ETag"] = etag
    # Revalidate every time: the point is to see a change at once.
    response.headers["Cache-Control"] = "private, no-cache"
    return response
