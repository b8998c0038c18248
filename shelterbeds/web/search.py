"""Vacancy search for social workers: household and needs in, suitable places out."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request, url_for
from marshmallow import EXCLUDE, ValidationError

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..extensions import db
from ..schemas.vacancies import VacancyQueryArgs, encode_cursor
from ..services.vacancies import search_vacancies
from . import bp

MAX_CHILD_ROWS = 6


def _form_to_args(form: Any) -> dict[str, Any]:
    """Turn the page's child rows (age + sex) into the API's query parameters."""
    args = {k: v for k, v in form.items() if v != "" and not k.startswith("child_")}
    ages, sexes = [], []
    for i in range(MAX_CHILD_ROWS):
        age = form.get(f"child_age_{i}", "").strip()
        if age:
            ages.append(age)
            sexes.append(form.get(f"child_sex_{i}", "f"))
    if ages:
        args["child_ages"] = ",".join(ages)
        args["child_sexes"] = ",".join(sexes)
    return args


@bp.get("/search")
@roles_required(Role.SOCIAL_WORKER, Role.ADMIN)
def search_page() -> Any:
    """Empty form on first visit; results once the form is submitted (?go=1)."""
    actor = current_actor()
    context: dict[str, Any] = {
        "form": request.args,
        "child_rows": MAX_CHILD_ROWS,
        "municipalities": actor.organisation.municipalities if actor.organisation else [],
    }
    if not request.args.get("go"):
        return render_template("web/search.html", **context)
    try:
        query = VacancyQueryArgs(unknown=EXCLUDE).load(_form_to_args(request.args))
    except ValidationError as err:
        return render_template("web/search.html", errors=err.messages, **context), 422
    settings = current_app.config["SETTINGS"]
    result = search_vacancies(db.session, actor, query, utcnow(), settings.freshness_thresholds())
    db.session.commit()
    next_url = None
    if result.next_offset is not None:  # the same form, one page on
        args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "cursor"}
        args["cursor"] = encode_cursor(query, result.next_offset)
        next_url = url_for("web.search_page", **args) + "#results"
    return render_template(
        "web/search.html", result=result, query=query, next_url=next_url, **context
    )
