"""The clock process: ONE table of jobs, run by APScheduler in UTC under a single leader.

Every job is a module-level function taking a `JobContext`; it is idempotent (a double run
changes nothing), uses one transaction per unit of work, and decides from the database's
own timestamps (a missed run catches up on the next one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ..config import Settings, parse_local_times
from ..domain.clock import STOCKHOLM
from .context import JobContext
from .nudges import nudge_stale_shelters
from .requests import expire_holds, remind_half_held, remind_reviews
from .retention import anonymise_expired
from .sms import send_outbox
from .stats import roll_up_statistics


@dataclass(frozen=True)
class Job:
    """One row of the job table: what runs, when, and with which extra arguments."""

    id: str
    func: Callable[..., Any]
    trigger: BaseTrigger
    args: tuple[Any, ...] = ()


def _every(seconds: float) -> IntervalTrigger:
    return IntervalTrigger(seconds=seconds)


def _local(hour: int, minute: int) -> CronTrigger:
    # A cron trigger in Europe/Stockholm fires at 08:00 local on both sides of DST.
    return CronTrigger(hour=hour, minute=minute, timezone=STOCKHOLM)


def job_table(settings: Settings) -> list[Job]:
    """THE job table: every scheduled job, its trigger and arguments."""
    jobs = [
        # Send queued SMS (web workers send right after commit; this retries and reconciles).
        Job("send_outbox", send_outbox, _every(settings.outbox_sweep_seconds)),
    ]
    if settings.stale_nudge_times.strip():
        for hour, minute in parse_local_times(settings.stale_nudge_times):
            slot = f"{hour:02d}:{minute:02d}"
            jobs.append(
                Job(
                    f"nudge_stale_shelters@{slot}",
                    nudge_stale_shelters,
                    _local(hour, minute),
                    (slot,),
                )
            )
    jobs += [
        # Release holds whose time is up (request_unit also does it lazily, so a late run
        # never blocks a new request).
        Job("expire_holds", expire_holds, _every(30)),
        Job("remind_half_held", remind_half_held, _every(60)),
        Job("remind_reviews", remind_reviews, _local(9, 0)),
        # Statistics rollups (read instead of the history): ended months, and the running
        # month up to the midnight just passed — soon after it, so that an answer computes
        # at most minutes of history live (00:10 exists on DST days; 02:30 does not in March).
        Job("roll_up_statistics", roll_up_statistics, _local(0, 10)),
        # Retention: remove case details past SHELTERBEDS_RETENTION_MONTHS (quiet hours).
        Job("anonymise_expired", anonymise_expired, _local(3, 15)),
    ]
    return jobs


__all__ = ["Job", "JobContext", "job_table"]
