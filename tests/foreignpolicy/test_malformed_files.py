"""Every bad file, through the command and through the admin: a clear reason, nothing written.

Small files are in tests/fixtures/malformed/; large ones (bombs, a million columns) are
made by tests/hostile_files.py when the test runs.
"""

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape

from agreements.models import Agreement
from directorates.models import Directorate
from foreignpolicy.models import FileJob, ImportRecord
from tests import hostile_files

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent.parent / "fixtures" / "malformed"
MADE = {name: make for name, make, _what in hostile_files.FILES}
NOT_XLSX = "This is not an Excel .xlsx file, or it is damaged. Save it again from Excel."
DTD = "The workbook holds an XML document type declaration (a DTD) or XML entities"
OLD_EXCEL = "This is an Excel 97-2003 workbook (.xls) or a workbook protected by a password, which cannot be read."
TOO_MANY_ROWS = "The file has more than 200,000 rows of data (blank rows included). Split it into smaller files."

CASES = [
    (
        "wrong-encoding.csv",
        "agreements",
        "Row 2: the file is neither UTF-8 nor Windows-1252 text (byte 39 cannot be read).",
    ),
    ("binary-renamed.csv", "agreements", "This is not a text file (it looks like a binary file)."),
    # Files that cannot be read at all: reading stops at the first limit or fault.
    ("million-columns.csv", "agreements", "Row 1 is longer than 400,000 characters, more than any row of this format."),
    ("wide-header.csv", "agreements", "The header (row 1) has 50,000 columns; at most 32 can be read."),
    ("endless-header.csv", "agreements", "Row 1 is longer than 400,000 characters"),
    (
        "open-quote.csv",
        "agreements",
        "Row 2 is longer than 400,000 characters, more than any row of this format. Check "
        "that every quote in it is closed",
    ),
    (
        "long-cell.csv",
        "agreements",
        "Row 2, column “summary_en”: the cell holds 150,020 characters; a cell may hold at most 100,000.",
    ),
    ("many-rows.csv", "agreements", TOO_MANY_ROWS),
    ("blank-lines.csv", "agreements", TOO_MANY_ROWS),
    ("nul-after-4-kib.csv", "agreements", "Row 150, column “title_en”: the cell holds a control character (U+0000)"),
    ("escape-character.csv", "agreements", "Row 2, column “title_en”: the cell holds a control character (U+001B)"),
    (
        "overlong-utf8.csv",
        "agreements",
        "Row 3: the file is UTF-8 text, but byte 40 is not (a character written with more bytes than it needs).",
    ),
    (
        "surrogate-utf8.csv",
        "agreements",
        "Row 3: the file is UTF-8 text, but byte 41 is not (half of a UTF-16 surrogate pair, written as UTF-8).",
    ),
    (
        "stray-continuation.csv",
        "agreements",
        "Row 2: the file is UTF-8 text, but byte 35 is not (a byte that can only continue a character, where none "
        "began).",
    ),
    ("truncated-utf8.csv", "agreements", "Row 3: the file is UTF-8 text, but byte 58 is not (a character cut short)."),
    (
        "utf16-truncated.csv",
        "agreements",
        "Row 3: the file starts as UTF-16 text, but byte 57 cannot be read (a character cut short).",
    ),
    (
        "utf16-lone-surrogate.csv",
        "agreements",
        "Row 2: the file starts as UTF-16 text, but byte 51 cannot be read (half of a UTF-16 surrogate pair, without "
        "the other half).",
    ),
    ("utf16-without-bom.csv", "agreements", "This looks like UTF-16 text without the byte-order mark"),
    (
        "workbook-named.csv",
        "agreements",
        "This is an Excel workbook, although its name ends in .csv. Rename it to .xlsx and try again.",
    ),
    ("old-excel-named.csv", "agreements", OLD_EXCEL),
    (
        "bomb-sheet.xlsx",
        "agreements",
        "The workbook's part “xl/worksheets/sheet1.xml” unpacks to more than 100 times its packed size",
    ),
    ("bomb-strings.xlsx", "agreements", "The workbook's part “xl/sharedStrings.xml” unpacks to more than 100 times"),
    ("bomb-elsewhere.xlsx", "agreements", "The workbook's part “xl/media/image1.png” unpacks to more than 100 times"),
    ("too-big-unpacked.xlsx", "agreements", "The workbook unpacks to more than 128.0\xa0MB, more than can be read."),
    ("lying-size.xlsx", "agreements", NOT_XLSX),
    ("thousands-of-parts.xlsx", "agreements", "The workbook is made of more than 1,000 parts"),
    (
        "bzip2.xlsx",
        "agreements",
        "The workbook is packed in a way Excel never uses (its part “xl/media/image1.png” is encrypted or compressed "
        "by another method).",
    ),
    ("dtd-entity.xlsx", "agreements", DTD),
    ("external-entity.xlsx", "agreements", DTD),
    ("billion-laughs.xlsx", "agreements", DTD),
    ("late-entity.xlsx", "agreements", DTD),
    ("sheet-not-xml.xlsx", "agreements", NOT_XLSX),
    (
        "csv-named.xlsx",
        "agreements",
        "This file holds text (such as CSV), although its name ends in .xlsx. Rename it to .csv and try again.",
    ),
    ("old-excel-named.xlsx", "agreements", OLD_EXCEL),
    ("empty-sheet.xlsx", "agreements", "The file is empty."),
    ("no-worksheet.xlsx", "agreements", "The workbook has no worksheet to read."),
    (
        "far-cell.xlsx",
        "agreements",
        "The sheet has cells down to row 1,048,576; at most 200,000 rows of data can be read.",
    ),
    (
        "million-columns.xlsx",
        "agreements",
        "Row 1 has more than 128 cells, filled or formatted; at most 32 columns can be read.",
    ),
    (
        "many-rows.xlsx",
        "agreements",
        "The sheet has more than 200,000 rows of data, counting rows that are only formatted.",
    ),
    ("long-text.xlsx", "agreements", "Row 2 holds a cell of more than 100,000 characters"),
    ("many-strings.xlsx", "agreements", "The workbook holds more than 10,004 texts"),
    ("rich-text-runs.xlsx", "agreements", "The workbook holds far more XML markup than its cells need"),
    (
        "huge-styles.xlsx",
        "agreements",
        "Besides its first sheet, the workbook holds 6.0\xa0MB of parts that have to be read whole",
    ),
    ("same-sheet-many-times.xlsx", "agreements", "Besides its first sheet, the workbook holds 250.9\xa0MB"),
    # Files that are read, whose rows are wrong.
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
        "html-without-spaces.csv",
        "agreements",
        'Row 2, column “title_en”: The text holds HTML (“<img/src="x"/onerror=alert(2)>”); write plain text',
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


def corpus_file(name, folder):
    """The file's path: in the corpus, or made now into `folder`."""
    path = CORPUS / name
    if not path.exists():
        path = folder / name
        path.write_bytes(MADE[name]())
    return path


def test_every_hostile_file_has_a_case():
    assert set(MADE) <= {name for name, _kind, _message in CASES}


def test_the_small_hostile_files_are_in_the_corpus():
    assert {name for name, make, _what in hostile_files.FILES if len(make()) <= hostile_files.SMALL} <= {
        path.name for path in CORPUS.iterdir()
    }


@pytest.mark.parametrize(("name", "kind", "message"), CASES)
def test_the_command_gives_the_reason_and_writes_nothing(tmp_path, name, kind, message):
    err = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_csv", kind, str(corpus_file(name, tmp_path)), "--language", "en", stderr=err)
    assert message in err.getvalue() + str(error.value)
    assert nothing_written()


@pytest.mark.parametrize(("name", "kind", "message"), CASES)
def test_the_admin_gives_the_reason_and_writes_nothing(admin_client, settings, tmp_path, name, kind, message):
    settings.LANGUAGE_CODE = "en"
    # Read in the request, as a web worker would, however large and however far it unpacks
    # (larger files would wait for the job worker).
    settings.IMPORT_INLINE_MAX_BYTES = 2**40
    model = "agreement" if kind == "agreements" else "directorate"
    upload = SimpleUploadedFile(name, corpus_file(name, tmp_path).read_bytes())
    response = admin_client.post(reverse(f"admin:{kind}_{model}_import"), {"import_file": upload}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    # The admin shows the row and the column in their own table cells.
    shown = message.split(": ", 1)[1] if "column “" in message or message.startswith("Column") else message
    if name == "empty.csv":
        shown = "The submitted file is empty."  # Django's own upload check comes first
    assert escape(shown) in page
    assert "Confirm import" not in page
    assert nothing_written() and not FileJob.objects.exclude(data=b"").exists()
