"""SMS alert subscriptions of social workers and shelter staff (own organisation only)."""

from __future__ import annotations

from typing import Any

from ..authz import current_actor, roles_required
from ..domain.clock import utcnow
from ..domain.enums import Role
from ..extensions import db
from ..schemas.subscriptions import SubscriptionIn, SubscriptionOut
from ..services import subscriptions
from . import make_blueprint

blp = make_blueprint("subscriptions", "SMS alerts when a matching unit becomes free")


def _with_opt_out(subs: list[Any]) -> list[Any]:
    stopped = subscriptions.opted_out_phones(db.session, subs)
    for sub in subs:
        sub.opted_out = sub.phone in stopped
    return subs


@blp.get("/subscriptions")
@roles_required(Role.SOCIAL_WORKER, Role.SHELTER_STAFF)
@blp.response(200, SubscriptionOut(many=True))
def list_subscriptions() -> Any:
    """Your organisation's alert subscriptions; `opted_out` flags numbers that replied STOP."""
    return _with_opt_out(subscriptions.list_subscriptions(db.session, current_actor()))


@blp.post("/subscriptions")
@roles_required(Role.SOCIAL_WORKER, Role.SHELTER_STAFF)
@blp.arguments(SubscriptionIn)
@blp.response(201, SubscriptionOut)
def create_subscription(data: dict[str, Any]) -> Any:
    """Save a need profile: one SMS when a matching unit becomes free (within active hours)."""
    sub = subscriptions.create_subscription(db.session, current_actor(), now=utcnow(), **data)
    db.session.commit()
    return _with_opt_out([sub])[0]


@blp.delete("/subscriptions/<int:subscription_id>")
@roles_required(Role.SOCIAL_WORKER, Role.SHELTER_STAFF)
@blp.response(204)
def delete_subscription(subscription_id: int) -> Any:
    """Delete one of your organisation's subscriptions."""
    subscriptions.delete_subscription(db.session, current_actor(), subscription_id)
    db.session.commit()
    return None
