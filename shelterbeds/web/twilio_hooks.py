"""Twilio webhooks: inbound SMS (`POST /twilio/sms`) and delivery reports (`/twilio/status`).

Both check `X-Twilio-Signature` against SHELTERBEDS_PUBLIC_URL + the path Twilio called;
missing or wrong → 403 problem+json. No session cookie, so no CSRF token (exempt).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request

from ..domain.clock import utcnow
from ..domain.ids import parse_id
from ..errors import problem
from ..extensions import csrf, db
from ..notifications.callbacks import apply_status_callback
from ..notifications.twilio_sender import signature_is_valid, twiml_reply
from ..services.sms_inbound import handle_inbound
from ..throttle import sms_limited
from . import bp


def _signed() -> bool:
    settings = current_app.config["SETTINGS"]
    url = settings.public_url.rstrip("/") + request.full_path.rstrip("?")
    return signature_is_valid(
        settings.twilio_auth_token,
        url,
        request.form.to_dict(),
        request.headers.get("X-Twilio-Signature"),
    )


def _forbidden() -> Response:
    return problem(403, "Forbidden", "Missing or invalid X-Twilio-Signature.")


def _bad(field: str) -> Response:
    return problem(400, "Bad request", f"'{field}' is missing.", {field: ["Required."]})


@bp.post("/twilio/sms")
@sms_limited
def twilio_sms() -> Any:
    """An inbound SMS: opt-out keywords and staff commands; answered with TwiML."""
    if not _signed():
        return _forbidden()
    form = request.form
    for name in ("MessageSid", "From"):
        if not form.get(name):
            return _bad(name)
    result = handle_inbound(
        db.session,
        message_sid=form["MessageSid"][:64],
        from_phone=form["From"][:32],
        body=form.get("Body", "")[:480],
        now=utcnow(),
    )
    db.session.commit()
    return Response(twiml_reply(result.reply), mimetype="application/xml")


@bp.post("/twilio/status")
def twilio_status() -> Any:
    """A delivery report: moves an outbox row forward only; replays change nothing."""
    if not _signed():
        return _forbidden()
    form = request.form
    for name in ("MessageSid", "MessageStatus"):
        if not form.get(name):
            return _bad(name)
    outbox_id = parse_id(request.args.get("o"))
    apply_status_callback(
        db.session,
        message_sid=form["MessageSid"][:64],
        message_status=form["MessageStatus"][:20],
        error_code=(form.get("ErrorCode") or None),
        now=utcnow(),
        outbox_id=outbox_id,
        token=request.args.get("t", type=str),
    )
    db.session.commit()
    return Response(status=204)


csrf.exempt(twilio_sms)
csrf.exempt(twilio_status)
