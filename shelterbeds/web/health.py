"""Liveness and readiness probes for the load balancer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from ..extensions import db
from . import bp


@bp.get("/healthz")
def healthz() -> Any:
    """Alive: no auth, no database."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> Any:
    """Ready: the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means not ready
        db.session.rollback()
        return {"status": "unavailable", "database": "error"}, 503
    return {"status": "ok", "database": "ok"}
