"""Send the SMS a unit of work queued, right after it commits — one place for every entry point.

Rows are queued in the event's own transaction (outbox.enqueue) and become sendable when it
commits (outbox.take_committed). `send_committed` sends them at once; the clock sweeps anything
this misses (a crash, a provider outage). `init_app` wires it after every HTTP request (API and
web pages alike); CLI commands call `send_committed` after their commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, Response, current_app
from sqlalchemy.orm import Session

from . import messages
from .outbox import OutboxPolicy, dispatch, take_committed
from .senders import SmsSender, make_sender

log = logging.getLogger("shelterbeds.sms")
EXTENSION_KEY = "shelterbeds_sms_sender"
SEND_BATCH = 200  # ids claimed per round; all of them are sent (a freed unit's 1,000 alerts)


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
) -> int:
    """Send what `session` queued and committed; return how many ids were handed over.

    `release` ends the unit of work's own session first. Why: after its commit, any further
    statement on it (a lazy load while the response is serialised) opens a new transaction,
    and on SQLite every transaction begins IMMEDIATE — it holds the database write lock. The
    send below claims its rows in a new transaction on another connection, so it would wait
    on its own request's lock for the whole busy timeout and then fail ("database is
    locked"): 30 s per request and no SMS. On PostgreSQL releasing is merely tidy.
    """
    ids = take_committed(session)
    if not ids:
        return 0
    release()
    try:
        dispatch(new_session, sender, now, policy, ids=ids, limit=SEND_BATCH)
    except Exception:  # the change is committed; the clock retries the rows
        log.exception("sending the outbox after commit failed; the clock will retry")
    return len(ids)


def init_app(app: Flask, database: Any, now: Callable[[], datetime]) -> None:
    """Send committed SMS after every request of `app` (API, pages, webhooks)."""
    settings = app.config["SETTINGS"]
    messages.configure(settings.public_url)
    policy = OutboxPolicy.from_settings(settings)

    @app.after_request
    def _send_committed_outbox(response: Response) -> Response:
        send_committed(
            database.session,
            database.registry.remove,
            database.new_session,
            get_sender(app),
            policy,
            now,
        )
        return response
