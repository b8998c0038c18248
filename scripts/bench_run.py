"""Benchmark shelterbeds at national scale the way users load it; see scripts/bench.

For each database (SQLite and PostgreSQL): build ~300 shelters / ~6,000 units / ~300,000
history rows (scripts.bench_data, with a progress bar), start gunicorn exactly as the
Procfile's `web` line (2 workers, production settings, bound to loopback), and load it with
`wrk` as a separate process (scripts.bench_wrk). Figures are requests/s and p50/p95/p99, and
each probe's throughput as a RATIO to `GET /healthz` in the same run, which is what compares
across machines; then the fan-out of one freed unit to 1,000 subscriptions, and the growth
run (10x history). Pass/fail against the targets of issue 10; everything to a JSON file.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from shelterbeds.db import is_sqlite, make_engine
from shelterbeds.domain.clock import utcnow
from shelterbeds.migrate import upgrade
from shelterbeds.services import auth
from shelterbeds.services.stats_rollup import roll_up_months

from .bench_data import BenchData, add_history, fanout_subscriptions, generate, progress_bar
from .bench_server import Server, staff_cookie
from .bench_wrk import WrkResult, request_withdraw, run_wrk, simple_request, toggle_status

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "test-artifacts" / "bench.json"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
TYPICAL = "woman + girl 4, boy 9, from 1880"
VACANCY_PROFILES = {
    TYPICAL: "child_ages=4,9&child_sexes=f,m&municipality=1880",
    "one woman, no municipality": "adults=1",
    "wheelchair": "wheelchair=1&municipality=1880",
    "LGBTQ + detoxified, from 1880": "lgbtq=1&substance_use=detoxified&municipality=1880",
    "man with pets": "men=1&pets=1&municipality=1880",
    "woman + boy 16": "child_ages=16&child_sexes=m&municipality=1880",
}
TARGETS = {  # issue 10, item 5 (PostgreSQL, 2 workers, same run)
    "typical search / healthz": (">=", 0.50),
    "request + withdraw / healthz": (">=", 0.25),
    "fan-out to 1,000 subscribers, s": ("<=", 10.0),
    "search slowdown with 10x history": ("<=", 1.2),
    # Production keeps the rate limits in Redis (shared by every worker): the same target.
    "typical search / healthz, limits in Redis": (">=", 0.50),
}
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
REDIS_SUFFIX = " (limits in Redis)"
REQUEST_BODY = json.dumps(
    {
        "unit_id": 0,
        "municipality_code": "1880",
        "case_ref": "BENCH-1",
        "household": {"adults": 1, "children": []},
        "needs": {},
        "urgency": "immediate",
        "callback_phone": "+46701234567",
    }
).replace('"unit_id": 0', '"unit_id": UNIT')


def stats_module() -> Any:
    """scripts/bench_stats.py (issue 9) if it exists: its history and 12-month probes."""
    try:
        return importlib.import_module("scripts.bench_stats")
    except ModuleNotFoundError:
        return None


def stats_probes(module: Any) -> list[tuple[str, str]]:
    """(name, path) of the 12-month statistics probes of scripts/bench_stats.py (issue 9):
    its `stats_probes(now)`, or a `STATS_PROBES` list; none without the module."""
    if module is None:
        return []
    if callable(getattr(module, "stats_probes", None)):
        raw = module.stats_probes(utcnow())
    else:
        raw = getattr(module, "STATS_PROBES", None) or []
    return [(str(item[0]), str(item[1])) for item in raw]


def stats_account(module: Any) -> str | None:
    """The account bench_stats makes for its probes (`STATS_EMAIL`), if any."""
    return getattr(module, "STATS_EMAIL", None) if module is not None else None


def prepare_database(url: str) -> None:
    """Create (PostgreSQL) or empty the database, then migrate it."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
            )
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
        admin.dispose()
    engine = make_engine(url)
    try:
        if inspect(engine).get_table_names() and not is_sqlite(engine):
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    upgrade(url)


def vacuum_analyze(engine: Any) -> None:
    """Fresh planner statistics and a vacuumed database, as after a real import once
    autovacuum has run — otherwise autovacuum works through the millions of rows just
    inserted while the probes run, on the same cores."""
    if not is_sqlite(engine):
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def build(url: str, args: argparse.Namespace, password: str, stats: Any) -> BenchData:
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
            progress=progress_bar("data"),
        )
        if stats is not None and hasattr(stats, "generate_history") and args.stats_years:
            print("  statistics history (scripts/bench_stats.py) …", flush=True)
            scale = args.units / 6_000  # national volumes at national scale, less below
            stats.generate_history(
                session,
                utcnow(),
                password=password,
                years=args.stats_years,
                requests_per_year=max(100, round(50_000 * scale)),
                manual_turnaways_per_year=max(20, round(10_000 * scale)),
                signals_per_year=max(20, round(10_000 * scale)),
            )
        session.commit()
        # What the nightly clock job `roll_up_statistics` would have stored by now, with or
        # without a statistics history: the figures of ended months are read from it.
        rolled = 0
        while step := roll_up_months(session, utcnow(), limit_months=120):
            rolled += step
            session.commit()
        data.counts["shelter_months"] = rolled
    vacuum_analyze(engine)
    engine.dispose()
    data.counts["generate_seconds"] = round(time.perf_counter() - started, 1)
    return data


