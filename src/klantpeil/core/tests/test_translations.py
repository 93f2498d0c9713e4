"""The compiled Dutch catalogue says what the source catalogue says: an edit to
django.po without compilemessages would otherwise ship English to Dutch users."""

from __future__ import annotations

from gettext import GNUTranslations
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "nl" / "LC_MESSAGES"


def test_every_translated_message_is_in_the_compiled_catalogue():
    source = polib.pofile(str(LOCALE / "django.po"))
    with open(LOCALE / "django.mo", "rb") as compiled_file:
        compiled = GNUTranslations(compiled_file)
    checked = 0
    for entry in source.translated_entries():
        if entry.msgid_plural:
            got = compiled.ngettext(entry.msgid, entry.msgid_plural, 1)
            expected = entry.msgstr_plural[0]
        elif entry.msgctxt:
            got, expected = compiled.pgettext(entry.msgctxt, entry.msgid), entry.msgstr
        else:
            got, expected = compiled.gettext(entry.msgid), entry.msgstr
        assert got == expected, f"{entry.msgid!r}: run make messages (compilemessages)"
        checked += 1
    assert checked > 400


def test_nothing_is_left_untranslated_or_fuzzy():
    source = polib.pofile(str(LOCALE / "django.po"))
    assert [e.msgid for e in source.untranslated_entries()] == []
    assert [e.msgid for e in source.fuzzy_entries()] == []
