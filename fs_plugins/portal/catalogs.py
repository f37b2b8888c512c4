"""The portal's translation catalogs: `python -m fs_plugins.portal.catalogs` after changing a string.

Extracts every gettext string of the views and templates (English is the source language) and every
error message pattern of the application layer (app_errors.py, under the context "app error"), merges
them into translations/es/LC_MESSAGES/messages.po keeping what is translated, compiles the .mo
files the portal reads (they are committed, so an install needs no build step), and lists what is
still untranslated (tests/test_portal_i18n.py fails while anything is).
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from fs_plugins.portal import app_errors

HERE = Path(__file__).parent
TRANSLATIONS = HERE / "translations"
LANGUAGES = ("es",)  # English is the source language: its text is the msgid
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "gettext_raw": None}


def source_catalog() -> Catalog:
    catalog = Catalog(project="Centralita")
    for _file, _line, message, comments, context in extract_from_dir(
            str(HERE), METHODS, keywords=KEYWORDS, options_map={"**/templates/**.html": {"extensions": ""}}):
        catalog.add(message, None, auto_comments=comments, context=context)
    for pattern in app_errors.patterns():
        catalog.add(pattern, None, context=app_errors.CONTEXT)
    return catalog


def po_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


def read(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language)


def untranslated(catalog: Catalog) -> list[str]:
    """The source text of every message without a translation (a plural one needs every form)."""
    def missing(message) -> bool:
        forms = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        return not all(forms) or message.fuzzy

    return [str(m.id[0] if isinstance(m.id, (tuple, list)) else m.id) for m in catalog if m.id and missing(m)]


def compiled(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def update(language: str) -> list[str]:
    path = po_path(language)
    catalog = read(language) if path.exists() else Catalog(locale=language, project="Centralita")
    catalog.update(source_catalog(), no_fuzzy_matching=True)
    catalog.obsolete.clear()
    with path.open("wb") as handle:
        write_po(handle, catalog, no_location=True, width=120)
    path.with_suffix(".mo").write_bytes(compiled(read(language)))
    return untranslated(catalog)


def main() -> int:
    missing = {language: update(language) for language in LANGUAGES}
    for language, strings in missing.items():
        for text in strings:
            print(f"{language}: untranslated: {text!r}")
    return 1 if any(missing.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
