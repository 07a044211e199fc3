"""Text helpers shared by the three apps: accent-free matching, bilingual values, and
telling whether plain text holds HTML."""

import html
import os
import re
import unicodedata
from functools import cache

import nh3
from django.conf import settings
from django.utils.translation import get_language

_SILENT = re.compile(r"[.'’´`]")
_SEPARATORS = re.compile(r"[\s,\"()\-–—_/&]+")


def normalise(text):
    """Fold case, accents and punctuation, so "Perú", "PERU" and "peru." compare equal."""
    text = str(text)
    # ASCII has nothing to decompose: most names, and a large import's every English title.
    without_accents = text if text.isascii() else unicodedata.normalize("NFKD", text).translate(combining_marks())
    return _SEPARATORS.sub(" ", _SILENT.sub("", without_accents.casefold())).strip()


COMBINING_RANGE = (0x300, 0x1F000)


@cache
def combining_marks():
    """A str.translate table that removes every combining mark (accents, once decomposed):
    one pass in C, where testing each character in Python took a tenth of a large import."""
    # Unicode puts every combining mark between U+0300 and U+1E94A (checked on Python 3.11's
    # tables by tests/foreignpolicy/test_text.py), so the scan takes milliseconds.
    return dict.fromkeys(code for code in range(*COMBINING_RANGE) if unicodedata.combining(chr(code)))


@cache
def word_joiners():
    """A str.translate table making a space of each character that joins two words in a
    title ("Perú–Chile", "Asia/Pacífico"): dashes of every kind (Unicode's dash
    punctuation, hyphen and en dash among them), the minus sign and slashes. slugify drops
    all but "-", which would merge the words."""
    dashes = [code for code in range(0x10000) if unicodedata.category(chr(code)) == "Pd"]
    return dict.fromkeys([*dashes, ord("−"), ord("/"), ord("\\")], " ")


def active_language():
    return (get_language() or "es")[:2]


def ministry_name():
    """The institution's name (settings.MINISTRY_NAME) in the active language."""
    return settings.MINISTRY_NAME[active_language()]


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


def markup_in(text):
    """The first tag, comment or other markup that an HTML parser reads in `text` (as a
    browser or feed reader would), or None when the text is plain text to it too.

    nh3 parses the text and keeps only its text; the two differ exactly when something
    was read as markup: a tag with or without its ">", an end tag, a comment, a CDATA
    section, a doctype. Character references ("&amp;") are text, so both sides are
    compared decoded, and with line breaks as the parser reads them (CR LF and CR as LF).
    """
    # All markup begins with "<"; most text has none, and needs no parsing.
    if "<" not in text:
        return None
    written = html.unescape(text.replace("\r\n", "\n").replace("\r", "\n"))
    read = html.unescape(nh3.clean(text, tags=set()))
    if read == written:
        return None
    # The markup begins at the last "<" before the first character the parser did not keep.
    start = written.rfind("<", 0, len(os.path.commonprefix([written, read])) + 1)
    end = written.find(">", start)
    return written[start : end + 1] if end >= 0 else written[start:]
