"""An agreement's references to other registers: imported, exported, shown, searched."""

import pytest

from agreements.models import Agreement
from tests.factories import AgreementFactory
from tests.helpers import csv_text, problems, url

pytestmark = pytest.mark.django_db

HEADER = "slug,title_en,type,status,depositary_en,depositary_es,unts_number,wto_rta_id,aladi_number,archive_code"


def test_references_are_imported_in_the_registers_own_spellings(import_csv):
    result = import_csv(
        "agreements",
        csv_text(
            HEADER,
            "tpp-11,CPTPP,multilateral-agreement,in_force,Government of New Zealand,Gobierno de Nueva Zelandia,"
            "I-56101,RTA 960,,MRE-TR-2018-004",
            "ace-58,ACE 58,economic-complementation-agreement,in_force,,,,,ACE N° 58,",
        ),
    )
    assert not result.has_errors(), problems(result)
    tpp, ace = Agreement.objects.get(slug="tpp-11"), Agreement.objects.get(slug="ace-58")
    assert (tpp.depositary_en, tpp.unts_number, tpp.wto_rta_id, tpp.archive_code) == (
        "Government of New Zealand",
        "I-56101",
        960,
        "MRE-TR-2018-004",
    )
    assert (ace.aladi_number, ace.wto_rta_id, ace.unts_number) == (58, None, "")


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (",,,,fifty,,", "Row 2, column “wto_rta_id”: “fifty” is not a whole number above 0; write it as RTA 58 or 58."),
        (
            ",,,,,ACE 0,",
            "Row 2, column “aladi_number”: “ACE 0” is not a whole number above 0; write it as ACE 58 or 58.",
        ),
        (",,,I-5<6,,,", "Row 2, column “unts_number”: Letters, digits, spaces, “.”, “-” and “/” only."),
    ],
)
def test_a_reference_that_is_not_one_is_named_by_row_and_column(import_csv, cells, message):
    result = import_csv("agreements", csv_text(HEADER, f"x,X,multilateral-agreement,in_force{cells}"))
    assert problems(result) == [message]
    assert not Agreement.objects.filter(slug="x").exists()


def test_the_page_lists_the_references_and_links_the_wto_database(client):
    AgreementFactory(
        slug="tpp-11",
        depositary_en="Government of New Zealand",
        depositary_es="Gobierno de Nueva Zelandia",
        wto_rta_id=960,
        aladi_number=None,
    )
    english = client.get(url("agreements:detail", slug="tpp-11")).content.decode()
    assert "<dt>Depositary</dt><dd>Government of New Zealand</dd>" in english
    assert '<a href="https://rtais.wto.org/UI/PublicShowRTAIDCard.aspx?rtaid=960" rel="external">960</a>' in english
    assert "ALADI" not in english
    spanish = client.get(url("agreements:detail", "es", slug="tpp-11")).content.decode()
    assert "<dt>Depositario</dt><dd>Gobierno de Nueva Zelandia</dd>" in spanish


def test_a_page_without_references_has_no_empty_section(client):
    AgreementFactory(slug="plain")
    assert "References" not in client.get(url("agreements:detail", slug="plain")).content.decode()


@pytest.mark.parametrize("query", ["ACE 58", "ace 58", "RTA 960", "I-56101", "MRE-TR-2018-004"])
def test_typing_a_reference_finds_the_agreement(client, query):
    AgreementFactory(slug="ace-58", title_en="Mercosur agreement", aladi_number=58)
    AgreementFactory(slug="ace-50", title_en="Cuba agreement", aladi_number=50)
    AgreementFactory(
        slug="tpp-11", title_en="CPTPP", wto_rta_id=960, unts_number="I-56101", archive_code="MRE-TR-2018-004"
    )
    response = client.get(url("search"), {"q": query})
    agreements = [str(result.record) for result in response.context["results"][1][2]]
    assert agreements == (["Mercosur agreement"] if "58" in query else ["CPTPP"])
