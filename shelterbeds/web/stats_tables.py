"""The dashboard's and annual report's tables: which figures, their words, their charts.

One definition per table serves the page, its chart and its CSV/XLSX download, so the
download carries exactly the numbers the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.suppression import SUPPRESSED
from ..models import Municipality, Shelter


@dataclass(frozen=True)
class Table:
    """A table of one family's figures grouped `by`; `share` adds each row's share of
    the first metric; `drop_empty_key` leaves out rows whose first key is empty."""

    id: str
    title: Any
    family: str
    by: tuple[str, ...]
    columns: tuple[str, ...]
    chart: str | None = None  # "bar" or "line"
    share: bool = False
    drop_empty_key: bool = False


TABLES = (
    Table(
        "turnaways-month",
        _l("Turn-aways per month"),
        "turnaways",
        ("month",),
        ("refusals", "episodes"),
        "bar",
    ),
    Table(
        "refusal-groups",
        _l("Turn-aways by reason group"),
        "turnaways",
        ("group",),
        ("refusals", "episodes"),
        "bar",
        share=True,
    ),
    Table(
        "turnaways-shelter",
        _l("Turn-aways per shelter"),
        "turnaways",
        ("shelter",),
        ("refusals", "episodes"),
    ),
    Table(
        "turnaways-municipality",
        _l("Turn-aways per placing municipality"),
        "turnaways",
        ("municipality",),
        ("refusals", "episodes"),
    ),
    Table(
        "turnaways-daypart",
        _l("Turn-aways at night (18–08) and by day"),
        "turnaways",
        ("daypart",),
        ("refusals", "episodes"),
    ),
    Table(
        "requests-month",
        _l("Requests and outcomes per month"),
        "requests",
        ("month",),
        (
            "requests",
            "accepted",
            "declined",
            "withdrawn",
            "expired",
            "success_rate",
            "median_minutes_to_decision",
            "p90_minutes_to_decision",
        ),
        "bar",
    ),
    Table(
        "declines-group",
        _l("Declined requests by reason group"),
        "requests",
        ("group",),
        ("requests",),
        share=True,
        drop_empty_key=True,
    ),
    Table(
        "requests-daypart",
        _l("Requests at night (18–08) and by day"),
        "requests",
        ("daypart",),
        ("requests", "accepted", "success_rate", "median_minutes_to_decision"),
    ),
    Table(
        "occupancy",
        _l("Occupancy per shelter and month"),
        "occupancy",
        ("shelter", "month"),
        ("unit_nights_open", "unit_nights_occupied", "occupancy", "nights_full"),
        "line",
    ),
    Table("unmet-needs", _l("Unmet needs by kind"), "unmet-needs", ("need",), ("count",), "bar"),
    Table(
        "stays",
        _l("Length of stay and end reasons"),
        "stays",
        ("reason",),
        ("ended", "mean_days", "median_days"),
    ),
    Table(
        "compliance",
        _l("Reporting compliance per shelter"),
        "compliance",
        ("shelter",),
        ("days_reported", "days", "compliance", "hours_since_confirmation"),
    ),
)
BY_ID = {t.id: t for t in TABLES}

WORDS = {
    # keys
    "month": _l("Month"),
    "shelter": _l("Shelter"),
    "municipality": _l("Municipality"),
    "reason": _l("Reason"),
    "group": _l("Reason group"),
    "need": _l("Need"),
    "daypart": _l("Time of day"),
    # metrics
    "refusals": _l("Refusals"),
    "episodes": _l("Episodes (households)"),
    "share": _l("Share"),
    "requests": _l("Requests"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
    "expired": _l("Expired"),
    "pending": _l("Waiting"),
    "success_rate": _l("Success rate"),
    "median_minutes_to_decision": _l("Median minutes to decision"),
    "p90_minutes_to_decision": _l("90th percentile minutes"),
    "unit_nights_open": _l("Unit-nights open"),
    "unit_nights_occupied": _l("Unit-nights occupied"),
    "occupancy": _l("Occupancy"),
    "nights_full": _l("Nights full"),
    "count": _l("Count"),
    "ended": _l("Stays ended"),
    "mean_days": _l("Mean days"),
    "median_days": _l("Median days"),
    "days_reported": _l("Days reported"),
    "days": _l("Days"),
    "compliance": _l("Compliance"),
    "hours_since_confirmation": _l("Hours since confirmed"),
}

VALUES = {
    # refusal groups
    "no_place": _l("No place"),
    "no_staff": _l("No staff or resources"),
    "unsuitable": _l("Unsuitable for the household's needs"),
    "safety_location": _l("Safety or location"),
    "client_declined": _l("The client declined"),
    "inappropriate": _l("Inappropriate referral"),
    "other": _l("Other"),
    # reasons and needs
    "capacity": _l("No place (full)"),
    "staff": _l("No staff or resources"),
    "wheelchair": _l("Wheelchair needs"),
    "substance_use": _l("Substance use"),
    "psychiatric": _l("Psychiatric needs"),
    "lgbtq": _l("LGBTQ"),
    "pets": _l("Pets"),
    "boys_age": _l("Boy over the age limit"),
    "boys": _l("Accompanying boys"),
    "men": _l("The adult is a man"),
    "security": _l("Security"),
    "language": _l("Language"),
    "none": _l("No special need (size)"),
    "night": _l("Night 18–08"),
    "day": _l("Day 08–18"),
    # end reasons
    "own_housing": _l("Own housing"),
    "returned_home": _l("Returned home"),
    "other_shelter": _l("Other shelter"),
    "other_placement": _l("Other placement"),
    "unknown": _l("Unknown"),
}
RATES = {"success_rate", "occupancy", "compliance", "share"}


def names(session: Session) -> dict[str, dict[str, str]]:
    """Display names of shelters (by slug) and municipalities (by code)."""
    return {
        "shelter": dict(session.execute(select(Shelter.slug, Shelter.name)).all()),  # type: ignore[arg-type]
        "municipality": dict(session.execute(select(Municipality.code, Municipality.name)).all()),  # type: ignore[arg-type]
    }


def table_rows(table: Table, answer: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The table's header (codes) and rows (raw values, "<3" kept): page and download."""
    columns = [*table.by, *table.columns]
    rows = [r for r in answer["rows"] if not (table.drop_empty_key and r[table.by[0]] is None)]
    out = [[r.get(c) for c in columns] for r in rows]
    if table.share:  # each row's share of the first metric (withheld where suppressed)
        first = table.columns[0]
        total = answer["totals"].get(first)
        if table.drop_empty_key or not isinstance(total, int):
            total = sum(r[first] for r in rows if isinstance(r[first], int))
        columns.append("share")
        for line, r in zip(out, rows, strict=True):
            value = r[first]
            line.append(round(value / total, 3) if isinstance(value, int) and total else None)
    return columns, out


