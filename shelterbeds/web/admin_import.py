"""Administration page: bulk import and export of shelters and units (CSV or XLSX)."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..domain.errors import Invalid
from ..extensions import db
from ..schemas.admin import ImportArgs
from ..schemas.imports import COLUMNS, REQUIRED, export_file, import_file, upload_kind
from ..services.access import admin_county
from . import bp


def _page(status: int = 200, **result: Any) -> tuple[str, int]:
    """The page: export links, the upload form and, after an upload, its result."""
    result.setdefault("dry_run_default", True)
    page = render_template(
        "admin/import.html",
        scope=admin_county(current_actor()),
        columns=COLUMNS,
        required=REQUIRED,
        **result,
    )
    return page, status


@bp.get("/admin/import")
@roles_required(Role.ADMIN)
def admin_import() -> Any:
    return _page()


@bp.get("/admin/import/shelters.<any(csv, xlsx):fmt>")
@roles_required(Role.ADMIN)
def admin_export(fmt: str) -> Response:
    """The shelters and units this administrator manages, as a file to download."""
    body, mimetype, filename = export_file(db.session, current_actor(), fmt)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.post("/admin/import")
@roles_required(Role.ADMIN)
def admin_import_upload() -> Any:
    """Check (dry run, the default) or import an uploaded file; all or nothing."""
    try:
        args = ImportArgs(unknown=EXCLUDE).load({"dry_run": request.form.get("dry_run", "0")})
    except ValidationError:
        return _page(422, file_error=_("Tick or untick “dry run only” and send the form again."))
    dry_run = args["dry_run"]
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(422, file_error=_("Choose a file to upload."), dry_run_default=dry_run)
    filename = upload.filename
    if upload_kind(filename, upload.mimetype) is None:
        message = _(
            "%(name)s is not a CSV or XLSX file. Choose a .csv or .xlsx file.", name=filename
        )
        return _page(422, file_error=message, dry_run_default=dry_run)
    try:
        report = import_file(
            db.session,
            current_actor(),
            upload.read(),
            filename,
            upload.mimetype,
            utcnow(),
            dry_run=dry_run,
        )
    except Invalid as err:
        db.session.rollback()
        errors = err.errors or {}
        unreadable = errors.get("file", [])
        return _page(
            422,
            filename=filename,
            problems=errors.get("rows", []),
            file_error=_("The file could not be read: %(reason)s", reason=" ".join(unreadable))
            if unreadable
            else None,
            dry_run_default=dry_run,
        )
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return _page(filename=filename, report=report, dry_run_default=not dry_run)
