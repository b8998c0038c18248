"""County statistics pages: the dashboard, its downloads and the annual report (Årsrapport).

For county analysts and administrators. No inline script: the charts are drawn by
static/stats.js from a JSON block; every chart's numbers are also in a table.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, ValidationError
from sqlalchemy import select

from ..authz import current_actor, roles_required
from ..domain.clock import STOCKHOLM, utcnow
from ..domain.enums import Role
from ..domain.errors import Invalid
from ..domain.periods import MAX_YEAR, MIN_YEAR, Period
from ..extensions import db
from ..models import Municipality, Shelter
from ..schemas.stats import StatsArgs
from ..services.statistics import figures_for, filters_for
from ..statistics.export import render
from . import bp
from .stats_tables import (
    BY_ID,
    RATES,
    TABLES,
    Table,
    chart,
    heading,
    names,
    show,
    table_rows,
)

ROLES = (Role.COUNTY_ANALYST, Role.ADMIN)
# The annual report's tables (the figures the county's 2015 mapping collected by phone).
REPORT_TABLES = (
    "turnaways-month",
    "refusal-groups",
    "turnaways-shelter",
    "turnaways-municipality",
    "declines-group",
    "unmet-needs",
    "occupancy",
    "stays",
    "compliance",
)
# Key figures: (family, metric, label). A headline stands alone, without its table's
# caption, so its label says what is counted ("Count" alone did not).
HEADLINES = (
    ("turnaways", "refusals", _l("Refusals")),
    ("turnaways", "episodes", _l("Episodes (households)")),
    ("requests", "requests", _l("Placement requests")),
    ("requests", "success_rate", _l("Requests accepted (success rate)")),
    ("occupancy", "occupancy", _l("Occupancy of open units")),
    ("unmet-needs", "count", _l("Unmet needs (searches with nothing suitable, declines)")),
    ("compliance", "compliance", _l("Reporting compliance")),
)


def _query(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    args = StatsArgs(unknown=EXCLUDE).load({k: v for k, v in request.args.items() if v != ""})
    args.update(extra or {})
    return args


def _answers(tables: list[Table], args: dict[str, Any]) -> dict[str, Any]:
    """One answer per (family, by), shared by the tables that need it."""
    settings = current_app.config["SETTINGS"]
    found: dict[tuple[str, tuple[str, ...]], Any] = {}
    for table in tables:
        key = (table.family, table.by)
        if key not in found:
            found[key] = figures_for(
                db.session,
                current_actor(),
                table.family,
                utcnow(),
                settings.stats_exact_roles,
                first=args["from_"],
                last=args["to"],
                by=list(table.by),
                shelter=args["shelter"],
                municipality=args["municipality"],
            )
    return {t.id: found[(t.family, t.by)] for t in tables}


def _sections(tables: list[Table], answers: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    lookup = names(db.session)
    sections, charts = [], []
    for table in tables:
        columns, rows = table_rows(table, answers[table.id])
        spec = chart(table, columns, rows, lookup)
        if spec is not None:
            charts.append({"id": f"chart-{table.id}", **spec})
        sections.append(
            {
                "table": table,
                "headers": [heading(c) for c in columns],
                "key_count": len(table.by),
                "rows": [
                    [show(c, v, lookup) for c, v in zip(columns, r, strict=True)] for r in rows
                ],
                "chart_id": f"chart-{table.id}" if spec else None,
            }
        )
    return sections, charts


def _change(metric: str, now: Any, before: Any) -> str | None:
    """The change from the previous period: a count difference or percentage points."""
    numbers = (int, float)
    if not (isinstance(now, numbers) and isinstance(before, numbers)):
        return None
    if metric in RATES:
        return f"{(now - before) * 100:+.1f} p.p."
    return f"{now - before:+d}"


def _headlines(answers_by_family: dict[str, Any]) -> list[dict[str, Any]]:
    """Key figures of the period with the previous period's and the change."""
    out = []
    for family, metric, label in HEADLINES:
        result = answers_by_family.get(family)
        if result is None:
            continue
        now, before = result["totals"].get(metric), result["previous"]["totals"].get(metric)
        out.append(
            {
                "label": label,
                "value": show(metric, now, {}),
                "previous": show(metric, before, {}),
                "change": _change(metric, now, before),
            }
        )
    return out


def _choices(county: str | None) -> dict[str, Any]:
    shelters = select(Shelter.slug, Shelter.name).join(
        Municipality, Municipality.code == Shelter.municipality_code
    )
    municipalities = select(Municipality.code, Municipality.name)
    if county is not None:
        shelters = shelters.where(Municipality.county_code == county)
        municipalities = municipalities.where(Municipality.county_code == county)
    return {
        "shelters": db.session.execute(shelters.order_by(Shelter.name)).all(),
        "municipalities": db.session.execute(municipalities.order_by(Municipality.name)).all(),
    }


def _render(template: str, tables: list[Table], args: dict[str, Any], **extra: Any) -> Any:
    answers = _answers(tables, args)
    sections, charts = _sections(tables, answers)
    by_family = {t.family: answers[t.id] for t in tables}
    first = next(iter(answers.values()))
    county = filters_for(db.session, current_actor()).county
    return render_template(
        template,
        sections=sections,
        charts=charts,
        headlines=_headlines(by_family),
        answer=first,
        args=args,
        query={k: v for k, v in request.args.items() if v and k != "format"},
        county=county,
        **_choices(county),
        **extra,
    )


@bp.get("/stats")
@roles_required(*ROLES)
def stats_page() -> Any:
    """The county dashboard: filters, charts, the same numbers as tables, downloads."""
    try:
        args = _query()
        return _render("stats/dashboard.html", list(TABLES), args)
    except (ValidationError, Invalid) as err:
        messages = err.messages if isinstance(err, ValidationError) else err.errors
        empty = {"from_": None, "to": None, "shelter": None, "municipality": None}
        county = filters_for(db.session, current_actor()).county
        return render_template(
            "stats/dashboard.html",
            sections=[],
            charts=[],
            headlines=[],
            answer=None,
            args=empty,
            query={},
            county=county,
            errors=messages,
            **_choices(county),
        ), 422


@bp.get("/stats/download/<table_id>.<fmt>")
@roles_required(*ROLES)
def stats_download(table_id: str, fmt: str) -> Any:
    """One dashboard table as CSV or XLSX: the numbers the page shows, as codes."""
    table = BY_ID.get(table_id)
    if table is None or fmt not in ("csv", "xlsx"):
        abort(404)
    try:
        args = _query()
    except ValidationError:
        abort(422)
    result = _answers([table], args)[table.id]
    columns, rows = table_rows(table, result)
    body, mimetype, filename = render(
        {**result, "by": [], "rows": [dict(zip(columns, r, strict=True)) for r in rows]},
        columns,
        table.id,
        fmt,
    )
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/stats/report")
@bp.get("/stats/report/<int:year>")
@roles_required(*ROLES)
def stats_report(year: int | None = None) -> Any:
    """The annual report (Årsrapport): one printable page for the county and year."""
    this_year = utcnow().astimezone(STOCKHOLM).year
    year = year or this_year - 1
    if not MIN_YEAR < year <= MAX_YEAR:
        abort(404)
    period = Period.year(year)
    args = {"from_": period.first, "to": period.last, "shelter": None, "municipality": None}
    tables = [BY_ID[t] for t in REPORT_TABLES]
    return _render(
        "stats/report.html", tables, args, year=year, years=range(this_year, this_year - 6, -1)
    )
