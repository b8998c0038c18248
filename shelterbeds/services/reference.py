"""Reference data shipped with the package: 21 counties and 290 municipalities (SCB codes)."""

from __future__ import annotations

import csv
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import County, Municipality


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("shelterbeds.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def ensure_reference_data(session: Session) -> int:
    """Insert counties and municipalities that are missing; return how many were added."""
    have_counties = set(session.scalars(select(County.code)))
    have_munis = set(session.scalars(select(Municipality.code)))
    added = 0
    for row in _rows("counties.csv"):
        if row["code"] not in have_counties:
            session.add(County(code=row["code"], name=row["name"]))
            added += 1
    session.flush()
    for row in _rows("municipalities.csv"):
        if row["code"] not in have_munis:
            session.add(
                Municipality(code=row["code"], name=row["name"], county_code=row["county_code"])
            )
            added += 1
    session.flush()
    return added
