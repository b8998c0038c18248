"""Swedish first: every UI string has a Swedish translation; the compiled catalogue is current."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("i18n", ROOT / "scripts" / "i18n.py")
i18n = importlib.util.module_from_spec(spec)
spec.loader.exec_module(i18n)


def test_every_ui_string_has_a_swedish_translation():
    assert i18n.missing_translations() == []


def test_compiled_catalogue_matches_the_po_file():
    mo = i18n.CATALOGUE.with_suffix(".mo")
    assert mo.read_bytes() == i18n.compiled_bytes(), "run: python scripts/i18n.py compile"
