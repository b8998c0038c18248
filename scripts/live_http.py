"""Running the app as a real HTTP server and talking to it: shared by the bench and the tests.

`scripts/bench_server.py` (gunicorn as the Procfile runs it, for `scripts/bench`) and
`tests/support/live.py` (gunicorn for the live tests) both start a server on a free loopback
port, wait until `/healthz` answers, and call it with a small JSON client: those three pieces
live here, once.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Answer:
    """One HTTP answer: status, body (parsed JSON, else text) and seconds it took."""

    status: int
    body: Any
    seconds: float = 0.0


def call(
    url: str,
    method: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> Answer:
    """`method url` with a JSON body; 4xx/5xx are answers, not exceptions."""
    req = urllib.request.Request(  # noqa: S310 (a local server of our own)
        url,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method=method,
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            status, raw = int(resp.status), resp.read()
    except urllib.error.HTTPError as err:
        status, raw = int(err.code), err.read()
    elapsed = time.monotonic() - started
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return Answer(status, parsed, elapsed)


def wait_until_up(
    base_url: str, proc: subprocess.Popen[bytes], log: Callable[[], str], seconds: float = 60
) -> None:
    """Return once `/healthz` answers; RuntimeError with the server's log if it never does."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2):  # noqa: S310
                return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("gunicorn did not start:\n" + log()) from None
            time.sleep(0.2)
