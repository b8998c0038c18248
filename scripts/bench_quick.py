"""A quick same-run comparison of `/healthz` and the typical search on an existing bench
database (`scripts/bench` filled it): gunicorn as the Procfile runs it, `wrk -t1 -c8`,
alternating the two probes `--rounds` times. With `--stats`, each round also times the five
12-month statistics probes of `scripts/bench` (as its national administrator; the database
filled by `python -m scripts.bench_stats`) as multiples of the search's time. For checking
one change quickly; the full figures come from `scripts/bench`. With SHELTERBEDS_REDIS_URL
set in the environment the server keeps its rate limits there, as production does.

    .venv/bin/python -m scripts.bench_quick --database postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import statistics

from sqlalchemy.orm import Session

from shelterbeds.db import make_engine
from shelterbeds.domain.clock import utcnow
from shelterbeds.services import auth

from .bench_data import SOCIAL_WORKER_EMAIL
from .bench_run import TYPICAL, VACANCY_PROFILES
from .bench_server import Server
from .bench_stats import STATS_EMAIL, stats_probes
from .bench_wrk import run_wrk, simple_request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--stats", action="store_true", help="also the statistics probes")
    args = parser.parse_args()
    engine = make_engine(args.database)
    with Session(engine) as session:
        user = auth.user_by_email(session, SOCIAL_WORKER_EMAIL)
        _t, raw = auth.create_token(session, user, "bench-quick", utcnow())
        stats_raw = ""
        if args.stats:
            admin = auth.user_by_email(session, STATS_EMAIL)
            _t, stats_raw = auth.create_token(session, admin, "bench-quick", utcnow())
        session.commit()
    engine.dispose()
    headers = {"Authorization": f"Bearer {raw}"}
    stats_headers = {"Authorization": f"Bearer {stats_raw}"}
    probes = stats_probes(utcnow()) if args.stats else []
    times: dict[str, list[float]] = {name: [] for name, _path in probes}
    search = "/api/v1/vacancies?" + VACANCY_PROFILES[TYPICAL]
    ratios = []
    with Server(args.database) as server:
        for name, lua in (("warm", simple_request("GET", search, headers)),):
            run_wrk(name, server.url, lua, seconds=1)
        for _ in range(args.rounds):
            health = run_wrk(
                "healthz", server.url, simple_request("GET", "/healthz", {}), seconds=args.seconds
            )
            found = run_wrk(
                "search", server.url, simple_request("GET", search, headers), seconds=args.seconds
            )
            ratios.append(found.rps / health.rps)
            print(
                f"healthz {health.rps:8.1f}/s  search {found.rps:8.1f}/s  "
                f"ratio {ratios[-1]:.3f}  non-2xx {found.non2xx}  p50 {found.p50_ms} ms"
            )
            for name, path in probes:
                lua = simple_request("GET", path, stats_headers)
                probe = run_wrk(name, server.url, lua, seconds=args.seconds)
                times[name].append(found.rps / probe.rps if probe.rps else float("inf"))
                print(
                    f"  {name:36s} {probe.rps:8.1f}/s  {times[name][-1]:6.2f}× search time  "
                    f"non-2xx {probe.non2xx}  p50 {probe.p50_ms} ms"
                )
    print(f"median ratio {statistics.median(ratios):.3f}")
    for name, values in times.items():
        print(f"{name:36s} median {statistics.median(values):6.2f}× the search's time")


if __name__ == "__main__":
    main()
