"""Rate limits that cannot be bypassed: per account, per device, per address (trusted proxy
hops only), per API token, on SMS-sending actions; shared through Redis; fail closed."""

from __future__ import annotations

import uuid

import pytest

from shelterbeds.config import Settings
from shelterbeds.domain.throttling import Rule
from shelterbeds.throttle import MAX_BLOCK, MemoryStore, RedisStore, Throttled, Throttles
from tests.support.factories import SOCIALJOUR, STAFF_SARA, request_body, unit_at
from tests.support.security import (
    REDIS_URL,
    form_token,
    post_form,
    prod_app,
    prod_client,
    sign_in,
)

needs_redis = pytest.mark.skipif(not REDIS_URL, reason="set SHELTERBEDS_TEST_REDIS_URL")


def _wrong(client, email, xff):
    token = form_token(client)
    return post_form(
        client,
        "/login",
        {"email": email, "password": "wrong-password-123", "csrf_token": token},
        headers={"X-Forwarded-For": xff},
    )


def test_101_wrong_passwords_for_one_account_cannot_all_be_tried_whatever_xff_says(
    database_url, connection, demo
):
    # Per-address limit set out of the way: the per-account limit alone must hold.
    app = prod_app(database_url, connection, login_rate_limit="10000 per minute")
    client = prod_client(app)
    statuses = [_wrong(client, STAFF_SARA, f"198.51.100.{i}").status_code for i in range(101)]
    tried = statuses.count(401)
    assert statuses.count(429) == 101 - tried
    assert tried <= 5, statuses[:10]  # three free failures, then a growing delay
    r = _wrong(client, STAFF_SARA, "203.0.113.7")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    # An unknown account is throttled the same way (answers never reveal existence).
    unknown = [_wrong(client, "nobody@example.org", f"10.0.0.{i}").status_code for i in range(6)]
    assert unknown[:3] == [401] * 3 and 429 in unknown


def test_the_growing_delay_and_the_hourly_cap():
    rule = Rule("account", limit=100, window=3600, free=3, max_delay=30)
    assert [rule.delay(n) for n in (0, 2, 3, 4, 5, 8, 20)] == [0, 0, 1, 2, 4, 30, 30]
    store, now, tried = MemoryStore(), 1_000_000.0, 0
    settings = Settings(login_account_failures_per_hour=100)
    throttles = Throttles(settings, store)
    # An attacker who always waits exactly as long as told, for two hours.
    t = now
    while t < now + 7200:
        wait = throttles.retry_after("account", "victim", t)
        t += wait
        throttles.record("account", "victim", t)
        tried += 1
        t += 0.001
    assert 100 <= tried <= 240  # at most 100 in any hour: no more than 2 x 100 (+ edges)
    for start in range(int(now), int(now) + 3600, 300):
        count, _f, _l = store.events(
            throttles._key(throttles.rules["account"], "victim"), start + 3600, 3600
        )
        assert count <= 100
    # Not a lock-out: an hour after the last failure the account takes a try at once.
    assert throttles.retry_after("account", "victim", t + 3600) == 0


def test_a_rule_grants_what_is_left_of_its_limit_or_one_event_after_its_delay():
    plain = Rule("api_token", limit=10, window=60)
    granted = [plain.grant(n, 0.0, 1.0, 2.0, wanted=4) for n in (0, 6, 7, 9, 10, 12)]
    assert granted == [4, 4, 3, 1, 0, 0]
    delayed = Rule("account", limit=100, window=3600, free=3, max_delay=30)
    assert delayed.grant(2, 0.0, 10.0, 10.0, wanted=1) == 1  # within the free failures
    assert delayed.grant(4, 0.0, 10.0, 11.0, wanted=1) == 0  # 2 s of delay after the 5th
    assert delayed.grant(4, 0.0, 10.0, 12.0, wanted=1) == 1


def test_a_known_device_still_signs_in_while_the_account_is_attacked(
    database_url, connection, demo
):
    app = prod_app(database_url, connection, login_rate_limit="10000 per minute")
    worker = prod_client(app)
    assert sign_in(worker, STAFF_SARA).status_code == 302  # earlier night: the device cookie
    post_form(worker, "/logout", {"csrf_token": form_token(worker, "/shelter")})
    attacker = prod_client(app)
    for i in range(10):
        _wrong(attacker, STAFF_SARA, f"192.0.2.{i}")
    assert _wrong(attacker, STAFF_SARA, "192.0.2.99").status_code == 429
    r = sign_in(worker, STAFF_SARA)
    assert r.status_code == 302, r.get_data(as_text=True)[:200]
    assert worker.get("/shelter").status_code == 200


