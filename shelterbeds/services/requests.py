"""Placement requests: request and hold a unit, answer, withdraw, expire.

Each use case is one transaction (the caller commits). Races are decided by conditional
UPDATEs: on the request row (`... WHERE status = 'pending'`) and then on the unit row
(`services.units.transition_unit`), always in that order so two use cases never wait on
each other in opposite orders. See models/requests.py for why no unit can carry two holds
or a hold and a placement.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..db import insert_ignoring_conflict
from ..domain.authorization import Action
from ..domain.enums import ChangeSource, Role, TurnAwayChannel, UnitStatus
from ..domain.errors import Conflict, Invalid, NotFound
from ..domain.freshness import FreshnessThresholds, describe_freshness, vacancies_trusted
from ..domain.matching import Household, Needs
from ..domain.refusal_groups import CAPACITY_REASONS
from ..domain.requests import (
    SUITABILITY_REASONS,
    DeclineReason,
    RequestStatus,
    Urgency,
    check_transition,
    first_review,
    hold_expired,
)
from ..domain.turnaways import EpisodePolicy
from ..models import (
    Municipality,
    Placement,
    PlacementRequest,
    Shelter,
    Unit,
    User,
    organisation_municipalities,
)
from ..notifications import events
from . import audit, protected
from .access import (
    case_clause,
    require_case_visible,
    require_deciding_staff,
    require_requesting_org,
    require_role,
)
from .holds import expire_run_out, leave_pending, show_run_out
from .idempotency import claim_key
from .placement_fit import alternatives, check_fit
from .turnaways import record_turnaway
from .units import get_unit, transition_unit
from .vacancies import VacancyQuery, record_unmet_need

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone
CODE_LENGTH = 6
LIST_LIMIT = 200
# A request's unit and shelter, joined in (the API's answer names both).
_WITH_PLACE = (
    joinedload(PlacementRequest.unit).joinedload(Unit.shelter),
    joinedload(PlacementRequest.shelter),
)


@dataclass(frozen=True)
class RequestInput:
    """A validated request body (see schemas/requests.py)."""

    unit_id: int
    municipality_code: str
    case_ref: str
    household: Household
    needs: Needs
    urgency: Urgency
    callback_phone: str
    note: str | None = None
    # Protected identity: only the requester and these users (e-mails) may see it.
    protected_identity: bool = False
    named_users: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        """A stable hash of the body: the same Idempotency-Key must carry the same body."""
        body = asdict(self)
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _load(session: Session, request_id: int) -> PlacementRequest:
    """The request with its unit and shelter (what every use case touches): one query."""
    req = session.get(PlacementRequest, request_id, options=_WITH_PLACE)
    if req is None:
        raise NotFound(f"Request {request_id} does not exist.")
    return req


def _visible(session: Session, actor: User, request_id: int) -> PlacementRequest:
    req = _load(session, request_id)
    require_case_visible(actor, req.organisation_id, req.shelter_id, f"Request {request_id}")
    if not protected.may_see(session, actor, req):
        raise NotFound(f"Request {request_id} does not exist.")
    return req


def get_request(session: Session, actor: User, request_id: int, now: datetime) -> PlacementRequest:
    """One request, for its two parties and admins (404 for anyone else); audited."""
    req = _visible(session, actor, request_id)
    show_run_out([req], now)  # shown as expired; the clock or the next write releases it
    audit.record(session, actor, "request.read", "request", req.id, now)
    return req


def list_requests(
    session: Session,
    actor: User,
    now: datetime,
    status: RequestStatus | None = None,
    since: datetime | None = None,
    limit: int = LIST_LIMIT,
) -> list[PlacementRequest]:
    """The actor's side of the requests, newest first; every row shown is audited.

    `since` keeps pending requests and those created after it (the live pages, which
    reload often: each reload is audited row by row).
    """
    visible = case_clause(
        actor, Action.REQUEST_READ, PlacementRequest.organisation_id, PlacementRequest.shelter_id
    )
    query = (
        select(PlacementRequest)
        .options(*_WITH_PLACE)
        .where(visible, protected.visible_clause(actor))
        .order_by(PlacementRequest.created_at.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(_shown_status_is(status, now))
    if since is not None:
        query = query.where(
            or_(
                PlacementRequest.status == RequestStatus.PENDING,
                PlacementRequest.created_at >= since,
            )
        )
    rows = list(session.scalars(query))
    show_run_out(rows, now)  # the clock may be late: a list never shows a dead hold as pending
    for req in rows:
        audit.record(session, actor, "request.read", "request", req.id, now)
    return rows


def _shown_status_is(status: RequestStatus, now: datetime) -> Any:
    """SQL for "shown with this status": a pending request whose hold has run out is shown
    (and filtered) as expired before the clock releases it (holds.show_run_out)."""
    run_out = and_(
        PlacementRequest.status == RequestStatus.PENDING, PlacementRequest.hold_expires_at <= now
    )
    if status is RequestStatus.PENDING:
        return and_(PlacementRequest.status == status, PlacementRequest.hold_expires_at > now)
    if status is RequestStatus.EXPIRED:
        return or_(PlacementRequest.status == status, run_out)
    return PlacementRequest.status == status


# --- creating a request -----------------------------------------------------------------


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _insert_request(session: Session, values: dict[str, Any]) -> PlacementRequest:
    """INSERT the request under a fresh random code, in one statement.

    The unique constraint on `code` decides (ON CONFLICT (code) DO NOTHING): a taken code
    inserts nothing and we draw again — instead of a SELECT per request to look first.
    With 32**6 codes a retry is rare; 20 in a row means something else is wrong.
    """
    statement = insert_ignoring_conflict(session.get_bind(), PlacementRequest, "code")
    for _attempt in range(20):
        req = session.scalars(
            statement.values(code=_new_code(), **values).returning(PlacementRequest)
        ).first()
        if req is not None:
            return req
    raise RuntimeError("could not find a free request code")


def _placing_municipality(session: Session, actor: User, code: str) -> Municipality:
    """The municipality the request is for; 422 unless the actor's organisation decides for
    it. One query (the municipality and whether the organisation covers it)."""
    covers: Any = true()
    if actor.organisation_id is not None:
        covers = (
            select(organisation_municipalities.c.municipality_code)
            .where(
                organisation_municipalities.c.organisation_id == actor.organisation_id,
                organisation_municipalities.c.municipality_code == code,
            )
            .exists()
        )
    row = session.execute(
        select(Municipality, covers.label("covers")).where(Municipality.code == code)
    ).first()
    if row is None or not row.covers:
        raise Invalid(
            f"Your organisation does not decide for municipality {code}.",
            errors={"municipality_code": ["Use one of your organisation's municipality codes."]},
        )
    return row[0]  # type: ignore[no-any-return]


def request_unit(
    session: Session,
    actor: User,
    req_in: RequestInput,
    now: datetime,
    hold_minutes: int,
    idempotency_key: str | None = None,
    thresholds: FreshnessThresholds | None = None,
) -> PlacementRequest:
    """Request a unit and hold it for `hold_minutes`; 409 with alternatives if not free."""
    require_role(actor, Role.SOCIAL_WORKER)
    key_row = None
    if idempotency_key:
        key_row, earlier = claim_key(session, actor, idempotency_key, req_in.fingerprint())
        if earlier is not None:
            audit.record(session, actor, "request.read", "request", earlier.id, now)
            return earlier

    try:
        unit = get_unit(session, req_in.unit_id)
    except NotFound as exc:
        raise Invalid(str(exc), errors={"unit_id": ["No such unit."]}) from exc
    if not unit.shelter.active:
        raise Invalid(
            "The shelter no longer takes placements.", errors={"unit_id": ["No such unit."]}
        )
    muni = _placing_municipality(session, actor, req_in.municipality_code)
    check_fit(req_in, unit, muni.county_code)
    thresholds = thresholds or FreshnessThresholds()
    _require_trusted_vacancies(session, actor, req_in, unit.shelter, now, thresholds)

    # Lazy expiry: a hold past its time never blocks a new request, even before the clock
    # process has released it. (Only a held unit can carry one; a unit taken meanwhile is
    # caught by the conditional UPDATE below.)
    if unit.status is UnitStatus.HELD:
        expire_run_out(session, unit, now)

    try:
        transition_unit(
            session,
            unit,
            UnitStatus.FREE,
            UnitStatus.HELD,
            actor=actor,
            now=now,
            source=ChangeSource.API,
        )
    except Conflict as exc:
        raise Conflict(
            f"{unit.shelter.name}, {unit.label} is {unit.status.value}, not free. "
            "See 'alternatives' for other suitable free places.",
            current_status=unit.status.value,
            alternatives=alternatives(session, actor, req_in, now, thresholds),
        ) from exc

    h, n = req_in.household, req_in.needs
    values = dict(
        unit_id=unit.id,
        shelter_id=unit.shelter_id,
        organisation_id=actor.organisation_id,
        requested_by_id=actor.id,
        municipality_code=muni.code,
        case_ref=req_in.case_ref,
        adults=h.adults,
        children=[{"age": c.age, "sex": c.sex.value} for c in h.children],
        wheelchair=n.wheelchair,
        pets=n.pets,
        lgbtq=n.lgbtq,
        psychiatric=n.psychiatric,
        men=n.men,
        honour_related=n.honour_related,
        substance_use=n.substance_use,
        language=n.language,
        urgency=req_in.urgency,
        callback_phone=req_in.callback_phone,
        note=req_in.note or None,
        protected_identity=req_in.protected_identity,
        status=RequestStatus.PENDING,
        hold_expires_at=now + timedelta(minutes=hold_minutes),
        created_at=now,
    )
    req = _insert_request(session, values)
    set_committed_value(req, "unit", unit)  # known already: the answer names both
    set_committed_value(req, "shelter", unit.shelter)
    if key_row is not None:
        key_row.request_id = req.id
    if req.protected_identity:
        protected.name_users(session, actor, req, req_in.named_users)
    events.queue_new_request(
        session, shelter=req.shelter, request_code=req.code, now=now, hold_minutes=hold_minutes
    )
    audit.record(session, actor, "request.create", "request", req.id, now)
    return req


# --- leaving pending --------------------------------------------------------------------


def _decide(
    session: Session,
    req: PlacementRequest,
    new: RequestStatus,
    unit_to: UnitStatus,
    actor: User,
    now: datetime,
    reason: DeclineReason | None = None,
) -> None:
    check_transition(req.status, new)
    if hold_expired(req.hold_expires_at, now) or not leave_pending(
        session, req, new, now, actor, reason
    ):
        check_transition(req.status, new)  # raises with the state the winner left
        raise Conflict(  # still pending in the database, but its hold ran out
            "The hold has expired: the place is no longer held for this request.",
            current_status=RequestStatus.EXPIRED.value,
        )
    transition_unit(
        session, req.unit, UnitStatus.HELD, unit_to, actor=actor, now=now, source=ChangeSource.API
    )


def accept(
    session: Session, actor: User, request_id: int, now: datetime, review_first_days: int = 14
) -> Placement:
    """Shelter staff say yes: the unit becomes occupied and the placement starts."""
    req = _visible(session, actor, request_id)
    require_deciding_staff(actor, req.shelter_id, req.organisation_id)
    _decide(session, req, RequestStatus.ACCEPTED, UnitStatus.OCCUPIED, actor, now)
    placement = Placement(
        request_id=req.id,
        unit_id=req.unit_id,
        shelter_id=req.shelter_id,
        organisation_id=req.organisation_id,
        municipality_code=req.municipality_code,
        started_at=now,
        next_review_at=first_review(now, review_first_days),
    )
    session.add(placement)
    session.flush()
    audit.record(session, actor, "request.accept", "request", req.id, now)
    audit.record(session, actor, "placement.start", "placement", placement.id, now)
    _tell_requester(session, req, "accepted", now)
    return placement


def decline(
    session: Session,
    actor: User,
    request_id: int,
    reason: DeclineReason,
    now: datetime,
    *,
    episodes: EpisodePolicy,
) -> PlacementRequest:
    """Shelter staff say no with a coded reason; the unit is free again.

    A capacity decline is a turn-away (grouped into the household's episode); a suitability
    decline is an unmet need. Either way the requester gets an SMS.
    """
    req = _visible(session, actor, request_id)
    require_deciding_staff(actor, req.shelter_id, req.organisation_id)
    _decide(session, req, RequestStatus.DECLINED, UnitStatus.FREE, actor, now, reason)
    if reason in SUITABILITY_REASONS:
        # The household's needs were not met here: count it like a search that found nothing,
        # on behalf of the requesting organisation.
        query = VacancyQuery(req.household(), req.needs(), req.municipality_code)
        record_unmet_need(session, req.requested_by, query, now)
    elif reason in CAPACITY_REASONS:  # no place, or no staff to take anyone now
        record_turnaway(
            session,
            actor,
            shelter_id=req.shelter_id,
            adults=req.adults,
            children=len(req.children or []),
            reason=reason,
            channel=TurnAwayChannel.REQUEST,
            now=now,
            episode_key_secret=episodes.secret,
            episode_hours=episodes.hours,
            municipality_code=req.municipality_code,
            case_ref=req.case_ref,
            request_id=req.id,
        )
    audit.record(session, actor, "request.decline", "request", req.id, now)
    _tell_requester(session, req, "declined", now)
    return req


def _require_trusted_vacancies(
    session: Session,
    actor: User,
    req_in: RequestInput,
    shelter: Shelter,
    now: datetime,
    thresholds: FreshnessThresholds,
) -> None:
    """409 when the shelter's vacancies are unknown: search no longer offers them, so a
    request must not hold one either (the unit may well be taken by a phone placement)."""
    info = describe_freshness(shelter.confirmed_at, now, thresholds)
    if vacancies_trusted(info.state):
        return
    if info.age_minutes is None:
        since = "has never confirmed its vacancies"
    else:
        since = f"last confirmed its vacancies {info.age_minutes // 60} hours ago"
    raise Conflict(
        f"{shelter.name} {since} (more than {thresholds.stale.total_seconds() / 3600:g} hours: "
        "unknown), so none of its units can be requested. Phone the shelter, or choose one "
        "of the 'alternatives'.",
        reason="vacancies_unknown",
        confirmed_at=shelter.confirmed_at.isoformat() if shelter.confirmed_at else None,
        alternatives=alternatives(session, actor, req_in, now, thresholds),
    )


def _tell_requester(session: Session, req: PlacementRequest, outcome: str, now: datetime) -> None:
    """SMS the requester's callback phone: a code and a link, never client data."""
    events.queue_request_decided(
        session,
        phone=req.callback_phone,
        locale=req.requested_by.locale,
        request_code=req.code,
        outcome=outcome,
        now=now,
    )


def withdraw(session: Session, actor: User, request_id: int, now: datetime) -> PlacementRequest:
    """The requesting organisation withdraws; the unit is free again."""
    req = _visible(session, actor, request_id)
    require_requesting_org(actor, req.organisation_id)
    _decide(session, req, RequestStatus.WITHDRAWN, UnitStatus.FREE, actor, now)
    events.queue_request_withdrawn(session, shelter=req.shelter, request_code=req.code, now=now)
    audit.record(session, actor, "request.withdraw", "request", req.id, now)
    return req
