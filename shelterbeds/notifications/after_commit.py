"""Send the SMS a unit of work queued, right after it commits — one place for every entry point.

Rows are queued in the event's own transaction (outbox.enqueue) and become sendable when it
commits (outbox.take_committed). After every HTTP request (API and web pages alike) `init_app`
hands them to the process's background sender, so the request answers without waiting for the
provider (notifications/background.py); CLI commands call `send_committed` after their commit
and send inline. The clock sweeps anything this misses (a crash, a provider outage).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, Response, current_app
from sqlalchemy.orm import Session

from . import messages
from .background import BackgroundSender
from .outbox import OutboxPolicy, dispatch, take_committed
from .senders import OutgoingSms, SmsSender, make_sender

log = logging.getLogger("shelterbeds.sms")
EXTENSION_KEY = "shelterbeds_sms_sender"
BACKGROUND_KEY = "shelterbeds_sms_background"
SEND_BATCH = 200  # ids claimed per round; all of them are sent (a freed unit's 1,000 alerts)
# Smaller claims in the background: a process killed mid-batch leaves at most this many
# rows `sending` (reconciled, not resent blindly), and the clock can take the rest meanwhile.
BACKGROUND_BATCH = 100


def get_sender(app: Flask | None = None) -> SmsSender:
    """The app's sender (one per app: a recording sender keeps its messages for tests)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    sender: SmsSender | None = app.extensions.get(EXTENSION_KEY)
    if sender is None:
        sender = app.extensions[EXTENSION_KEY] = make_sender(app.config["SETTINGS"])
    return sender


def send_committed(
    session: Session,
    release: Callable[[], None],
    new_session: Callable[[], Session],
    sender: SmsSender,
    policy: OutboxPolicy,
    now: Callable[[], datetime],
    background: BackgroundSender | None = None,
) -> int:
    """Send what `session` queued and committed; return how many ids were handed over.

    `release` ends the unit of work's own session first. Why: after its commit, any further
    statement on it (a lazy load while the response is serialised) opens a new transaction,
    and on SQLite every transaction begins IMMEDIATE — it holds the database write lock. The
    send below claims its rows in a new transaction on another connection, so it would wait
    on its own request's lock for the whole busy timeout and then fail ("database is
    locked"): 30 s per request and no SMS. On PostgreSQL releasing is merely tidy.

    With `background`, the ids are handed to the process's background sender and this
    returns at once (notifications/background.py); without (CLI commands, an app bound to
    one test connection), they are sent here.
    """
    ids = take_committed(session)
    if not ids:
        return 0
    release()
    if background is not None and background.submit(ids):
        return len(ids)
    try:
        dispatch(new_session, sender, now, policy, ids=ids, limit=SEND_BATCH)
    except Exception:  # the change is committed; the clock retries the rows
        log.exception("sending the outbox after commit failed; the clock will retry")
    return len(ids)


def get_background(app: Flask | None = None) -> BackgroundSender | None:
    """The app's background sender (None when SMS are sent inline)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions.get(BACKGROUND_KEY)


def init_app(app: Flask, database: Any, now: Callable[[], datetime]) -> None:
    """Send committed SMS after every request of `app` (API, pages, webhooks)."""
    settings = app.config["SETTINGS"]
    messages.configure(settings.public_url)
    policy = OutboxPolicy.from_settings(settings)
    if not database.single_connection:  # a test connection cannot be shared with a thread
        app.extensions[BACKGROUND_KEY] = BackgroundSender(
            database.new_session, LazySender(app), policy, now, batch=BACKGROUND_BATCH
        )

    @app.after_request
    def _send_committed_outbox(response: Response) -> Response:
        send_committed(
            database.session,
            database.registry.remove,
            database.new_session,
            get_sender(app),
            policy,
            now,
            get_background(app),
        )
        return response


class LazySender:
    """The app's sender, looked up when used (tests may replace it after create_app)."""

    def __init__(self, app: Flask) -> None:
        self._app = app

    def send(self, message: OutgoingSms) -> str:
        return get_sender(self._app).send(message)

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        return get_sender(self._app).find_sent(to, body, since)
