"""Texts made from numbers, with Polish plural forms (ngettext and the catalogue in
konto/translations: Polish has three forms, "1 godzina, 2 godziny, 5 godzin").

The Polish catalogue needs only the plural forms (every other message's Polish is its own
msgid); the English one translates everything. `make translations` extracts, updates and
compiles both (the .mo files are committed; tests/test_translations.py checks them).
"""

from flask_babel import ngettext

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def duration(seconds):
    """A length of time as it follows "ważny" (valid for): "godzinę", "24 godziny", "48 godzin",
    "14 dni", "30 minut". Whole days from three days up, else whole hours, else minutes (rounded up)."""
    if seconds >= 3 * DAY and seconds % DAY == 0:
        return ngettext("%(num)d dzień", "%(num)d dni", seconds // DAY)
    if seconds >= HOUR and seconds % HOUR == 0:
        return ngettext("godzinę", "%(num)d godzin", seconds // HOUR)
    return ngettext("minutę", "%(num)d minut", max(1, -(-seconds // MINUTE)))
