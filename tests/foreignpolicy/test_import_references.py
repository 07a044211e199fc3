"""How an import resolves names: a slug wins, other spellings are matched as they will be
after the import, and a spelling that could mean several entries is an error naming them."""

import pytest
from django.core.management import call_command

from agreements.models import Agreement
from directorates.models import Directorate
from foreignpolicy.models import Organisation
from tests.factories import DirectorateFactory
from tests.helpers import csv_text, problems

pytestmark = pytest.mark.django_db

DIRECTORATES = "slug,acronym,name_en,parent,published"


@pytest.fixture
def demo():
    call_command("load_demo", verbosity=0)


def test_a_new_unit_of_the_file_wins_over_an_existing_unit_with_that_acronym(import_csv, demo):
    assert Directorate.objects.get(acronym="DAE").slug == "economic-affairs"
    text = csv_text(DIRECTORATES, "dae,,New unit,,yes", "dct,,Child unit,dae,yes")
    result = import_csv("directorates", text)
    assert problems(result) == []
    assert Directorate.objects.get(slug="dct").parent.slug == "dae"
    again = import_csv("directorates", text, dry_run=True)
    assert [row.import_type for row in again.rows] == ["skip", "skip"]


def test_an_existing_slug_wins_over_another_units_acronym(import_csv):
    DirectorateFactory(slug="dae", acronym="")
    DirectorateFactory(slug="economic-affairs", acronym="DAE")
    result = import_csv("directorates", csv_text(DIRECTORATES, "child,,Child,DAE,yes"))
    assert problems(result) == []
    assert Directorate.objects.get(slug="child").parent.slug == "dae"


def test_an_acronym_is_matched_as_the_file_leaves_it(import_csv):
    DirectorateFactory(slug="old-unit", acronym="DGX")
    text = csv_text(DIRECTORATES, "old-unit,DGY,Old unit,,yes", "new-unit,DGX,New unit,,yes", "child,,Child,DGX,yes")
    result = import_csv("directorates", text)
    assert problems(result) == []
    assert Directorate.objects.get(slug="child").parent.slug == "new-unit"
    assert [row.import_type for row in import_csv("directorates", text, dry_run=True).rows] == ["skip"] * 3


def test_an_acronym_two_units_share_is_an_error_naming_both(import_csv):
    DirectorateFactory(slug="unit-a", name_en="Unit A", acronym="DX")
    text = csv_text(DIRECTORATES, "unit-b,DX,Unit B,,yes", "child,,Child,DX,yes")
    result = import_csv("directorates", text)
    assert problems(result) == [
        "Row 3, column “parent”: “DX” could mean Unit A (DX) (unit-a) or row 2 of this file (unit-b); "
        "write the one you mean by its code."
    ]
    assert not Directorate.objects.filter(slug="child").exists()


def test_agreements_and_events_resolve_directorates_by_the_same_rule(import_csv):
    DirectorateFactory(slug="unit-a", name_en="Unit A", acronym="DX")
    DirectorateFactory(slug="unit-b", name_en="Unit B", acronym="DX")
    DirectorateFactory(slug="dx", name_en="Unit DX")
    result = import_csv("agreements", csv_text("title_en,type,status,directorate", "X,Acuerdo marco,in_force,DX"))
    assert problems(result) == []
    assert Agreement.objects.get().directorate.slug == "dx"
    result = import_csv("events", csv_text("title_en,date,type,directorates", "E,2025-01-02,summit,unit-a;DX"))
    assert problems(result) == []


def test_a_vocabulary_slug_wins_over_another_entrys_name(import_csv):
    Organisation.objects.create(slug="apec-watch", name_en="OAS", name_es="Observatorio")
    result = import_csv("agreements", csv_text("title_en,type,status,parties", "X,Acuerdo marco,in_force,apec-watch"))
    assert problems(result) == []
    assert list(Agreement.objects.get().organisations.values_list("slug", flat=True)) == ["apec-watch"]


def test_a_name_two_vocabulary_entries_share_is_an_error_naming_both(import_csv):
    Organisation.objects.create(slug="org-one", name_en="Pacific Forum", name_es="Foro uno")
    Organisation.objects.create(slug="org-two", name_en="Pacific Forum", name_es="Foro dos")
    result = import_csv(
        "agreements", csv_text("title_en,type,status,parties", "X,Acuerdo marco,in_force,Pacific Forum")
    )
    assert problems(result) == [
        "Row 2, column “parties”: “Pacific Forum” could mean Pacific Forum (org-one) or Pacific Forum (org-two); "
        "write the one you mean by its code."
    ]
