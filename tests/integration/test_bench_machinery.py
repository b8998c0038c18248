"""scripts/bench end to end at a tiny scale: the machinery works (no timing is asserted)."""

from __future__ import annotations

import json
import shutil

import pytest

from scripts import bench_run
from tests.support.factories import PG_URL
from tests.support.security import REDIS_URL

pytestmark = [
    pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (Debian package wrk)"),
    pytest.mark.skipif(PG_URL.startswith("postgresql"), reason="once is enough (SQLite pass)"),
]


def test_bench_runs_every_probe_and_writes_its_figures(tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = bench_run.main(
        ["--engines", "sqlite", "--seconds", "1", "--warmup", "1", "--shelters", "12"]
        + ["--units", "120", "--history-per-unit", "2", "--stats-years", "1"]
        + ["--output", str(out), "--redis-url", REDIS_URL]
    )
    assert code == 0
    result = json.loads(out.read_text())["engines"]["sqlite"]
    probes = {p["probe"]: p for p in result["probes"]}
    assert list(probes)[0] == "GET /healthz" and probes["GET /healthz"]["ratio"] == 1.0
    assert {f"search: {name}" for name in bench_run.VACANCY_PROFILES} <= set(probes)
    for name in ("GET /api/v1/shelters", "GET /shelter (staff page)", "PUT unit status"):
        assert name in probes
    for probe in probes.values():
        assert probe["non2xx"] == 0 and probe["socket_errors"] == 0, probe
        if not probe["probe"].startswith("stats: "):  # a 12-month figure may take > 1 s
            assert probe["requests"] > 0, probe
        assert probe["p50_ms"] <= probe["p95_ms"] <= probe["p99_ms"]
    assert probes["request + withdraw (cycles)"]["per_second"] > 0
    if REDIS_URL:  # the search again with the rate limits kept in Redis, as in production
        in_redis = f"search: {bench_run.TYPICAL}{bench_run.REDIS_SUFFIX}"
        assert probes[in_redis]["requests"] > 0 and probes[in_redis]["ratio"] is not None
    assert result["fanout"]["sms"] == 1000
    assert result["growth"]["history_rows_added"] > 0
    targets = {t["target"]: t for t in result["targets"]}
    assert set(bench_run.TARGETS) <= set(targets)
    assert all(isinstance(t["pass"], bool) for t in targets.values())
    printed = capsys.readouterr().out
    assert "x healthz" in printed and ("PASS" in printed or "FAIL" in printed)
