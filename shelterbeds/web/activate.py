"""Account activation: the holder of a one-time link sets their password."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from ..domain.clock import utcnow
from ..domain.errors import Invalid
from ..extensions import db
from ..schemas.forms_admin import ActivationForm
from ..services import activation
from ..services.auth import MIN_PASSWORD_LENGTH
from . import bp


@bp.get("/activate/<token>")
def activate(token: str) -> Any:
    """The form to set a password, if the link is still valid (else an error page)."""
    link = activation.check_link(db.session, token, utcnow())
    return render_template(
        "web/activate.html", email=link.user.email, min_length=MIN_PASSWORD_LENGTH
    )


@bp.post("/activate/<token>")
def activate_submit(token: str) -> Any:
    link = activation.check_link(db.session, token, utcnow())
    context = {"email": link.user.email, "min_length": MIN_PASSWORD_LENGTH}
    try:
        form = ActivationForm().load(request.form)
    except ValidationError as err:
        return render_template("web/activate.html", errors=err.messages, **context), 422
    try:
        activation.activate(db.session, token, form["password"], utcnow())
    except Invalid as err:
        db.session.rollback()
        return render_template("web/activate.html", errors=err.errors, **context), 422
    db.session.commit()
    flash(
        _("Your password is set. Sign in with your e-mail address and the new password."), "success"
    )
    return redirect(url_for("web.login"))
