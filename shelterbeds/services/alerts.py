"""Vacancy alerts: when a unit becomes free, queue one SMS to each matching subscriber."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.active_hours import is_active
from ..domain.enums import Sex, SubstanceUse
from ..domain.freshness import FreshnessThresholds, freshness_state, vacancies_trusted
from ..domain.matching import Child, Household, Needs, match_shelter
from ..models import OutboxMessage, Subscription, Unit, User
from ..notifications import messages, outbox

# No second alert for the same unit and subscription within this window.
REPEAT_WINDOW = timedelta(minutes=30)
ALERT_VALIDITY_SECONDS = 900


def profile(sub: Any) -> tuple[Household, Needs]:
    """The stored JSON need profile (of a Subscription or a row with its `household` and
    `needs`) as the domain values search uses."""
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


def _recently_alerted(session: Session, unit: Unit, now: datetime) -> set[int]:
    """Subscriptions alerted about this unit within the repeat window (one query for all)."""
    return set(
        session.scalars(
            select(OutboxMessage.subscription_id).where(
                OutboxMessage.unit_id == unit.id,
                OutboxMessage.created_at > now - REPEAT_WINDOW,
                OutboxMessage.subscription_id.is_not(None),
            )
        )
    )


def unit_became_free(
    session: Session,
    unit: Unit,
    now: datetime,
    thresholds: FreshnessThresholds | None = None,
) -> list[int]:
    """Queue alerts for a unit that just became free (called from `transition_unit`).

    A constant number of queries however many subscriptions match: the subscriptions (only
    the columns matching needs, with the owner's language), the recent alerts of this unit,
    and one `INSERT … SELECT` per language. Returns the ids of the queued messages.
    """
    shelter = unit.shelter
    state = freshness_state(shelter.confirmed_at, now, thresholds or FreshnessThresholds())
    if not shelter.active or unit.retired_at is not None or not vacancies_trusted(state):
        return []
    subs = session.execute(
        select(
            Subscription.id,
            Subscription.household,
            Subscription.needs,
            Subscription.active_from,
            Subscription.active_to,
            User.locale,
        )
        .outerjoin(User, User.id == Subscription.owner_id)
        .where((Subscription.shelter_id.is_(None)) | (Subscription.shelter_id == shelter.id))
        .order_by(Subscription.id)
    ).all()
    if not subs:
        return []
    alerted = _recently_alerted(session, unit, now)
    policy, facts = shelter.policy(), [(unit.id, unit.facts())]
    by_locale: dict[str, list[int]] = {}
    for sub in subs:
        if sub.id in alerted or not is_active(sub.active_from, sub.active_to, now):
            continue
        household, needs = profile(sub)
        if not match_shelter(policy, facts, household, needs).matches:
            continue
        by_locale.setdefault(sub.locale or "sv", []).append(sub.id)
    queued: list[int] = []
    for locale, ids in by_locale.items():
        body = messages.render(
            "unit_free", locale, shelter=shelter.name, municipality=shelter.municipality.name
        )
        queued += outbox.enqueue_to_subscribers(
            session,
            kind="unit_free",
            body=body,
            subscription_ids=ids,
            now=now,
            validity_seconds=ALERT_VALIDITY_SECONDS,
            unit_id=unit.id,
        )
    return sorted(queued)
