"""A real gunicorn serving the app on a free loopback port, and a tiny HTTP client for it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.live_http import Answer, call, free_port, wait_until_up


@dataclass
class Gunicorn:
    url: str
    log_path: Path

    def log(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        return self.log_path.read_text(errors="replace")

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Answer:
        """One JSON call, as `token`'s bearer if given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return call(self.url + path, method, body, headers)


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
            wait_until_up(server.url, proc, server.log, seconds=30)
            yield server
        finally:
            proc.terminate()
            proc.wait(30)