def tokens(url: str, data: BenchData, with_stats: bool = True) -> dict[str, str]:
    """Fresh API tokens for the benchmark's accounts, by role ("stats": bench_stats's, whose
    account exists only with a statistics history; the admin otherwise)."""
    engine = make_engine(url)
    accounts = dict(data.accounts)
    stats_email = stats_account(stats_module()) if with_stats else None
    accounts["stats"] = stats_email or accounts["admin"]
    with Session(engine) as session:
        raw = {}
        for role, email in accounts.items():
            _t, raw[role] = auth.create_token(
                session, auth.user_by_email(session, email), "bench", utcnow()
            )
        session.commit()
    engine.dispose()
    return {role: f"Bearer {value}" for role, value in raw.items()}


def ratio_row(result: WrkResult, healthz: WrkResult) -> dict[str, Any]:
    return {
        "probe": result.name,
        "per_second": round(result.rps, 1),
        "ratio": round(result.rps / healthz.rps, 3) if healthz.rps else None,
        "p50_ms": result.p50_ms,
        "p95_ms": result.p95_ms,
        "p99_ms": result.p99_ms,
        "requests": result.requests,
        "non2xx": result.non2xx,
        "socket_errors": result.socket_errors,
        "response_bytes": result.bytes,
        "first_non2xx": result.first_non2xx or None,
    }


def load_probes(
    server: Server, data: BenchData, auth_headers: dict[str, str], args: argparse.Namespace
) -> list[WrkResult]:
    """Every probe once, in order, each with its own wrk process."""
    social = {"Authorization": auth_headers["social_worker"]}
    staff = {"Authorization": auth_headers["staff"], "Content-Type": "application/json"}
    secs = args.seconds

    def go(name: str, lua: str, warm_lua: str | None = None, **kw: Any) -> WrkResult:
        if args.warmup:  # not counted
            run_wrk(name, server.url, warm_lua or lua, seconds=args.warmup, **kw)
        result = run_wrk(name, server.url, lua, seconds=secs, **kw)
        print(
            f"  {name:48} {result.rps:9.1f}/s  p50 {result.p50_ms:7.2f} ms  "
            f"p99 {result.p99_ms:7.2f} ms  non-2xx {result.non2xx}",
            flush=True,
        )
        return result

    results = [go("GET /healthz", simple_request("GET", "/healthz", {}))]
    for name, query in VACANCY_PROFILES.items():
        lua = simple_request("GET", f"/api/v1/vacancies?{query}", social)
        results.append(go(f"search: {name}", lua))
    results.append(go("GET /api/v1/shelters", simple_request("GET", "/api/v1/shelters", social)))
    cookie = {"Cookie": staff_cookie(server.url, data.staff_email, data.password)}
    results.append(go("GET /shelter (staff page)", simple_request("GET", "/shelter", cookie)))
    units = data.staff_unit_ids
    n = max(1, min(8, len(units)))  # one pool of units per wrk thread (and connection)
    pools = [units[i::n] for i in range(n)]
    results.append(go("PUT unit status", toggle_status(pools, staff), threads=n, connections=n))
    # Warm-up and timed run on different units: wrk stops mid-cycle, leaving a unit held.
    warm, timed = data.request_unit_ids[0::2], data.request_unit_ids[1::2]
    n = max(1, min(8, len(warm), len(timed)))
    sw = {"Authorization": auth_headers["social_worker"], "Content-Type": "application/json"}
    results.append(
        go(
            "request + withdraw (cycles)",
            request_withdraw([timed[i::n] for i in range(n)], sw, REQUEST_BODY),
            request_withdraw([warm[i::n] for i in range(n)], sw, REQUEST_BODY),
            threads=n,
            connections=n,
            per_cycle=2,
        )
    )
    stats = {"Authorization": auth_headers["stats"]}
    for name, path in stats_probes(stats_module()):
        results.append(go(f"stats: {name}", simple_request("GET", path, stats)))
    return results


