"""Translation upkeep: check the Swedish catalogue is complete and compile it.

The catalogue is messages.po plus translations/sv/parts/*.po (one part per feature area;
add new strings to your area's part rather than to messages.po).

python scripts/i18n.py compile   # .po -> .mo (scripts/install; create_app does it when stale)
python scripts/i18n.py check     # every msgid in the code has a Swedish translation
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir

from shelterbeds.i18n import compile_catalogue as compile_po
from shelterbeds.i18n import load_catalogue as load_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "shelterbeds/translations/sv/LC_MESSAGES/messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [
    ("shelterbeds/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]


def load_catalogue():  # type: ignore[no-untyped-def]
    return load_po(CATALOGUE)


def compile_catalogue() -> Path:
    return compile_po(CATALOGUE)


def source_msgids() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT),
        METHODS,
        keywords=KEYWORDS,
        options_map={"templates/**.html": {"extensions": "jinja2.ext.do"}},
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def missing_translations() -> list[str]:
    catalogue = load_catalogue()
    missing = []
    for msgid in sorted(source_msgids()):
        entry = catalogue.get(msgid)
        text = entry.string if entry else None
        if isinstance(text, tuple):
            text = text[0]
        if not text:
            missing.append(msgid)
    return missing


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "compile":
        print(f"compiled {compile_catalogue().relative_to(ROOT)}")
    else:
        missing = missing_translations()
        for msgid in missing:
            print(f"missing Swedish translation: {msgid!r}")
        sys.exit(1 if missing else 0)
