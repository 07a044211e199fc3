"""Text helpers shared by the three apps: accent-free matching and bilingual values."""

import re
import unicodedata

from django.utils.translation import get_language

_SILENT = re.compile(r"[.'’´`]")
_SEPARATORS = re.compile(r"[\s,\"()\-–—_/&]+")


def normalise(text):
    """Fold case, accents and punctuation, so "Perú", "PERU" and "peru." compare equal."""
    text = str(text)
    if text.isascii():  # nothing to decompose: most names, and a large import's every title
        without_accents = text
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", _SILENT.sub("", without_accents.casefold())).strip()


def active_language():
    return (get_language() or "es")[:2]


class Translated:
    """The value of `<name>_<language>` in the active language, or in the other one
    when that is empty, so that no page is blank because a translation is missing."""

    def __init__(self, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        first = active_language()
        for language in (first, "es" if first == "en" else "en"):
            value = getattr(instance, f"{self.name}_{language}", "")
            if value:
                return value
        return ""
