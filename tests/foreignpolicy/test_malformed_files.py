"""Every bad file, through the command and through the admin: a clear reason, nothing written."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from agreements.models import Agreement
from directorates.models import Directorate
from foreignpolicy.models import FileJob, ImportRecord

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent.parent / "fixtures" / "malformed"

CASES = [
    ("wrong-encoding.csv", "agreements", "The file is neither UTF-8 nor Windows-1252 text (byte 39 cannot be read)."),
    ("binary-renamed.csv", "agreements", "This is not a text file (it looks like a binary file)."),
    ("empty.csv", "agreements", "The file is empty."),
    ("header-only.csv", "agreements", "The file has a header row but no rows of data."),
    ("unknown-column.csv", "agreements", "Column “titel_en”: not a column of this format. Did you mean “title_en”?"),
    (
        "missing-columns.csv",
        "agreements",
        "The file needs a slug column or a title_en or title_es column to know which records it describes.",
    ),
    ("duplicated-column.csv", "agreements", "Column “title_en”: the column appears twice; keep one."),
    ("ragged-rows.csv", "agreements", "Row 2 has 5 cells but the header has 4 columns."),
    ("unknown-vocabulary.csv", "agreements", "Row 2, column “type”: Not a known agreement type: “Tratado raro”."),
    ("unknown-vocabulary.csv", "agreements", "Row 2, column “status”: Not a known agreement status: “Vigentes”."),
    ("unknown-vocabulary.csv", "agreements", "Row 2, column “parties”: Not a known country or organisation: “Narnia”."),
    ("unknown-vocabulary.csv", "agreements", "Row 2, column “topics”: Not a known topic: “Astrology”."),
    ("unparseable-date.csv", "agreements", "Row 2, column “signed_on”: “August 2006” is not a date"),
    (
        "impossible-date.csv",
        "agreements",
        "Row 2, column “signed_on”: “31/02/2010” is not a real date: that month has 28 days.",
    ),
    ("end-before-start.csv", "agreements", "Row 2, column “ended_on”: The end (2008-01-01) is before 2009-03-01."),
    (
        "duplicate-slugs.csv",
        "agreements",
        "Row 3, column “slug”: “pe-cl” is also the slug of row 2; each record may appear once.",
    ),
    (
        "missing-reference.csv",
        "agreements",
        "Row 2, column “directorate”: No directorate with the slug “no-such-directorate”, in the database or in "
        "this file.",
    ),
    (
        "over-long-value.csv",
        "agreements",
        "Row 2, column “title_en”: Ensure this value has at most 300 characters (it has 301).",
    ),
    (
        "formula-cells.csv",
        "agreements",
        'Row 2, column “summary_en”: “=HYPERLINK("http://evil.example","click…” starts like a spreadsheet formula.',
    ),
    (
        "html-in-text.csv",
        "agreements",
        "Row 2, column “title_en”: The text holds HTML (“<script>”); write plain text, which is shown exactly as "
        "typed.",
    ),
    (
        "own-ancestor.csv",
        "directorates",
        "Row 2, column “parent”: “bottom” is “top” itself or one of its sub-units, so a directorate would be part of "
        "itself.",
    ),
    (
        "script-in-body.csv",
        "directorates",
        "Row 2, column “body_en”: The text holds a script, an event handler or a javascript: link; remove it.",
    ),
]


def nothing_written():
    return not (Agreement.objects.exists() or Directorate.objects.exists() or ImportRecord.objects.exists())


@pytest.mark.parametrize(("name", "kind", "message"), CASES)
def test_the_command_gives_the_reason_and_writes_nothing(name, kind, message):
    err = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_csv", kind, str(CORPUS / name), "--language", "en", stderr=err)
    assert message in err.getvalue() + str(error.value)
    assert nothing_written()


@pytest.mark.parametrize(("name", "kind", "message"), CASES)
def test_the_admin_gives_the_reason_and_writes_nothing(admin_client, settings, name, kind, message):
    settings.LANGUAGE_CODE = "en"
    model = "agreement" if kind == "agreements" else "directorate"
    upload = SimpleUploadedFile(name, (CORPUS / name).read_bytes())
    response = admin_client.post(reverse(f"admin:{kind}_{model}_import"), {"import_file": upload}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    # The admin shows the row and the column in their own table cells.
    shown = message.split(": ", 1)[1] if "column “" in message or message.startswith("Column") else message
    if name == "empty.csv":
        shown = "The submitted file is empty."  # Django's own upload check comes first
    assert shown.replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;") in page
    assert "Confirm import" not in page
    assert nothing_written() and not FileJob.objects.exclude(data=b"").exists()
