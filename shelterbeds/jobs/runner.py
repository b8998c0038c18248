"""Run the clock: become leader (or wait), then run the job table in UTC until stopped."""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC

from apscheduler.schedulers.blocking import BlockingScheduler

from ..config import Settings
from ..db import Database
from ..notifications import messages
from ..notifications.senders import SmsSender, make_sender
from . import JobContext, job_table
from .leader import LeaderLock, make_leader_lock

log = logging.getLogger("shelterbeds.scheduler")


def build_scheduler(ctx: JobContext) -> BlockingScheduler:
    """A BlockingScheduler in UTC with every job of the table."""
    scheduler = BlockingScheduler(timezone=UTC)
    for job in job_table(ctx.settings):
        scheduler.add_job(
            job.func,
            job.trigger,
            args=(ctx, *job.args),
            id=job.id,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,  # a late clock still runs the 08:00 nudge
        )
    return scheduler


def run(
    settings: Settings,
    database: Database,
    *,
    sender: SmsSender | None = None,
    lock: LeaderLock | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Wait to become leader, run the jobs; if leadership is lost, go back to waiting."""
    messages.configure(settings.public_url)
    sender = sender or make_sender(settings)
    lock = lock or make_leader_lock(settings.database_url)
    stop = stop or threading.Event()
    while not stop.is_set():
        if not lock.try_acquire():
            log.info("waiting for leader (another scheduler holds the lock)")
            stop.wait(settings.leader_retry_seconds)
            continue
        log.info("leader acquired (pid %d); running %d jobs", os.getpid(), len(job_table(settings)))
        scheduler = build_scheduler(JobContext(database, settings, sender))

        def check_leadership(s: BlockingScheduler = scheduler) -> None:
            if stop.is_set() or not lock.still_held():
                if not stop.is_set():
                    log.error("leadership lost; stopping jobs")
                s.shutdown(wait=False)

        scheduler.add_job(
            check_leadership, "interval", seconds=settings.leader_retry_seconds, id="leadership"
        )
        try:
            scheduler.start()
        finally:
            lock.release()
        time.sleep(0.1)
