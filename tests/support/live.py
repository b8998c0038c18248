"""A real gunicorn serving the app on a free loopback port, and a tiny HTTP client for it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Answer:
    status: int
    body: Any
    seconds: float


@dataclass
class Gunicorn:
    url: str
    log_path: Path

    def log(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        return self.log_path.read_text(errors="replace")

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Answer:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(  # noqa: S310 (a local test server)
            self.url + path,
            data=None if body is None else json.dumps(body).encode(),
            headers=headers,
            method=method,
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310
                status, raw = int(resp.status), resp.read()
        except urllib.error.HTTPError as err:
            status, raw = int(err.code), err.read()
        elapsed = time.monotonic() - started
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Answer(status, parsed, elapsed)


@contextmanager
def gunicorn(
    database_url: str, tmp_path: Path, *, workers: int = 2, **env_overrides: str
) -> Iterator[Gunicorn]:
    """Run `gunicorn shelterbeds.wsgi:app` (as the Procfile does) until the block ends."""
    port = free_port()
    env = {
        **os.environ,
        "SHELTERBEDS_DATABASE_URL": database_url,
        "SHELTERBEDS_ENV": "development",
        "SHELTERBEDS_SECRET_KEY": "live-test",
        "SHELTERBEDS_SMS_BACKEND": "console",
        "SHELTERBEDS_INSTANCE_DIR": str(tmp_path),
        "SHELTERBEDS_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
        **env_overrides,
    }
    log_path = tmp_path / f"gunicorn-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "shelterbeds.wsgi:app"]
            + ["-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "60"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = Gunicorn(f"http://127.0.0.1:{port}", log_path)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(server.url + "/healthz", timeout=2):  # noqa: S310
                        break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError("gunicorn did not start:\n" + server.log()) from None
                    time.sleep(0.2)
            yield server
        finally:
            proc.terminate()
            proc.wait(30)
