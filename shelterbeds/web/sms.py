"""SMS plumbing for the web process: the sender, and sending the outbox right after commit.

Rows queued during a request are sent in `after_app_request`, i.e. after the view's
`db.session.commit()`, in new transactions (see notifications/outbox.py). Rows whose
transaction rolled back are never sent; the clock sweeps anything this misses.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app

from ..domain.clock import utcnow
from ..extensions import db
from ..notifications import messages
from ..notifications.outbox import OutboxPolicy, dispatch, take_committed
from ..notifications.senders import SmsSender, make_sender
from . import bp

log = logging.getLogger("shelterbeds.sms")
EXTENSION_KEY = "shelterbeds_sms_sender"


def get_sender(app: Flask | None = None) -> SmsSender:
    """The app's sender (one per app: a recording sender keeps its messages for tests)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    sender = app.extensions.get(EXTENSION_KEY)
    if sender is None:
        sender = app.extensions[EXTENSION_KEY] = make_sender(app.config["SETTINGS"])
    return sender


@bp.record_once
def _configure(state: Any) -> None:
    messages.configure(state.app.config["SETTINGS"].public_url)


@bp.after_app_request
def _send_committed_outbox(response: Response) -> Response:
    ids = take_committed(db.session)
    if ids:
        settings = current_app.config["SETTINGS"]
        try:
            dispatch(
                db.new_session, get_sender(), utcnow, OutboxPolicy.from_settings(settings), ids=ids
            )
        except Exception:  # the clock retries; the user's change is already committed
            log.exception("sending the outbox after the request failed; the clock will retry")
    return response
