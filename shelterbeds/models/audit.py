"""The append-only audit log: who did what, when and from where.

Sign-ins, failures, second-factor events, every read of a request or placement, every
change. Rows hold ids and codes only, never client data. Append-only three times over: no
service offers update or delete, the ORM refuses them, and the database itself rejects
them (a trigger on PostgreSQL and on SQLite, migration 0007_security).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base
from ..domain.clock import utcnow
from ..domain.enums import Role
from .people import User
from .types import UTCDateTime, str_enum


class AuditEvent(Base):
    """One read or change, e.g. action "request.read" on object ("request", 42)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_role: Mapped[Role | None] = mapped_column(str_enum(Role, "audit_actor_role"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column()
    # From where: the client address (after the trusted proxy hops), and a short code
    # saying more (e.g. why a sign-in failed). Never an e-mail, name or free text.
    address: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[str | None] = mapped_column(String(80))

    actor: Mapped[User | None] = relationship(lazy="joined")


def _refuse_change(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    raise RuntimeError(f"audit event {target.id} is append-only")


event.listen(AuditEvent, "before_update", _refuse_change)
event.listen(AuditEvent, "before_delete", _refuse_change)
