"""Every setting of the service, parsed once from the environment (SHELTERBEDS_*).

No other module reads os.environ: they receive a Settings object (or the Flask config
built from it). Production fails fast on a missing secret.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from .domain.freshness import FreshnessThresholds

INSTANCE_DIR = Path(os.environ.get("SHELTERBEDS_INSTANCE_DIR", Path.cwd() / "instance"))


class ConfigError(RuntimeError):
    """A setting is missing or malformed."""


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'shelterbeds.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    """Typed settings; names mirror the environment variables without the prefix."""

    env: str = "development"
    database_url: str = field(default_factory=_default_database_url)
    secret_key: str = ""
    public_url: str = "http://127.0.0.1:5000"
    port: int = 5000
    redis_url: str = ""
    demo_password: str = ""

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
    login_rate_limit: str = "10 per minute"

    # SMS.
    sms_backend: str = "console"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_messaging_service_sid: str = ""

    # Statistics: counts below this are shown as "<3" to roles without exact access.
    small_count_threshold: int = 3

    max_content_length: int = 1_000_000
    timezone: str = "Europe/Stockholm"

    @property
    def is_production(self) -> bool:
        return self.env == "production"

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
        raise ConfigError("SHELTERBEDS_SMS_BACKEND must be console or twilio")
    if not (settings.fresh_hours < settings.ageing_hours < settings.stale_hours):
        raise ConfigError("freshness thresholds must grow: fresh < ageing < stale")
    if settings.is_production:
        missing = [n for n in ("secret_key", "public_url") if not getattr(settings, n)]
        if settings.sms_backend == "twilio":
            missing += [
                n for n in ("twilio_account_sid", "twilio_auth_token") if not getattr(settings, n)
            ]
        if missing:
            raise ConfigError("missing in production: " + ", ".join(_env_name(n) for n in missing))
    elif not settings.secret_key:
        settings = replace(settings, secret_key=secrets.token_urlsafe(32))
    return settings
