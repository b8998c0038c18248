"""Shelter import files for the tests: rows and CSV."""

from __future__ import annotations

import csv
import io


def shelter_rows(n: int, bad_row: int | None = None) -> list[dict[str, str]]:
    """`n` shelters with two units each; shelter `bad_row` (1-based) has a bad municipality."""
    rows = []
    for i in range(1, n + 1):
        base = {
            "shelter_slug": f"boende-{i}",
            "shelter_name": f"Boende {i}",
            "operator": "sara-huset",
            "municipality_code": "9999" if i == bad_row else "1880",
            "intake_phone": f"070-174 06 {i + 10:02d}",
            "on_call_phones": "070-174 06 05; +46701740606",
            "lgbtq": "after_assessment",
            "substance_use": "no",
            "accepts_men": "ja" if i % 2 else "nej",
            "max_boy_age": "" if i % 3 else "14",
            "languages": "sv;en",
            "ivo_licence_date": "2024-04-01",
        }
        for label in ("A", "B"):
            rows.append(base | {"unit_label": f"Rum {label}", "adult_beds": "1", "child_beds": "2"})
    return rows


def to_csv(rows: list[dict[str, str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    columns = list(rows[0])
    writer = csv.DictWriter(out, fieldnames=columns, delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
