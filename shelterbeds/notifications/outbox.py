"""The SMS outbox: queue in the event's transaction, send after commit, never send twice.

Life of a row::

    queued ──claim──▶ sending ──provider id──▶ sent ──callback──▶ delivered
       ▲                 │ 429                       └─callback──▶ failed
       └──backoff────────┤ 4xx (21610: opt-out) ─────────────────▶ failed / undeliverable
                         │ timeout, 5xx, crash
                         ▼
                      unknown ──reconcile: found at provider──▶ sent
                         ├────reconcile: provably not there──▶ queued (backoff) or failed
                         └────lookups keep failing past give-up ▶ failed

Why it cannot produce a duplicate:

1. **Claim** (`claim_due`) is a conditional `UPDATE … SET status='sending' WHERE id=… AND
   status='queued'` (on PostgreSQL the candidate ids come from `SELECT … FOR UPDATE SKIP
   LOCKED`, so several web workers and the clock do not even contend). Only the worker whose
   UPDATE hit one row sends. The claim also stores a fresh `attempt_token` and
   `attempt_started_at` and is **committed before the provider is called**: that is the
   idempotent marker. No database transaction is open while we wait for the network.
2. **Send** outcome is recorded in a new transaction, again conditional on the token, so a
   status callback that arrived first (it can) is never overwritten.
3. A **timeout or 5xx** may or may not have created the message, so the row becomes
   `unknown`, not `queued`. A row stuck in `sending` (the worker died mid-call) is treated
   the same once `reconcile_after` has passed. Nothing re-sends an `unknown` row directly.
4. **Reconcile** (`reconcile_unknown`, run by the clock sweep) first waits for the status
   callback: its URL carries the outbox id and attempt token, so if Twilio created the
   message it tells us its MessageSid and the row moves to `sent`/`delivered`. After
   `reconcile_after` without a callback, it asks the provider for recent messages to that
   number with the same body created since the attempt started. Found → `sent` with that
   sid. Provably absent → back to `queued` with backoff (or `failed` after max attempts):
   only now is a resend safe. The lookup itself failing leaves the row `unknown`; after
   `give_up_after` it becomes `failed` ("outcome unknown") — we prefer a missing SMS that the
   UI shows as failed over a duplicate.
5. Numbers that opted out are never sent to: the row becomes `undeliverable`. Twilio's error
   21610 (recipient replied STOP) records the opt-out too.

Retries are bounded by `max_attempts` with exponential backoff (`backoff * 2**(n-1)`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sqlalchemy import (
    ARRAY,
    Integer,
    String,
    any_,
    bindparam,
    cast,
    event,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session, SessionTransaction

from ..db import insert_ignoring_conflict, is_sqlite
from ..domain.errors import Invalid
from ..domain.personnummer import contains_personnummer
from ..models import OutboxMessage, OutboxStatus, Subscription
from . import messages
from .optouts import opted_out, record_opt_out
from .phones import mask
from .senders import (
    OPTED_OUT_CODE,
    OutcomeUnknown,
    OutgoingSms,
    PermanentFailure,
    SmsSender,
    TemporaryFailure,
)

if TYPE_CHECKING:
    from ..config import Settings

log = logging.getLogger("shelterbeds.sms")

SessionFactory = Callable[[], Session]
SESSION_INFO_KEY = "outbox_queued_ids"
COMMITTED_KEY = "outbox_committed_ids"


@dataclass(frozen=True)
class OutboxPolicy:
    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=30)
    reconcile_after: timedelta = timedelta(minutes=2)
    give_up_after: timedelta = timedelta(hours=6)

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboxPolicy:
        return cls(
            max_attempts=settings.outbox_max_attempts,
            backoff=timedelta(seconds=settings.outbox_backoff_seconds),
            reconcile_after=timedelta(seconds=settings.outbox_reconcile_after_seconds),
            give_up_after=timedelta(hours=settings.outbox_give_up_hours),
        )

    def next_delay(self, attempts: int) -> timedelta:
        return self.backoff * (2 ** max(attempts - 1, 0))


def enqueue(
    session: Session,
    *,
    kind: str,
    to: str,
    body: str,
    now: datetime,
    validity_seconds: int | None = None,
    dedupe_key: str | None = None,
    subscription_id: int | None = None,
    unit_id: int | None = None,
) -> OutboxMessage | None:
    """Queue one SMS in the caller's transaction; None if `dedupe_key` was already queued.

    A body that holds a personnummer is refused (the whole use case rolls back): SMS leave
    our hands unencrypted and are kept by operators and phones.
    """
    if contains_personnummer(body):
        raise Invalid("An SMS text may never contain a personnummer; nothing was sent.")
    values = dict(
        created_at=now,
        kind=kind,
        to_phone=to,
        body=body,
        validity_seconds=validity_seconds,
        status=OutboxStatus.QUEUED,
        attempts=0,
        next_attempt_at=now,
        dedupe_key=dedupe_key,
        subscription_id=subscription_id,
        unit_id=unit_id,
    )
    # One statement: the unique dedupe key decides (ON CONFLICT DO NOTHING), also against a
    # concurrent transaction queueing the same message (PostgreSQL waits for it, then skips).
    statement = insert_ignoring_conflict(session.get_bind(), OutboxMessage, "dedupe_key")
    row = session.scalars(statement.values(**values).returning(OutboxMessage)).first()
    if row is None:
        return None
    # The web layer sends these right after the request's commit (see after_commit).
    session.info.setdefault(SESSION_INFO_KEY, []).append(row.id)
    return row


def enqueue_to_subscribers(
    session: Session,
    *,
    kind: str,
    body: str,
    subscription_ids: list[int],
    now: datetime,
    validity_seconds: int | None = None,
    unit_id: int | None = None,
) -> list[int]:
    """Queue one SMS with the same body to each subscription's phone, in the caller's
    transaction; their ids (sent after commit like `enqueue`'s).

    One `INSERT … SELECT … FROM sms_subscriptions` with the ids as ONE array parameter on
    PostgreSQL: 1,000 alerts as a multi-row VALUES list took ~1 s only to build and parse
    11,000 parameters.
    """
    if not subscription_ids:
        return []
    if contains_personnummer(body):
        raise Invalid("An SMS text may never contain a personnummer; nothing was sent.")
    if session.get_bind().dialect.name == "sqlite":  # an Engine or a Connection
        wanted: Any = Subscription.id.in_(subscription_ids)
    else:
        wanted = Subscription.id == any_(
            bindparam("subscription_ids", subscription_ids, type_=ARRAY(Integer))
        )
    col = OutboxMessage.__table__.c

    def value(column: str, v: object) -> Any:
        return literal(v, type_=col[column].type)

    rows = select(
        value("created_at", now),
        value("kind", kind),
        Subscription.phone,
        value("body", body),
        value("validity_seconds", validity_seconds),
        value("status", OutboxStatus.QUEUED),
        value("attempts", 0),
        value("next_attempt_at", now),
        Subscription.id,
        value("unit_id", unit_id),
    ).where(wanted)
    columns = [
        "created_at", "kind", "to_phone", "body", "validity_seconds", "status", "attempts",
        "next_attempt_at", "subscription_id", "unit_id",
    ]  # fmt: skip
    ids = sorted(
        session.scalars(
            insert(OutboxMessage).from_select(columns, rows).returning(OutboxMessage.id)
        )
    )
    session.info.setdefault(SESSION_INFO_KEY, []).extend(ids)
    return ids


@event.listens_for(Session, "after_commit")
def _remember_committed(session: Session) -> None:
    """Rows queued in a transaction become sendable only once it commits."""
    queued = session.info.pop(SESSION_INFO_KEY, None)
    if queued:
        session.info.setdefault(COMMITTED_KEY, []).extend(queued)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(SESSION_INFO_KEY, None)


def take_committed(session: Session) -> list[int]:
    """The ids queued and committed by this session since the last call (for sending now)."""
    return list(session.info.pop(COMMITTED_KEY, None) or [])


def status_callback_url(message_id: int, token: str) -> str:
    return f"{messages.public_url()}/twilio/status?" + urlencode({"o": message_id, "t": token})


@dataclass(frozen=True)
class Claimed:
    id: int
    token: str
    to: str
    body: str
    validity_seconds: int | None
    attempts: int


def claim_due(
    session: Session, now: datetime, *, limit: int = 50, ids: Iterable[int] | None = None
) -> list[Claimed]:
    """Claim queued rows that are due (optionally only `ids`); the caller commits.

    One conditional UPDATE … RETURNING for the whole batch: only rows still `queued` are
    claimed, whoever else tries. Each row's attempt token is a random batch prefix plus its
    id: unique, and not guessable from the outside (status callbacks must present it).
    """
    query = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(list(ids)))
    if not is_sqlite(session.get_bind()):
        query = query.with_for_update(skip_locked=True)
    candidates = session.scalars(query).all()
    if not candidates:
        return []
    prefix = uuid.uuid4().hex[:20]  # 80 random bits; the id (<= 12 digits) makes it unique
    rows = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), OutboxMessage.status == OutboxStatus.QUEUED)
        .values(
            status=OutboxStatus.SENDING,
            attempts=OutboxMessage.attempts + 1,
            attempt_token=literal(prefix) + cast(OutboxMessage.id, String),
            attempt_started_at=now,
        )
        .returning(
            OutboxMessage.id,
            OutboxMessage.attempt_token,
            OutboxMessage.to_phone,
            OutboxMessage.body,
            OutboxMessage.validity_seconds,
            OutboxMessage.attempts,
        )
        .execution_options(synchronize_session=False)
    ).all()
    claimed = [
        Claimed(id=i, token=str(token), to=to, body=body, validity_seconds=v, attempts=n)
        for i, token, to, body, v, n in rows
    ]
    return sorted(claimed, key=lambda c: c.id)


def _finish_attempt(session: Session, claim: Claimed, **values: object) -> bool:
    """Record an attempt's outcome unless a callback or reconciliation already moved on."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == claim.id,
            OutboxMessage.attempt_token == claim.token,
            OutboxMessage.status == OutboxStatus.SENDING,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _retry_or_fail(
    policy: OutboxPolicy, attempts: int, now: datetime, code: str | None, text: str
) -> dict[str, object]:
    if attempts >= policy.max_attempts:
        return {
            "status": OutboxStatus.FAILED,
            "error_code": code,
            "error_message": f"gave up after {attempts} attempts: {text}"[:300],
            "finished_at": now,
        }
    return {
        "status": OutboxStatus.QUEUED,
        "next_attempt_at": now + policy.next_delay(attempts),
        "error_code": code,
        "error_message": text[:300],
    }


def _attempt(
    sender: SmsSender, claim: Claimed, now: Callable[[], datetime], policy: OutboxPolicy
) -> dict[str, object]:
    """Hand one claimed message to the sender; the row's new values for its outcome."""
    outgoing = OutgoingSms(
        claim.to, claim.body, status_callback_url(claim.id, claim.token), claim.validity_seconds
    )
    try:
        sid = sender.send(outgoing)
        return {"status": OutboxStatus.SENT, "provider_id": sid, "sent_at": now()}
    except TemporaryFailure as err:
        return _retry_or_fail(policy, claim.attempts, now(), err.code, err.message)
    except OutcomeUnknown as err:
        return {
            "status": OutboxStatus.UNKNOWN,
            "error_code": err.code,
            "error_message": err.message[:300],
        }
    except PermanentFailure as err:
        undeliverable = err.code == OPTED_OUT_CODE
        return {
            "status": OutboxStatus.UNDELIVERABLE if undeliverable else OutboxStatus.FAILED,
            "error_code": err.code,
            "error_message": err.message[:300],
            "finished_at": now(),
        }


Outcome = tuple[Claimed, dict[str, object], bool]  # claim, new values, provider opt-out


_SENT = (
    update(OutboxMessage)
    .where(
        OutboxMessage.id == bindparam("claim_id"),
        OutboxMessage.attempt_token == bindparam("claim_token"),
        OutboxMessage.status == OutboxStatus.SENDING,
    )
    .values(status=OutboxStatus.SENT, provider_id=bindparam("sid"), sent_at=bindparam("at"))
)


def _record(factory: SessionFactory, outcomes: list[Outcome], now: datetime) -> None:
    """Record a batch of outcomes in one transaction (each still conditional on its token).

    The common outcome, `sent`, is written for the whole batch with one executemany (the
    driver pipelines it): one UPDATE round trip per message was most of a fan-out's time.
    """
    if not outcomes:
        return
    with factory() as session, session.begin():
        sent_ids = [c.id for c, v, _opt_out in outcomes if v["status"] is OutboxStatus.SENT]
        sent = [
            {"claim_id": c.id, "claim_token": c.token, "sid": v["provider_id"], "at": v["sent_at"]}
            for c, v, _opt_out in outcomes
            if v["status"] is OutboxStatus.SENT
        ]
        recorded_sent: set[int] = set()
        if len(sent) == 1:  # one row: its own row count says whether it was recorded
            if session.connection().execute(_SENT, sent[0]).rowcount == 1:
                recorded_sent.add(sent_ids[0])
        elif sent:
            session.connection().execute(_SENT, sent)
            # An executemany reports no row counts: read back which of them it recorded (a
            # delivery callback may have moved a row on first; then the callback's status
            # stands). One query per batch.
            recorded_sent = set(
                session.scalars(
                    select(OutboxMessage.id).where(
                        OutboxMessage.id.in_(sent_ids),
                        OutboxMessage.status == OutboxStatus.SENT,
                    )
                )
            )
        for claim, values, provider_opt_out in outcomes:
            status = values["status"]
            assert isinstance(status, OutboxStatus)
            recorded = claim.id in recorded_sent
            if status is not OutboxStatus.SENT:
                if provider_opt_out:
                    record_opt_out(session, claim.to, now, "provider_21610")
                recorded = _finish_attempt(session, claim, **values)
            log.info(
                "sms %s to %s attempt %d: %s%s",
                claim.id,
                mask(claim.to),
                claim.attempts,
                status.value,
                "" if recorded else " (already moved on by a callback)",
            )


RECORD_EVERY = 100  # outcomes written per transaction while a large batch is being sent


def send_claimed(
    factory: SessionFactory,
    sender: SmsSender,
    claims: list[Claimed],
    now: Callable[[], datetime],
    policy: OutboxPolicy,
) -> list[OutboxStatus]:
    """Send claimed rows; opt-outs looked up once, outcomes recorded in batches."""
    if not claims:
        return []
    with factory() as session:
        stopped = opted_out(session, [c.to for c in claims])
    statuses: list[OutboxStatus] = []
    outcomes: list[Outcome] = []
    for claim in claims:
        if claim.to in stopped:
            values: dict[str, object] = {
                "status": OutboxStatus.UNDELIVERABLE,
                "error_code": OPTED_OUT_CODE,
                "error_message": "the number has opted out of SMS",
                "finished_at": now(),
            }
            outcomes.append((claim, values, False))
        else:
            values = _attempt(sender, claim, now, policy)
            outcomes.append((claim, values, values["status"] is OutboxStatus.UNDELIVERABLE))
        statuses.append(values["status"])  # type: ignore[arg-type]
        if len(outcomes) >= RECORD_EVERY:
            _record(factory, outcomes, now())
            outcomes = []
    _record(factory, outcomes, now())
    return statuses


def send_one(
    factory: SessionFactory,
    sender: SmsSender,
    claim: Claimed,
    now: Callable[[], datetime],
    policy: OutboxPolicy,
) -> OutboxStatus:
    """Send one claimed row and record the outcome."""
    return send_claimed(factory, sender, [claim], now, policy)[0]


def dispatch(
    factory: SessionFactory,
    sender: SmsSender,
    now: Callable[[], datetime],
    policy: OutboxPolicy,
    *,
    ids: Iterable[int] | None = None,
    limit: int = 50,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Claim due rows (one transaction), send them; with `ids`, every one of them, in
    batches of `limit` (a freed unit's alerts, all of them), unless `stop()` says to quit
    between batches (unclaimed rows stay queued for the clock)."""
    wanted = None if ids is None else list(ids)
    total = 0
    while stop is None or not stop():
        batch = None if wanted is None else wanted[:limit]
        with factory() as session, session.begin():
            claims = claim_due(session, now(), limit=limit, ids=batch)
        send_claimed(factory, sender, claims, now, policy)
        total += len(claims)
        if wanted is None:
            return total
        wanted = wanted[limit:]
        if not wanted:
            return total
    return total


def reconcile_unknown(
    factory: SessionFactory,
    sender: SmsSender,
    now: Callable[[], datetime],
    policy: OutboxPolicy,
    *,
    limit: int = 50,
) -> int:
    """Resolve `unknown` rows (and `sending` rows abandoned by a dead worker); see module doc."""
    with factory() as session:
        rows = session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.attempt_token,
                OutboxMessage.to_phone,
                OutboxMessage.body,
                OutboxMessage.attempt_started_at,
                OutboxMessage.attempts,
                OutboxMessage.status,
            )
            .where(
                OutboxMessage.status.in_([OutboxStatus.UNKNOWN, OutboxStatus.SENDING]),
                OutboxMessage.attempt_started_at <= now() - policy.reconcile_after,
            )
            .order_by(OutboxMessage.attempt_started_at)
            .limit(limit)
        ).all()
    resolved = 0
    for message_id, token, to, body, started, attempts, status in rows:
        if token is None or started is None:
            continue  # not possible for a claimed row; guards the types
        claim = Claimed(message_id, token, to, body, None, attempts)
        try:
            sid = sender.find_sent(to, body, started - timedelta(minutes=1))
        except OutcomeUnknown as err:
            if now() - started < policy.give_up_after:
                continue  # ask again on the next sweep
            values: dict[str, object] = {
                "status": OutboxStatus.FAILED,
                "error_message": f"outcome unknown, not resent: {err.message}"[:300],
                "finished_at": now(),
            }
        else:
            if sid is not None:
                values = {"status": OutboxStatus.SENT, "provider_id": sid, "sent_at": started}
            else:
                values = _retry_or_fail(
                    policy, attempts, now(), None, "not found at the provider after no answer"
                )
        with factory() as session, session.begin():
            hit = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == claim.id,
                    OutboxMessage.attempt_token == token,
                    OutboxMessage.status == status,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            resolved += hit.rowcount  # type: ignore[attr-defined]
    return resolved
