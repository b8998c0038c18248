"""The compiled Swedish catalogue is build output: made from the .po file, never committed.

`ensure_compiled()` runs in `create_app`, so a fresh clone, a test run and every web or clock
process find a current `.mo` whatever Babel version wrote it (the committed `.mo` used to be
compared byte for byte and turned main red when Babel changed its header).
"""

from __future__ import annotations

import logging
import os
import tempfile
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
log = logging.getLogger("shelterbeds.i18n")


def catalogues() -> list[Path]:
    """Every `messages.po` under translations/."""
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def compiled_bytes(po_path: Path) -> bytes:
    """The `.mo` content for one `.po` file."""
    locale = po_path.parent.parent.name
    with po_path.open("rb") as fh:
        catalogue = read_po(fh, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalogue)
    return buffer.getvalue()


def compile_catalogue(po_path: Path) -> Path:
    """Write `<po>.mo` atomically (several workers may start at once)."""
    target = po_path.with_suffix(".mo")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".messages-", suffix=".mo")
    with os.fdopen(fd, "wb") as fh:
        fh.write(compiled_bytes(po_path))
    os.replace(tmp, target)
    return target


def ensure_compiled() -> None:
    """Compile every catalogue whose `.mo` is missing or older than its `.po`."""
    for po_path in catalogues():
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            compile_catalogue(po_path)
        except OSError:  # a read-only install: compile at build time instead
            log.exception("could not compile %s; run: python scripts/i18n.py compile", po_path)
