import pytest

from directorates.models import Directorate
from directorates.resources import DirectorateResource
from foreignpolicy.tabular import write_csv
from tests.factories import DirectorateFactory
from tests.helpers import csv_text, problems

pytestmark = pytest.mark.django_db


def test_a_hierarchy_imports_with_parents_later_in_the_same_file(import_csv):
    result = import_csv(
        "directorates",
        csv_text(
            "slug,acronym,name_en,name_es,parent,topics,position,published",
            "opm,OPM,Directorate for Organizations and Multilateral Policy,,dg-multilateral,,10,yes",
            "dg-multilateral,,Directorate-General for Multilateral and Global Affairs,"
            "Dirección General para Asuntos Multilaterales y Globales,,Derechos humanos;Trade,1,yes",
            "unit,,Unit,Unidad,OPM,,,no",
        ),
    )
    assert problems(result) == []
    assert result.summary() == "3 created, 0 updated, 0 unchanged; 1 of them is a draft."
    opm = Directorate.objects.get(slug="opm")
    assert opm.parent.slug == "dg-multilateral"
    assert Directorate.objects.get(slug="unit").parent == opm
    assert set(opm.parent.topics.values_list("slug", flat=True)) == {"human-rights", "trade"}
    assert opm.position == 10


def test_a_directorate_cannot_become_its_own_ancestor(import_csv):
    top = DirectorateFactory(slug="top")
    DirectorateFactory(slug="middle", parent=top)
    result = import_csv(
        "directorates", csv_text("slug,name_en,parent", "top,Top,middle", "self,Self,self", "ok,Fine,top")
    )
    assert problems(result) == [
        "Row 2, column “parent”: “middle” is “top” itself or one of its sub-units, so a directorate would be part "
        "of itself.",
        "Row 3, column “parent”: “self” is “self” itself or one of its sub-units, so a directorate would be part "
        "of itself.",
    ]
    assert Directorate.objects.get(slug="top").parent is None
    assert not Directorate.objects.filter(slug="ok").exists()


def test_a_position_must_be_a_whole_number(import_csv):
    result = import_csv("directorates", csv_text("name_en,position", "X,first"))
    assert problems(result) == ["Row 2, column “position”: “first” is not a whole number of 0 or more."]


def test_a_name_in_either_language_is_required(import_csv):
    result = import_csv("directorates", csv_text("slug,name_en,name_es", "x,,"))
    assert problems(result) == ["Row 2, column “name_en”: Give the name in English, in Spanish or in both."]


def test_export_then_import_reproduces_the_hierarchy(import_csv):
    import_csv(
        "directorates",
        csv_text(
            "slug,acronym,name_en,name_es,parent,summary_en,body_es,topics,position,published",
            'dg,,DG,DG es,,"Sum, mary","# Título\n\n- uno\n- dos",health;culture,2,yes',
            "child,CH,Child,Hijo,dg,,,,1,no",
        ),
    )
    exported = write_csv(DirectorateResource().export()).decode("utf-8-sig")
    Directorate.objects.update(parent=None)
    Directorate.objects.all().delete()
    result = import_csv("directorates", exported)
    assert problems(result) == []
    assert write_csv(DirectorateResource().export()).decode("utf-8-sig") == exported
    assert Directorate.objects.get(slug="child").parent.slug == "dg"
