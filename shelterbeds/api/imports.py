"""Bulk import and export of shelters and units (CSV or XLSX)."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..extensions import db
from ..schemas.admin import ExportArgs, ImportArgs
from ..schemas.imports import export_file, import_file
from . import file_response, make_blueprint

blp = make_blueprint("imports", "Bulk import and export of shelters and units")
# Endpoints that take a file body instead of JSON (see api/__init__.py).
FILE_ENDPOINTS = ("imports.import_shelters",)


def _upload() -> tuple[bytes, str, str]:
    """The uploaded file, its name and type: multipart field `file`, or the raw body."""
    upload = request.files.get("file")
    if upload is not None:
        return upload.read(), upload.filename or "", upload.mimetype
    return request.get_data(), "", request.mimetype


@blp.post("/imports/shelters")
@roles_required(Role.ADMIN)
@blp.arguments(ImportArgs, location="query")
@blp.response(200)
def import_shelters(args: dict[str, Any]) -> Any:
    """Import shelters and units, all or nothing; `?dry_run=1` reports and changes nothing."""
    data, filename, mimetype = _upload()
    report = import_file(
        db.session, current_actor(), data, filename, mimetype, utcnow(), dry_run=args["dry_run"]
    )
    if args["dry_run"]:
        db.session.rollback()
    else:
        db.session.commit()
    return report.__dict__


@blp.get("/exports/shelters")
@roles_required(Role.ADMIN)
@blp.arguments(ExportArgs, location="query")
@blp.doc(responses={"200": file_response("Shelters and units, one row per unit")})
def export_shelters(args: dict[str, Any]) -> Response:
    """Shelters and units, one row per unit, in the columns the import reads."""
    body, mimetype, filename = export_file(db.session, current_actor(), args["format"])
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
