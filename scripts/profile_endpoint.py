"""Profile one endpoint in process: where a request's time goes, and its SQL statements.

    .venv/bin/python -m scripts.profile_endpoint \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/bench \
        --email socialjour@bench.example --path '/api/v1/vacancies?child_ages=4,9&...' -n 500

Runs the app in production settings (as gunicorn would, without the HTTP server) against an
existing database, e.g. the one `scripts/bench` filled; signs in with a fresh API token of
the given account; warms up, then runs the request `-n` times under cProfile and prints the
functions with the most cumulative and own time, plus statements and milliseconds per
request. Not part of the test suite; a tool for "profile before you optimise".
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import secrets
import tempfile
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from shelterbeds import create_app
from shelterbeds.db import make_engine
from shelterbeds.domain.clock import utcnow
from shelterbeds.extensions import db
from shelterbeds.services import auth


def token_for(url: str, email: str) -> str:
    """A fresh API token of `email` (committed), as the Authorization header."""
    engine = make_engine(url)
    with Session(engine) as session:
        user = auth.user_by_email(session, email)
        if user is None:
            raise SystemExit(f"no account {email} in that database")
        _t, raw = auth.create_token(session, user, "profile", utcnow())
        session.commit()
    engine.dispose()
    return f"Bearer {raw}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", default=None, help="JSON body")
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--time-only", action="store_true", help="no cProfile: ms per request")
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="shelterbeds-profile-")
    os.environ.update(
        {
            "SHELTERBEDS_ENV": "production",
            "SHELTERBEDS_DATABASE_URL": args.database,
            "SHELTERBEDS_SECRET_KEY": secrets.token_urlsafe(32),
            "SHELTERBEDS_PUBLIC_URL": "http://127.0.0.1:5000",
            "SHELTERBEDS_SMS_BACKEND": "console",
            "SHELTERBEDS_INSTANCE_DIR": instance,
            "SHELTERBEDS_API_RATE_LIMIT": "1000000 per minute",
            "SHELTERBEDS_SMS_RATE_LIMIT": "1000000 per minute",
        }
    )
    app = create_app()
    headers = {"Authorization": token_for(args.database, args.email)}
    if args.body:
        headers["Content-Type"] = "application/json"
    client = app.test_client()

    statements = [0]

    def count(*_a: Any, **_k: Any) -> None:
        statements[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)

    def once() -> int:
        resp = client.open(
            args.path,
            method=args.method,
            headers=headers,
            data=args.body,
            base_url="http://127.0.0.1:5000",
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        return resp.status_code

    for _ in range(20):
        status = once()
    print(f"status {status}")
    statements[0] = 0
    if args.time_only:
        # CPU time of this process too: on a shared machine it moves far less than wall time.
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.n):
            once()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"{args.n} requests: {elapsed / args.n * 1000:.3f} ms each, "
            f"{cpu / args.n * 1000:.3f} ms CPU in this process"
        )
        return
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(args.n):
        once()
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(
        f"{args.n} requests: {elapsed / args.n * 1000:.2f} ms each (under cProfile), "
        f"{statements[0] / args.n:.1f} SQL statements each"
    )
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
