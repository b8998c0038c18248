"""Hand a committed unit of work's SMS to the sender without making its request wait.

A freed unit can queue 1,000 alerts; sending them inside the request kept the staff
member's phone (and a web worker) waiting 8–13 s. Instead each web process has ONE
background thread that takes the ids a request committed and dispatches them (claim,
send, record: `outbox.dispatch`), while the request answers at once.

Why this is safe:

- **Never twice.** The thread sends through the same conditional claim as everyone else
  (`UPDATE … WHERE status = 'queued'`, SKIP LOCKED on PostgreSQL): if the clock's sweep
  claims a row first, the thread simply does not get it.
- **Nothing lost.** The rows are committed before their ids reach the thread. If the
  process dies, or the queue is full, or the thread fails, they stay `queued` (or, for a
  batch cut off mid-send, `sending` → reconciled) and the clock's sweep sends them
  (`jobs/sms.py`, every `SHELTERBEDS_OUTBOX_SWEEP_SECONDS`). The thread only makes it
  faster.
- **Bounded.** One thread and a bounded queue per process; a full queue refuses more ids
  (left to the clock) instead of growing memory.
- **Fork-aware.** gunicorn forks workers after the app is built: the thread is started
  lazily, in the process that submits, and a forked child starts its own.
- **Shutdown.** At exit the thread finishes the batch it is sending (bounded wait) and
  leaves the rest queued for the clock.

Works the same on SQLite (the claim and record transactions are short; the request's own
session is released before submitting) and PostgreSQL.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime

from sqlalchemy.orm import Session

from .outbox import OutboxPolicy, dispatch
from .senders import SmsSender

log = logging.getLogger("shelterbeds.sms")

MAX_PENDING_BATCHES = 1_000  # submitted units of work waiting for the thread, per process
STOP_WAIT_SECONDS = 5.0  # how long exit waits for the batch in flight


class BackgroundSender:
    """One daemon thread per process that sends committed outbox ids in `batch`-sized claims."""

    def __init__(
        self,
        new_session: Callable[[], Session],
        sender: SmsSender,
        policy: OutboxPolicy,
        now: Callable[[], datetime],
        *,
        batch: int,
    ) -> None:
        self._new_session = new_session
        self._sender = sender
        self._policy = policy
        self._now = now
        self._batch = batch
        self._lock = threading.Lock()
        self._queue: queue.Queue[list[int] | None] = queue.Queue(MAX_PENDING_BATCHES)
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stopping = False
        self._exit_hook = False

    def submit(self, ids: list[int]) -> bool:
        """Queue committed ids for sending; False if refused (the clock will send them)."""
        if not ids or self._stopping:
            return False
        self._ensure_running()
        try:
            self._queue.put_nowait(list(ids))
        except queue.Full:
            log.warning("background SMS queue full: %d messages left to the clock", len(ids))
            return False
        return True

    def wait_idle(self, timeout: float) -> bool:
        """Block until every submitted id was handled (tests, shutdown); False on timeout."""
        done = threading.Event()

        def waiter() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=waiter, daemon=True).start()
        return done.wait(timeout)

    def stop(self, timeout: float = STOP_WAIT_SECONDS) -> None:
        """Stop after the batch in flight; what is still waiting stays queued in the outbox."""
        self._stopping = True
        with self._lock:
            thread = self._thread if self._pid == os.getpid() else None
        if thread is None:
            return
        while True:  # drop what waits: those rows are `queued`, the clock sends them
            try:
                self._queue.get_nowait()
                self._queue.task_done()
            except queue.Empty:
                break
        with suppress(queue.Full):
            self._queue.put_nowait(None)
        thread.join(timeout)

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            if self._pid != os.getpid():  # a forked child: the parent's queue is not ours
                self._queue = queue.Queue(MAX_PENDING_BATCHES)
            self._pid = os.getpid()
            self._thread = threading.Thread(
                target=self._run, name="shelterbeds-sms-sender", daemon=True
            )
            self._thread.start()
            if not self._exit_hook:
                atexit.register(self.stop)
                self._exit_hook = True

    def _run(self) -> None:
        while True:
            ids = self._queue.get()
            try:
                if ids is None or self._stopping:
                    return
                dispatch(
                    self._new_session,
                    self._sender,
                    self._now,
                    self._policy,
                    ids=ids,
                    limit=self._batch,
                    stop=lambda: self._stopping,
                )
            except Exception:  # committed rows stay queued: the clock's sweep sends them
                log.exception("background SMS sending failed; the clock will retry")
            finally:
                self._queue.task_done()
