import gettext

import polib
from django.conf import settings

CATALOGUE = settings.BASE_DIR / "locale" / "es" / "LC_MESSAGES"


def test_every_interface_string_has_a_spanish_translation():
    catalogue = polib.pofile(str(CATALOGUE / "django.po"))
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []


def test_the_compiled_catalogue_matches_the_translations():
    with open(CATALOGUE / "django.mo", "rb") as file:
        compiled = gettext.GNUTranslations(file)
    for entry in polib.pofile(str(CATALOGUE / "django.po")).translated_entries():
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        elif entry.msgctxt:
            assert compiled.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_every_plural_has_each_form_spanish_counts_with():
    catalogue = polib.pofile(str(CATALOGUE / "django.po"))
    forms = int(catalogue.metadata["Plural-Forms"].split("nplurals=")[1].split(";")[0])
    incomplete = [
        entry.msgid
        for entry in catalogue
        if entry.msgid_plural and any(not entry.msgstr_plural.get(form) for form in range(forms))
    ]
    assert incomplete == []
