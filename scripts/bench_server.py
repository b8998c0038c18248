"""gunicorn exactly as the Procfile's `web` line runs it (bound to loopback), for the bench."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from .live_http import Answer, call, free_port, wait_until_up

ROOT = Path(__file__).resolve().parent.parent


def procfile(kind: str) -> str:
    """A Procfile command; the web one listening on loopback only (load stays here)."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{kind}:"):
            command = line.split(":", 1)[1].strip()
            return command.replace("0.0.0.0", "127.0.0.1")  # noqa: S104 (replaced, not bound)
    raise RuntimeError(f"no {kind} line in the Procfile")


APP = "shelterbeds.wsgi:app"


class Server:
    """`with Server(url) as s:` runs the Procfile's web process until the block ends.

    `app` serves another WSGI app with the same command line (the bench's floor apps).
    """

    def __init__(self, database_url: str, workers: int = 2, app: str = APP, **env: str) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp = tempfile.TemporaryDirectory(prefix="shelterbeds-bench-server-")
        self.log_path = Path(self.tmp.name) / "gunicorn.log"
        venv_bin = str(ROOT / ".venv" / "bin")
        self.env = {
            **os.environ,
            "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
            "WEB_CONCURRENCY": str(workers),
            "PORT": str(self.port),
            "SHELTERBEDS_ENV": "production",
            "SHELTERBEDS_DATABASE_URL": database_url,
            "SHELTERBEDS_SECRET_KEY": secrets.token_urlsafe(32),
            "SHELTERBEDS_PUBLIC_URL": self.url,
            "SHELTERBEDS_SMS_BACKEND": "console",
            "SHELTERBEDS_INSTANCE_DIR": self.tmp.name,
            # The bench measures the service, not its guards: the per-token API limit and the
            # per-account limit on SMS-sending actions would answer 429 within seconds of
            # wrk, and the staff page is reached through the login form without a second
            # factor.
            "SHELTERBEDS_API_RATE_LIMIT": "1000000 per minute",
            "SHELTERBEDS_SMS_RATE_LIMIT": "1000000 per minute",
            "SHELTERBEDS_REQUIRE_2FA": "0",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.clock: subprocess.Popen[bytes] | None = None
        self.logs: list[Any] = []

    def _start(self, kind: str, log_name: str) -> subprocess.Popen[bytes]:
        log = (Path(self.tmp.name) / log_name).open("wb")
        self.logs.append(log)
        return subprocess.Popen(  # noqa: S603 (the project's own Procfile)
            ["/bin/bash", "-c", "exec " + procfile(kind).replace(APP, shlex.quote(self.app))],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start_clock(self) -> None:
        """The Procfile's clock process too (it sweeps the SMS outbox), as in production."""
        if self.clock is None:
            self.clock = self._start("clock", "clock.log")

    def __enter__(self) -> Server:
        self.proc = self._start("web", "gunicorn.log")
        try:
            wait_until_up(self.url, self.proc, self.log)
        except RuntimeError:
            self.__exit__()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        for proc in (self.clock, self.proc):
            if proc is not None:
                proc.terminate()
                proc.wait(30)
        for log in self.logs:
            log.close()
        self.tmp.cleanup()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def call(self, method: str, path: str, body: Any, headers: dict[str, str]) -> Answer:
        """One JSON call to the bench server (generous timeout: the fan-out PUT is timed)."""
        return call(self.url + path, method, body, headers, timeout=120)


def _cookies(resp: Any, jar: dict[str, str]) -> None:
    """Keep the name=value of each Set-Cookie (production cookies are Secure: a cookie jar
    would not send them back over the loopback's plain HTTP)."""
    for header in resp.headers.get_all("Set-Cookie") or []:
        name, _eq, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]


def staff_cookie(base_url: str, email: str, password: str) -> str:
    """Sign in through the login form; return the Cookie header of the web session."""
    jar: dict[str, str] = {}

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *_args: Any, **_kw: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(base_url + "/login", timeout=30) as resp:
        html = resp.read().decode()
        _cookies(resp, jar)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if match is None:
        raise RuntimeError("no CSRF token on the login page")
    form = urllib.parse.urlencode(
        {"email": email, "password": password, "csrf_token": match.group(1)}
    ).encode()
    header = "; ".join(f"{k}={v}" for k, v in jar.items())
    req = urllib.request.Request(  # noqa: S310 (the local bench server)
        base_url + "/login", data=form, headers={"Cookie": header, "Referer": base_url + "/login"}
    )
    try:
        with opener.open(req, timeout=30) as resp:
            _cookies(resp, jar)
    except urllib.error.HTTPError as err:
        if err.code != 302:
            raise
        _cookies(err, jar)
    return "; ".join(f"{k}={v}" for k, v in jar.items())
