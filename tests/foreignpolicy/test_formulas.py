"""Cells that start like a formula: text people write is kept as typed (and neutralised
again on export); what a spreadsheet would run, computing from cells or calling a
function, is refused with the row, the column and the way out."""

import pytest

from directorates.models import Directorate
from tests.helpers import csv_text, problems

pytestmark = pytest.mark.django_db

TEXT_AS_TYPED = [
    "+51 1 204 2400",
    "-2 percent",
    "-2 percent of GDP (2020) in Q3 2020",
    "- a list item",
    "+ 5 days",
    "@cancilleria (Twitter)",
    "@rree.gob.pe",
    "-UN mission",
]
FORMULAS = [
    "=1+1",
    "= 5",
    "+A1",
    "-$B$2*3",
    "@SUM(A1:B2)",
    '+HYPERLINK("http://evil.example","click")',
    '-2+HYPERLINK("http://evil.example")',
    "-cmd|' /C calc'!A0",
    "+Sheet1!A1",
]


def one_unit(import_csv, summary):
    return import_csv(
        "directorates",
        csv_text("slug,name_en,summary_en,published", f'unit,Unit,"{summary.replace(chr(34), chr(34) * 2)}",yes'),
    )


@pytest.mark.parametrize("text", TEXT_AS_TYPED)
def test_text_that_merely_starts_with_a_sign_is_imported_as_typed_and_exported_neutralised(import_csv, client, text):
    assert problems(one_unit(import_csv, text)) == []
    assert Directorate.objects.get().summary_en == text
    exported = client.get("/en/directorates/download.csv").getvalue().decode("utf-8-sig")
    assert f",'{text}," in exported


@pytest.mark.parametrize("text", FORMULAS)
def test_what_a_spreadsheet_would_run_is_refused_naming_the_row_and_column(import_csv, text):
    (problem,) = problems(one_unit(import_csv, text))
    assert problem.startswith("Row 2, column “summary_en”: “")
    assert problem.endswith(
        "” starts like a spreadsheet formula. If it is meant as text, begin the cell with an apostrophe (')."
    )
    assert not Directorate.objects.exists()


@pytest.mark.parametrize("text", FORMULAS)
def test_a_formula_marked_as_text_with_an_apostrophe_is_kept_as_text(import_csv, text):
    assert problems(one_unit(import_csv, f"'{text}")) == []
    assert Directorate.objects.get().summary_en == text
