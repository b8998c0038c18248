"""Drive `wrk` (a separate load-generator process on loopback) and read its figures.

Each probe is a small Lua script: how to build each request, and a `done` hook that prints
one JSON line with requests/s, p50/p95/p99 and the count of non-2xx answers. Probes that
need the previous answer (request, then withdraw it) run one connection per wrk thread, so
each Lua state sees its own connection's answers in order.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DONE = r"""
bad = 0  -- globals: done() reads them from each thread
last_size = 0
first_bad = ""
response = function(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    if first_bad == "" then
      first_bad = status .. " " .. string.gsub(string.sub(body, 1, 160), "[^%w %.,:]", " ")
    end
  end
  last_size = #body
  if on_response then on_response(status, body) end
end
local threads = {}
setup = function(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end
done = function(summary, latency, requests)
  local bad_total, size, example = 0, 0, ""
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    size = math.max(size, t:get("last_size"))
    if example == "" then example = t:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    '\nBENCH {"requests":%d,"seconds":%.3f,"non2xx":%d,"socket_errors":%d,' ..
    '"p50_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"bytes":%d,"first_non2xx":"%s"}\n',
    summary.requests, summary.duration / 1e6, bad_total,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, size, example))
end
"""


def lua_string(value: str) -> str:
    """A Lua string literal (JSON's escaping is a subset Lua reads)."""
    return json.dumps(value)


def simple_request(method: str, path: str, headers: dict[str, str], body: str = "") -> str:
    """Lua for a probe that sends the same request every time."""
    hdrs = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
    return (
        f"local hdrs = {{{hdrs}}}\n"
        f"request = function() return wrk.format({lua_string(method)}, {lua_string(path)}, "
        f"hdrs, {lua_string(body) if body else 'nil'}) end\n"
    )


def toggle_status(pools: list[list[int]], headers: dict[str, str]) -> str:
    """Lua: each thread (one connection) PUTs the units of its own pool in turn, alternating
    occupied and free.

    One pool per connection: with one pool shared by eight connections, a PUT that stalled
    while the others went round the pool could meet the next PUT of its unit, and the
    service rightly answered 409 (the race decided in SQL) — one in 3,494 in run 5.
    """
    hdrs = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
    lua_pools = ", ".join("{" + ", ".join(map(str, p)) + "}" for p in pools)
    return (
        f"local hdrs = {{{hdrs}}}\nlocal pools = {{{lua_pools}}}\nlocal n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  local units = pools[(thread_no - 1) % #pools + 1]\n"
        "  local unit = units[(n - 1) % #units + 1]\n"
        "  local round = math.floor((n - 1) / #units) + 1\n"
        "  local status = (round % 2 == 0) and 'free' or 'occupied'\n"
        "  return wrk.format('PUT', '/api/v1/units/' .. unit .. '/status', hdrs,\n"
        "    '{\"status\": \"' .. status .. '\"}')\n"
        "end\n"
    )


def request_withdraw(pools: list[list[int]], headers: dict[str, str], body: str) -> str:
    """Lua: each thread (one connection) requests a unit of its own pool, then withdraws it.

    `body` is a request body with the unit id as the placeholder UNIT.
    """
    hdrs = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
    lua_pools = ", ".join("{" + ", ".join(map(str, p)) + "}" for p in pools)
    return (
        f"local hdrs = {{{hdrs}}}\nlocal pools = {{{lua_pools}}}\n"
        f"local body = {lua_string(body)}\n"
        "local pending = nil\nlocal n = 0\n"
        "request = function()\n"
        "  if pending then\n"
        "    local id = pending\n"
        "    pending = nil\n"
        "    return wrk.format('POST', '/api/v1/requests/' .. id .. '/withdraw', hdrs, '')\n"
        "  end\n"
        "  n = n + 1\n"
        "  local pool = pools[(thread_no - 1) % #pools + 1]\n"
        "  local unit = pool[(n - 1) % #pool + 1]\n"
        "  return wrk.format('POST', '/api/v1/requests', hdrs,\n"
        "    (string.gsub(body, 'UNIT', tostring(unit))))\n"
        "end\n"
        "on_response = function(status, body)\n"
        "  if status == 201 then pending = string.match(body, '\"id\":%s*(%d+)') end\n"
        "end\n"
    )


@dataclass
class WrkResult:
    name: str
    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    bytes: int
    first_non2xx: str = ""
    per_cycle: int = 1  # HTTP requests per unit of work (2 for request + withdraw)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        """Units of work per second (requests, or cycles for multi-request probes)."""
        return self.requests / self.per_cycle / self.seconds if self.seconds else 0.0


def run_wrk(
    name: str,
    url: str,
    lua: str,
    *,
    seconds: int,
    threads: int = 1,
    connections: int = 8,
    per_cycle: int = 1,
) -> WrkResult:
    """Run wrk with the probe's Lua against `url` (loopback) and parse its JSON line."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua + DONE)
        script = Path(f.name)
    try:
        out = subprocess.run(  # noqa: S603 (wrk, our own arguments)
            [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
            + ["-s", str(script), url],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=False,
        )
    finally:
        script.unlink(missing_ok=True)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no figures for {name}:\n{out.stdout}\n{out.stderr}")
    figures = json.loads(line[len("BENCH ") :])
    return WrkResult(name=name, per_cycle=per_cycle, **figures)