def test_x_forwarded_for_counts_only_through_configured_proxy_hops(database_url, connection, demo):
    # No proxy (default): a made-up X-Forwarded-For does not make a new client.
    app = prod_app(database_url, connection, login_rate_limit="3 per minute")
    client = prod_client(app)
    statuses = [
        _wrong(client, f"u{i}@example.org", f"198.51.100.{i}").status_code for i in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]
    # Behind one proxy: the proxy's X-Forwarded-For is the client address.
    app = prod_app(database_url, connection, login_rate_limit="3 per minute", proxy_hops=1)
    client = prod_client(app)
    statuses = [
        _wrong(client, f"v{i}@example.org", f"198.51.100.{i}").status_code for i in range(5)
    ]
    assert statuses == [401] * 5


def test_the_api_is_limited_per_token(database_url, connection, demo, token_for):
    app = prod_app(database_url, connection, api_rate_limit="3 per minute")
    client = prod_client(app)
    headers = token_for(SOCIALJOUR)
    statuses = [client.get("/api/v1/shelters", headers=headers).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    r = client.get("/api/v1/shelters", headers=headers)
    assert r.content_type == "application/problem+json" and r.headers["Retry-After"]
    assert r.json["detail"].startswith("Too many requests (at most 3 per 60 seconds).")
    other = token_for(STAFF_SARA)
    assert client.get("/api/v1/shelters", headers=other).status_code == 200


def test_sms_sending_actions_are_limited_per_account(
    database_url, connection, demo, token_for, session
):
    app = prod_app(database_url, connection, sms_rate_limit="1 per hour")
    client = prod_client(app)
    headers = token_for(SOCIALJOUR)
    free = [unit_at(session, "sara-huset", label) for label in ("Lägenhet 1", "Lägenhet 2")]
    bad = client.post(
        "/api/v1/requests", json=request_body(free[0].id, case_ref=""), headers=headers
    )
    assert bad.status_code == 422  # a refused request sent nothing and is not counted
    r = client.post("/api/v1/requests", json=request_body(free[0].id), headers=headers)
    assert r.status_code == 201, r.json
    r = client.post("/api/v1/requests", json=request_body(free[1].id), headers=headers)
    assert r.status_code == 429 and r.headers["Retry-After"]


@needs_redis
def test_limits_are_shared_between_workers_through_redis():
    settings = Settings(redis_url=REDIS_URL, rate_limit_prefix=f"t-{uuid.uuid4().hex}")
    one, two = Throttles(settings), Throttles(settings)  # two workers, one Redis
    for _ in range(3):
        one.record("account", "victim")
    two.record("account", "victim")
    with pytest.raises(Throttled):
        one.check("account", "victim")
    assert two.retry_after("account", "victim") > 0


def test_a_limit_store_that_is_down_fails_closed(database_url, connection, demo):
    dead = "redis://127.0.0.1:1/0"
    store = RedisStore(dead)
    throttles = Throttles(Settings(redis_url=dead), store)
    with pytest.raises(Exception) as err:
        throttles.check("account", "x")
    assert getattr(err.value, "status", None) == 503
    with pytest.raises(Exception) as err:
        throttles.hit("api_token", "x")
    assert getattr(err.value, "status", None) == 503
    app = prod_app(database_url, connection, redis_url=dead)
    client = prod_client(app)
    r = client.get("/login")
    assert r.status_code == 200
    token_page = client.get("/login").get_data(as_text=True)
    assert "csrf_token" in token_page
    r = _wrong(client, STAFF_SARA, "1.2.3.4")
    assert r.status_code == 503  # refused, never let through unlimited


def _stores():
    yield MemoryStore()
    if REDIS_URL:
        yield RedisStore(REDIS_URL)


@pytest.mark.parametrize("store", list(_stores()), ids=lambda s: type(s).__name__)
def test_a_hit_counts_only_what_it_lets_through(store):
    settings = Settings(api_rate_limit="3 per minute", rate_limit_prefix=f"t-{uuid.uuid4().hex}")
    throttles, t = Throttles(settings, store), 1_000_000.0
    for i in range(3):
        throttles.hit("api_token", "tok", t + i)
    for i in range(3, 6):
        with pytest.raises(Throttled) as refused:
            throttles.hit("api_token", "tok", t + i)
        assert refused.value.extra["retry_after"] == 61 - i  # when the first leaves the window
    key = throttles._key(throttles.rules["api_token"], "tok")
    assert store.events(key, t + 5, 60) == (3, t, t + 2)  # the refused were not counted
    throttles.hit("api_token", "tok", t + 60.5)  # the first has left the window
    assert store.events(key, t + 60.5, 60) == (3, t + 1, t + 60.5)
    assert throttles.retry_after("api_token", "tok", t + 60.5) > 0


@needs_redis
def test_a_hit_is_counted_in_redis_however_many_events_are_kept():
    # A lifted limit keeps every event of the last minute; Redis counts them (the old
    # store read them all on every request: 30 ms per search at 1,600 requests a second).
    store = RedisStore(REDIS_URL)
    settings = Settings(api_rate_limit="100000 per minute", rate_limit_prefix=f"t-{uuid.uuid4()}")
    throttles, t = Throttles(settings, store), 2_000_000.0
    key = throttles._key(throttles.rules["api_token"], "tok")
    store._redis.zadd(key, {f"e{i}": t + i / 1000 for i in range(20_000)})
    events, before = store.reserve(key, t + 30, 60, t + 30, 1)
    assert before == (20_000, t, t + 19.999)
    assert store.events(key, t + 30, 60) == (20_001, t, t + 30)
    assert store.events(key, t + 75, 60)[0] == 5_000  # after 15 s: 4,999 kept and the hit
    store.remove(key, events)
    assert store.events(key, t + 75, 60)[0] == 4_999
    assert 0 < store._redis.ttl(key) <= 120
    store._redis.expire(key, 5)
    store.events(key, t + 75, 60)
    assert 0 < store._redis.ttl(key) <= 5  # a read does not keep the key alive
    store.clear(key)


class CountedStore:
    """A store that counts its `reserve` round trips."""

    def __init__(self, store):
        self.store, self.trips = store, 0

    def __getattr__(self, name):
        return getattr(self.store, name)

    def reserve(self, *args):
        self.trips += 1
        return self.store.reserve(*args)


@pytest.mark.parametrize("store", list(_stores()), ids=lambda s: type(s).__name__)
def test_a_busy_token_is_counted_a_block_at_a_time_and_never_past_its_limit(store):
    # Two workers share one store; a token hammers both at 1,000 requests a second each.
    counted = CountedStore(store)
    settings = Settings(api_rate_limit="5000 per minute", rate_limit_prefix=f"t-{uuid.uuid4()}")
    one, two = Throttles(settings, counted), Throttles(settings, counted)
    key = one._key(one.rules["api_token"], "tok")
    t, granted, trips_in_second_2 = 5_000_000.0, 0, 0
    for i in range(4_000):
        now = t + i / 1000
        if i == 1_000:
            trips_before = counted.trips
        if i == 2_000:
            trips_in_second_2 = counted.trips - trips_before
        for worker in (one, two):
            try:
                worker.hit("api_token", "tok", now)
                granted += 1
            except Throttled:
                pass
    # Never past the limit; short of it by at most the blocks left to lapse.
    assert 5_000 - 2 * MAX_BLOCK <= granted <= 5_000
    # Every event granted is counted (lapsed ones too): the store errs towards refusing.
    assert granted <= store.events(key, t + 4, 60)[0] <= 5_000
    # The second second (each worker knew the token was busy): a round trip per block.
    assert trips_in_second_2 <= 2 * 1_000 / (MAX_BLOCK / 2)
    one.clear("api_token", "tok")


@pytest.mark.parametrize("store", list(_stores()), ids=lambda s: type(s).__name__)
def test_a_token_at_human_pace_is_counted_one_request_at_a_time(store):
    counted = CountedStore(store)
    settings = Settings(api_rate_limit="600 per minute", rate_limit_prefix=f"t-{uuid.uuid4()}")
    throttles, t = Throttles(settings, counted), 6_000_000.0
    key = throttles._key(throttles.rules["api_token"], "tok")
    for i in range(20):
        throttles.hit("api_token", "tok", t + i * 0.7)  # under 2 a second
    assert counted.trips == 20  # each counted in the store as it happens, no block reserved
    assert store.events(key, t + 14, 60) == (20, t, t + 19 * 0.7)
    throttles.clear("api_token", "tok")


@pytest.mark.parametrize("store", list(_stores()), ids=lambda s: type(s).__name__)
def test_an_event_used_from_a_block_counts_for_a_whole_window_after_its_use(store):
    settings = Settings(api_rate_limit="100000 per minute", rate_limit_prefix=f"t-{uuid.uuid4()}")
    throttles, t = Throttles(settings, store), 7_000_000.0
    key = throttles._key(throttles.rules["api_token"], "tok")
    for i in range(1_200):  # 600 a second: blocks from the second second on
        throttles.hit("api_token", "tok", t + i / 600)
    used = t + 1_199 / 600  # the last hit, taken from a block reserved before it
    assert store.events(key, used, 60)[0] >= 1_200
    # Its window ends a minute after its use, not a minute after the block was reserved.
    assert store.events(key, used + 60 - 0.001, 60)[0] >= 1
    throttles.clear("api_token", "tok")
