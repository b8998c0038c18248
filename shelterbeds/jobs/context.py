"""What every job receives: the database, the settings, the SMS sender and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from ..config import Settings
from ..db import Database
from ..domain.clock import utcnow
from ..notifications.senders import SmsSender


@dataclass
class JobContext:
    db: Database
    settings: Settings
    sender: SmsSender
    now: Callable[[], datetime] = field(default=utcnow)
