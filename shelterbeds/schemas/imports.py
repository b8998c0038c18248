"""Bulk shelter/unit files (CSV or XLSX): read rows and check each row's shape and types.

One row per unit; the shelter columns repeat on each of its rows (a shelter without units
is one row with the unit columns empty). Empty cells mean "no value": no phone, no boys'
age limit, no languages, the default for a yes/no policy.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from marshmallow import EXCLUDE, ValidationError, fields
from sqlalchemy.orm import Session

from ..domain.enums import LgbtqPolicy, SubstancePolicy
from ..domain.errors import Invalid
from ..models import User
from ..services import shelter_io
from .admin import ShelterIn, UnitIn

SHELTER_COLUMNS = {
    "shelter_slug": "slug",
    "shelter_name": "name",
    "operator": "operator",
    "municipality_code": "municipality_code",
    "intake_phone": "intake_phone",
    "on_call_phones": "on_call_phones",
    "ivo_licence": "ivo_licence",
    "ivo_licence_date": "ivo_licence_date",
    "accepts_women": "accepts_women",
    "accepts_men": "accepts_men",
    "lgbtq": "lgbtq",
    "substance_use": "substance_use",
    "psychiatric": "psychiatric",
    "pets": "pets",
    "max_boy_age": "max_boy_age",
    "staffed_around_clock": "staffed_around_clock",
    "staffed_hours": "staffed_hours",
    "languages": "languages",
    "nationwide": "nationwide",
}
UNIT_COLUMNS = {
    "unit_label": "label",
    "adult_beds": "adult_beds",
    "child_beds": "child_beds",
    "wheelchair_accessible": "wheelchair_accessible",
    "pets_allowed": "pets_allowed",
}
COLUMNS = [*SHELTER_COLUMNS, *UNIT_COLUMNS]
REQUIRED = ("shelter_slug", "shelter_name", "operator", "municipality_code")
LIST_COLUMNS = ("on_call_phones", "languages")
SHELTER_DEFAULTS: dict[str, Any] = {
    "intake_phone": None,
    "on_call_phones": [],
    "ivo_licence": None,
    "ivo_licence_date": None,
    "accepts_women": True,
    "accepts_men": False,
    "lgbtq": LgbtqPolicy.NO,
    "substance_use": SubstancePolicy.NO,
    "psychiatric": False,
    "pets": False,
    "max_boy_age": None,
    "staffed_around_clock": False,
    "staffed_hours": None,
    "languages": [],
    "nationwide": True,
}
UNIT_DEFAULTS: dict[str, Any] = {
    "adult_beds": 1,
    "child_beds": 0,
    "wheelchair_accessible": False,
    "pets_allowed": False,
}
MAX_ROWS = 10_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_TRUE: set[object] = {"1", "true", "yes", "ja", "y", "j", "x"}
_FALSE: set[object] = {"0", "false", "no", "nej", "n"}
_BOOLEANS = {
    "accepts_women", "accepts_men", "psychiatric", "pets", "staffed_around_clock",
    "nationwide", "wheelchair_accessible", "pets_allowed",
}  # fmt: skip


@dataclass
class Row:
    """One checked row: its number in the file (header = 1), the shelter and the unit."""

    number: int
    shelter: dict[str, Any]
    unit: dict[str, Any] | None


@dataclass
class Problem:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class _ImportBoolean(fields.Boolean):
    truthy = _TRUE
    falsy = _FALSE


class _ShelterRow(ShelterIn):
    """A shelter's columns; yes/no cells also take ja/nej and x."""

    class Meta:
        unknown = EXCLUDE

    accepts_women = _ImportBoolean()
    accepts_men = _ImportBoolean()
    psychiatric = _ImportBoolean()
    pets = _ImportBoolean()
    staffed_around_clock = _ImportBoolean()
    nationwide = _ImportBoolean()


class _UnitRow(UnitIn):
    class Meta:
        unknown = EXCLUDE

    wheelchair_accessible = _ImportBoolean()
    pets_allowed = _ImportBoolean()


