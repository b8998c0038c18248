"""shelterbeds: coordinate places in Swedish women's shelters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import Settings, load_settings
from .i18n import ensure_compiled
from .routing import IdConverter

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED_LOCALES = ("sv", "en")
# Everything is served from this origin: no CDN; an inline script runs only with the
# per-response nonce (`{{ csp_nonce() }}` in templates); no plugins, no <base>, no framing.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def create_app(settings: Settings | None = None, *, db_bind: Any = None) -> Flask:
    """Build the app. `db_bind` lets tests bind the session to an open connection."""
    from . import audit_trail, errors, formatting, headers, log_privacy, throttle
    from .api import register_api
    from .authz import PagesOnlySessionInterface
    from .domain.clock import utcnow
    from .extensions import babel, csrf, db, limiter, talisman
    from .notifications import after_commit
    from .services import versions
    from .services.auth import configure_password_hashing
    from .web import bp as web_bp

    settings = settings or load_settings()
    log_privacy.install()  # before anything logs: no personnummer in any log line
    ensure_compiled()
    app = Flask(__name__, template_folder=str(ROOT / "templates"))
    app.session_interface = PagesOnlySessionInterface()
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        # __Host-: only over HTTPS, only for this exact host, path / (production).
        SESSION_COOKIE_NAME=("__Host-" if settings.is_production else "") + "shelterbeds_session",
        BABEL_DEFAULT_LOCALE="sv",
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        WTF_CSRF_TIME_LIMIT=None,  # the session's own timeouts bound a form's life
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        # Tests enable limits only when they bring a Redis (shared, as in production).
        RATELIMIT_ENABLED=settings.env != "test" or bool(settings.redis_url),
        RATELIMIT_KEY_PREFIX=settings.rate_limit_prefix,
        API_TITLE="shelterbeds",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    db.init(settings.database_url, bind=db_bind)
    versions.install()  # caches see every write to what they hold (services/versions.py)
    configure_password_hashing(settings.password_hash_time_cost, settings.password_hash_memory_kib)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    limiter.init_app(app)
    errors.register_error_handlers(app)
    formatting.register(app)
    talisman.init_app(
        app,
        force_https=False,  # TLS ends at the load balancer; ProxyFix trusts its headers
        strict_transport_security=settings.is_production,
        session_cookie_secure=settings.is_production,
        frame_options="DENY",
        referrer_policy="same-origin",
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["script-src"],
    )
    headers.init_app(app)
    if settings.proxy_hops:
        # Only as many X-Forwarded-* entries as there are proxies we run are believed: with
        # none, a client cannot choose its own address (and so dodge per-address limits).
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.config["TRUSTED_HOSTS"] = settings.trusted_hosts()
    throttle.init_app(app, settings)

    after_commit.init_app(app, db, utcnow)
    app.register_blueprint(web_bp)
    register_api(app)
    audit_trail.init_app(app)  # after every view exists

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        db.registry.remove()

    return app


def _select_locale() -> str:
    actor = g.get("actor")
    if actor is not None and actor.locale in SUPPORTED_LOCALES:
        return str(actor.locale)
    chosen = request.cookies.get("lang")
    return chosen if chosen in SUPPORTED_LOCALES else "sv"
