"""How far below the request + withdraw target the floor is: the app's cycle beside the least
any design could do, as ratios to the app's `/healthz` of the same run.

On an existing bench database (`scripts/bench` filled it; PostgreSQL only), gunicorn as the
Procfile runs it serves, in turn on their own ports: the app; `bench_floor_app.bare` (the
cycle's writes as one data-modifying CTE per HTTP request behind a plain WSGI callable — no
ORM, validation, token check, rate limit or schema); `bench_floor_app.flask_app` (the same
in Flask); `bench_floor_app.service_app()` (the service itself, every hook and the token
check, with only its two views doing that statement). Each round runs `/healthz` of each
and the request + withdraw cycle of each with the bench's own wrk script; the median of the
rounds is printed and written to `--output`. Pending requests that wrk leaves behind when it
stops mid-cycle are withdrawn (with the floor's own statement) before the next probe.

    .venv/bin/python -m scripts.bench_floor \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/bench --output floor.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from shelterbeds.db import make_engine
from shelterbeds.domain.clock import utcnow
from shelterbeds.domain.requests import RequestStatus
from shelterbeds.models import PlacementRequest
from shelterbeds.services import auth

from .bench_data import SOCIAL_WORKER_EMAIL
from .bench_floor_app import Floor
from .bench_run import REQUEST_BODY, TYPICAL, VACANCY_PROFILES
from .bench_server import Server
from .bench_wrk import WrkResult, request_withdraw, run_wrk, simple_request

SERVERS = {
    "app": "shelterbeds.wsgi:app",
    "floor, plain WSGI": "scripts.bench_floor_app:bare",
    "floor, Flask": "scripts.bench_floor_app:flask_app",
    "floor, the service's own stack": "scripts.bench_floor_app:service_app()",
}
WRK_CONNECTIONS = 8  # as scripts/bench: one wrk thread and connection per unit pool


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as libpq takes it (no driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def withdraw_left_pending(floor: Floor, session: Session) -> int:
    """Withdraw the bench user's pending requests (wrk stops mid-cycle); how many."""
    time.sleep(1)  # the workers finish what was in flight when wrk stopped
    ids = session.scalars(
        select(PlacementRequest.id).where(
            PlacementRequest.requested_by_id == floor.user_id,
            PlacementRequest.status == RequestStatus.PENDING,
        )
    ).all()
    session.rollback()
    return sum(floor.withdraw(request_id) is not None for request_id in ids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True, help="a filled bench database (PostgreSQL)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    if make_url(args.database).get_backend_name() != "postgresql":
        raise SystemExit("the floor apps speak PostgreSQL only")
    engine = make_engine(args.database)
    with Session(engine) as session:
        user = auth.user_by_email(session, SOCIAL_WORKER_EMAIL)
        _t, raw = auth.create_token(session, user, "bench-floor", utcnow())
        floor = Floor(libpq_url(args.database), user.id, user.organisation_id or 0)
        session.commit()
    headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}
    env = {
        "SHELTERBEDS_FLOOR_DATABASE_URL": floor.conninfo,
        "SHELTERBEDS_FLOOR_ACTOR": f"{floor.user_id},{floor.organisation_id}",
    }
    runs: dict[str, list[WrkResult]] = {}
    with Session(engine) as session:
        withdraw_left_pending(floor, session)
        with Server(args.database, **env) as app:
            units = [u["id"] for u in free_units(app, headers)]
            if len(units) < 2 * WRK_CONNECTIONS:
                raise SystemExit(f"only {len(units)} free units to request; refill the bench")
            n = WRK_CONNECTIONS
            warm = [units[0::2][i::n] for i in range(n)]
            timed = [units[1::2][i::n] for i in range(n)]
            with ExitStack() as stack:
                servers = {"app": app} | {
                    name: stack.enter_context(Server(args.database, app=wsgi, **env))
                    for name, wsgi in SERVERS.items()
                    if name != "app"
                }
                for round_no in range(1, args.rounds + 1):
                    print(f"round {round_no} of {args.rounds}", flush=True)
                    for name, server in servers.items():
                        lua = simple_request("GET", "/healthz", {})
                        keep(
                            runs,
                            run_wrk(f"{name}: /healthz", server.url, lua, seconds=args.seconds),
                        )
                    for name, server in servers.items():
                        for pools, seconds in ((warm, 2), (timed, args.seconds)):
                            withdraw_left_pending(floor, session)
                            result = run_wrk(
                                f"{name}: request + withdraw (cycles)",
                                server.url,
                                request_withdraw(pools, headers, REQUEST_BODY),
                                seconds=seconds,
                                threads=n,
                                connections=n,
                                per_cycle=2,
                            )
                        keep(runs, result)
                withdraw_left_pending(floor, session)
    floor.close()
    engine.dispose()
    report = summarise(runs)
    if args.output:
        args.output.write_text(json.dumps(report, indent=2) + "\n")
        print(f"written to {args.output}")
    return 0


def free_units(app: Server, headers: dict[str, str]) -> list[dict[str, Any]]:
    """The free units the typical search offers the bench's social worker."""
    answer = app.call("GET", "/api/v1/vacancies?" + VACANCY_PROFILES[TYPICAL], None, headers)
    results = answer.body["results"]
    return [unit for shelter in results for unit in shelter.get("units", [])]


def keep(runs: dict[str, list[WrkResult]], result: WrkResult) -> None:
    runs.setdefault(result.name, []).append(result)
    print(
        f"  {result.name:48} {result.rps:9.1f}/s  p50 {result.p50_ms:7.2f} ms  "
        f"non-2xx {result.non2xx}",
        flush=True,
    )
    if result.non2xx:
        print(f"    first non-2xx: {result.first_non2xx[:300]}", flush=True)


def summarise(runs: dict[str, list[WrkResult]]) -> dict[str, Any]:
    """Medians over the rounds, each as a ratio to the app's `/healthz`."""
    ceiling = statistics.median(r.rps for r in runs["app: /healthz"])
    rows = []
    print(f"\n{'probe':50} {'per s':>9} {'x app healthz':>14} {'non2xx':>7}")
    for name, results in runs.items():
        rps = statistics.median(r.rps for r in results)
        non2xx = sum(r.non2xx for r in results)
        rows.append(
            {
                "probe": name,
                "per_second": round(rps, 1),
                "ratio": round(rps / ceiling, 3),
                "non2xx": non2xx,
                "rounds": len(results),
            }
        )
        print(f"{name:50} {rps:9.1f} {rps / ceiling:14.3f} {non2xx:7d}")
    return {"probes": rows, "target": {"request + withdraw / healthz": 0.25}}


if __name__ == "__main__":
    raise SystemExit(main())
