"""The `shelterbeds` command: db, demo, users, tokens, scheduler."""

from __future__ import annotations

import sys
from contextlib import contextmanager

import click

from .config import load_settings
from .domain.clock import utcnow
from .domain.enums import Role
from .domain.errors import DomainError


def _app():  # type: ignore[no-untyped-def]
    from . import create_app

    return create_app(load_settings())


@contextmanager
def _unit_of_work(app):  # type: ignore[no-untyped-def]
    """One transaction; after it commits, send any SMS it queued (as web requests do)."""
    from .extensions import db as database
    from .notifications.after_commit import get_sender, send_committed
    from .notifications.outbox import OutboxPolicy

    with database.transaction() as session:
        yield session
    policy = OutboxPolicy.from_settings(app.config["SETTINGS"])
    send_committed(session, session.close, database.new_session, get_sender(app), policy, utcnow)


@click.group()
def main() -> None:
    """shelterbeds: coordinate places in women's shelters."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate SHELTERBEDS_DATABASE_URL to the newest schema and load reference data."""
    from .extensions import db as database
    from .migrate import upgrade
    from .services.reference import ensure_reference_data

    settings = load_settings()
    if settings.database_url.startswith("sqlite:///"):
        from pathlib import Path

        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    upgrade(settings.database_url)
    _app()
    with database.transaction() as session:
        added = ensure_reference_data(session)
    click.echo(f"database at head; {added} reference rows added")


@main.command()
@click.option("--reset", is_flag=True, help="Restore the demo's initial state.")
def demo(reset: bool) -> None:
    """Load the Örebro län demo (idempotent) and print the accounts."""
    from .services.demo import load_demo

    settings = load_settings()
    app = _app()
    try:
        with _unit_of_work(app) as session:
            result = load_demo(session, utcnow(), settings.demo_password or None, reset=reset)
    except DomainError as err:
        raise click.ClickException(f"{err.detail} (SHELTERBEDS_DEMO_PASSWORD)") from err
    click.echo("Demo accounts (Örebro län):")
    for email, role, scope in result.accounts:
        click.echo(f"  {email:40} {role:15} {scope}")
    if result.password:
        click.echo(f"Password for all demo accounts: {result.password}")
    else:
        click.echo("Passwords unchanged (set SHELTERBEDS_DEMO_PASSWORD or use --reset).")


@main.group()
def users() -> None:
    """Accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--org", "org_slug", help="Organisation slug (not for admin).")
@click.option("--shelter", "shelter_slug", help="Shelter slug (shelter_staff).")
def users_create(email: str, role: str, org_slug: str | None, shelter_slug: str | None) -> None:
    """Create an account; the password is read from stdin."""
    from .services.accounts import create_user

    password = sys.stdin.readline().rstrip("\n")
    app = _app()
    try:
        with _unit_of_work(app) as session:
            user = create_user(
                session,
                email=email,
                role=Role(role),
                org_slug=org_slug,
                shelter_slug=shelter_slug,
                password=password,
            )
            click.echo(f"created {user.email} ({user.role.value})")
    except DomainError as err:
        raise click.ClickException(err.detail) from err


@main.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.option("--email", required=True)
@click.option("--name", default="cli")
def tokens_create(email: str, name: str) -> None:
    """Create an API token and print it once."""
    from .services import auth

    app = _app()
    try:
        with _unit_of_work(app) as session:
            user = auth.user_by_email(session, email)
            _token, raw = auth.create_token(session, user, name, utcnow())
    except DomainError as err:
        raise click.ClickException(err.detail) from err
    click.echo(raw)


@main.command()
def scheduler() -> None:
    """Run the clock process (exactly one leader per database runs jobs)."""
    import contextlib
    import logging

    from . import log_privacy
    from .extensions import db as database
    from .jobs.runner import run

    log_privacy.install()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    settings = load_settings()
    _app()
    with contextlib.suppress(KeyboardInterrupt):
        run(settings, database)
