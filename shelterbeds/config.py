"""Every setting of the service, parsed once from the environment (SHELTERBEDS_*).

No other module reads os.environ: they receive a Settings object (or the Flask config
built from it). Production fails fast on a missing secret.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from .domain.freshness import FreshnessThresholds
from .domain.turnaways import EpisodePolicy


class ConfigError(RuntimeError):
    """A setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    """Typed settings; names mirror the environment variables without the prefix."""

    env: str = "development"
    instance_dir: str = "instance"  # the embedded database and the dev secret live here
    database_url: str = ""  # default: SQLite file in instance_dir
    secret_key: str = ""
    public_url: str = ""  # default outside production: http://127.0.0.1:<port>
    port: int = 5000
    redis_url: str = ""
    demo_password: str = ""
    activation_hours: int = 72  # life of a one-time account activation link
    smtp_url: str = ""  # e-mail activation links when set (smtps://, smtp://, smtp+plain://)
    smtp_from: str = "shelterbeds@localhost"

    # Freshness thresholds (hours): fresh < ageing < stale < unknown.
    fresh_hours: float = 2.0
    ageing_hours: float = 12.0
    stale_hours: float = 24.0

    # Placement workflow.
    hold_minutes: int = 60
    review_first_days: int = 14
    review_every_days: int = 30
    episode_hours: int = 72
    # HMAC key for turn-away episode keys (hashed case references); empty = the secret key.
    episode_key: str = ""

    # Sessions and sign-in.
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    # Failed sign-ins per client address (Flask-Limiter; counts failures only, so a shared
    # office address is not locked out by one person's typos).
    login_rate_limit: str = "20 per minute"
    # Per account (any address): at most this many failures an hour, and a growing delay
    # (1, 2, 4, ... seconds up to the maximum) after the first few. A device where the
    # account signed in before has its own budget, so an attack cannot lock a worker out.
    login_account_failures_per_hour: int = 100
    login_free_failures: int = 3
    login_max_delay_seconds: float = 30.0
    api_rate_limit: str = "600 per minute"  # per API token
    sms_rate_limit: str = "60 per hour"  # SMS-sending actions per account / sender number
    # Second factor (TOTP): "" = required in production only; "1"/"0" to force either way
    # (a demo may relax it, and then says so on the login page).
    require_2fa: str = ""
    # Key material that encrypts TOTP secrets at rest; empty: derived from the secret key.
    totp_key: str = ""
    # Requests and placements older than this many months are anonymised by the clock.
    retention_months: int = 24
    # Trusted reverse proxies in front of the app: X-Forwarded-* is believed only this many
    # hops deep (0: never; the peer address is the client).
    proxy_hops: int = 0
    # Host names the app answers to, comma-separated; empty: the host of the public URL in
    # production, any host otherwise.
    allowed_hosts: str = ""
    # Argon2id cost (OWASP: t=3 with 64 MiB, or more); tests lower it to stay fast.
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536
    rate_limit_prefix: str = "shelterbeds"

    # SMS.
    sms_backend: str = "console"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_messaging_service_sid: str = ""
    sms_timeout_seconds: float = 10.0  # Twilio HTTP timeout; a timeout is reconciled, not resent
    outbox_max_attempts: int = 5  # send attempts before a message is given up as failed
    outbox_backoff_seconds: int = 30  # first retry delay; doubles each attempt
    outbox_reconcile_after_seconds: int = 120  # wait before looking up an unknown send
    outbox_give_up_hours: float = 6.0  # after this an unresolved message is failed
    # Local (Europe/Stockholm) times of the stale-vacancy nudge to shelters, "HH:MM,HH:MM".
    stale_nudge_times: str = "08:00,19:00"

    # The clock process.
    outbox_sweep_seconds: int = 5
    leader_retry_seconds: int = 5  # a follower retries the leader lock this often

    # Statistics: roles that see exact counts; others see counts of 1–2 as "<3".
    stats_exact_roles: str = "county_analyst"

    max_content_length: int = 1_000_000
    timezone: str = "Europe/Stockholm"

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def second_factor_required(self) -> bool:
        if self.require_2fa.strip() == "":
            return self.is_production
        return self.require_2fa.strip().lower() in ("1", "true", "yes", "on")

    @property
    def totp_encryption_key(self) -> str:
        """Key material for TOTP secrets at rest: SHELTERBEDS_TOTP_KEY or the secret key."""
        return self.totp_key or self.secret_key

    def trusted_hosts(self) -> list[str] | None:
        """Host names to answer to (None: any)."""
        hosts = [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]
        if hosts:
            return hosts
        if self.is_production:
            from urllib.parse import urlsplit

            return [urlsplit(self.public_url).hostname or ""]
        return None

    def episode_policy(self) -> EpisodePolicy:
        return EpisodePolicy(secret=self.episode_secret, hours=self.episode_hours)

    @property
    def episode_secret(self) -> str:
        """The key that hashes case references into episode keys (production requires one)."""
        return self.episode_key or self.secret_key

    def freshness_thresholds(self) -> FreshnessThresholds:
        return FreshnessThresholds(
            fresh=timedelta(hours=self.fresh_hours),
            ageing=timedelta(hours=self.ageing_hours),
            stale=timedelta(hours=self.stale_hours),
        )

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        """Return a copy with some settings replaced (tests, CLI)."""
        return replace(self, **dict(overrides))