def show(column: str, value: Any, lookup: dict[str, dict[str, str]]) -> str:
    """A cell as the page shows it (rates as percentages, codes as words)."""
    if value is None:
        return "–"
    if value == SUPPRESSED:
        return SUPPRESSED
    if column in RATES:
        return f"{value * 100:.1f} %"
    if column in lookup:
        return lookup[column].get(value, value)
    if column in ("reason", "group", "need", "daypart"):
        return str(VALUES.get(value, value))
    return str(value)


def heading(column: str) -> str:
    return str(WORDS.get(column, column))


def chart(
    table: Table, columns: list[str], rows: list[list[Any]], lookup: dict[str, dict[str, str]]
) -> dict[str, Any] | None:
    """Chart.js data for a table: labels and numeric series (suppressed values are gaps)."""
    if table.chart is None or not rows:
        return None

    def number(v: Any) -> float | None:
        return v if isinstance(v, int | float) and not isinstance(v, bool) else None

    key = table.by[0]
    if len(table.by) == 2:  # one line per first key (shelter) over the second (month)
        months = sorted({r[1] for r in rows})
        metric = columns.index("occupancy")
        series: dict[str, dict[str, Any]] = {}
        for r in rows:
            series.setdefault(r[0], {})[r[1]] = number(r[metric])
        return {
            "type": "line",
            "labels": months,
            "percent": True,
            "datasets": [
                {"label": show(key, k, lookup), "data": [v.get(m) for m in months]}
                for k, v in series.items()
            ],
        }
    count_columns = [c for c in table.columns if c not in RATES and "minutes" not in c][:3]
    return {
        "type": table.chart,
        "labels": [show(key, r[0], lookup) for r in rows],
        "percent": False,
        "datasets": [
            {"label": heading(c), "data": [number(r[columns.index(c)]) for r in rows]}
            for c in count_columns
        ],
    }
