"""Swedish first: every UI string has a Swedish translation; the compiled catalogue is current."""

from __future__ import annotations

import gettext
import importlib.util
from pathlib import Path

from shelterbeds.i18n import ensure_compiled

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("i18n", ROOT / "scripts" / "i18n.py")
i18n = importlib.util.module_from_spec(spec)
spec.loader.exec_module(i18n)


def test_every_ui_string_has_a_swedish_translation():
    assert i18n.missing_translations() == []


def test_compiled_catalogue_says_what_the_po_file_says():
    """Compare content, not bytes: another Babel release may write other headers."""
    ensure_compiled()
    catalogue = i18n.load_catalogue()
    with i18n.CATALOGUE.with_suffix(".mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    checked = 0
    for message in catalogue:
        if not message.id or not message.string or message.fuzzy:
            continue
        if message.pluralizable:
            assert compiled.ngettext(message.id[0], message.id[1], 1) == message.string[0]
            assert compiled.ngettext(message.id[0], message.id[1], 5) == message.string[1]
        else:
            assert compiled.gettext(message.id) == message.string, message.id
        checked += 1
    assert checked > 100


def test_parts_are_merged_and_conflicts_refused(tmp_path):
    """A feature's part adds strings; translating one msgid twice differently is an error."""
    import pytest

    from shelterbeds.i18n import ConflictingTranslation, compiled_bytes

    main = tmp_path / "sv" / "LC_MESSAGES" / "messages.po"
    main.parent.mkdir(parents=True)
    (tmp_path / "sv" / "parts").mkdir()
    main.write_text('msgid "Shelter"\nmsgstr "Boende"\n', encoding="utf-8")
    part = tmp_path / "sv" / "parts" / "stats.po"
    part.write_text('msgid "Refusals"\nmsgstr "Avvisningar"\n', encoding="utf-8")
    compiled = gettext.GNUTranslations(__import__("io").BytesIO(compiled_bytes(main)))
    assert compiled.gettext("Shelter") == "Boende"
    assert compiled.gettext("Refusals") == "Avvisningar"
    part.write_text('msgid "Shelter"\nmsgstr "Skyddat boende"\n', encoding="utf-8")
    with pytest.raises(ConflictingTranslation):
        compiled_bytes(main)
