"""Status and dates that tell different stories: the record is kept, and whoever saves or
imports it is told which column to look at (README, "In force")."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from agreements.models import Agreement, AgreementType
from tests.helpers import csv_text, no_inline_rows

pytestmark = pytest.mark.django_db

HEADER = "slug,title_en,type,status,signed_on,in_force_on,ended_on"

DISAGREEING = [
    (
        "ace-50,ACE 50 Cuba,Acuerdo marco,in_force,2000-01-05,,",
        "in_force_on",
        "The status is “In force” but no date of entry into force is given: the agreement is listed as in force today, "
        "and on no earlier date.",
    ),
    (
        "guatemala,Peru-Guatemala FTA,Acuerdo marco,signed,2011-12-06,2012-01-01,",
        "status",
        "It entered into force on 2012-01-01, but its status is “Signed, not in force”: it is listed as in force on "
        "the days since, but not today.",
    ),
    (
        "old,Old pact,Acuerdo marco,terminated,1990,1991,",
        "ended_on",
        "The status is “No longer in force” but no end date is given, so for past days it counts as in force from its "
        "entry into force on.",
    ),
    (
        "ended,Ended pact,Acuerdo marco,in_force,1990,1991,2001-03",
        "status",
        "It ended on 2001-03, but its status is “In force”.",
    ),
]


@pytest.mark.parametrize(("row", "column", "message"), DISAGREEING)
def test_the_import_warns_in_the_column_to_look_at_and_imports_the_row(import_csv, row, column, message):
    result = import_csv("agreements", csv_text(HEADER, row))
    assert not result.problems
    assert [str(warning) for warning in result.warnings] == [f"Row 2, column “{column}”: {message}"]
    assert Agreement.objects.count() == 1


def test_status_and_dates_that_agree_raise_no_warning(import_csv):
    rows = [
        "cl,Peru-Chile FTA,Acuerdo marco,in_force,2006-08-22,2009-03-01,",
        "tisa,TISA,Acuerdo marco,under_negotiation,,,",
        "gt,Peru-Guatemala FTA,Acuerdo marco,signed,2011-12-06,,",
        "unasur,UNASUR,Acuerdo marco,terminated,2008,2011,2019",
    ]
    result = import_csv("agreements", csv_text(HEADER, *rows))
    assert not result.problems and not result.warnings


def test_the_admin_says_so_on_saving(admin_client, settings):
    settings.LANGUAGE_CODE = "en"
    data = {
        "title_en": "ACE 50 Cuba",
        "type": AgreementType.objects.get(slug="framework-agreement").pk,
        "status": "in_force",
        "signed_on_precision": "day",
        "in_force_on_precision": "day",
        "ended_on_precision": "day",
        **no_inline_rows("steps", "participants"),
    }
    response = admin_client.post(reverse("admin:agreements_agreement_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert [str(message) for message in get_messages(response.wsgi_request)][0] == (
        "In force since: The status is “In force” but no date of entry into force is given: the agreement is listed "
        "as in force today, and on no earlier date."
    )
