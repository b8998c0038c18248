"""Vacancy search for social workers: household and needs in, suitable places out.

The page explains itself: near misses list every reason with its limit (and whether the
limit is an assumption), and a shelter not staffed at this hour says so as a warning.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup
from marshmallow import EXCLUDE, ValidationError

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import MatchReason, Role
from ..domain.explain import ReasonDetail
from ..extensions import db
from ..formatting import label
from ..schemas.vacancies import VacancyQueryArgs, encode_cursor
from ..services.search_page import search_for_page
from . import bp
from .forms import MAX_CHILD_ROWS, child_rows_shown, form_children, language_choices

# Form fields that are not search parameters.
NOT_ARGS = ("go", "children_shown")


def _form_to_args(form: Any) -> dict[str, Any]:
    """Turn the page's child rows (age + sex) into the API's query parameters."""
    skip = ("child_", *NOT_ARGS)
    args = {k: v for k, v in form.items() if v != "" and not k.startswith(skip)}
    children = form_children(form)
    if children:
        args["child_ages"] = ",".join(c["age"] for c in children)
        args["child_sexes"] = ",".join(c["sex"] or "?" for c in children)
    return args


def reason_text(detail: ReasonDetail) -> str:
    """One reason in words, with its limit: "Boys up to 15 years — assumption"."""
    code, limit = detail.code, detail.limit
    if code is MatchReason.BOYS_AGE and isinstance(limit, int):
        text = _("Boys up to %(age)d years", age=limit)
    elif code is MatchReason.SUBSTANCE_USE and limit == "if_detoxified":
        text = _("Substance use only if detoxified")
    elif code is MatchReason.LANGUAGE and limit:
        names = dict(language_choices(tuple(str(limit).split(", "))))
        spoken = ", ".join(names.get(c, c) for c in str(limit).split(", "))
        text = _("Does not speak the language (speaks: %(languages)s)", languages=spoken)
    else:
        text = label(code)
    return _("%(reason)s — assumption", reason=text) if detail.assumed else text


@bp.get("/search")
@roles_required(Role.SOCIAL_WORKER, Role.ADMIN)
def search_page() -> Any:
    """Empty form on first visit; results once the form is submitted (?go=1)."""
    actor = current_actor()
    context: dict[str, Any] = {
        "form": request.args,
        "child_rows": MAX_CHILD_ROWS,
        "children_shown": child_rows_shown(request.args),
        "languages": language_choices(),
        "municipalities": actor.organisation.municipalities if actor.organisation else [],
        "reason_text": reason_text,
    }
    if not request.args.get("go"):
        return render_template("web/search.html", **context)
    try:
        query = VacancyQueryArgs(unknown=EXCLUDE).load(_form_to_args(request.args))
    except ValidationError as err:
        return render_template("web/search.html", errors=err.messages, **context), 422
    thresholds = current_app.config["SETTINGS"].freshness_thresholds()
    answer = search_for_page(db.session, actor, query, utcnow(), thresholds)
    db.session.commit()  # the unmet-need signal, if any
    next_url = None
    if answer.result.next_offset is not None:  # the same form, one page on
        args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "cursor"}
        args["cursor"] = encode_cursor(query, answer.result.next_offset)
        next_url = url_for("web.search_page", **args) + "#results"
    return render_template(
        "web/search.html",
        result=answer.result,
        next_url=next_url,
        near=answer.near,
        staffing=answer.staffing,
        local_now=answer.local_now,
        query=query,
        **context,
    )


def unit_beds(unit: Any) -> str:
    """'1 adult bed, 3 child beds' with the right plural in the user's language."""
    adults = ngettext("%(num)d adult bed", "%(num)d adult beds", unit.adult_beds)
    children = ngettext("%(num)d child bed", "%(num)d child beds", unit.child_beds)
    return f"{adults}, {children}"


def carry_args(args: Any) -> dict[str, Any]:
    """The search's household and needs, carried to the request form (not the buttons or
    the page of results)."""
    return {k: v for k, v in args.items() if k not in (*NOT_ARGS, "cursor") and v != ""}


@bp.app_template_filter("shelter_words")
def shelter_words(text: str | None) -> Markup:
    """A shelter's own free text (staffed hours, say): Swedish, marked so for screen readers
    on an English page, and not translated."""
    return Markup('<span lang="sv">{}</span>').format(text or "")


@bp.app_context_processor
def _search_helpers() -> dict[str, Any]:
    return {"unit_beds": unit_beds, "carry_args": carry_args}