def redis_probes(
    url: str, auth_headers: dict[str, str], args: argparse.Namespace
) -> list[dict[str, Any]]:
    """`/healthz` and the typical search again on a server that keeps its limits in Redis.

    As production runs with SHELTERBEDS_REDIS_URL: every API request goes through the
    shared per-token limit. Ratios against this server's own `/healthz`.
    """
    social = {"Authorization": auth_headers["social_worker"]}
    typical = simple_request("GET", f"/api/v1/vacancies?{VACANCY_PROFILES[TYPICAL]}", social)
    with Server(url, workers=args.workers, SHELTERBEDS_REDIS_URL=args.redis_url) as server:
        if args.warmup:
            run_wrk("warm-up", server.url, typical, seconds=args.warmup)
        found = [
            run_wrk(
                f"GET /healthz{REDIS_SUFFIX}",
                server.url,
                simple_request("GET", "/healthz", {}),
                seconds=args.seconds,
            ),
            run_wrk(f"search: {TYPICAL}{REDIS_SUFFIX}", server.url, typical, seconds=args.seconds),
        ]
    for r in found:
        print(f"  {r.name:48} {r.rps:9.1f}/s  p50 {r.p50_ms:7.2f} ms  non-2xx {r.non2xx}")
    return [ratio_row(r, found[0]) for r in found]


def fanout(url: str, server: Server, data: BenchData, auth_headers: dict[str, str]) -> dict:
    """Free one unit that 1,000 subscriptions match; time until every SMS is handed over."""
    engine = make_engine(url)
    unit_id = data.staff_unit_ids[0]
    with Session(engine) as session:
        fanout_subscriptions(session, data, 1_000)
        session.commit()
    server.start_clock()  # production runs it: it sweeps what the web process did not send
    headers = {"Authorization": auth_headers["staff"], "Content-Type": "application/json"}
    answer = server.call("PUT", f"/api/v1/units/{unit_id}/status", {"status": "occupied"}, headers)
    assert answer.status == 200, answer
    from shelterbeds.models import OutboxMessage, OutboxStatus, Subscription

    started = time.perf_counter()
    answer = server.call("PUT", f"/api/v1/units/{unit_id}/status", {"status": "free"}, headers)
    response_s = time.perf_counter() - started
    assert answer.status == 200, answer
    handed = 0
    deadline = started + 120
    with Session(engine) as session:
        while time.perf_counter() < deadline:
            handed = len(
                session.scalars(
                    select(OutboxMessage.id).where(
                        OutboxMessage.unit_id == unit_id,
                        OutboxMessage.kind == "unit_free",
                        OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.DELIVERED]),
                    )
                ).all()
            )
            session.rollback()
            if handed >= 1_000:
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        session.execute(delete(Subscription))  # the growth run must not alert anyone
        session.commit()
    engine.dispose()
    print(f"  fan-out: {handed} SMS handed to the sender in {seconds:.2f} s", flush=True)
    return {"sms": handed, "seconds": round(seconds, 2), "put_response_s": round(response_s, 2)}


def growth(
    url: str, server: Server, data: BenchData, auth_headers: dict[str, str], args: Any
) -> dict:
    """10x the history, then search (and statistics) again against /healthz in the same run."""
    engine = make_engine(url)
    with Session(engine) as session:
        added = add_history(session, utcnow(), data, factor=9, progress=progress_bar("10x"))
        stats = stats_module()  # issue 9: the statistics history grows tenfold too
        if stats is not None and hasattr(stats, "grow_history") and args.stats_years:
            added += stats.grow_history(session, years=args.stats_years, factor=9)
        session.commit()
    vacuum_analyze(engine)
    engine.dispose()
    social = {"Authorization": auth_headers["social_worker"]}
    typical = simple_request("GET", f"/api/v1/vacancies?{VACANCY_PROFILES[TYPICAL]}", social)
    if args.warmup:
        run_wrk("warm-up", server.url, typical, seconds=args.warmup)
    secs = args.seconds
    healthz = simple_request("GET", "/healthz", {})
    after = [
        run_wrk("GET /healthz", server.url, healthz, seconds=secs),
        run_wrk(f"search: {TYPICAL}", server.url, typical, seconds=secs),
    ]
    stats = {"Authorization": auth_headers["stats"]}
    for name, path in stats_probes(stats_module()):
        lua = simple_request("GET", path, stats)
        after.append(run_wrk(f"stats: {name}", server.url, lua, seconds=secs))
    for r in after[1:]:
        print(f"  10x history: {r.name:40} {r.rps:9.1f}/s  ({r.rps / after[0].rps:.3f} x healthz)")
    return {"history_rows_added": added, "after": [ratio_row(r, after[0]) for r in after]}


