"""Bulk import and export of shelters and units (CSV or XLSX)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, request

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..domain.errors import Invalid
from ..extensions import db
from ..schemas.admin import ExportArgs, ImportArgs
from ..schemas.imports import COLUMNS, XLSX_TYPE, export_cells, parse_rows, read_table
from ..services import shelter_io
from . import make_blueprint

blp = make_blueprint("imports", "Bulk import and export of shelters and units")
# Endpoints that take a file body instead of JSON (see api/__init__.py).
FILE_ENDPOINTS = ("imports.import_shelters",)


def _upload() -> tuple[bytes, str]:
    """The uploaded file and its kind: multipart field `file`, or the raw body."""
    upload = request.files.get("file")
    if upload is not None:
        data, name, ctype = upload.read(), (upload.filename or "").lower(), upload.mimetype
    else:
        data, name, ctype = request.get_data(), "", request.mimetype
    if ctype == XLSX_TYPE or name.endswith(".xlsx"):
        return data, "xlsx"
    if ctype in ("text/csv", "application/csv", "text/plain") or name.endswith(".csv"):
        return data, "csv"
    raise Invalid(
        "Send a CSV (text/csv) or XLSX file, as the body or as the multipart field 'file'.",
        errors={"file": ["Use text/csv or " + XLSX_TYPE + "."]},
    )


@blp.post("/imports/shelters")
@roles_required(Role.ADMIN)
@blp.arguments(ImportArgs, location="query")
@blp.response(200)
def import_shelters(args: dict[str, Any]) -> Any:
    """Import shelters and units, all or nothing; `?dry_run=1` reports and changes nothing."""
    data, kind = _upload()
    try:
        table = read_table(data, kind)
    except ValueError as exc:
        raise Invalid(str(exc), errors={"file": [str(exc)]}) from exc
    rows, problems = parse_rows(table)
    report = shelter_io.import_shelters(
        db.session,
        current_actor(),
        rows,
        [p.as_dict() for p in problems],
        utcnow(),
        dry_run=args["dry_run"],
    )
    if args["dry_run"]:
        db.session.rollback()
    else:
        db.session.commit()
    return report.__dict__


@blp.get("/exports/shelters")
@roles_required(Role.ADMIN)
@blp.arguments(ExportArgs, location="query")
def export_shelters(args: dict[str, Any]) -> Response:
    """Shelters and units, one row per unit, in the columns the import reads."""
    rows = shelter_io.export_rows(db.session, current_actor())
    table = [[export_cells(row.get(c)) for c in COLUMNS] for row in rows]
    if args["format"] == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("shelters")
        sheet.append(COLUMNS)
        for line in table:
            sheet.append(line)
        out = io.BytesIO()
        book.save(out)
        body, mimetype, ext = out.getvalue(), XLSX_TYPE, "xlsx"
    else:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        writer.writerows(table)
        body, mimetype, ext = text.getvalue().encode("utf-8"), "text/csv", "csv"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="shelters.{ext}"'
    return response
