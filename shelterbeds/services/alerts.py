"""Vacancy alerts: when a unit becomes free, queue one SMS to each matching subscriber."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.active_hours import is_active
from ..domain.enums import Sex, SubstanceUse
from ..domain.freshness import FreshnessThresholds, freshness_state, vacancies_trusted
from ..domain.matching import Child, Household, Needs, match_shelter
from ..models import OutboxMessage, Subscription, Unit
from ..notifications import messages, outbox

# No second alert for the same unit and subscription within this window.
REPEAT_WINDOW = timedelta(minutes=30)
ALERT_VALIDITY_SECONDS = 900


def profile(sub: Subscription) -> tuple[Household, Needs]:
    """The stored JSON need profile as the domain values search uses."""
    children = tuple(
        Child(age=int(c["age"]), sex=Sex(c["sex"])) for c in sub.household.get("children", [])
    )
    household = Household(adults=int(sub.household.get("adults", 1)), children=children)
    raw = dict(sub.needs)
    if raw.get("substance_use"):
        raw["substance_use"] = SubstanceUse(raw["substance_use"])
    known = Needs().__dict__
    return household, Needs(**{k: raw.get(k, v) for k, v in known.items()})


def subscription_matches(sub: Subscription, unit: Unit) -> bool:
    """The same matching rules as vacancy search, for this one free unit."""
    if sub.shelter_id is not None and sub.shelter_id != unit.shelter_id:
        return False
    household, needs = profile(sub)
    outcome = match_shelter(unit.shelter.policy(), [(unit.id, unit.facts())], household, needs)
    return outcome.matches


def _recently_alerted(session: Session, sub: Subscription, unit: Unit, now: datetime) -> bool:
    return (
        session.scalar(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.subscription_id == sub.id,
                OutboxMessage.unit_id == unit.id,
                OutboxMessage.created_at > now - REPEAT_WINDOW,
            )
            .limit(1)
        )
        is not None
    )


def unit_became_free(
    session: Session,
    unit: Unit,
    now: datetime,
    thresholds: FreshnessThresholds | None = None,
) -> list[OutboxMessage]:
    """Queue alerts for a unit that just became free (called from `transition_unit`)."""
    shelter = unit.shelter
    state = freshness_state(shelter.confirmed_at, now, thresholds or FreshnessThresholds())
    if not shelter.active or unit.retired_at is not None or not vacancies_trusted(state):
        return []
    subs = session.scalars(
        select(Subscription)
        .where((Subscription.shelter_id.is_(None)) | (Subscription.shelter_id == shelter.id))
        .order_by(Subscription.id)
    )
    queued = []
    for sub in subs:
        if not is_active(sub.active_from, sub.active_to, now):
            continue
        if not subscription_matches(sub, unit) or _recently_alerted(session, sub, unit, now):
            continue
        body = messages.render(
            "unit_free",
            sub.owner.locale if sub.owner else "sv",
            shelter=shelter.name,
            municipality=shelter.municipality.name,
        )
        row = outbox.enqueue(
            session,
            kind="unit_free",
            to=sub.phone,
            body=body,
            now=now,
            validity_seconds=ALERT_VALIDITY_SECONDS,
            subscription_id=sub.id,
            unit_id=unit.id,
        )
        if row is not None:
            queued.append(row)
    return queued
