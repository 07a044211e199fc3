"""A new row that looks like a record already there is flagged, not refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from agreements.models import Agreement
from tests.factories import AgreementFactory, DirectorateFactory, EventFactory
from tests.helpers import csv_text, problems

pytestmark = pytest.mark.django_db


def warnings(result):
    return [str(warning) for warning in result.warnings]


def test_an_agreement_with_the_same_title_ignoring_case_and_accents_is_flagged(import_csv):
    existing = AgreementFactory(slug="peru-chile-fta", title_en="Peru–Chile Free Trade Agreement", title_es="TLC")
    result = import_csv(
        "agreements",
        csv_text("slug,title_en,type,status", "another,PERÚ-CHILE free trade agreement,Acuerdo marco,signed"),
    )
    assert problems(result) == []
    assert warnings(result) == [
        "Row 2: Possibly the same as “Peru–Chile Free Trade Agreement” (peru-chile-fta), already here: "
        "the same English title."
    ]
    assert result.warnings[0].link == reverse("admin:agreements_agreement_change", args=[existing.pk])
    assert Agreement.objects.filter(slug="another").exists()


def test_an_agreement_of_the_same_type_parties_and_signature_date_is_flagged(import_csv):
    existing = AgreementFactory(slug="old", title_en="Old name", signed_on="2006-08-22")
    existing.countries.set(["CL", "MX"])
    header = "slug,title_en,type,status,parties,signed_on"
    result = import_csv(
        "agreements",
        csv_text(
            header,
            "same,New name,free-trade-agreement,signed,Mexico;CL,22/08/2006",
            "other-date,New name 2,free-trade-agreement,signed,MX;CL,2006-08",
            "other-parties,New name 3,free-trade-agreement,signed,CL,2006-08-22",
        ),
    )
    assert warnings(result) == [
        "Row 2: Possibly the same as “Old name” (old), already here: the same type, parties and date of signature."
    ]


def test_two_new_rows_of_one_file_that_look_alike_are_flagged(import_csv):
    result = import_csv(
        "events",
        csv_text("slug,title_en,date,type", "a,Summit in Lima,2025-11-10,summit", "b,Summit in LIMA,2025-11-10,summit"),
    )
    assert warnings(result) == ["Row 3: Possibly the same as row 2 of this file: the same date and English title."]


def test_directorates_with_the_same_acronym_or_name_are_flagged(import_csv):
    DirectorateFactory(slug="economic-affairs", name_en="Economic Affairs", acronym="DAE")
    result = import_csv(
        "directorates", csv_text("slug,acronym,name_en", "dae,DAE,Something else", "x,,economic affairs", "y,Q,Other")
    )
    assert warnings(result) == [
        "Row 2: Possibly the same as “Economic Affairs (DAE)” (economic-affairs), already here: the same acronym.",
        "Row 3: Possibly the same as “Economic Affairs (DAE)” (economic-affairs), already here: the same English name.",
    ]


def test_updates_are_never_flagged(import_csv):
    EventFactory(slug="summit", title_en="Summit", date="2025-11-10")
    result = import_csv("events", csv_text("slug,title_en,date,type", "summit,Summit,2025-11-10,summit"))
    assert warnings(result) == []


def test_import_csv_prints_warnings_and_strict_refuses_them(tmp_path, capsys):
    AgreementFactory(slug="peru-chile-fta", title_en="Peru-Chile FTA")
    path = tmp_path / "agreements.csv"
    path.write_text(csv_text("slug,title_en,type,status", "copy,Peru Chile FTA,Acuerdo marco,signed"))
    call_command("import_csv", "agreements", str(path), "--dry-run", "--language", "en")
    output = capsys.readouterr()
    assert "Row 2: Possibly the same as “Peru-Chile FTA” (peru-chile-fta)" in output.err
    with pytest.raises(Exception, match="1 problem found"):
        call_command("import_csv", "agreements", str(path), "--strict", "--language", "en")
    assert not Agreement.objects.filter(slug="copy").exists()


def test_the_preview_of_a_new_row_says_what_was_understood(import_csv):
    DirectorateFactory(slug="economic-affairs", name_en="Economic Affairs", acronym="DAE")
    result = import_csv(
        "agreements",
        csv_text(
            "slug,title_en,type,status,parties,directorate,signed_on",
            "x,X,tratado de libre comercio,vigente,chile;OEA,DAE,05/2009",
        ),
    )
    assert result.rows[0].changes == [
        ("title_en", "", "X"),
        ("type", "", "Free trade agreement (free-trade-agreement)"),
        ("status", "", "In force (in_force)"),
        ("parties", "", "Chile (CL); OAS (OAS)"),
        ("directorate", "", "Economic Affairs (DAE) (economic-affairs)"),
        ("signed_on", "", "2009-05 (known to the month)"),
        ("published", "", "draft"),
    ]


def test_the_admin_preview_shows_what_a_new_row_means_and_links_the_likely_duplicate(admin_client, settings):
    settings.LANGUAGE_CODE = "en"
    existing = AgreementFactory(slug="peru-chile-fta", title_en="Peru-Chile FTA")
    upload = SimpleUploadedFile(
        "agreements.csv",
        csv_text("slug,title_en,type,status,signed_on", "copy,Peru Chile FTA,Acuerdo marco,signed,2009").encode(),
    )
    page = admin_client.post(
        reverse("admin:agreements_agreement_import"), {"import_file": upload}, follow=True
    ).content.decode()
    assert "<code>type</code>: Framework agreement (framework-agreement)</li>" in page
    assert "<code>signed_on</code>: 2009 (known to the year)</li>" in page
    assert "<code>published</code>: draft</li>" in page
    link = reverse("admin:agreements_agreement_change", args=[existing.pk])
    assert f'href="{link}"' in page
    assert "Possibly the same as “Peru-Chile FTA” (peru-chile-fta), already here: the same English title." in page