def _cell(value: Any) -> str:
    """An XLSX cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, kind: str) -> list[list[str]]:
    """Rows of text cells from a CSV or XLSX file; ValueError if it cannot be read."""
    if kind == "xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise ValueError("The file is not a readable XLSX workbook.") from exc
        sheet = book.worksheets[0]
        rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
        return rows
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError("The CSV file must be UTF-8 encoded.") from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.replace(",", ";").split(";") if p.strip()]


def _prepare(cells: dict[str, str], mapping: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column, name in mapping.items():
        value = cells.get(column, "")
        if value == "":
            continue
        out[name] = _split(value) if column in LIST_COLUMNS else value
        if column in _BOOLEANS:
            out[name] = value.lower()
    return out


def _flatten(messages: Any) -> str:
    if isinstance(messages, dict):
        return " ".join(_flatten(m) for m in messages.values())
    if isinstance(messages, list):
        return " ".join(_flatten(m) for m in messages)
    return str(messages)


def parse_rows(table: list[list[str]]) -> tuple[list[Row], list[Problem]]:
    """Check the header and every row's shape; return the good rows and every problem."""
    problems: list[Problem] = []
    if not table or not any(table[0]):
        return [], [Problem(1, "", "The file is empty: the first row must name the columns.")]
    header = [h.strip().lower() for h in table[0]]
    for h in header:
        if h and h not in COLUMNS:
            problems.append(Problem(1, h, f"Unknown column. Columns: {', '.join(COLUMNS)}."))
    for h in REQUIRED:
        if h not in header:
            problems.append(Problem(1, h, "Required column is missing."))
    if len(table) - 1 > MAX_ROWS:
        problems.append(Problem(1, "", f"At most {MAX_ROWS} rows per file."))
    if problems:
        return [], problems
    rows: list[Row] = []
    shelter_columns = {v: k for k, v in SHELTER_COLUMNS.items()}
    unit_columns = {v: k for k, v in UNIT_COLUMNS.items()}
    for number, raw in enumerate(table[1:], start=2):
        if not any(raw):
            continue  # blank lines are harmless
        cells = dict(zip(header, raw, strict=False))
        row_problems: list[Problem] = []
        shelter: dict[str, Any] = {}
        try:
            shelter = SHELTER_DEFAULTS | _ShelterRow().load(_prepare(cells, SHELTER_COLUMNS))
        except ValidationError as err:
            for name, messages in err.normalized_messages().items():
                column = shelter_columns.get(name, name)
                row_problems.append(Problem(number, column, _flatten(messages)))
        unit = None
        unit_cells = _prepare(cells, UNIT_COLUMNS)
        if unit_cells:
            try:
                unit = UNIT_DEFAULTS | _UnitRow().load(unit_cells)
            except ValidationError as err:
                for name, messages in err.normalized_messages().items():
                    column = unit_columns.get(name, name)
                    row_problems.append(Problem(number, column, _flatten(messages)))
        problems.extend(row_problems)
        if not row_problems:
            rows.append(Row(number, shelter, unit))
    return rows, problems


def export_cells(value: Any) -> str:
    """A value as written to an export cell (lists joined with ';', booleans 1/0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(getattr(value, "value", value))


def upload_kind(filename: str, mimetype: str) -> str | None:
    """'xlsx' or 'csv' from an upload's content type or file name; None for anything else."""
    name = (filename or "").lower()
    if mimetype == XLSX_TYPE or name.endswith(".xlsx"):
        return "xlsx"
    if mimetype in ("text/csv", "application/csv", "text/plain") or name.endswith(".csv"):
        return "csv"
    return None


def read_upload(data: bytes, filename: str, mimetype: str) -> list[list[str]]:
    """The rows of text cells of an uploaded CSV or XLSX file; Invalid (422) otherwise."""
    kind = upload_kind(filename, mimetype)
    if kind is None:
        raise Invalid(
            "Send a CSV (text/csv) or XLSX file, as the body or as the multipart field 'file'.",
            errors={"file": ["Use text/csv or " + XLSX_TYPE + "."]},
        )
    try:
        return read_table(data, kind)
    except ValueError as exc:
        raise Invalid(str(exc), errors={"file": [str(exc)]}) from exc


def write_table(rows: list[dict[str, Any]], fmt: str) -> tuple[bytes, str, str]:
    """Export rows as a file in the import's columns: (body, mimetype, file name)."""
    table = [[export_cells(row.get(c)) for c in COLUMNS] for row in rows]
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("shelters")
        sheet.append(COLUMNS)
        for line in table:
            sheet.append(line)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue(), XLSX_TYPE, "shelters.xlsx"
    if fmt != "csv":
        raise Invalid("Export as csv or xlsx.", errors={"format": ["Use csv or xlsx."]})
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(table)
    return text.getvalue().encode("utf-8"), "text/csv", "shelters.csv"


# The two entry points the API and the admin pages share. They live with the file format
# (not in services/shelter_io, which knows rows but no files) and leave the commit to the caller.


def import_file(
    session: Session,
    actor: User,
    data: bytes,
    filename: str,
    mimetype: str,
    now: datetime,
    *,
    dry_run: bool,
) -> shelter_io.ImportReport:
    """Read, check and import an uploaded file, all or nothing; Invalid lists every problem.

    With `dry_run` nothing is written; the caller rolls back (dry run) or commits.
    """
    rows, problems = parse_rows(read_upload(data, filename, mimetype))
    return shelter_io.import_shelters(
        session, actor, rows, [p.as_dict() for p in problems], now, dry_run=dry_run
    )


def export_file(session: Session, actor: User, fmt: str) -> tuple[bytes, str, str]:
    """The shelters and units this administrator sees as a file: (body, mimetype, file name)."""
    return write_table(shelter_io.export_rows(session, actor), fmt)
