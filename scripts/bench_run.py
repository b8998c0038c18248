"""Benchmark the vacancy registry at national scale; see scripts/bench for how to run it.

Builds ~300 shelters / ~6,000 units / ~300,000 history rows (scripts.bench_data) in
SHELTERBEDS_BENCH_DATABASE_URL (default: a temporary SQLite file), then times each endpoint
through the Flask test client and reports it as a RATIO to `GET /healthz` timed in the same
rounds, so the numbers compare across machines. The test client is used rather than a real
server on purpose: it runs the whole app (routing, auth, schemas, queries, templates) without
socket and thread-scheduling noise, which on a 2-core machine would be larger than the
differences being measured. Requests are interleaved round by round, so slow drift (cache,
WAL growth, another process) hits every endpoint alike.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session

from shelterbeds import create_app
from shelterbeds.config import Settings
from shelterbeds.db import is_sqlite, make_engine
from shelterbeds.domain.clock import utcnow
from shelterbeds.migrate import upgrade
from shelterbeds.models import Unit
from shelterbeds.services import auth

from .bench_data import BenchData, generate

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "test-artifacts" / "bench.json"
VACANCY_PROFILES = {
    "one woman": "adults=1",
    "woman + girl 4, boy 9": "child_ages=4,9&child_sexes=f,m",
    "wheelchair": "wheelchair=1",
    "LGBTQ + detoxified, from 1880": "lgbtq=1&substance_use=detoxified&municipality=1880",
    "man with pets": "men=1&pets=1",
    "woman + boy 16": "child_ages=16&child_sexes=m",
}


@dataclass
class Probe:
    """One endpoint to time: a name and a function that makes one request."""

    name: str
    call: Callable[[], Any]
    times: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    size: int = 0  # bytes in the last response body


def prepare_database(url: str, reset: bool) -> None:
    """Migrate an empty database; with reset, empty a PostgreSQL schema or SQLite file first."""
    engine = make_engine(url)
    try:
        tables = inspect(engine).get_table_names()
        if tables and not reset:
            sys.exit(f"{url} is not empty: pass --reset to drop everything in it first.")
        if tables:
            with engine.begin() as conn:
                if is_sqlite(engine):
                    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                    for name in tables:
                        conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
                else:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    upgrade(url)


def build_data(url: str, args: argparse.Namespace, password: str) -> tuple[BenchData, float]:
    engine = make_engine(url)
    started = time.perf_counter()
    with Session(engine) as session:
        data = generate(
            session,
            utcnow(),
            password=password,
            shelters=args.shelters,
            units=args.units,
            history_per_unit=args.history_per_unit,
        )
        session.commit()
    if not is_sqlite(engine):
        with engine.connect() as conn:  # fresh planner statistics, as after a real import
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    engine.dispose()
    return data, time.perf_counter() - started


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if match is None:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def expect(response: Any, status: int = 200) -> Any:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.path}: {response.status_code} {response.data!r}")
    return response


def make_probes(app: Any, data: BenchData) -> list[Probe]:
    """The endpoints under test, each signed in as the user who would call it."""
    from shelterbeds.extensions import db

    with app.app_context(), db.transaction() as session:
        raw = {}
        for email in (data.social_worker_email, data.staff_email):
            _token, raw[email] = auth.create_token(
                session, auth.user_by_email(session, email), "bench", utcnow()
            )
        rows = session.execute(
            select(Unit.id, Unit.status).where(Unit.id.in_(data.staff_unit_ids))
        ).all()
        current = {unit_id: unit_status.value for unit_id, unit_status in rows}
    social = {"Authorization": f"Bearer {raw[data.social_worker_email]}"}
    staff = {"Authorization": f"Bearer {raw[data.staff_email]}"}

    api = app.test_client()
    web = app.test_client()
    login = csrf_from(expect(web.get("/login")).get_data(as_text=True))
    form = {"email": data.staff_email, "password": data.password, "csrf_token": login}
    expect(web.post("/login", data=form), 302)

    order = list(data.staff_unit_ids)
    turn = {"i": 0}

    def put_status() -> Any:
        unit_id = order[turn["i"] % len(order)]
        turn["i"] += 1
        new = "occupied" if current[unit_id] == "free" else "free"
        response = expect(
            api.put(f"/api/v1/units/{unit_id}/status", json={"status": new}, headers=staff)
        )
        current[unit_id] = new
        return response

    probes = [Probe("GET /healthz", lambda: expect(api.get("/healthz")))]
    for name, query in VACANCY_PROFILES.items():
        url = f"/api/v1/vacancies?{query}"
        probes.append(
            Probe(
                f"GET /api/v1/vacancies ({name})", lambda u=url: expect(api.get(u, headers=social))
            )
        )
    probes += [
        Probe("GET /api/v1/shelters", lambda: expect(api.get("/api/v1/shelters", headers=social))),
        Probe("GET /shelter (staff page)", lambda: expect(web.get("/shelter"))),
        Probe("PUT /api/v1/units/{id}/status", put_status),
    ]
    return probes


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(probes: list[Probe], engine: Any, rounds: int, warmup: int) -> None:
    """Round-robin: every probe once per round, so noise is shared fairly."""
    counter = {"n": 0}

    def count(*_args: Any) -> None:
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    gc.freeze()  # what exists now lives for the whole run: keep the per-request collect cheap
    try:
        for round_no in range(warmup + rounds):
            for probe in probes:
                counter["n"] = 0
                # Each request pays for the garbage it makes, not for the previous one's.
                gc.collect()
                started = time.perf_counter()
                response = probe.call()
                elapsed = time.perf_counter() - started
                probe.size = len(response.data)
                if round_no >= warmup:
                    probe.times.append(elapsed)
                    probe.queries.append(counter["n"])
    finally:
        event.remove(engine, "before_cursor_execute", count)


def summarise(probes: list[Probe]) -> list[dict[str, Any]]:
    base = probes[0]
    base_median = statistics.median(base.times)
    base_p95 = percentile(base.times, 0.95)
    rows = []
    for p in probes:
        median, p95 = statistics.median(p.times), percentile(p.times, 0.95)
        rows.append(
            {
                "endpoint": p.name,
                "median_ms": round(median * 1000, 3),
                "p95_ms": round(p95 * 1000, 3),
                "median_ratio": round(median / base_median, 1),
                "p95_ratio": round(p95 / base_p95, 1),
                "queries": max(p.queries),
                "response_kb": round(p.size / 1024, 1),
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    print(
        f"\n{meta['dialect']}: {meta['shelters']} shelters, {meta['units']} units, "
        f"{meta['history_rows']} history rows (built in {meta['generate_seconds']:.1f} s); "
        f"{meta['rounds']} requests per endpoint, ratios to GET /healthz\n"
    )
    head = (
        f"{'endpoint':58} {'median ms':>10} {'p95 ms':>9} "
        f"{'× median':>9} {'× p95':>8} {'queries':>8} {'kB':>7}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['endpoint']:58} {r['median_ms']:>10.2f} {r['p95_ms']:>9.2f} "
            f"{r['median_ratio']:>9.1f} {r['p95_ratio']:>8.1f} {r['queries']:>8} "
            f"{r['response_kb']:>7.1f}"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint")
    parser.add_argument("--warmup", type=int, default=10, help="untimed rounds first")
    parser.add_argument("--shelters", type=int, default=300)
    parser.add_argument("--units", type=int, default=6_000)
    parser.add_argument("--history-per-unit", type=int, default=50)
    parser.add_argument("--reset", action="store_true", help="empty the database first")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = os.environ.get("SHELTERBEDS_BENCH_DATABASE_URL", "")
    tmp = None
    if not url:
        tmp = tempfile.TemporaryDirectory(prefix="shelterbeds-bench-")
        url = f"sqlite:///{tmp.name}/bench.sqlite3"
    try:
        prepare_database(url, args.reset)
        data, gen_seconds = build_data(url, args, secrets.token_urlsafe(16))
        settings = Settings(
            env="development",
            database_url=url,
            secret_key=secrets.token_urlsafe(32),
            sms_backend="console",
        )
        app = create_app(settings)
        from shelterbeds.extensions import db

        probes = make_probes(app, data)
        run(probes, db.engine, args.requests, args.warmup)
        rows = summarise(probes)
        meta = {
            "dialect": db.engine.dialect.name if db.engine is not None else "?",
            "database": make_engine(url).url.render_as_string(hide_password=True),
            "shelters": data.shelters,
            "units": data.units,
            "history_rows": data.history_rows,
            "generate_seconds": round(gen_seconds, 1),
            "rounds": args.requests,
            "warmup": args.warmup,
            "client": "flask test client",
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cpu",
        }
        print_table(rows, meta)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps({"meta": meta, "results": rows}, indent=2) + "\n")
        print(f"\nwritten to {args.output}")
        if db.engine is not None:
            db.engine.dispose()
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
