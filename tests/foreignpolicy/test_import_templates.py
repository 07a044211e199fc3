"""Each kind's import template: the columns and two example rows, from the import page, the
same as docs/csv-format.md shows, and a file that imports as it is on a site with the demo."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from foreignpolicy.registry import RESOURCES, resource_for
from foreignpolicy.tabular import read_csv
from tests.helpers import problems

pytestmark = pytest.mark.django_db

# The admin page each kind is imported from, and the file kind it asks for there.
ADMIN_NAMES = {
    "directorates": ("directorates_directorate", ""),
    "agreements": ("agreements_agreement", ""),
    "steps": ("agreements_agreement", "?kind=steps"),
    "participants": ("agreements_agreement", "?kind=participants"),
    "events": ("events_event", ""),
}


def template(client, kind, language="en"):
    admin_name, query = ADMIN_NAMES[kind]
    url = reverse(f"admin:{admin_name}_import_template") + query
    response = client.get(url, headers={"accept-language": language})
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("kind", RESOURCES)
def test_the_template_has_every_column_and_two_rows_that_import_cleanly(admin_client, import_csv, kind):
    call_command("load_demo", "--language", "en", stdout=StringIO())
    body = template(admin_client, kind).content
    assert body.startswith(b"\xef\xbb\xbf")  # opens in Excel with its accents
    dataset = read_csv(body)
    assert len(dataset) == 2
    assert list(dataset.headers) == resource_for(kind).get_export_headers()
    result = import_csv(kind, body.decode("utf-8-sig"), dry_run=True)
    assert problems(result) == [] and result.warnings == []


@pytest.mark.parametrize("kind", RESOURCES)
def test_the_documentation_shows_each_template_as_the_import_page_gives_it(admin_client, kind):
    documented = (Path(settings.BASE_DIR) / "docs" / "csv-format.md").read_text()
    text = template(admin_client, kind).content.decode("utf-8-sig").replace("\r\n", "\n")
    assert f"```csv\n{text}```" in documented


def test_the_template_is_named_in_the_staff_members_language(admin_client):
    assert (
        template(admin_client, "agreements", "es")["Content-Disposition"]
        == 'attachment; filename="plantilla-acuerdos.csv"'
    )
    assert template(admin_client, "events")["Content-Disposition"] == 'attachment; filename="template-events.csv"'


def test_the_import_page_links_its_template(admin_client):
    page = admin_client.get(reverse("admin:agreements_agreement_import")).content.decode()
    assert f'href="{reverse("admin:agreements_agreement_import_template")}" download' in page


def test_staff_who_may_not_import_get_no_template(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader", password="x", is_staff=True))
    assert client.get(reverse("admin:agreements_agreement_import_template")).status_code == 403