def verdicts(rows: list[dict], fan: dict | None, grow: dict | None) -> list[dict]:
    by_name = {r["probe"]: r for r in rows}
    values: dict[str, float | None] = {
        "typical search / healthz": by_name[f"search: {TYPICAL}"]["ratio"],
        "request + withdraw / healthz": by_name["request + withdraw (cycles)"]["ratio"],
        "fan-out to 1,000 subscribers, s": fan["seconds"] if fan else None,
        "search slowdown with 10x history": None,
    }
    in_redis = by_name.get(f"search: {TYPICAL}{REDIS_SUFFIX}")
    values["typical search / healthz, limits in Redis"] = in_redis["ratio"] if in_redis else None
    if grow:
        after = {r["probe"]: r for r in grow["after"]}[f"search: {TYPICAL}"]["ratio"]
        before = values["typical search / healthz"]
        values["search slowdown with 10x history"] = round(before / after, 3) if after else None
    out = []
    for name, value in values.items():
        op, target = TARGETS.get(name, ("<=", 1.2))
        ok = value is not None and (value >= target if op == ">=" else value <= target)
        out.append({"target": name, "value": value, "goal": f"{op} {target}", "pass": ok})
    stats = stats_module()  # issue 9's targets for the statistics probes, if it has them
    if stats is not None and hasattr(stats, "verdicts"):
        out.extend(stats.verdicts(rows, grow, f"search: {TYPICAL}"))
    return out


def run_engine(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n== {name}: {make_url(url).render_as_string(hide_password=True)}", flush=True)
    prepare_database(url)
    password = secrets.token_urlsafe(16)
    stats = stats_module()
    data = build(url, args, password, stats)
    auth_headers = tokens(url, data, with_stats=bool(args.stats_years))
    with Server(url, workers=args.workers) as server:
        results = load_probes(server, data, auth_headers, args)
        healthz = results[0]
        rows = [ratio_row(r, healthz) for r in results]
        if args.redis_url:
            rows += redis_probes(url, auth_headers, args)
        fan = None if args.skip_fanout else fanout(url, server, data, auth_headers)
        grow = None if args.skip_growth else growth(url, server, data, auth_headers, args)
    return {
        "database": make_url(url).render_as_string(hide_password=True),
        "shelters": data.shelters,
        "units": data.units,
        "history_rows": data.history_rows,
        "generate_seconds": data.counts.get("generate_seconds"),
        "probes": rows,
        "fanout": fan,
        "growth": grow,
        "targets": verdicts(rows, fan, grow),
    }


def print_summary(engines: dict[str, Any]) -> None:
    for name, result in engines.items():
        print(
            f"\n{name}: {result['shelters']} shelters, {result['units']} units, "
            f"{result['history_rows']} history rows"
        )
        head = (
            f"{'probe':50} {'per s':>9} {'x healthz':>9} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'p99 ms':>8} {'non2xx':>6} {'kB':>6}"
        )
        print(head)
        print("-" * len(head))
        for r in result["probes"]:
            print(
                f"{r['probe']:50} {r['per_second']:>9.1f} {r['ratio']:>9.3f} {r['p50_ms']:>8.2f} "
                f"{r['p95_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['non2xx']:>6} "
                f"{r['response_bytes'] / 1024:>6.1f}"
            )
        for t in result["targets"]:
            mark = "PASS" if t["pass"] else "FAIL"
            print(f"  {mark}  {t['target']}: {t['value']} (goal {t['goal']})")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per probe")
    parser.add_argument("--warmup", type=int, default=1, help="untimed seconds first (0: none)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shelters", type=int, default=300)
    parser.add_argument("--units", type=int, default=6_000)
    parser.add_argument("--history-per-unit", type=int, default=50)
    parser.add_argument(
        "--stats-years", type=int, default=5, help="statistics history (bench_stats; 0: none)"
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("SHELTERBEDS_BENCH_REDIS_URL", DEFAULT_REDIS),
        help="the search again with rate limits in this Redis ('': skip)",
    )
    parser.add_argument("--skip-fanout", action="store_true")
    parser.add_argument("--skip-growth", action="store_true")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    engines: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="shelterbeds-bench-") as tmp:
        for name in [e.strip() for e in args.engines.split(",") if e.strip()]:
            if name == "sqlite":
                url = f"sqlite:///{tmp}/bench.sqlite3"
            elif name == "postgresql":
                url = os.environ.get("SHELTERBEDS_BENCH_DATABASE_URL") or DEFAULT_PG
            else:
                sys.exit(f"unknown engine {name}: use sqlite and/or postgresql")
            engines[name] = run_engine(name, url, args)
    meta = {
        "when": utcnow().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cpu",
        "load": "wrk on loopback, a separate process; -t1 -c8 unless stated",
        "server": f"gunicorn as in the Procfile, {args.workers} workers, production settings",
        "seconds_per_probe": args.seconds,
    }
    print_summary(engines)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"meta": meta, "engines": engines}, indent=2) + "\n")
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
