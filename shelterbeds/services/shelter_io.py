"""Bulk import and export of shelters and units: all or nothing, problems named by row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.enums import ChangeSource, Role
from ..domain.errors import Invalid
from ..models import Municipality, Organisation, Shelter, Unit, User
from .access import admin_sees, require_role
from .shelter_admin import (
    add_unit,
    create_shelter,
    list_admin_shelters,
    update_shelter,
    update_unit,
)


class ImportRow(Protocol):
    number: int
    shelter: dict[str, Any]
    unit: dict[str, Any] | None


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0
    shelters_created: int = 0
    shelters_updated: int = 0
    units_created: int = 0
    units_updated: int = 0
    warnings: list[str] = field(default_factory=list)


def _same(a: Any, b: Any) -> bool:
    def norm(v: Any) -> Any:
        return v.value if isinstance(v, Enum) else v

    return {k: norm(v) for k, v in a.items()} == {k: norm(v) for k, v in b.items()}


def _check(
    session: Session, actor: User, rows: Sequence[ImportRow]
) -> tuple[list[dict[str, Any]], dict[str, Shelter | None]]:
    """Every problem the database would find, by row and column; the existing shelters."""
    problems: list[dict[str, Any]] = []

    def problem(row: int, column: str, message: str) -> None:
        problems.append({"row": row, "column": column, "message": message})

    munis = {m.code: m for m in session.scalars(select(Municipality))}
    orgs = set(session.scalars(select(Organisation.slug)))
    first: dict[str, tuple[int, dict[str, Any]]] = {}
    labels: dict[tuple[str, str], int] = {}
    existing: dict[str, Shelter | None] = {}
    for row in rows:
        data, slug = row.shelter, row.shelter["slug"]
        if slug not in existing:
            existing[slug] = session.scalar(select(Shelter).where(Shelter.slug == slug))
        shelter = existing[slug]
        muni = munis.get(data["municipality_code"])
        if muni is None:
            problem(
                row.number,
                "municipality_code",
                f"Unknown municipality code {data['municipality_code']}.",
            )
        elif not admin_sees(actor, muni.county_code):
            problem(row.number, "municipality_code", "Outside the county you administer.")
        if shelter is not None and not admin_sees(actor, shelter.municipality.county_code):
            problem(
                row.number, "shelter_slug", "An existing shelter outside the county you administer."
            )
        if data["operator"] not in orgs:
            problem(row.number, "operator", f"Unknown organisation {data['operator']}.")
        if not (data["accepts_women"] or data["accepts_men"]):
            problem(row.number, "accepts_women", "A shelter must accept women, men or both.")
        if slug in first and not _same(first[slug][1], data):
            problem(
                row.number,
                "shelter_slug",
                f"The shelter columns differ from row {first[slug][0]} for the same shelter.",
            )
        first.setdefault(slug, (row.number, data))
        if row.unit is not None:
            key = (slug, row.unit["label"])
            if key in labels:
                problem(row.number, "unit_label", f"The same unit is on row {labels[key]} too.")
            labels.setdefault(key, row.number)
            unit = _unit(session, shelter, row.unit["label"])
            if unit is not None and unit.retired_at is not None:
                problem(row.number, "unit_label", "A retired unit has this label: choose another.")
    return problems, existing


def _unit(session: Session, shelter: Shelter | None, label: str) -> Unit | None:
    if shelter is None:
        return None
    return session.scalar(select(Unit).where(Unit.shelter_id == shelter.id, Unit.label == label))


def import_shelters(
    session: Session,
    actor: User,
    rows: Sequence[ImportRow],
    shape_problems: list[dict[str, Any]],
    now: datetime,
    *,
    dry_run: bool,
) -> ImportReport:
    """Create or update shelters and units from checked rows; any problem changes nothing.

    Existing shelters (by slug) take the file's values, recorded in their profile history;
    units are matched by label within the shelter. Units missing from the file are left as
    they are (retire them explicitly); unit statuses are never imported.
    """
    require_role(actor, Role.ADMIN)
    db_problems, existing = _check(session, actor, rows)
    problems = sorted(shape_problems + db_problems, key=lambda p: (p["row"], p["column"]))
    if problems:
        raise Invalid(
            f"{len(problems)} problems in the file; nothing was imported.",
            errors={"rows": problems},
        )
    report = ImportReport(dry_run=dry_run, rows=len(rows))
    done: dict[str, Shelter] = {}
    seen: set[str] = set()
    for row in rows:
        slug = row.shelter["slug"]
        shelter = done.get(slug)
        if slug not in seen:
            seen.add(slug)
            old = existing[slug]
            if old is None:
                report.shelters_created += 1
                if not dry_run:
                    shelter = create_shelter(session, actor, row.shelter, now)
            else:
                report.shelters_updated += 1
                if not dry_run:
                    shelter, warnings = update_shelter(session, actor, old.id, row.shelter, now)
                    report.warnings += [f"{slug}: {w}" for w in warnings]
            if shelter is not None:
                done[slug] = shelter
        if row.unit is None:
            continue
        unit = _unit(session, existing[slug], row.unit["label"])
        if unit is None:
            report.units_created += 1
            if shelter is not None:
                add_unit(session, actor, shelter.id, row.unit, now, ChangeSource.API)
        else:
            report.units_updated += 1
            if shelter is not None:
                update_unit(session, actor, shelter.id, unit.id, row.unit, now, ChangeSource.API)
    session.flush()
    return report


def export_rows(session: Session, actor: User) -> list[dict[str, Any]]:
    """One dict per unit (retired units left out); a shelter without units is one row."""
    rows = []
    for shelter in list_admin_shelters(session, actor):
        base = {
            "shelter_slug": shelter.slug,
            "shelter_name": shelter.name,
            "operator": shelter.operator.slug,
            "municipality_code": shelter.municipality_code,
            "intake_phone": shelter.intake_phone,
            "on_call_phones": shelter.on_call_phones or [],
            "ivo_licence": shelter.ivo_licence,
            "ivo_licence_date": shelter.ivo_licence_date,
            "accepts_women": shelter.accepts_women,
            "accepts_men": shelter.accepts_men,
            "lgbtq": shelter.lgbtq,
            "substance_use": shelter.substance_use,
            "psychiatric": shelter.psychiatric,
            "pets": shelter.pets,
            "max_boy_age": shelter.max_boy_age,
            "staffed_around_clock": shelter.staffed_around_clock,
            "staffed_hours": shelter.staffed_hours,
            "languages": shelter.languages or [],
            "nationwide": shelter.nationwide,
        }
        units = [u for u in shelter.units if u.retired_at is None]
        for unit in units:
            rows.append(
                base
                | {
                    "unit_label": unit.label,
                    "adult_beds": unit.adult_beds,
                    "child_beds": unit.child_beds,
                    "wheelchair_accessible": unit.wheelchair_accessible,
                    "pets_allowed": unit.pets_allowed,
                }
            )
        if not units:
            rows.append(base)
    return rows
