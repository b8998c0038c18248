"""SMS bodies from `templates/sms/<name>.txt` (Jinja), Swedish unless the recipient chose English.

Bodies carry a short code and a link, never an address or client data. The public URL is
set once per process by `configure()` (create_app, the scheduler), because request events
are queued from services that know nothing about Flask.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "templates" / "sms"
# GSM-7 fits 160 characters in one segment; bodies should stay within it where possible.
ONE_SEGMENT = 160

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=False,  # noqa: S701  (plain-text SMS, never HTML)
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)
_public_url = "http://127.0.0.1:5000"


def configure(public_url: str) -> None:
    """Set the base of links in messages (SHELTERBEDS_PUBLIC_URL)."""
    global _public_url
    _public_url = public_url.rstrip("/")


def public_url() -> str:
    return _public_url


def render(name: str, locale: str | None = "sv", **context: Any) -> str:
    """Render `templates/sms/<name>.txt` in Swedish, or English for locale 'en'."""
    template = _env.get_template(f"{name}.txt")
    text = template.render(en=(locale == "en"), url=_public_url, **context)
    return " ".join(text.split())  # one line: templates may wrap for readability
