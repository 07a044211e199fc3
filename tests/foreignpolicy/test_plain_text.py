"""HTML in plain text (titles, summaries, names): an HTML parser, not a pattern, decides.

Plain text is shown exactly as typed, so any tag in it was typed by mistake, or to run in
whatever shows the text as HTML: a feed reader, a mail, another site reusing the data.
Every tag, comment or other markup a parser reads is refused, with its row and column.
"""

import csv
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from agreements.models import Agreement
from foreignpolicy.columns import TextWidget

pytestmark = pytest.mark.django_db

ADVICE = (
    "write plain text, which is shown exactly as typed. A “<” right before a letter, “/”, “!” or “?” starts a "
    "tag: put a space after it, or write «…» as quotation marks."
)

# (cell, the markup the message names)
HOSTILE = [
    ("<svg/onload=alert(1)>", "<svg/onload=alert(1)>"),
    ('<img/src="x"/onerror=alert(2)>', '<img/src="x"/onerror=alert(2)>'),
    ("<details/open/ontoggle=alert(3)>", "<details/open/ontoggle=alert(3)>"),
    ("<script>alert(4)</script>Peru-Chile FTA", "<script>"),
    ('Read <a href="https://evil.example/">the text</a>', '<a href="https://evil.example/">'),
    ("<IMG SRC=x ONERROR=alert(5)>", "<IMG SRC=x ONERROR=alert(5)>"),
    ("<img\nsrc=x\r\nonerror=alert(6)>", "<img src=x onerror=alert(6)>"),
    ("Peru <!-- hidden --> Chile", "<!-- hidden -->"),
    ("<![CDATA[<script>alert(7)</script>]]>", "<![CDATA[<script>"),
    ("Peru-Chile FTA <img src=x onerror=alert(8)//", "<img src=x onerror=alert(8)//"),
    ("</p>Peru", "</p>"),
    ("Peru <b>and</b> Chile", "<b>"),
    ("<!DOCTYPE html>Peru", "<!DOCTYPE html>"),
    ("<?php echo 1 ?>", "<?php echo 1 ?>"),
    ("&lt;b&gt; looks like a tag, <b> is one", "<b>"),
    ('<a title="long enough to be shortened in the message" href=x>', '<a title="long enough to be shortened i…'),
    # A cell marked as text with an apostrophe, as the downloads write formulas, is
    # checked like any other.
    ("'=<svg onload=alert(9)>", "<svg onload=alert(9)>"),
    ("'<img src=x onerror=alert(10)>", "<img src=x onerror=alert(10)>"),
    # To a parser these are tags too, and vanish from anything that shows the text as HTML.
    ("<<TLC>> Perú-Chile", "<TLC>"),
    ("Escriba a <info@rree.gob.pe>", "<info@rree.gob.pe>"),
    ("a<b", "<b"),
]

BENIGN = [
    "a < b",
    "5 > 3",
    "Perú & Chile",
    "AT&T and P&G",
    "x << y >> z",
    "<3 and 1 <2",
    "< p> with a space",
    "«TLC» Perú-Chile",
    "C'est l'accord “de Lima”, \"firmado\" ‘ya’",
    "Tom &amp; Jerry &lt;b&gt;",
    "price <= 5 and >= 3, <é>",
    "info@rree.gob.pe < or > www.rree.gob.pe",
]


COLUMNS = ("title_en", "summary_en", "type", "status")


def csv_file(tmp_path, rows):
    """An agreements file whose rows give a title and a summary each."""
    text = StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    writer.writerows((title, summary, "Acuerdo marco", "under_negotiation") for title, summary in rows)
    path = tmp_path / "acuerdos.csv"
    path.write_text(text.getvalue(), encoding="utf-8")
    return str(path)


def refusals(tmp_path, rows):
    """What the command says of a file it refuses, line by line."""
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_csv", "agreements", csv_file(tmp_path, rows), "--language", "en", stderr=err)
    assert not Agreement.objects.exists()
    return err.getvalue().splitlines()


def refusal(row, column, markup):
    return f"Row {row}, column “{column}”: The text holds HTML (“{markup}”); {ADVICE}"


@pytest.mark.parametrize(("cell", "markup"), HOSTILE)
def test_a_title_holding_html_is_refused_naming_the_row_the_column_and_the_tag(tmp_path, cell, markup):
    assert refusals(tmp_path, [(cell, "")]) == [refusal(2, "title_en", markup)]


def test_every_cell_holding_html_is_told_by_its_row_and_column(tmp_path):
    rows = [("Fine", "Fine"), ("Also fine", "<svg/onload=alert(1)>"), ("<b>x</b>", "<i>y</i>")]
    assert refusals(tmp_path, rows) == [
        refusal(3, "summary_en", "<svg/onload=alert(1)>"),
        refusal(4, "title_en", "<b>"),
        refusal(4, "summary_en", "<i>"),
    ]


@pytest.mark.parametrize("text", BENIGN)
def test_plain_text_with_angle_brackets_ampersands_and_quotes_is_imported_as_typed(tmp_path, text):
    summary = f"First line\r\nsecond line: {text}"
    call_command(
        "import_csv", "agreements", csv_file(tmp_path, [(text, summary)]), "--language", "en", stdout=StringIO()
    )
    agreement = Agreement.objects.get()
    assert agreement.title_en == text
    assert agreement.summary_en == summary


# Letters (é is none to HTML), the characters of markup, references and quotes, line breaks.
TEXT = st.text(alphabet="aZé0 <>/!?&;#=\"'-\r\n", max_size=30)
STARTS_MARKUP = re.compile(r"<[A-Za-z!?]|</.", re.DOTALL)


@settings(max_examples=500, deadline=None)
@given(TEXT)
def test_text_is_refused_exactly_when_a_lt_sign_starts_a_tag_as_the_message_says(text):
    text = f"x{text}"  # no formula
    try:
        TextWidget().clean(text)
        refused = False
    except ValueError:
        refused = True
    # The cell is read without the spaces and line breaks around it.
    assert refused == bool(STARTS_MARKUP.search(text.strip()))
