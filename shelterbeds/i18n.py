"""The compiled Swedish catalogue is build output: made from the .po files, never committed.

A locale's catalogue is `translations/<locale>/LC_MESSAGES/messages.po` plus every
`translations/<locale>/parts/*.po` (one part per feature area, so that work on different
features does not edit the same file). `ensure_compiled()` runs in `create_app`, so a fresh
clone, a test run and every web or clock process find a current `.mo` whatever Babel
version wrote it (the committed `.mo` used to be compared byte for byte and turned main red
when Babel changed its header).
"""

from __future__ import annotations

import logging
import os
import tempfile
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
log = logging.getLogger("shelterbeds.i18n")


class ConflictingTranslation(ValueError):
    """Two .po files of one locale translate the same msgid differently."""


def catalogues() -> list[Path]:
    """Every main `messages.po` under translations/ (one per locale)."""
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def sources(po_path: Path) -> list[Path]:
    """The main .po file of a locale followed by its parts, in name order."""
    return [po_path, *sorted((po_path.parent.parent / "parts").glob("*.po"))]


def load_catalogue(po_path: Path) -> Catalog:
    """One locale's catalogue: the main file with every part merged in."""
    locale = po_path.parent.parent.name
    with po_path.open("rb") as fh:
        catalogue = read_po(fh, locale=locale)
    for part in sources(po_path)[1:]:
        with part.open("rb") as fh:
            extra = read_po(fh, locale=locale)
        for message in extra:
            if not message.id:
                continue
            known = catalogue.get(message.id)
            if known is not None and known.string and known.string != message.string:
                raise ConflictingTranslation(f"{part.name}: {message.id!r} is translated twice")
            catalogue[message.id] = message
    return catalogue


def compiled_bytes(po_path: Path) -> bytes:
    """The `.mo` content for one locale (main file and parts)."""
    buffer = BytesIO()
    write_mo(buffer, load_catalogue(po_path))
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
    """Compile every catalogue whose `.mo` is missing or older than one of its sources."""
    for po_path in catalogues():
        mo_path = po_path.with_suffix(".mo")
        newest = max(path.stat().st_mtime for path in sources(po_path))
        if mo_path.exists() and mo_path.stat().st_mtime >= newest:
            continue
        try:
            compile_catalogue(po_path)
        except OSError:  # a read-only install: compile at build time instead
            log.exception("could not compile %s; run: python scripts/i18n.py compile", po_path)