# Environment names that do not follow the SHELTERBEDS_ prefix (Twilio's own conventions).
_ENV_ALIASES = {
    "twilio_account_sid": "TWILIO_ACCOUNT_SID",
    "twilio_auth_token": "TWILIO_AUTH_TOKEN",
    "twilio_from": "TWILIO_FROM",
    "twilio_messaging_service_sid": "TWILIO_MESSAGING_SERVICE_SID",
}


def _env_name(name: str) -> str:
    return _ENV_ALIASES.get(name, f"SHELTERBEDS_{name.upper()}")


def _parse(name: str, kind: type, raw: str) -> Any:
    try:
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{_env_name(name)} must be a {kind.__name__}, got {raw!r}") from exc
    return raw


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment; fail fast in production without a secret."""
    environ = os.environ if environ is None else environ
    kinds = {"int": int, "float": float, "str": str}
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = environ.get(_env_name(f.name))
        if raw is not None and raw != "":
            values[f.name] = _parse(f.name, kinds.get(str(f.type), str), raw)
    settings = Settings(**values)
    return validate(settings)


def validate(settings: Settings) -> Settings:
    """Check cross-setting rules; generate a dev secret where allowed."""
    if settings.env not in ("development", "production", "test"):
        raise ConfigError("SHELTERBEDS_ENV must be development or production")
    if settings.sms_backend not in ("console", "twilio", "recording"):
        raise ConfigError("SHELTERBEDS_SMS_BACKEND must be console, twilio or recording")
    _check_nudge_times(settings.stale_nudge_times)
    if settings.outbox_max_attempts < 1:
        raise ConfigError("SHELTERBEDS_OUTBOX_MAX_ATTEMPTS must be at least 1")
    if not (settings.fresh_hours < settings.ageing_hours < settings.stale_hours):
        raise ConfigError("freshness thresholds must grow: fresh < ageing < stale")
    if settings.is_production:
        missing = [n for n in ("secret_key", "public_url") if not getattr(settings, n)]
        if settings.sms_backend == "twilio":
            missing += [
                n for n in ("twilio_account_sid", "twilio_auth_token") if not getattr(settings, n)
            ]
            if not (settings.twilio_from or settings.twilio_messaging_service_sid):
                missing.append("twilio_from")
        if missing:
            raise ConfigError("missing in production: " + ", ".join(_env_name(n) for n in missing))
    roles = {r.strip() for r in settings.stats_exact_roles.split(",") if r.strip()}
    if not roles <= {"county_analyst", "admin"}:
        raise ConfigError("SHELTERBEDS_STATS_EXACT_ROLES: a comma list of county_analyst, admin")
    if settings.require_2fa.strip().lower() not in ("", "1", "0", "true", "false", "yes", "no"):
        raise ConfigError("SHELTERBEDS_REQUIRE_2FA must be 1 or 0 (empty: production only)")
    if settings.retention_months < 1:
        raise ConfigError("SHELTERBEDS_RETENTION_MONTHS must be at least 1")
    if settings.proxy_hops < 0:
        raise ConfigError("SHELTERBEDS_PROXY_HOPS must be 0 or more")
    for name in ("login_rate_limit", "api_rate_limit", "sms_rate_limit"):
        _check_rate(name, getattr(settings, name))
    if settings.password_hash_time_cost < 1 or settings.password_hash_memory_kib < 32:
        raise ConfigError(
            "password hash cost: time cost >= 1 and memory >= 32 KiB (8 per lane, 4 lanes)"
        )
    if not settings.public_url:
        # Links in SMS and activation links follow the port the server really listens on.
        settings = replace(settings, public_url=f"http://127.0.0.1:{settings.port}")
    instance = Path(settings.instance_dir).resolve()
    if not settings.database_url:
        settings = replace(settings, database_url=f"sqlite:///{instance / 'shelterbeds.sqlite3'}")
    if not settings.is_production and not settings.secret_key:
        settings = replace(settings, secret_key=_development_secret(instance))
    return settings


def _development_secret(instance: Path) -> str:
    """A per-machine secret kept in the instance folder, so all workers and restarts share it."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def parse_local_times(raw: str) -> list[tuple[int, int]]:
    """'08:00,19:00' -> [(8, 0), (19, 0)]; raise ValueError on anything else."""
    times = []
    for part in raw.split(","):
        hh, sep, mm = part.strip().partition(":")
        if not sep or not (hh.isdigit() and mm.isdigit() and len(mm) == 2):
            raise ValueError(part)
        hour, minute = int(hh), int(mm)
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError(part)
        times.append((hour, minute))
    return times


def _check_nudge_times(raw: str) -> None:
    if not raw.strip():
        return  # empty: no stale nudges
    try:
        parse_local_times(raw)
    except ValueError as exc:
        raise ConfigError(
            f"SHELTERBEDS_STALE_NUDGE_TIMES must look like '08:00,19:00', got {raw!r}"
        ) from exc


def _check_rate(name: str, raw: str) -> None:
    import limits

    try:
        limits.parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{_env_name(name)} must look like '60 per hour', got {raw!r}") from exc
