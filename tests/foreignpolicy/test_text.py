import sys
import unicodedata

from django.utils import translation

from foreignpolicy.text import COMBINING_RANGE, normalise
from tests.factories import DirectorateFactory


def test_normalise_ignores_case_accents_and_punctuation():
    assert normalise("Perú") == normalise("PERU") == "peru"
    assert normalise("U.S.A.") == "usa"
    assert normalise("Asia-Pacific  Economic Cooperation") == "asia pacific economic cooperation"


def test_text_is_shown_in_the_readers_language(db):
    directorate = DirectorateFactory.build(name_en="Directorate of Environment", name_es="Dirección de Medio Ambiente")
    with translation.override("en"):
        assert directorate.name == "Directorate of Environment"
    with translation.override("es"):
        assert directorate.name == "Dirección de Medio Ambiente"


def test_a_missing_translation_falls_back_to_the_other_language(db):
    only_spanish = DirectorateFactory.build(name_en="", name_es="Lucha contra la Corrupción")
    only_english = DirectorateFactory.build(name_en="Statistics Unit", name_es="")
    with translation.override("en"):
        assert only_spanish.name == "Lucha contra la Corrupción"
    with translation.override("es"):
        assert only_english.name == "Statistics Unit"


def test_every_combining_mark_is_removed():
    marks = [code for code in range(sys.maxunicode + 1) if unicodedata.combining(chr(code))]
    assert COMBINING_RANGE[0] <= min(marks) and max(marks) < COMBINING_RANGE[1]
    assert normalise("Perú, Ñandú, Crème brûlée, Ǆ") == "peru nandu creme brulee dz"
