"""Alert subscriptions: saved need profiles of social workers and shelter staff (per tenant)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.enums import Role
from ..domain.errors import Invalid, NotFound
from ..models import Shelter, Subscription, User
from ..notifications.optouts import opted_out
from .access import require_role, require_same_organisation

SUBSCRIBER_ROLES = (Role.SOCIAL_WORKER, Role.SHELTER_STAFF)


def _json_household(household: dict[str, Any]) -> dict[str, Any]:
    children = [
        {"age": int(c["age"]), "sex": getattr(c["sex"], "value", c["sex"])}
        for c in household.get("children", [])
    ]
    return {"adults": int(household.get("adults", 1)), "children": children}


def _json_needs(needs: dict[str, Any]) -> dict[str, Any]:
    return {k: getattr(v, "value", v) for k, v in needs.items()}


def list_subscriptions(session: Session, actor: User) -> list[Subscription]:
    """Your organisation's subscriptions, newest first."""
    require_role(actor, *SUBSCRIBER_ROLES)
    return list(
        session.scalars(
            select(Subscription)
            .where(Subscription.organisation_id == actor.organisation_id)
            .order_by(Subscription.id.desc())
        )
    )


def create_subscription(
    session: Session,
    actor: User,
    *,
    phone: str,
    household: dict[str, Any],
    needs: dict[str, Any],
    now: datetime,
    shelter_id: int | None = None,
    active_from: str | None = None,
    active_to: str | None = None,
) -> Subscription:
    """Save a need profile; `phone` is already E.164 (the schema normalises it)."""
    require_role(actor, *SUBSCRIBER_ROLES)
    if (active_from is None) != (active_to is None):
        raise Invalid(
            "Give both ends of the active hours, or neither.",
            errors={"active_to": ["Give both 'active_from' and 'active_to', or neither."]},
        )
    if shelter_id is not None:
        shelter = session.get(Shelter, shelter_id)
        if shelter is None or not shelter.active:
            raise Invalid(
                f"Shelter {shelter_id} does not exist.",
                errors={"shelter_id": ["Unknown shelter."]},
            )
    sub = Subscription(
        organisation_id=actor.organisation_id,
        owner_id=actor.id,
        shelter_id=shelter_id,
        phone=phone,
        household=_json_household(household),
        needs=_json_needs(needs),
        active_from=active_from,
        active_to=active_to,
        created_at=now,
    )
    session.add(sub)
    session.flush()
    return sub


def get_subscription(session: Session, actor: User, subscription_id: int) -> Subscription:
    require_role(actor, *SUBSCRIBER_ROLES)
    sub = session.get(Subscription, subscription_id)
    if sub is None:
        raise NotFound(f"Subscription {subscription_id} does not exist.")
    require_same_organisation(actor, sub.organisation_id, f"Subscription {subscription_id}")
    return sub


def delete_subscription(session: Session, actor: User, subscription_id: int) -> None:
    """Delete one of your organisation's subscriptions."""
    sub = get_subscription(session, actor, subscription_id)
    session.delete(sub)
    session.flush()


def opted_out_phones(session: Session, subs: list[Subscription]) -> set[str]:
    """The subscription numbers that replied STOP: the UI must say so."""
    return opted_out(session, {s.phone for s in subs})
