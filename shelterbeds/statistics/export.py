"""The rows of a statistics answer as a CSV or XLSX file: the same numbers as the JSON.

Columns are the `by` keys, then the family's metrics; a suppressed count is the text "<3"
in both formats (a spreadsheet cell, never a number that could be summed by mistake).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table(answer: dict[str, Any], metrics: list[str]) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of an answer, in column order."""
    header = [*answer["by"], *metrics]
    return header, [[row.get(col) for col in header] for row in answer["rows"]]


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8")


def to_xlsx(header: list[str], rows: list[list[Any]], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(
    answer: dict[str, Any], metrics: list[str], name: str, fmt: str
) -> tuple[bytes, str, str]:
    """(body, mimetype, filename) of an answer as `csv` or `xlsx`."""
    header, rows = table(answer, metrics)
    stem = f"{name}_{answer['from']}_{answer['to']}"
    if fmt == "xlsx":
        return to_xlsx(header, rows, name), XLSX, f"{stem}.xlsx"
    return to_csv(header, rows), "text/csv; charset=utf-8", f"{stem}.csv"
