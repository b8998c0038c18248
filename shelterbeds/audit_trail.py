"""Every change through the web or the API leaves an audit row, in the same transaction.

Services audit their own reads and changes of requests and placements in detail. On top
of that, every view that changes something (POST, PUT, PATCH, DELETE by a signed-in user)
writes one "change" row — endpoint, object id, method, client address — in the very
transaction that commits the change (a SQLAlchemy `before_commit` hook), so no change can
commit without its audit row, and a change that fails (rolled back) leaves none.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from .domain.clock import utcnow
from .services import audit

CHANGES = ("POST", "PUT", "PATCH", "DELETE")
_ARMED = "audit_change_armed"
_WRITTEN = "audit_change_written"


def _object_id() -> int | None:
    for value in (request.view_args or {}).values():
        if isinstance(value, int):
            return value
    return None


def _before_commit(session: Session) -> None:
    if not has_request_context() or not g.get(_ARMED) or g.get(_WRITTEN):
        return
    actor = g.get("actor")
    if actor is None or request.method not in CHANGES:
        return
    g.setdefault(_WRITTEN, True)
    endpoint = (request.endpoint or "unknown").split(".")[-1]
    audit.record(
        session, actor, "change", endpoint[:40], _object_id(), utcnow(), detail=request.method
    )


def _armed(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.setdefault(_ARMED, True)  # commits from here on are the view's own
        return view(*args, **kwargs)

    return wrapper


def _denied(response: Response) -> Response:
    """A signed-in user refused (403) or shown nothing (404) is audited too (ASVS 16.3.2):
    in its own transaction, after the refused one was rolled back."""
    actor = g.get("actor")
    if response.status_code in (403, 404) and actor is not None and request.endpoint:
        from .extensions import db

        setattr(g, _WRITTEN, True)  # this commit holds no change: no "change" row
        endpoint = request.endpoint.split(".")[-1]
        audit.record(
            db.session, actor, "denied", endpoint[:40], _object_id(), utcnow(),
            detail=f"{request.method} {response.status_code}",
        )  # fmt: skip
        db.session.commit()
    return response


def init_app(app: Flask) -> None:
    """Arm every view (call after all blueprints are registered)."""
    app.after_request(_denied)
    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static":
            app.view_functions[endpoint] = _armed(view)
    if not event.contains(Session, "before_commit", _before_commit):
        # First among the before_commit hooks: the "change" row is then flushed before the
        # cache version bump, which stays the transaction's last statement.
        event.listen(Session, "before_commit", _before_commit, insert=True)
