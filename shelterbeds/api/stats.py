"""County statistics: aggregates only, for county analysts and administrators."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..extensions import db
from ..schemas.stats import ANSWERS, StatsArgs, dump_answer
from ..services.statistics import figures_for, figures_written
from ..statistics import FAMILIES
from ..statistics.export import XLSX, render
from . import make_blueprint

blp = make_blueprint("stats", 'County statistics (aggregates; counts of 1–2 may show as "<3")')

DESCRIPTIONS = {
    "turnaways": "Refusals and de-duplicated episodes",
    "requests": "Placement requests, outcomes, success rate, minutes to decision",
    "occupancy": "Unit-nights open and occupied (from the status history), nights full",
    "unmet-needs": "Searches and suitability declines that found no suitable place, by need",
    "compliance": "Share of days each shelter reported its vacancies; time since confirmed",
    "stays": "Length of stay and end reasons of placements that ended",
}


def _answer(family: str, args: dict[str, Any]) -> Any:
    settings = current_app.config["SETTINGS"]
    query = dict(
        first=args["from_"],
        last=args["to"],
        by=args["by"].split(",") if args["by"] else None,
        shelter=args["shelter"],
        municipality=args["municipality"],
    )
    actor, now = current_actor(), utcnow()
    if args["format"] == "json":

        def write(result: dict[str, Any]) -> bytes:
            return jsonify(dump_answer(family, result)).get_data()

        body = figures_written(
            db.session, actor, family, now, settings.stats_exact_roles, write, **query
        )
        return Response(body, mimetype="application/json")
    result = figures_for(db.session, actor, family, now, settings.stats_exact_roles, **query)
    body, mimetype, filename = render(
        result, list(FAMILIES[family].metrics), family, args["format"]
    )
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _operation(family: str) -> None:
    keys = ", ".join(FAMILIES[family].keys)
    default = ",".join(FAMILIES[family].default_by)

    def view(args: dict[str, Any]) -> Any:
        return _answer(family, args)

    view.__name__ = f"stats_{family.replace('-', '_')}"
    view.__doc__ = f"{DESCRIPTIONS[family]}. `by`: {keys} (default {default})."
    content = {
        "application/json": {"schema": ANSWERS[family]},
        "text/csv": {"schema": {"type": "string"}},
        XLSX: {"schema": {"type": "string", "format": "binary"}},
    }
    ok = {"description": "The figures (JSON), or the same rows as CSV or XLSX", "content": content}
    decorated = blp.doc(responses={"200": ok})(view)
    decorated = blp.arguments(StatsArgs, location="query")(decorated)
    decorated = roles_required(Role.COUNTY_ANALYST, Role.ADMIN)(decorated)
    blp.route(f"/stats/{family}", methods=["GET"])(decorated)


for _family in FAMILIES:
    _operation(_family)
