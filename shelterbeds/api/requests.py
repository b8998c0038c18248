"""Placement requests: request and hold a unit, answer, withdraw."""

from __future__ import annotations

from typing import Any

from flask import current_app

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..domain.requests import DeclineReason
from ..extensions import db
from ..schemas.requests import (
    DeclineIn,
    IdempotencyHeader,
    PlacementOut,
    RequestIn,
    RequestListArgs,
    RequestOut,
)
from ..services import requests as requests_service
from ..services.requests import RequestInput
from ..throttle import sms_limited
from . import make_blueprint

blp = make_blueprint("requests", "Placement requests: hold a place and get an answer")
PARTIES = (Role.SOCIAL_WORKER, Role.SHELTER_STAFF, Role.ADMIN)


@blp.post("/requests")
@roles_required(Role.SOCIAL_WORKER)
@blp.arguments(IdempotencyHeader, location="headers", as_kwargs=False)
@blp.arguments(RequestIn, as_kwargs=False)
@blp.response(201, RequestOut)
@sms_limited
def create_request(headers: dict[str, Any], data: RequestInput) -> Any:
    """Request a unit and hold it (`hold_expires_at`); `Idempotency-Key` makes retries safe."""
    settings = current_app.config["SETTINGS"]
    req = requests_service.request_unit(
        db.session,
        current_actor(),
        data,
        utcnow(),
        settings.hold_minutes,
        idempotency_key=headers.get("key"),
        thresholds=settings.freshness_thresholds(),
    )
    db.session.commit()
    return req


@blp.get("/requests")
@roles_required(*PARTIES)
@blp.arguments(RequestListArgs, location="query", as_kwargs=False)
@blp.response(200, RequestOut(many=True))
def list_requests(args: dict[str, Any]) -> Any:
    """Your organisation's (social workers) or your shelter's (staff) requests, newest first."""
    rows = requests_service.list_requests(db.session, current_actor(), utcnow(), args["status"])
    db.session.commit()  # the audit rows
    return rows


@blp.get("/requests/<int:request_id>")
@roles_required(*PARTIES)
@blp.response(200, RequestOut)
def get_request(request_id: int) -> Any:
    """One request (its two parties only)."""
    req = requests_service.get_request(db.session, current_actor(), request_id, utcnow())
    db.session.commit()
    return req


@blp.post("/requests/<int:request_id>/accept")
@roles_required(Role.SHELTER_STAFF)
@blp.response(200, PlacementOut)
@sms_limited
def accept_request(request_id: int) -> Any:
    """Accept: the unit becomes occupied and the placement starts (staff of the shelter)."""
    settings = current_app.config["SETTINGS"]
    placement = requests_service.accept(
        db.session, current_actor(), request_id, utcnow(), settings.review_first_days
    )
    db.session.commit()
    return placement


@blp.post("/requests/<int:request_id>/decline")
@roles_required(Role.SHELTER_STAFF)
@blp.arguments(DeclineIn, as_kwargs=False)
@blp.response(200, RequestOut)
@sms_limited
def decline_request(data: dict[str, Any], request_id: int) -> Any:
    """Decline with a coded reason; the unit is free again (staff of the shelter)."""
    req = requests_service.decline(
        db.session,
        current_actor(),
        request_id,
        DeclineReason(data["reason"]),
        utcnow(),
        episodes=current_app.config["SETTINGS"].episode_policy(),
    )
    db.session.commit()
    return req


@blp.post("/requests/<int:request_id>/withdraw")
@roles_required(Role.SOCIAL_WORKER)
@blp.response(200, RequestOut)
@sms_limited
def withdraw_request(request_id: int) -> Any:
    """Withdraw the request; the unit is free again (the requesting organisation)."""
    req = requests_service.withdraw(db.session, current_actor(), request_id, utcnow())
    db.session.commit()
    return req
