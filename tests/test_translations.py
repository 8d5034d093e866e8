"""The catalogues: current with the sources, English complete, Polish plural forms, compiled.

When one of these fails after you changed a text: run `make translations`, translate the
entries it added or marked fuzzy in konto/translations/en/LC_MESSAGES/messages.po (and the
Polish plural forms of a new ngettext message in konto/translations/pl/...), then run
`make translations` again to compile them. See the README, "Languages".
"""

from pathlib import Path

import pytest
from babel.messages import mofile
from babel.messages import pofile
from babel.messages.frontend import CommandLineInterface

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "konto" / "translations"
FIX = ("run `make translations`, translate what it adds or marks fuzzy in "
       "konto/translations/en/LC_MESSAGES/messages.po, then `make translations` again")


def read_po(language):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return pofile.read_po(handle)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages in the sources now, extracted exactly as `make translations-extract` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "N_",
        "--add-location=file", "--no-wrap", "-o", str(pot), str(ROOT),
    ])
    with open(pot, "rb") as handle:
        return {message.id for message in pofile.read_po(handle) if message.id}


def test_extraction_finds_the_messages_of_code_and_templates(extracted):
    assert "Zaloguj się" in extracted  # a template
    assert "Nieprawidłowy e-mail lub hasło." in extracted  # Python
    assert ("%(num)d firma", "%(num)d firm") in extracted  # ngettext in a template
    assert len(extracted) > 900


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_catalogue_is_current_with_the_sources(extracted, language):
    """The catalogue holds exactly the messages of the sources: none missing, and none left over
    from a text that changed or went away (`make translations` drops those)."""
    catalogue = {message.id for message in read_po(language) if message.id}
    missing = sorted(map(str, extracted - catalogue))
    left_over = sorted(map(str, catalogue - extracted))
    assert not missing and not left_over, (
        f"the {language} catalogue is stale against the sources: {FIX}.\n"
        f"not in the catalogue: {missing[:20]}\nno longer in the sources: {left_over[:20]}"
    )


def test_every_message_has_an_english_translation_none_fuzzy():
    catalogue = read_po("en")
    untranslated = [m.id for m in catalogue if m.id and not all(_forms(m.string))]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not untranslated and not fuzzy, f"{FIX}.\nuntranslated: {untranslated[:20]}\nfuzzy: {fuzzy[:20]}"


@pytest.mark.parametrize("language", ["en", "pl"])
def test_translations_keep_the_placeholders_of_their_messages(language):
    problems = [(m.id, [str(e) for e in errors]) for m, errors in read_po(language).check()]
    assert not problems, problems


def test_polish_messages_with_plural_forms_have_all_three_none_fuzzy():
    """Polish is the language of the sources, so a singular message needs no entry; a plural
    one needs its three forms (1 firma, 2 firmy, 5 firm)."""
    catalogue = read_po("pl")
    assert catalogue.num_plurals == 3
    plural = [m for m in catalogue if isinstance(m.id, tuple)]
    assert plural
    incomplete = [m.id for m in plural if len(_forms(m.string)) != 3 or not all(_forms(m.string))]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not incomplete and not fuzzy, f"fill in the Polish plural forms: {incomplete}, fuzzy: {fuzzy}"


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_compiled_catalogue_is_the_one_in_the_po_file(language):
    source = read_po(language)
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        compiled = mofile.read_mo(handle)

    def messages(catalogue):
        return sorted((_forms(m.id), _forms(m.string)) for m in catalogue if m.id and any(_forms(m.string)))

    assert messages(compiled) == messages(source), "run `make translations` (it compiles the .mo files)"
    assert compiled.plural_forms == source.plural_forms


def _forms(value):
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)
