from importlib import import_module

import pytest
from django.apps import apps

from agreements.models import AgreementStatus, AgreementType
from events.models import EventType
from foreignpolicy.models import Country, Organisation, Topic

pytestmark = pytest.mark.django_db


def test_the_four_agreement_statuses_are_installed_with_fixed_codes():
    assert list(AgreementStatus.objects.values_list("code", "name_en", "name_es")) == [
        ("under_negotiation", "Under negotiation", "En negociación"),
        ("signed", "Signed, not in force", "Suscrito, no vigente"),
        ("in_force", "In force", "Vigente"),
        ("terminated", "No longer in force", "Sin vigencia"),
    ]


def test_the_reference_vocabularies_are_installed_in_both_languages():
    assert AgreementType.objects.count() == 11
    assert EventType.objects.count() == 9
    assert Topic.objects.count() == 11
    assert Organisation.objects.count() == 19
    for model in (AgreementType, EventType, Topic, Organisation):
        assert not model.objects.filter(name_en="").exists()
        assert not model.objects.filter(name_es="").exists()
    assert AgreementType.objects.get(slug="economic-complementation-agreement").name_es == (
        "Acuerdo de complementación económica"
    )


def test_organisations_have_their_acronyms_in_each_language():
    assert Organisation.objects.filter(acronym_en="OAS", acronym_es="OEA").exists()
    assert Organisation.objects.filter(acronym_en="WTO", acronym_es="OMC").exists()
    assert Organisation.objects.filter(acronym_en="NATO", acronym_es="OTAN").exists()


def test_no_organisation_acronym_shadows_an_iso_alpha2_code():
    codes = set(Country.objects.values_list("code", flat=True))
    acronyms = {a.upper() for a in Organisation.objects.values_list("acronym_en", flat=True)} | {
        a.upper() for a in Organisation.objects.values_list("acronym_es", flat=True)
    }
    assert not codes & acronyms


def test_every_iso_country_is_installed_with_english_and_spanish_names():
    assert Country.objects.count() == 249
    peru = Country.objects.get(code="PE")
    assert (peru.alpha3, peru.name_en, peru.name_es) == ("PER", "Peru", "Perú")
    assert Country.objects.get(code="KR").name_es == "Corea del Sur"
    untranslated = Country.objects.filter(name_es="").count()
    assert untranslated == 0


def test_the_books_name_for_signed_agreements_is_replaced_unless_staff_reworded_it():
    renaming = import_module("agreements.migrations.0011_signed_not_in_force")
    signed = AgreementStatus.objects.filter(code="signed")
    signed.update(name_en="About to enter into force", name_es="Suscrito, por entrar en vigencia")
    renaming.rename(apps, renaming.BOOK, renaming.PLAIN)
    assert signed.values_list("name_en", "name_es").get() == ("Signed, not in force", "Suscrito, no vigente")
    signed.update(name_es="Firmado")
    renaming.rename(apps, renaming.PLAIN, renaming.BOOK)
    assert signed.values_list("name_en", "name_es").get() == ("Signed, not in force", "Firmado")
