"""The parties of a multilateral agreement with their own dates: the participants file,
the agreement's table, the filter of parties that ratified, and "in force on a date"."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from agreements.models import Participant
from foreignpolicy.models import Country, Organisation
from tests.factories import AgreementFactory, ParticipantFactory
from tests.helpers import csv_text, page_slugs, problems, table_rows, url

pytestmark = pytest.mark.django_db

HEADER = "agreement,party,signed_on,consent_on,consent_kind,in_force_on,withdrawn_on"


def country(code):
    return Country.objects.get(code=code)


@pytest.fixture
def cptpp():
    return AgreementFactory(slug="cptpp", title_en="CPTPP", signed_on=date(2018, 3, 8), in_force_on=date(2021, 9, 19))


def participants_of(agreement):
    return sorted(
        (
            str(participant.party_key),
            participant.consent.isoformat() if participant.consent else "",
            participant.consent_kind,
        )
        for participant in agreement.participants.select_related("organisation")
    )


def test_each_bad_line_is_named_by_its_line_and_column(import_csv, cptpp):
    result = import_csv(
        "participants",
        csv_text(
            HEADER,
            "cptpp,Japan,2018-03-08,2018-07-06,ratification,2018-12-30,",
            "cptpp,JP,,,,,",
            "cptpp,Atlantis,,,,,",
            "cptpp,CL,,,ratificación,,",
            "cptpp,MX,,,sometimes,,",
            "cptpp,NZ,,2018-10,ratification,2018-01,",
            "cptpp,AU,,2018-10,,2018-12-30,2018-01-01",
            "cptpp,,2018,,,,",
        ),
    )
    assert problems(result) == [
        "Row 3, column “party”: Line 2 gives this already for “cptpp”; each may appear once.",
        "Row 4, column “party”: Not a known country or organisation: “Atlantis”.",
        "Row 5, column “consent_on”: Give the date of the ratification, or leave its kind empty.",
        "Row 6, column “consent_kind”: “sometimes” is not one of “ratification”, “accession”, “acceptance”, "
        "“approval”, “definitive-signature”, “succession”.",
        "Row 7, column “in_force_on”: Entry into force for the party (2018-01) is before 2018-10.",
        "Row 8, column “withdrawn_on”: The withdrawal (2018-01-01) is before the entry into force for it.",
        "Row 9, column “party”: Name the party: a country (its code or name) or an organisation.",
    ]
    assert participants_of(cptpp) == []


def test_the_export_imports_again_unchanged_and_byte_for_byte(import_csv, cptpp):
    text = csv_text(
        HEADER,
        "cptpp,JP,2018-03-08,2018-07-06,ratification,2018-12-30,",
        "cptpp,Perú,2018-03-08,2021-07,ratificación,2021-09-19,",
        "cptpp,European Union,,,,,",
    )
    assert problems(import_csv("participants", text)) == []
    assert participants_of(cptpp) == [
        ("JP", "2018-07-06", "ratification"),
        ("PE", "2021-07", "ratification"),
        ("eu", "", ""),
    ]
    out = StringIO()
    call_command("export_csv", "participants", stdout=out, stderr=StringIO())
    exported = out.getvalue()
    assert exported.splitlines()[1:] == [
        "cptpp,EU,,,,,",
        "cptpp,JP,2018-03-08,2018-07-06,ratification,2018-12-30,",
        "cptpp,PE,2018-03-08,2021-07,ratification,2021-09-19,",
    ]
    again = import_csv("participants", exported)
    assert problems(again) == [] and again.summary().startswith("0 created, 0 updated, 1 unchanged")


def test_the_table_of_participants_sorts_by_the_column_asked_for_without_javascript(client, cptpp):
    ParticipantFactory(
        agreement=cptpp,
        country=country("JP"),
        signed_on=date(2018, 3, 8),
        consent_on=date(2018, 7, 6),
        consent_kind="ratification",
    )
    ParticipantFactory(
        agreement=cptpp, country=country("CA"), signed_on=date(2018, 3, 8), consent_on=date(2018, 10, 29)
    )
    ParticipantFactory(agreement=cptpp, country=country("BN"), signed_on=date(2018, 3, 8))
    by_party = table_rows(client.get(url("agreements:detail", slug="cptpp")).content.decode())
    assert [row[0] for row in by_party[1:]] == ["Brunei", "Canada", "Japan"]
    page = client.get(url("agreements:detail", slug="cptpp"), {"participants": "consent"}).content.decode()
    rows = table_rows(page)
    assert [row[0] for row in rows[1:]] == ["Japan", "Canada", "Brunei"]
    assert rows[1] == ["Japan", "8 March 2018", "6 July 2018 (ratification)", "—", "—"]
    assert '<th scope="col" aria-sort="ascending">Consent to be bound</th>' in page
    assert '<a href="?participants=party#participants">Party</a>' in page
    spanish = client.get(url("agreements:detail", "es", slug="cptpp"), {"participants": "consent"}).content.decode()
    assert "Japón" in spanish and "ratificación" in spanish


def test_the_list_filters_the_agreements_a_party_ratified_or_acceded_to(client, cptpp):
    signed_only = AgreementFactory(slug="signed-only")
    ParticipantFactory(agreement=cptpp, country=country("JP"), consent_on=date(2018, 7, 6))
    ParticipantFactory(agreement=signed_only, country=country("JP"), signed_on=date(2019, 1, 1))
    ParticipantFactory(
        agreement=signed_only,
        country=None,
        organisation=Organisation.objects.get(slug="eu"),
        consent_on=date(2019, 2, 1),
    )
    draft = AgreementFactory(slug="draft", is_published=False)
    ParticipantFactory(agreement=draft, country=country("MX"), consent_on=date(2019, 1, 1))
    response = client.get(url("agreements:list"), {"bound_party": "JP"})
    assert page_slugs(response) == ["cptpp"]
    choices = [
        value
        for _group, options in response.context["filter"].form.fields["bound_party"].choices[1:]
        for value, _ in options
    ]
    assert choices == ["JP", "eu"]  # a draft's parties are not named
    assert page_slugs(client.get(url("agreements:list"), {"bound_party": "eu"})) == ["signed-only"]


def test_in_force_for_a_party_reads_its_own_dates_where_given(client):
    own = AgreementFactory(slug="own-dates", in_force_on=date(2018, 12, 30))
    ParticipantFactory(agreement=own, country=country("CL"), in_force_on=date(2023, 2, 21))
    left = AgreementFactory(slug="left", in_force_on=date(2011, 3, 11))
    left.countries.add(country("CL"))
    ParticipantFactory(agreement=left, country=country("CL"), withdrawn_on=date(2019, 5, 28))
    general = AgreementFactory(slug="general", in_force_on=date(2009, 3, 1))
    general.countries.add(country("CL"))
    AgreementFactory(slug="not-chile", in_force_on=date(2009, 3, 1))

    def in_force(day, party):
        return sorted(page_slugs(client.get(url("agreements:in_force"), {"on": day, "party": party})))

    assert in_force("2020-01-01", "CL") == ["general"]
    assert in_force("2018-01-01", "CL") == ["general", "left"]
    assert in_force("2024-01-01", "CL") == ["general", "own-dates"]
    assert in_force("2020-01-01", "") == ["general", "left", "not-chile", "own-dates"]
    assert Participant.objects.count() == 2


def test_the_list_downloads_the_steps_and_participants_of_the_agreements_it_shows(client, cptpp):
    from agreements.models import StepKind
    from tests.factories import StepFactory

    other = AgreementFactory(slug="other")
    draft = AgreementFactory(slug="draft", is_published=False)
    for agreement in (cptpp, other, draft):
        StepFactory(agreement=agreement, kind=StepKind.objects.get(slug="ratification"), date=date(2019, 1, 2))
        ParticipantFactory(
            agreement=agreement, country=country("JP"), consent_on=date(2018, 7, 6), consent_kind="ratification"
        )
    cptpp.countries.add(country("JP"))
    page = client.get(url("agreements:list"), {"party": "JP"}).content.decode()
    assert f'href="{url("agreements:download_steps", format="csv")}?party=JP" download' in page
    steps = b"".join(client.get(url("agreements:download_steps", format="csv"), {"party": "JP"}).streaming_content)
    assert steps.decode("utf-8-sig").splitlines() == [
        "agreement,kind,date,reference,url,note_en,note_es",
        "cptpp,ratification,2019-01-02,,,,",
    ]
    response = client.get(url("agreements:download_participants", "es", format="json"))
    parties = json.loads(b"".join(response.streaming_content))
    assert [(row["agreement"], row["party"], row["consent_kind"], row["withdrawn_on"]) for row in parties] == [
        ("cptpp", "JP", "ratification", None),
        ("other", "JP", "ratification", None),
    ]
